package artifact

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// nestedKind says whether a file name is an archive fnscan opens.
func nestedKind(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".jar"), strings.HasSuffix(n, ".war"), strings.HasSuffix(n, ".ear"),
		strings.HasSuffix(n, ".hpi"), strings.HasSuffix(n, ".jpi"), strings.HasSuffix(n, ".par"), strings.HasSuffix(n, ".sar"):
		return "jar"
	case strings.HasSuffix(n, ".whl"), strings.HasSuffix(n, ".egg"):
		return "wheel"
	case strings.HasSuffix(n, ".zip"), strings.HasSuffix(n, ".nupkg"):
		return "zip"
	case strings.HasSuffix(n, ".tar"), strings.HasSuffix(n, ".tar.gz"), strings.HasSuffix(n, ".tgz"),
		strings.HasSuffix(n, ".tar.zst"), strings.HasSuffix(n, ".tzst"):
		return "tar"
	}
	return ""
}

// openNested opens archives found inside the target, breadth first, up to
// the depth limit. A corrupt nested archive is a warning; a limit is an error.
func (t *Target) openNested(ctx context.Context, u *unpacker) error {
	n := 0
	for i := 0; i < len(t.Roots); i++ { // t.Roots grows as archives are found
		r := t.Roots[i]
		if !r.Scan || r.Depth >= u.b.limits.MaxDepth {
			continue
		}
		var found []string
		filepath.WalkDir(r.Dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && nestedKind(d.Name()) != "" {
				found = append(found, p)
			}
			return nil
		})
		for _, p := range found {
			if err := ctx.Err(); err != nil {
				return err
			}
			rel, _ := filepath.Rel(r.Dir, p)
			rel = filepath.ToSlash(rel)
			virtual, origin := r.Locate(rel)
			kind := nestedKind(p)
			n++
			dir := filepath.Join(t.work, "nested", fmt.Sprint(n))
			err := u.extractNested(ctx, virtual, p, dir, kind)
			if errors.Is(err, ErrLimit) || errors.Is(err, context.Canceled) {
				return err
			}
			if err != nil {
				os.RemoveAll(dir)
				t.warn(Warning{Path: virtual, Message: "skipped corrupt archive: " + err.Error()})
				continue
			}
			if err := u.checkLinks(dir, virtual, "!"); err != nil {
				return err
			}
			catalog := r.Catalog
			if r.Origin.Kind == OriginImageLayer {
				// Only what the final image still holds is a component of it.
				catalog = t.inFinalImage(rel, r.Origin)
			}
			t.Roots = append(t.Roots, &Root{
				Dir: dir, Virtual: virtual, Sep: "!", Origin: origin, Depth: r.Depth + 1,
				// syft reads jars itself, nested jars included.
				Catalog: catalog && kind != "jar", Scan: true, ArchiveKind: kind,
			})
		}
	}
	return nil
}

func (t *Target) inFinalImage(rel string, o Origin) bool {
	for _, r := range t.Roots {
		if r.owner != nil {
			i, ok := r.owner[rel]
			return ok && r.layers[i] == o
		}
	}
	return false
}

func (u *unpacker) extractNested(ctx context.Context, virtual, p, dir, kind string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if kind == "tar" {
		return u.untarFile(ctx, virtual, p, dir)
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return fmt.Errorf("not a valid zip archive: %w", err)
	}
	defer zr.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return u.unzip(ctx, virtual, &zr.Reader, root)
}
