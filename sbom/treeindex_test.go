package sbom

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

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
	var roots []*artifact.Root
	for _, spec := range []string{testdata("images", "alpine-3.10-docker-archive.tar.gz"), zipPath} {
		tg, err := artifact.Open(context.Background(), spec, artifact.Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tg.Close() })
		for _, r := range tg.Roots {
			if r.Catalog && r.Tree != nil {
				roots = append(roots, r)
			}
		}
	}
	src, err := newTreeSource(t.Context(), "test", newMount(roots), t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	res := src.res
	ours := res.index
	if len(ours.recs) < 100 {
		t.Fatalf("only %d records: the image did not mount", len(ours.recs))
	}
	theirs := filetree.NewIndex()
	for i := range ours.recs {
		theirs.Add(ours.recs[i].ref, ours.recs[i].metadata())
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
		mimes[r.mime] = true
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

	// The searches syft runs, through each index.
	oursSearch := filetree.NewSearchContext(res.tree, ours)
	theirSearch := filetree.NewSearchContext(res.tree, theirs)
	for _, glob := range []string{"**/package.json", "**/lib/apk/db/installed", "**/*.dist-info/METADATA", "**/etc/os-release",
		"**/usr/lib/os-release", "/etc/*-release", "**/*.so*", "**/bin/*", "**/*", "/lib/**/*.so.*", "**/{musl,ld-musl}*", "**/node_modules/*/package.json"} {
		g, gerr := oursSearch.SearchByGlob(glob, filetree.FollowBasenameLinks)
		w, werr := theirSearch.SearchByGlob(glob, filetree.FollowBasenameLinks)
		if (gerr != nil) != (werr != nil) || len(g) != len(w) {
			t.Fatalf("SearchByGlob %s: %d results (%v), stereoscope %d (%v)", glob, len(g), gerr, len(w), werr)
		}
		if glob == "**/*" && len(g) < 50 {
			t.Fatalf("SearchByGlob **/*: only %d results", len(g))
		}
		for i := range g {
			if g[i].RequestPath != w[i].RequestPath || g[i].RealPath != w[i].RealPath {
				t.Fatalf("SearchByGlob %s: result %d is %v, stereoscope %v", glob, i, g[i], w[i])
			}
		}
	}
	g, _ := oursSearch.SearchByMIMEType("application/x-executable", "application/x-sharedlib")
	w, _ := theirSearch.SearchByMIMEType("application/x-executable", "application/x-sharedlib")
	if len(g) != len(w) || len(g) == 0 {
		t.Fatalf("SearchByMIMEType: %d results, stereoscope %d", len(g), len(w))
	}
}
