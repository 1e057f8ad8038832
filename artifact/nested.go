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
		strings.HasSuffix(n, ".tar.zst"), strings.HasSuffix(n, ".tzst"), strings.HasSuffix(n, ".tar.xz"),
		strings.HasSuffix(n, ".txz"), strings.HasSuffix(n, ".tar.bz2"), strings.HasSuffix(n, ".tbz2"):
		return "tar"
	case strings.HasSuffix(n, ".7z"):
		return "7z"
	case strings.HasSuffix(n, ".gz"), strings.HasSuffix(n, ".xz"), strings.HasSuffix(n, ".zst"), strings.HasSuffix(n, ".bz2"):
		return "compressed" // one compressed file
	}
	return ""
}

// openNested opens archives found inside the target, breadth first, up to
// the depth limit. A corrupt nested archive is a warning; a limit is an error.
func (t *Target) openNested(ctx context.Context, u *unpacker) error {
	n := 0
	for i := 0; i < len(t.Roots); i++ { // t.Roots grows as archives are found
		r := t.Roots[i]
		if !r.Scan {
			continue
		}
		var found []string
		filepath.WalkDir(r.Dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && nestedKind(d.Name()) != "" {
				found = append(found, p)
			}
			return nil
		})
		if r.Depth >= u.b.limits.MaxDepth {
			// Reaching a limit is never silent: what was left unopened is
			// named in every report.
			for _, p := range found {
				rel, _ := filepath.Rel(r.Dir, p)
				virtual, _ := r.Locate(filepath.ToSlash(rel))
				t.warn(Warning{Path: virtual, Message: fmt.Sprintf("nested archive not opened: deeper than --max-depth %d", u.b.limits.MaxDepth), Unscanned: true})
			}
			continue
		}
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
				t.warn(Warning{Path: virtual, Message: "skipped corrupt archive: " + err.Error(), Unscanned: true})
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
				Catalog: catalog && kind != "jar", Scan: true,
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

func (u *unpacker) extractNested(ctx context.Context, virtual, p, dir, kind string) (err error) {
	// Archive readers are third-party code fed hostile bytes; a panic in one
	// (bodgit/sevenzip has some) is a corrupt archive, not a crash.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("archive reader failed: %v", r)
		}
	}()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	switch kind {
	case "tar":
		return u.untarFile(ctx, virtual, p, dir)
	case "7z":
		return u.un7z(ctx, virtual, p, dir)
	case "compressed":
		return u.uncompress(virtual, p, dir)
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

// uncompress writes the content of a single compressed file (x.gz, x.xz,
// x.zst, x.bz2) as one entry named without its extension.
func (u *unpacker) uncompress(virtual, p, dir string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	dr, done, err := u.decompress(f)
	if err != nil {
		return fmt.Errorf("corrupt compressed file: %w", err)
	}
	defer done()
	if err := u.b.entry(); err != nil {
		return fmt.Errorf("%s: %w", virtual, err)
	}
	name := filepath.Base(p)
	name = name[:len(name)-len(filepath.Ext(name))]
	if name == "" || name == "." || name == ".." {
		name = "content"
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	err = u.createFile(root, &dirCache{made: map[string]bool{}}, name, dr, fi.Size(), nil)
	if err != nil && !errors.Is(err, ErrLimit) {
		return fmt.Errorf("corrupt compressed file: %w", err)
	}
	return err
}
