package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// hide keeps a path of the root from the catalogers.
func (r *Root) hide(rel string) {
	if r.NotCataloged == nil {
		r.NotCataloged = map[string]bool{}
	}
	r.NotCataloged[rel] = true
	if r.self != nil {
		// The catalogers read the archive itself, all of it included.
		r.self.Catalog = false
	}
}

// IsArchiveName says whether a file name is one of the archives fnscan
// opens and checks itself (jars, wheels, zips, tars...).
func IsArchiveName(name string) bool { return nestedKind(baseName(name)) != "" }

// nestedKind says whether a file name is an archive fnscan opens.
func nestedKind(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".jar"), strings.HasSuffix(n, ".war"), strings.HasSuffix(n, ".ear"),
		strings.HasSuffix(n, ".hpi"), strings.HasSuffix(n, ".jpi"), strings.HasSuffix(n, ".par"), strings.HasSuffix(n, ".sar"),
		strings.HasSuffix(n, ".nar"), strings.HasSuffix(n, ".kar"), strings.HasSuffix(n, ".far"), strings.HasSuffix(n, ".lpkg"):
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
// Zips, tars and single compressed files are read in place; 7z archives
// are unpacked.
func (t *Target) openNested(ctx context.Context, u *unpacker) error {
	type found struct {
		rel   string
		disk  string // on disk, for a root on disk
		entry *Entry // in the tree, for a Tree root
	}
	n := 0
	for i := 0; i < len(t.Roots); i++ { // t.Roots grows as archives are found
		r := t.Roots[i]
		if !r.Scan {
			continue
		}
		var list []found
		if r.Tree != nil {
			for _, e := range r.Tree.Entries() {
				if e.Type == EntryFile && nestedKind(baseName(e.Path)) != "" {
					list = append(list, found{rel: e.Path, entry: e})
				}
			}
		} else {
			filepath.WalkDir(r.Dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() && nestedKind(d.Name()) != "" {
					rel, _ := filepath.Rel(r.Dir, p)
					list = append(list, found{rel: filepath.ToSlash(rel), disk: p})
				}
				return nil
			})
		}
		if r.Depth >= u.b.limits.MaxDepth {
			// Reaching a limit is never silent: what was left unopened is
			// named in every report.
			for _, f := range list {
				virtual, _ := r.Locate(f.rel)
				t.warn(Warning{Path: virtual, Message: fmt.Sprintf("nested archive not opened: deeper than --max-depth %d", u.b.limits.MaxDepth), Unscanned: true})
			}
			continue
		}
		for _, f := range list {
			if err := ctx.Err(); err != nil {
				return err
			}
			virtual, origin := r.Locate(f.rel)
			kind := nestedKind(baseName(f.rel))
			n++
			catalog := r.Catalog
			if r.Origin.Kind == OriginImageLayer {
				// Only what the final image still holds is a component of it.
				catalog = t.inFinalImage(f.rel, r.Origin)
			}
			nr := &Root{
				Virtual: virtual, Sep: "!", Origin: origin, Depth: r.Depth + 1, parent: r, rel: f.rel,
				// syft reads jars itself, nested jars included.
				Catalog: catalog && kind != "jar", Scan: true,
			}
			var err error
			switch kind {
			case "jar", "wheel", "zip":
				nr.Tree, err = safely(func() (*Tree, error) { return t.openNestedZip(ctx, u, virtual, r, f.entry, f.disk, n) })
			case "tar":
				nr.Tree, err = safely(func() (*Tree, error) { return t.openNestedTar(ctx, u, virtual, r, f.entry, f.disk, n) })
			case "compressed":
				nr.Tree, err = safely(func() (*Tree, error) { return t.openNestedCompressed(u, virtual, r, f.entry, f.disk, n) })
			default:
				var work string
				if work, err = t.workDir(); err != nil {
					return err
				}
				nr.Dir = filepath.Join(work, "nested", fmt.Sprint(n))
				err = t.unpackNested(ctx, u, virtual, r, f.entry, f.disk, nr.Dir, kind, n)
			}
			if errors.Is(err, ErrLimit) || errors.Is(err, ErrMalformed) || errors.Is(err, context.Canceled) {
				return err
			}
			if err != nil {
				if nr.Dir != "" {
					os.RemoveAll(nr.Dir)
				}
				// syft would open it again, without fnscan's limits.
				r.hide(f.rel)
				t.warn(Warning{Path: virtual, Message: "skipped corrupt archive: " + strings.TrimPrefix(err.Error(), virtual+": "), Unscanned: true})
				continue
			}
			if kind == "jar" && nr.Tree != nil {
				t.checkJarMetadata(nr)
			}
			t.Roots = append(t.Roots, nr)
		}
	}
	return nil
}

// safely runs an archive reader: third-party code fed hostile bytes, whose
// panic is a corrupt archive, not a crash.
func safely(open func() (*Tree, error)) (tr *Tree, err error) {
	defer func() {
		if r := recover(); r != nil {
			tr, err = nil, fmt.Errorf("archive reader failed: %v", r)
		}
	}()
	return open()
}

// maxManifest bounds a jar's metadata files: syft's Java cataloger reads
// them whole into memory, so a 2 GiB MANIFEST.MF that deflates under the
// ratio limit would otherwise take gigabytes.
const maxManifest = 16 << 20

// jarMetadata says whether syft's Java cataloger reads an entry of a jar
// whole: the manifest, pom files anywhere, version.properties and licence
// files at the top or in META-INF (duplicates included).
func jarMetadata(p string) bool {
	dir, base := path.Dir(p), strings.ToUpper(baseName(p))
	switch {
	case base == "MANIFEST.MF", strings.HasSuffix(base, "POM.PROPERTIES"), strings.HasSuffix(base, "POM.XML"):
		return true
	case dir != "." && !strings.EqualFold(dir, "META-INF"):
		return false
	}
	return base == "VERSION.PROPERTIES" || strings.HasPrefix(base, "LICENSE") || strings.HasPrefix(base, "LICENCE") ||
		strings.HasPrefix(base, "NOTICE") || strings.HasPrefix(base, "COPYING")
}

// checkJarMetadata keeps a jar with an oversized manifest or pom away from
// the catalogers (and every jar holding it, which syft would open too).
func (t *Target) checkJarMetadata(jar *Root) {
	if t.jarMetadataTooLarge(jar) {
		for x := jar; x.parent != nil && nestedKind(baseName(x.rel)) == "jar"; x = x.parent {
			x.parent.hide(x.rel)
		}
	}
}

// jarMetadataTooLarge says, with a warning, that a jar holds a manifest
// too large for syft's Java cataloger, which reads them whole.
func (t *Target) jarMetadataTooLarge(jar *Root) bool {
	for _, e := range jar.Tree.Entries() {
		if e.Type != EntryFile || e.Size <= maxManifest || !jarMetadata(e.Path) {
			continue
		}
		t.warn(Warning{Path: jar.Virtual + "!" + e.Path, Message: fmt.Sprintf("not cataloged: %d bytes, over the %d MiB a package manifest may take (its files are still scanned for secrets)", e.Size, maxManifest>>20), Unscanned: true})
		return true
	}
	return false
}

// openNestedZip indexes a nested zip without unpacking it.
func (t *Target) openNestedZip(ctx context.Context, u *unpacker, virtual string, parent *Root, e *Entry, disk string, n int) (*Tree, error) {
	src, err := t.nestedBytes(u, parent, e, disk, n)
	if err != nil {
		return nil, err
	}
	return u.openTree(ctx, virtual, src, src.Size())
}

// openNestedTar indexes a nested tar (compressed or not) as a tree.
func (t *Target) openNestedTar(ctx context.Context, u *unpacker, virtual string, parent *Root, e *Entry, disk string, n int) (tr *Tree, err error) {
	src, err := t.nestedBytes(u, parent, e, disk, n)
	if err != nil {
		return nil, err
	}
	ix, err := t.indexTar(ctx, u, virtual, src, false)
	if err != nil {
		return nil, err
	}
	return u.tarTree(ix, virtual, "!", virtual, false)
}

// nestedBytes gives a nested archive's bytes, found in a tree or on disk.
func (t *Target) nestedBytes(u *unpacker, parent *Root, e *Entry, disk string, n int) (sizedReaderAt, error) {
	if e == nil {
		return t.openFile(disk)
	}
	src, closer, err := u.nestedSource(parent.Tree, e, func() (*os.File, error) { return t.spillFile(n) }, &t.held)
	if closer != nil {
		t.closeLater(closer)
	}
	return src, err
}

// openNestedCompressed reads one compressed file (x.gz, x.xz, x.zst, x.bz2)
// as a tree of one entry named without its extension. Its content is not
// kept: one pass measures it against the limits, and each read decompresses
// it again (most are small: man pages, changelogs).
func (t *Target) openNestedCompressed(u *unpacker, virtual string, parent *Root, e *Entry, disk string, n int) (tr *Tree, err error) {
	src, err := t.nestedBytes(u, parent, e, disk, n)
	if err != nil {
		return nil, err
	}
	if err := u.b.entry(); err != nil {
		return nil, fmt.Errorf("%s: %w", virtual, err)
	}
	open := func() (io.ReadCloser, error) {
		dr, done, err := decompressRaw(io.NewSectionReader(src, 0, src.Size()))
		if err != nil {
			return nil, fmt.Errorf("corrupt compressed file: %w", err)
		}
		return readCloser{dr, done}, nil
	}
	rc, err := open()
	if err != nil {
		return nil, err
	}
	size, err := io.Copy(&limitedWriter{w: io.Discard, b: u.b, compressed: src.Size()}, rc)
	rc.Close()
	if err != nil {
		return nil, wrapCorrupt(err)
	}
	name := baseName(virtual[strings.LastIndex(virtual, "!")+1:])
	name = strings.TrimSuffix(name, path.Ext(name))
	if name == "" || name == "." || name == ".." {
		name = "content"
	}
	tr = &Tree{archive: virtual, entries: map[string]*Entry{}}
	tr.put(&Entry{Path: name, Type: EntryFile, Mode: 0o644, Size: size, open: open})
	tr.finish(u, nil)
	return tr, nil
}

type readCloser struct {
	io.Reader
	done func()
}

func (r readCloser) Close() error { r.done(); return nil }

func wrapCorrupt(err error) error {
	if errors.Is(err, ErrLimit) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("corrupt compressed file: %w", err)
}

func (t *Target) spillFile(n int) (*os.File, error) {
	work, err := t.workDir()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, "spill")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return os.Create(filepath.Join(dir, fmt.Sprint(n)))
}

// unpackNested unpacks a nested 7z archive into dir; one found in a Tree is
// first copied out to the work dir.
func (t *Target) unpackNested(ctx context.Context, u *unpacker, virtual string, parent *Root, e *Entry, disk, dir, kind string, n int) error {
	if e != nil {
		rc, err := parent.Tree.Open(e)
		if err != nil {
			return err
		}
		work, err := t.workDir()
		if err != nil {
			rc.Close()
			return err
		}
		sub := filepath.Join(work, "spill", fmt.Sprint(n))
		if err := os.MkdirAll(sub, 0o700); err != nil {
			rc.Close()
			return err
		}
		defer os.RemoveAll(sub)
		f, err := os.Create(filepath.Join(sub, path.Base(e.Path)))
		if err != nil {
			rc.Close()
			return err
		}
		_, err = io.Copy(f, rc)
		rc.Close()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		disk = f.Name()
	}
	if err := u.extractNested(ctx, virtual, disk, dir, kind); err != nil {
		return err
	}
	return u.checkLinks(dir, virtual, "!")
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
	case "7z":
		return u.un7z(ctx, virtual, p, dir)
	}
	return fmt.Errorf("%s: not an archive kind to unpack", kind)
}
