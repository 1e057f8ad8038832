package sbom

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	stfile "github.com/anchore/stereoscope/pkg/file"
	"github.com/anchore/stereoscope/pkg/filetree"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/internal/fixture"
)

// treeIndex must answer every query as stereoscope's own index does on the
// same records, and stereoscope's search must find the same files through
// either: a real image (links, dirs, packages) mounted with a zip of
// awkward names.
func TestTreeIndexMatchesStereoscope(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "fn.zip")
	names := map[string][]byte{
		"a.tar.gz": {1}, "b/.hidden": {1}, "b/..two": {1}, "c/x.": {1}, "c/y.so.1.2": {1},
		"d/package.json": []byte(`{"name":"d","version":"1.0.0"}`), "node_modules/e/package.json": []byte(`{"name":"e","version":"2.0.0"}`),
		"e/f/package.json": {1}, "noext": {1}, "lib/python3.12/site-packages/x-1.0.dist-info/METADATA": []byte("Name: x\nVersion: 1.0\n"),
		"bin/tool": append([]byte("\x7fELF"), make([]byte, 60)...),
	}
	if err := os.WriteFile(zipPath, fixture.Zip(names), 0o644); err != nil {
		t.Fatal(err)
	}
	src := mountTargets(t, testdata("images", "alpine-3.10-docker-archive.tar.gz"), zipPath)
	res := src.res
	ours := res.index
	if len(ours.recs) < 100 {
		t.Fatalf("only %d records: the image did not mount", len(ours.recs))
	}
	theirs := filetree.NewIndex()
	for i := range ours.recs {
		theirs.Add(ours.recs[i].ref, ours.metadata(int32(i)))
	}

	same := func(what string, got []filetree.IndexEntry, gerr error, want []filetree.IndexEntry, werr error, sorted bool) {
		t.Helper()
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("%s: error %v, stereoscope %v", what, gerr, werr)
		}
		if sorted {
			byID := func(a, b filetree.IndexEntry) int { return cmp.Compare(a.ID(), b.ID()) }
			slices.SortFunc(got, byID)
			slices.SortFunc(want, byID)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d entries, stereoscope %d", what, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.ID() != w.ID() || g.RealPath != w.RealPath || g.Path != w.Path || g.Type != w.Type || g.MIMEType != w.MIMEType ||
				g.LinkDestination != w.LinkDestination || g.Name() != w.Name() || g.Size() != w.Size() || g.Mode() != w.Mode() || !g.ModTime().Equal(w.ModTime()) {
				t.Fatalf("%s: entry %d is %+v, stereoscope %+v", what, i, g, w)
			}
		}
	}
	bases, exts, mimes := map[string]bool{"missing": true}, map[string]bool{".missing": true}, map[string]bool{"text/none": true}
	for i := range ours.recs {
		r := &ours.recs[i]
		g, gerr := ours.Get(r.ref)
		w, werr := theirs.Get(r.ref)
		same("Get "+string(r.ref.RealPath), []filetree.IndexEntry{g}, gerr, []filetree.IndexEntry{w}, werr, false)
		bases[filepath.Base(string(r.ref.RealPath))] = true
		// Every dotted suffix, leading dots too: a superset of what
		// stereoscope files a path under.
		b := filepath.Base(string(r.ref.RealPath))
		for j := range len(b) {
			if b[j] == '.' {
				exts[b[j:]] = true
			}
		}
		mimes[ours.mime(int32(i))] = true
	}
	for b := range bases {
		g, gerr := ours.GetByBasename(b)
		w, werr := theirs.GetByBasename(b)
		same("GetByBasename "+b, g, gerr, w, werr, false)
	}
	for e := range exts {
		g, gerr := ours.GetByExtension(e)
		w, werr := theirs.GetByExtension(e)
		same("GetByExtension "+e, g, gerr, w, werr, false)
	}
	for m := range mimes {
		g, gerr := ours.GetByMIMEType(m, "application/x-executable")
		w, werr := theirs.GetByMIMEType(m, "application/x-executable")
		same("GetByMIMEType "+m, g, gerr, w, werr, false)
	}
	for _, ty := range stfile.AllTypes() {
		g, gerr := ours.GetByFileType(ty)
		w, werr := theirs.GetByFileType(ty)
		same("GetByFileType "+ty.String(), g, gerr, w, werr, false)
	}
	for _, glob := range []string{"*", "*.json", "lib*.so*", "*.so.[0-9]*", "package.json", ".*", "a/b", "**", "[", "x?"} {
		g, gerr := ours.GetByBasenameGlob(glob)
		w, werr := theirs.GetByBasenameGlob(glob)
		same("GetByBasenameGlob "+glob, g, gerr, w, werr, true)
	}

}

// Records built by hand, one reference added twice (a directory given its
// entry later, a file retyped): the metadata and the answers are those of
// stereoscope's index fed the way fnscan fed it before treeIndex.
func TestTreeIndexByHand(t *testing.T) {
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	ft := filetree.New()
	ours, theirs := newTreeIndex(0), filetree.NewIndex()
	add := func(rec recMIME, info stfile.ManualInfo) {
		t.Helper()
		if err := ours.add(rec); err != nil {
			t.Fatal(err)
		}
		p := string(rec.ref.RealPath)
		theirs.Add(rec.ref, stfile.Metadata{FileInfo: info, Path: p, Type: rec.typ, LinkDestination: rec.link, MIMEType: rec.mime})
	}
	mk := func(f func() (*stfile.Reference, error)) stfile.Reference {
		t.Helper()
		ref, err := f()
		if err != nil || ref == nil {
			t.Fatal(err)
		}
		return *ref
	}
	root := mk(func() (*stfile.Reference, error) { return ft.AddDir("/") })
	add(recMIME{indexRec: indexRec{ref: root, typ: stfile.TypeDirectory}}, stfile.ManualInfo{NameValue: "/", ModeValue: os.ModeDir | 0o755})
	lib := mk(func() (*stfile.Reference, error) { return ft.AddDir("/lib") })
	add(recMIME{indexRec: indexRec{ref: lib, typ: stfile.TypeDirectory}}, stfile.ManualInfo{NameValue: "lib", ModeValue: os.ModeDir | 0o755})
	so := mk(func() (*stfile.Reference, error) { return ft.AddFile("/lib/libc.so.6") })
	soEntry := &artifact.Entry{Path: "lib/libc.so.6", Type: artifact.EntryFile, Mode: 0o755, Size: 1234, ModTime: when}
	add(recMIME{indexRec{ref: so, entry: soEntry, typ: stfile.TypeRegular}, "application/x-sharedlib"},
		stfile.ManualInfo{NameValue: "libc.so.6", SizeValue: 1234, ModeValue: 0o755, ModTimeValue: when})
	link := mk(func() (*stfile.Reference, error) { return ft.AddSymLink("/lib64", "/lib") })
	linkEntry := &artifact.Entry{Path: "lib64", Type: artifact.EntrySymlink, Mode: os.ModeSymlink | 0o777, Size: 3, ModTime: when, Link: "lib"}
	add(recMIME{indexRec: indexRec{ref: link, entry: linkEntry, typ: stfile.TypeSymLink, link: "/lib"}},
		stfile.ManualInfo{NameValue: "lib64", SizeValue: 3, ModeValue: os.ModeSymlink | 0o777, ModTimeValue: when})
	// The same directory again, now with its tar entry: a dir's size is
	// never kept.
	libEntry := &artifact.Entry{Path: "lib", Type: artifact.EntryDir, Mode: os.ModeDir | 0o700, Size: 4096, ModTime: when}
	if again := mk(func() (*stfile.Reference, error) { return ft.AddDir("/lib") }); again.ID() != lib.ID() {
		t.Fatalf("the tree made a new reference for an existing directory")
	}
	add(recMIME{indexRec: indexRec{ref: lib, entry: libEntry, typ: stfile.TypeDirectory}}, stfile.ManualInfo{NameValue: "lib", ModeValue: os.ModeDir | 0o700, ModTimeValue: when})
	// The file again, untyped: it leaves its MIME bucket.
	add(recMIME{indexRec: indexRec{ref: so, entry: soEntry, typ: stfile.TypeRegular}},
		stfile.ManualInfo{NameValue: "libc.so.6", SizeValue: 1234, ModeValue: 0o755, ModTimeValue: when})
	ours.seal()
	ours.seal() // twice is harmless
	if err := ours.add(recMIME{indexRec: indexRec{ref: so}}); err == nil {
		t.Fatal("add after seal accepted")
	}

	key := func(e filetree.IndexEntry) string {
		return fmt.Sprintf("%d %s %s %v %s %q %s %d %v %v", e.ID(), e.RealPath, e.Path, e.Type, e.MIMEType, e.LinkDestination, e.Name(), e.Size(), e.Mode(), e.ModTime())
	}
	check := func(what string, g []filetree.IndexEntry, gerr error, w []filetree.IndexEntry, werr error) {
		t.Helper()
		if (gerr != nil) != (werr != nil) || len(g) != len(w) {
			t.Fatalf("%s: %d entries (%v), stereoscope %d (%v)", what, len(g), gerr, len(w), werr)
		}
		for i := range g {
			if key(g[i]) != key(w[i]) {
				t.Fatalf("%s: %s\nstereoscope %s", what, key(g[i]), key(w[i]))
			}
		}
	}
	for _, ref := range []stfile.Reference{root, lib, so, link} {
		g, gerr := ours.Get(ref)
		w, werr := theirs.Get(ref)
		check("Get "+string(ref.RealPath), []filetree.IndexEntry{g}, gerr, []filetree.IndexEntry{w}, werr)
	}
	g, gerr := ours.GetByMIMEType("application/x-sharedlib")
	w, werr := theirs.GetByMIMEType("application/x-sharedlib")
	check("GetByMIMEType", g, gerr, w, werr)
	if len(g) != 0 {
		t.Fatalf("a retyped file is still under its old MIME type")
	}
	g, gerr = ours.GetByFileType(stfile.TypeDirectory, stfile.TypeSymLink, stfile.TypeRegular)
	w, werr = theirs.GetByFileType(stfile.TypeDirectory, stfile.TypeSymLink, stfile.TypeRegular)
	check("GetByFileType", g, gerr, w, werr)
	for _, e := range []string{".6", ".so.6", ".so"} {
		g, gerr = ours.GetByExtension(e)
		w, werr = theirs.GetByExtension(e)
		check("GetByExtension "+e, g, gerr, w, werr)
	}
	for _, b := range []string{"lib", "/", "libc.so.6", "lib64"} {
		g, gerr = ours.GetByBasename(b)
		w, werr = theirs.GetByBasename(b)
		check("GetByBasename "+b, g, gerr, w, werr)
	}
	if _, err := ours.GetByBasename("a/b"); err == nil {
		t.Fatal("a basename with a slash accepted")
	}
}
