package artifact

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/internal/fixture"
)

// tarOf writes entries in order (a map would lose the order tar semantics
// depend on).
type tarEntry struct {
	name, body, link string
	typ              byte
}

func tarOf(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Linkname: e.link}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	tw.Close()
	return buf.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// The squashed tree follows the image's rules, not a disk's: whiteouts and
// opaque directories delete only below their layer, a file replaces a
// directory and a directory a file, a hardlink reads its target's content,
// a symlink resolves against the final tree. Each layer still holds
// everything it shipped.
func TestSquashedImageTree(t *testing.T) {
	l1 := tarOf(t,
		tarEntry{name: "etc/", typ: tar.TypeDir},
		tarEntry{name: "etc/conf/a", body: "lower a\n"},
		tarEntry{name: "etc/conf/b", body: "lower b\n"},
		tarEntry{name: "opt/tool", body: "a file\n"},
		tarEntry{name: "usr/lib/os-release", body: "ID=test\n"},
		tarEntry{name: "etc/os-release", link: "../usr/lib/os-release", typ: tar.TypeSymlink},
		tarEntry{name: "data/gone.txt", body: "deleted above\n"},
	)
	l2 := tarOf(t,
		tarEntry{name: "etc/conf/.wh..wh..opq"},
		tarEntry{name: "etc/conf/c", body: "upper c\n"},
		tarEntry{name: "opt/tool/bin", body: "now a dir\n"},
		tarEntry{name: "data/.wh.gone.txt"},
		tarEntry{name: "data/link-source", body: "shared content\n"},
		tarEntry{name: "data/hard", link: "data/link-source", typ: tar.TypeLink},
	)
	tg, _, err := openIn(t, dockerArchive(t, [][]byte{l1, gz(l2)}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	sq := squashedRoot(t, tg)
	want := map[string]string{
		"etc/conf/c":         "upper c\n",
		"opt/tool/bin":       "now a dir\n",
		"usr/lib/os-release": "ID=test\n",
		"data/link-source":   "shared content\n",
		"data/hard":          "shared content\n",
	}
	var got []string
	for _, e := range sq.Tree.Entries() {
		if e.Type == EntryFile {
			got = append(got, e.Path)
			if w, ok := want[e.Path]; !ok || readEntry(t, sq.Tree, e.Path) != w {
				t.Errorf("squashed %s = %q", e.Path, readEntry(t, sq.Tree, e.Path))
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("squashed files %v, want %d", got, len(want))
	}
	if e := sq.Tree.Lookup("etc/os-release"); e == nil || e.Type != EntrySymlink || e.Link != "usr/lib/os-release" {
		t.Errorf("etc/os-release: %+v", e)
	}
	if _, o := sq.Locate("data/hard"); o.Index != 2 {
		t.Errorf("data/hard attributed to layer %d", o.Index)
	}
	// Every file a layer shipped is scanned with its layer.
	files, _ := tg.Files()
	scanned := map[string]int{}
	for _, f := range files {
		scanned[f.Virtual] = f.Origin.Index
	}
	for p, layer := range map[string]int{"/etc/conf/a": 1, "/etc/conf/b": 1, "/opt/tool": 1, "/data/gone.txt": 1, "/etc/conf/c": 2, "/data/hard": 2} {
		if scanned[p] != layer {
			t.Errorf("%s scanned with layer %d, want %d", p, scanned[p], layer)
		}
	}
}

// An uncompressed docker archive is read where it lies: its layers are
// sections of the file, and nothing at all is written.
func TestImageReadInPlace(t *testing.T) {
	layer := tarOf(t, tarEntry{name: "app/index.js", body: "module.exports = 1\n"}, tarEntry{name: "app/lib.jar", body: string(fixture.Zip(map[string][]byte{"META-INF/MANIFEST.MF": []byte("Manifest-Version: 1.0\n")}))})
	tg, parent, err := openIn(t, dockerArchive(t, [][]byte{layer}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	files, _ := tg.Files()
	var names []string
	for _, f := range files {
		names = append(names, f.Virtual)
	}
	joined := strings.Join(names, " ")
	if !strings.Contains(joined, "/app/index.js") || !strings.Contains(joined, "/app/lib.jar!META-INF/MANIFEST.MF") {
		t.Errorf("files %v", names)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("work dir made for an uncompressed image: %v", left)
	}
}

// A file that a later entry of the same tar replaces is still scanned,
// under a marked name, as in zips; the tree keeps the later one.
func TestTarDuplicateKept(t *testing.T) {
	p := writeTemp(t, "dup.tar", tarOf(t, tarEntry{name: "a.env", body: "TOKEN=first\n"}, tarEntry{name: "a.env", body: "TOKEN=second\n"}))
	tg, err := Open(context.Background(), p, Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	got := contents(t, tg)
	if got["a.env"] != "TOKEN=second\n" || got["a.env"+dupMark+"1"] != "TOKEN=first\n" || len(got) != 2 {
		t.Errorf("contents %v", got)
	}
	if !strings.Contains(warningsText(tg.Warnings), "dup.tar!a.env: replaced by a later entry of the archive: still scanned, as a.env.fnscan-duplicate-1") {
		t.Errorf("warnings %v", tg.Warnings)
	}
}

// A later entry named like an earlier replaced copy's mark is the file
// at that path: a finished tree finds it (its list, sorted, is searched).
func TestTarEntryNamedLikeAMark(t *testing.T) {
	entries := []tarEntry{{name: "a.env", body: "old\n"}, {name: "a.env", body: "new\n"}, {name: "a.env" + dupMark + "1", body: "real\n"}}
	for i := range 40 {
		entries = append(entries, tarEntry{name: fmt.Sprintf("a.env%s1x%02d", dupMark, i), body: "x\n"})
	}
	tg, err := Open(context.Background(), writeTemp(t, "mark.tar", tarOf(t, entries...)), Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	for _, r := range tg.Roots {
		if r.Tree == nil {
			continue
		}
		b, err := r.ReadFile("a.env"+dupMark+"1", 1<<10)
		if err != nil || string(b) != "real\n" {
			t.Errorf("%s: read %q, %v", r.Virtual, b, err)
		}
	}
}

// A tar.gz inside a zip is a tree too: its files are read from one
// decompressed copy, and a single .gz file is read by decompressing it
// again, never unpacked.
func TestNestedTarAndGzip(t *testing.T) {
	inner := gz(tarOf(t, tarEntry{name: "pkg/config.yml", body: "key: value\n"}, tarEntry{name: "pkg/run.sh", body: "echo hi\n"}))
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for name, body := range map[string][]byte{"vendor/bundle.tar.gz": inner, "docs/CHANGES.md.gz": gz([]byte("## 1.0\n")), "index.js": []byte("1\n")} {
		w, _ := zw.Create(name)
		w.Write(body)
	}
	zw.Close()
	tg, parent, err := openIn(t, writeTemp(t, "fn.zip", zb.Bytes()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	got := byVirtual(t, tg)
	if got["fn.zip!vendor/bundle.tar.gz!pkg/config.yml"] != "key: value\n" || got["fn.zip!docs/CHANGES.md.gz!CHANGES.md"] != "## 1.0\n" {
		t.Errorf("files %v", got)
	}
	var written []string
	filepath.WalkDir(parent, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			written = append(written, p)
		}
		return nil
	})
	// The tar.gz was inflated in memory from the zip and decompressed into
	// one file; nothing else.
	if len(written) != 1 {
		t.Errorf("written %v, want the one decompressed tar", written)
	}
}

// A sparse tar entry's data is not one run of bytes: refused, named.
func TestSparseTarEntryRefused(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "ok.txt", Typeflag: tar.TypeReg, Size: 3, Mode: 0o644})
	tw.Write([]byte("ok\n"))
	tw.Close()
	// A GNU sparse header, hand-made: archive/tar writes none.
	b := buf.Bytes()
	var sp bytes.Buffer
	hdr := make([]byte, 512)
	copy(hdr, "holes.bin")
	copy(hdr[100:], "0000644\x00")
	copy(hdr[124:], "00000000000\x00")
	hdr[156] = tar.TypeGNUSparse
	copy(hdr[257:], "ustar  \x00")
	copy(hdr[483:], "00000000000\x00") // realsize 0
	sum := 0
	copy(hdr[148:156], "        ")
	for _, c := range hdr {
		sum += int(c)
	}
	copy(hdr[148:], []byte(strings.Repeat("0", 6-len(itoa8(sum)))+itoa8(sum)+"\x00 "))
	sp.Write(hdr)
	sp.Write(b)
	p := writeTemp(t, "sparse.tar", sp.Bytes())
	tg, err := Open(context.Background(), p, Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if got := contents(t, tg); got["ok.txt"] != "ok\n" || len(got) != 1 {
		t.Errorf("contents %v", got)
	}
	if w := warningsText(tg.Warnings); !strings.Contains(w, "holes.bin: refused: a sparse file") {
		t.Errorf("warnings %q", w)
	}
}

func itoa8(n int) string {
	s := ""
	for ; n > 0; n /= 8 {
		s = string(rune('0'+n%8)) + s
	}
	return s
}

// Go's own archive/tar test corpus (truncated, sparse, lying, malformed
// tars, in every Go installation): a directory holding it is scanned, each
// archive read or skipped with a warning naming it, never the whole scan
// refused. An image with Go's source tree holds exactly these.
func TestGoTarCorpus(t *testing.T) {
	dir := filepath.Join(runtime.GOROOT(), "src", "archive", "tar", "testdata")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("Go's tar test corpus not found: %v", err)
	}
	tg, err := Open(context.Background(), "dir:"+dir, Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatalf("scan refused: %v", err)
	}
	defer tg.Close()
	files, _ := tg.Files()
	opened := 0
	for _, f := range files {
		if strings.Contains(f.Virtual, ".tar!") {
			opened++
		}
	}
	if opened < 20 {
		t.Errorf("only %d files read inside the corpus's tars", opened)
	}
	w := warningsText(tg.Warnings)
	for _, name := range []string{"writer-big.tar: skipped corrupt archive", "sparse-formats.tar!sparse-gnu: refused: a sparse file"} {
		if !strings.Contains(w, name) {
			t.Errorf("no warning %q in:\n%s", name, w)
		}
	}
}

// An archive inside a single compressed file (lib.zip.gz, x.tar.gz.gz) is
// opened like any other.
func TestArchiveInCompressedFile(t *testing.T) {
	inner := fixture.Zip(map[string][]byte{"config/app.env": []byte("A=1\n")})
	p := writeTemp(t, "fn.zip", fixture.Zip(map[string][]byte{"lib.zip.gz": gz(inner), "pkg.tar.gz.gz": gz(gz(tarOf(t, tarEntry{name: "x.txt", body: "x\n"})))}))
	tg, _, err := openIn(t, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	files, _ := tg.Files()
	got := virtuals(files)
	want := []string{"fn.zip!lib.zip.gz", "fn.zip!lib.zip.gz!lib.zip", "fn.zip!lib.zip.gz!lib.zip!config/app.env", "fn.zip!pkg.tar.gz.gz", "fn.zip!pkg.tar.gz.gz!pkg.tar.gz", "fn.zip!pkg.tar.gz.gz!pkg.tar.gz!x.txt"}
	if strings.Join(got, " ") != strings.Join(want, " ") || len(tg.Warnings) != 0 {
		t.Errorf("files %v, warnings %v", got, tg.Warnings)
	}
}

// A layer writes through a symlinked directory of the layers below when no
// entry of its own names that directory (merged /usr, a relocated dpkg
// database); an explicit directory entry replaces the link, as docker's
// applier does.
func TestSquashWritesThroughLinks(t *testing.T) {
	l1 := tarOf(t,
		tarEntry{name: "decoy/status", body: "Package: a\n"},
		tarEntry{name: "var/lib/dpkg", link: "/decoy", typ: tar.TypeSymlink},
		tarEntry{name: "usr/lib/one.so", body: "1\n"},
		tarEntry{name: "lib", link: "usr/lib", typ: tar.TypeSymlink},
		tarEntry{name: "opt", link: "/nowhere-yet", typ: tar.TypeSymlink},
	)
	l2 := tarOf(t,
		tarEntry{name: "var/lib/dpkg/other", body: "Package: b\n"},
		tarEntry{name: "lib/two.so", body: "2\n"},
		tarEntry{name: "lib/.wh.one.so"},
		tarEntry{name: "opt/", typ: tar.TypeDir},
		tarEntry{name: "opt/app", body: "app\n"},
	)
	tg, _, err := openIn(t, dockerArchive(t, [][]byte{l1, l2}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	sq := tg.Roots[0]
	if sq.Virtual != "" || !sq.Catalog {
		t.Fatalf("first root %+v", sq)
	}
	for p, want := range map[string]string{"decoy/status": "Package: a\n", "decoy/other": "Package: b\n", "usr/lib/two.so": "2\n", "opt/app": "app\n"} {
		if got := readEntry(t, sq.Tree, p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	for _, p := range []string{"usr/lib/one.so", "var/lib/dpkg/other", "lib/two.so"} {
		if e := sq.Tree.Lookup(p); e != nil {
			t.Errorf("%s is in the squashed tree: %+v", p, e)
		}
	}
	if e := sq.Tree.Lookup("var/lib/dpkg"); e == nil || e.Type != EntrySymlink || e.Link != "decoy" {
		t.Errorf("var/lib/dpkg: %+v", e)
	}
	if e := sq.Tree.Lookup("opt"); e == nil || e.Type != EntryDir {
		t.Errorf("opt: %+v, want the directory layer 2 named", e)
	}
	if _, o := sq.Locate("decoy/other"); o.Index != 2 {
		t.Errorf("decoy/other attributed to layer %d", o.Index)
	}
}

// byVirtual reads every file of a target by its virtual path.
func byVirtual(t *testing.T, tg *Target) map[string]string {
	t.Helper()
	files, _ := tg.Files()
	got := map[string]string{}
	for _, f := range files {
		b, err := f.ReadBounded(1 << 20)
		if err != nil {
			t.Fatal(err)
		}
		got[f.Virtual] = string(b)
	}
	return got
}

// In a container's root filesystem ".." at the root is the root (the kernel
// resolves it so in the container's mount namespace): a link climbing past
// it points at a path of the image, never outside, and is kept; pnpm and
// workspace layouts link node_modules that way. In a plain archive the same
// link leaves the archive and is refused.
func TestRootfsLinksStayInside(t *testing.T) {
	layer := tarOf(t,
		tarEntry{name: "secret.txt", body: "image's own\n"},
		tarEntry{name: "store/bar/package.json", body: `{"name":"bar","version":"1.0.0"}`},
		tarEntry{name: "dir1/attack-symlink-absolute.txt", link: "/../secret.txt", typ: tar.TypeSymlink},
		tarEntry{name: "dir1/attack-symlink.txt", link: "../../secret.txt", typ: tar.TypeSymlink},
		tarEntry{name: "app/node_modules/bar", link: "../../../../../store/bar", typ: tar.TypeSymlink},
	)
	tg, _, err := openIn(t, dockerArchive(t, [][]byte{layer}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if w := warningsText(tg.Warnings); strings.Contains(w, "symlink") {
		t.Errorf("warnings: %s", w)
	}
	sq := squashedRoot(t, tg)
	for name, want := range map[string]string{
		"dir1/attack-symlink-absolute.txt": "secret.txt",
		"dir1/attack-symlink.txt":          "secret.txt",
		"app/node_modules/bar":             "store/bar",
	} {
		if e := sq.Tree.Lookup(name); e == nil || e.Type != EntrySymlink || e.Link != want {
			t.Errorf("%s: %+v, want a link to %s", name, e, want)
		}
	}

	// The same entries as a plain tar: the links leave the archive.
	tarPath := filepath.Join(t.TempDir(), "plain.tar")
	if err := os.WriteFile(tarPath, layer, 0o644); err != nil {
		t.Fatal(err)
	}
	plain, _, err := openIn(t, tarPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	w := warningsText(plain.Warnings)
	for _, name := range []string{"attack-symlink.txt", "attack-symlink-absolute.txt", "node_modules/bar"} {
		if !strings.Contains(w, name+`: refused: symlink to`) {
			t.Errorf("plain tar: %s not refused; warnings:\n%s", name, w)
		}
	}
}

// squashedRoot is an image target's squashed filesystem, the root syft catalogs.
func squashedRoot(t *testing.T, tg *Target) *Root {
	t.Helper()
	for _, r := range tg.Roots {
		if r.Catalog && r.Virtual == "" && r.Tree != nil {
			return r
		}
	}
	t.Fatal("no squashed tree")
	return nil
}

// A whole archive that does not read is named as it was given, with its
// directory: "bad/x.tar", not "x.tar".
func TestCorruptArchiveNamedAsGiven(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bad"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "bad", "random.bin")
	if err := os.WriteFile(p, bytes.Repeat([]byte{0x5a, 0x01, 0xff}, 400), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"docker-archive:" + p, "oci-archive:" + p} {
		_, err := Open(context.Background(), spec, Options{TempDir: t.TempDir()})
		if err == nil || !strings.HasPrefix(err.Error(), p+": ") || !errors.Is(err, ErrMalformed) && !strings.Contains(err.Error(), "corrupt") {
			t.Errorf("%s: %v", spec, err)
		}
	}
}
