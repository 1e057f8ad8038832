package secrets

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/fnscan/fnscan/artifact"
)

// sharedData is the shared/ folder beside the repository.
func sharedData(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "data", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data %s not available (../shared missing?): %v", rel, err)
	}
	return p
}

// dirFiles lists a directory as artifact files with virtual paths under
// the given target name.
func dirFiles(t testing.TB, root, target string) []artifact.File {
	t.Helper()
	var files []artifact.File
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		files = append(files, artifact.File{
			Virtual: target + "!" + rel,
			Path:    rel,
			Real:    p,
			Size:    info.Size(),
			Origin:  artifact.Origin{Kind: artifact.OriginFunction, Name: target},
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// writeFiles creates files from name -> content and returns them as a
// function target.
func writeFiles(t testing.TB, contents map[string]string) []artifact.File {
	t.Helper()
	dir := t.TempDir()
	for name, c := range contents {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dirFiles(t, dir, "fn.zip")
}

func scan(t testing.TB, files []artifact.File, cfg Config) Result {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
