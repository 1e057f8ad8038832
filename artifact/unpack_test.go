package artifact

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/fnscan/fnscan/internal/fixture"
)

func testdata(parts ...string) string {
	return filepath.Join(append([]string{"..", "testdata"}, parts...)...)
}

// openIn opens a target with its work dir under a fresh parent, so the test
// can check nothing was written anywhere else.
func openIn(t *testing.T, spec string, opts Options) (*Target, string, error) {
	t.Helper()
	parent := t.TempDir()
	opts.TempDir = parent
	tg, err := Open(context.Background(), spec, opts)
	return tg, parent, err
}

func warningsText(ws []Warning) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(w.String() + "\n")
	}
	return b.String()
}

// The shared hostile corpus: each entry must be refused (a warning naming the
// entry and reason) or contained, and nothing may appear outside the work dir.
func TestHostileCorpus(t *testing.T) {
	cases := []struct {
		file string
		want []string // substrings of the warnings
	}{
		{"zip-slip.zip", []string{"evil.txt: refused: path traverses outside the archive"}},
		{"zip-slip-win.zip", []string{`Temp\evil.txt: refused: path traverses outside the archive`}},
		{"zip-slip.tar", []string{"evil.txt: refused: path traverses outside the archive"}},
		{"zip-slip-win.tar", []string{`Temp\evil.txt: refused: path traverses outside the archive`}},
		// In an image ".." at the root stays there, as the kernel has it: the
		// links resolve to /secret.txt of the image (TestRootfsLinksStayInside).
		{"image-symlink-attack.tar", nil},
		{"image-symlink-cycle.tar", []string{"symlink loop"}},
		{"image-symlink-depth-exceeded.tar", []string{"symlink7.txt: refused: symlink", "symlink chain too deep"}},
		{"image-escape.tar", []string{"refused: absolute path"}},
	}
	before, _ := os.ReadDir(os.TempDir())
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			tg, parent, err := openIn(t, testdata("malicious", c.file), Options{})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			got := warningsText(tg.Warnings)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("warnings lack %q; got:\n%s", w, got)
				}
			}
			files, err := tg.Files()
			if err != nil {
				t.Fatal(err)
			}
			work := tg.WorkDir()
			for _, f := range files {
				if f.Real != "" && !strings.HasPrefix(f.Real, work+string(filepath.Separator)) {
					t.Errorf("file %s outside the work dir", f.Real)
				}
				if strings.Contains(f.Virtual, "..") {
					t.Errorf("virtual path %s climbs", f.Virtual)
				}
			}
			assertContained(t, work)
			tg.Close()
			if left, _ := os.ReadDir(parent); len(left) != 0 {
				t.Errorf("Close left %d entries in the temp parent", len(left))
			}
		})
	}
	for _, p := range []string{"/tmp/evil.txt", "/tmp/poc.txt", filepath.Join(os.TempDir(), "evil.txt")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists: an entry escaped", p)
		}
	}
	// Nothing new named like fnscan's work dirs outside the test's own
	// parents (each case's parent is checked empty above).
	after, _ := os.ReadDir(os.TempDir())
	old := map[string]bool{}
	for _, e := range before {
		old[e.Name()] = true
	}
	for _, e := range after {
		if !old[e.Name()] && strings.HasPrefix(e.Name(), "fnscan-") {
			t.Errorf("left behind in %s: %s", os.TempDir(), e.Name())
		}
	}
}

// assertContained resolves every symlink left in the work dir: none may lead
// outside it.
func assertContained(t *testing.T, work string) {
	t.Helper()
	filepath.WalkDir(work, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.Type()&os.ModeSymlink == 0 {
			return nil
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil // dangling or loop that the OS refuses: nothing read
		}
		if real != work && !strings.HasPrefix(real, work+string(filepath.Separator)) {
			t.Errorf("symlink %s resolves to %s, outside the work dir", p, real)
		}
		return nil
	})
}

// image-escape.tar is a layer; as a layer (leading slashes stripped, as
// docker does) its trampoline chain must be refused by resolution.
func TestEscapeLayerInImage(t *testing.T) {
	layer, err := os.ReadFile(testdata("malicious", "image-escape.tar"))
	if err != nil {
		t.Fatal(err)
	}
	img := dockerArchive(t, [][]byte{layer})
	tg, _, err := openIn(t, img, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	got := warningsText(tg.Warnings)
	if !strings.Contains(got, "/escape: refused: symlink") {
		t.Errorf("escape symlink not refused; warnings:\n%s", got)
	}
	assertContained(t, tg.WorkDir())
}

func dockerArchive(t *testing.T, layers [][]byte) string {
	t.Helper()
	return writeTemp(t, "image.tar", fixture.DockerArchive("test:latest", layers))
}

func tarBytes(t *testing.T, entries map[string]string) []byte { return fixture.Tar(entries) }

func zipBytes(t *testing.T, entries map[string][]byte) []byte { return fixture.Zip(entries) }

func readEntry(t *testing.T, tr *Tree, p string) string {
	t.Helper()
	e := tr.Lookup(p)
	if e == nil {
		return ""
	}
	rc, err := tr.Open(e)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A deleted file stays in its layer's root with that layer as origin, and is
// gone from the squashed filesystem; attribution follows the layer that wrote
// each path.
func TestImageLayersAndWhiteouts(t *testing.T) {
	l1 := tarBytes(t, map[string]string{"app/.env": "A=1\n", "app/keep.txt": "keep\n", "lib/x": "one\n"})
	l2 := tarBytes(t, map[string]string{"app/.wh..env": "", "lib/x": "two\n"})
	tg, _, err := openIn(t, dockerArchive(t, [][]byte{l1, l2}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if tg.Name != "test:latest" || len(tg.Parts) != 2 {
		t.Fatalf("name %q parts %d", tg.Name, len(tg.Parts))
	}
	files, _ := tg.Files()
	var envOrigin *Origin
	for _, f := range files {
		if f.Virtual == "/app/.env" {
			o := f.Origin
			envOrigin = &o
		}
	}
	if envOrigin == nil || envOrigin.Index != 1 || envOrigin.Kind != OriginImageLayer {
		t.Fatalf("deleted /app/.env not kept with layer 1: %+v", envOrigin)
	}
	var squashed *Root
	for _, r := range tg.Roots {
		if r.Catalog {
			squashed = r
		}
	}
	if squashed.Tree.Lookup("app/.env") != nil {
		t.Errorf("whiteout not applied in squashed fs")
	}
	if b := readEntry(t, squashed.Tree, "lib/x"); b != "two\n" {
		t.Errorf("lib/x = %q, want the upper layer's", b)
	}
	if _, o := squashed.Locate("/lib/x"); o.Index != 2 {
		t.Errorf("lib/x attributed to layer %d, want 2", o.Index)
	}
	if _, o := squashed.Locate("/app/keep.txt"); o.Index != 1 {
		t.Errorf("app/keep.txt attributed to layer %d, want 1", o.Index)
	}
}

func TestNestedArchives(t *testing.T) {
	inner := zipBytes(t, map[string][]byte{"META-INF/app.properties": []byte("k=v\n")})
	mid := zipBytes(t, map[string][]byte{"lib/app.jar": inner, "lib/broken.jar": []byte("PK\x03\x04 truncated")})
	fn := writeTemp(t, "fn.zip", zipBytes(t, map[string][]byte{"deps/bundle.zip": mid, "index.js": []byte("x")}))
	tg, _, err := openIn(t, fn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	files, _ := tg.Files()
	var found bool
	for _, f := range files {
		if f.Virtual == "fn.zip!deps/bundle.zip!lib/app.jar!META-INF/app.properties" {
			found = f.Origin.Kind == OriginFunction
		}
	}
	if !found {
		t.Errorf("nested file not found with virtual path; files: %v", virtuals(files))
	}
	if got := warningsText(tg.Warnings); !strings.Contains(got, "fn.zip!deps/bundle.zip!lib/broken.jar: skipped corrupt archive") {
		t.Errorf("corrupt nested jar not warned; got:\n%s", got)
	}
	// Depth 1 stops before the jar inside the zip.
	tg2, _, err := openIn(t, fn, Options{Limits: withDepth(1)})
	if err != nil {
		t.Fatal(err)
	}
	defer tg2.Close()
	files, _ = tg2.Files()
	for _, f := range files {
		if strings.Count(f.Virtual, "!") > 2 {
			t.Errorf("depth 1 opened %s", f.Virtual)
		}
	}
}

func withDepth(d int) Limits {
	l := DefaultLimits()
	l.MaxDepth = d
	return l
}

func virtuals(fs []File) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Virtual)
	}
	return out
}

func TestLimits(t *testing.T) {
	bomb := writeTemp(t, "bomb.zip", zipBytes(t, map[string][]byte{"zeros": make([]byte, 64<<20)}))
	_, parent, err := openIn(t, bomb, Options{})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "ratio above 1000:1") {
		t.Errorf("zip bomb: err = %v", err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("failed open left %d entries behind", len(left))
	}
	many := map[string][]byte{}
	for i := 0; i < 50; i++ {
		many[strings.Repeat("d/", i%3)+"f"+string(rune('A'+i%26))+string(rune('a'+i/26))] = []byte("x")
	}
	p := writeTemp(t, "many.zip", zipBytes(t, many))
	l := DefaultLimits()
	l.MaxEntries = 10
	if _, _, err := openIn(t, p, Options{Limits: l}); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "more than 10 entries") {
		t.Errorf("entries limit: err = %v", err)
	}
	l = DefaultLimits()
	l.MaxTotalBytes = 1 << 20
	big := writeTemp(t, "big.zip", zipBytes(t, map[string][]byte{"a": bytes.Repeat([]byte("abcdefghij"), 1<<18)}))
	if _, _, err := openIn(t, big, Options{Limits: l}); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "in total") {
		t.Errorf("total limit: err = %v", err)
	}
	if err := (Limits{}).Validate(); err == nil {
		t.Error("zero limits validated")
	}
}

// Bytes that are decompressed but never written (skipped entries, the tail
// of a layer, detection) count too: a zstd bomb stops at the limit.
func TestDecompressionBomb(t *testing.T) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	tw.WriteHeader(&tar.Header{Name: "dev", Typeflag: tar.TypeChar, Mode: 0o644})
	tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: 200 << 20})
	tw.Write(make([]byte, 200<<20))
	tw.Close()
	var zbuf bytes.Buffer
	zw, _ := zstd.NewWriter(&zbuf, zstd.WithEncoderLevel(zstd.SpeedFastest))
	zw.Write(raw.Bytes())
	zw.Close()
	p := writeTemp(t, "bomb.tar.zst", zbuf.Bytes())
	l := DefaultLimits()
	l.MaxTotalBytes = 8 << 20
	_, _, err := openIn(t, p, Options{Limits: l})
	if !errors.Is(err, ErrLimit) {
		t.Errorf("zstd bomb (%d bytes): err = %v", zbuf.Len(), err)
	}
	if zbuf.Len() > 1<<20 {
		t.Fatalf("bomb fixture is %d bytes: not a bomb", zbuf.Len())
	}
}

func TestBrokenTargets(t *testing.T) {
	cases := []struct{ spec, want string }{
		{testdata("images", "test_bad_index_json.oci"), "index.json is not valid JSON"},
		{testdata("images", "test_invalid_oci_image.oci"), "no valid image manifest"},
		{testdata("images", "test_no_valid_manifests.oci"), "test_no_valid_manifests.oci: OCI layout"},
		{writeTemp(t, "trunc.zip", []byte("PK\x03\x04garbage")), "trunc.zip: not a valid zip archive"},
		{"zip:" + writeTemp(t, "notzip.zip", []byte("hello")), "notzip.zip: not a valid zip archive"},
		{writeTemp(t, "junk.bin", []byte{0, 1, 2, 3}), "junk.bin: not a recognised target"},
		{filepath.Join(t.TempDir(), "missing.zip"), "missing.zip: no such file or directory"},
		{"dir:" + testdata("lambda", "dvsa-order-api.zip"), "dvsa-order-api.zip: not a directory"},
	}
	for _, c := range cases {
		_, parent, err := openIn(t, c.spec, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.spec, err, c.want)
		}
		if left, _ := os.ReadDir(parent); len(left) != 0 {
			t.Errorf("%s: failed open left files behind", c.spec)
		}
	}
}

func TestDetect(t *testing.T) {
	cases := map[string]Kind{
		testdata("lambda", "dvsa-order-api.zip"):                    KindZip,
		testdata("images", "alpine-3.10-docker-archive.tar.gz"):     KindDockerArchive,
		testdata("images", "test.oci"):                              KindOCIDir,
		testdata("cyclonedx", "examples-1.6", "valid-bom-1.6.json"): KindSBOM,
		testdata("malicious", "zip-slip.tar"):                       KindTar,
		testdata("malicious"):                                       KindDir,
	}
	for p, want := range cases {
		if got, err := Detect(p); got != want || err != nil {
			t.Errorf("Detect(%s) = %v, %v; want %v", p, got, err, want)
		}
	}
	if k, p := ParseSpec("oci-dir:/x/y"); k != KindOCIDir || p != "/x/y" {
		t.Errorf("ParseSpec = %v %v", k, p)
	}
}

func TestCleanName(t *testing.T) {
	bad := []string{"../x", "a/../../x", `..\x`, `a\..\..\x`, "/etc/passwd", `C:\x`, "c:/x", "a\x00b"}
	for _, n := range bad {
		if _, err := cleanName(n, false); err == nil {
			t.Errorf("cleanName(%q) accepted", n)
		}
	}
	good := map[string]string{"a/b": "a/b", "./a//b/": "a/b", "a/./b": "a/b"}
	for in, want := range good {
		if got, err := cleanName(in, false); got != want || err != nil {
			t.Errorf("cleanName(%q) = %q, %v", in, got, err)
		}
	}
	if got, err := cleanName("/usr/lib", true); got != "usr/lib" || err != nil {
		t.Errorf("image mode: %q %v", got, err)
	}
}

// A tar that replaces a directory with a file and then with a directory
// again unpacks like tar does: the last entries win.
func TestTarReplacesDirectory(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, typ byte, body string) {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: typ, Mode: 0o755, Size: int64(len(body))})
		tw.Write([]byte(body))
	}
	add("a/b/one", tar.TypeReg, "1")
	add("a/b", tar.TypeReg, "file now")
	add("a/b/two", tar.TypeReg, "2")
	tw.Close()
	tg, _, err := openIn(t, writeTemp(t, "replace.tar", buf.Bytes()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	// What a later entry replaced is still scanned, under a marked name.
	files, _ := tg.Files()
	want := []string{"replace.tar!a/b.fnscan-duplicate-1", "replace.tar!a/b/one.fnscan-duplicate-1", "replace.tar!a/b/two"}
	if got := virtuals(files); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v", got, want)
	}
	if e := tg.Roots[0].Tree.Lookup("a/b"); e == nil || e.Type != EntryDir {
		t.Errorf("a/b is %+v, want the directory", e)
	}
}

// A tar entry hardlinked to itself is refused, and the file it names is
// kept: linking first removed it, and the secret in it went unscanned.
func TestHardlinkToItself(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := "const key = 'AKIA...';\n"
	tw.WriteHeader(&tar.Header{Name: "self.js", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	tw.Write([]byte(body))
	tw.WriteHeader(&tar.Header{Name: "self.js", Linkname: "self.js", Typeflag: tar.TypeLink})
	tw.Close()
	p := filepath.Join(t.TempDir(), "self.tar")
	os.WriteFile(p, buf.Bytes(), 0o644)
	tg, err := Open(context.Background(), p, Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	files, _ := tg.Files()
	if len(files) != 1 || files[0].Virtual != "self.tar!self.js" {
		t.Fatalf("files %v, want self.js kept", files)
	}
	if b, _ := files[0].ReadBounded(1 << 30); string(b) != body {
		t.Errorf("self.js holds %q", b)
	}
	if len(tg.Warnings) != 1 || !strings.Contains(tg.Warnings[0].String(), "links to itself") {
		t.Errorf("warnings %v", tg.Warnings)
	}
}

// Archives nested deeper than --max-depth are not opened, and a warning
// names each one.
func TestMaxDepthWarns(t *testing.T) {
	inner := fixture.Zip(map[string][]byte{"secret.env": []byte("DB_PASSWORD=Xq7-Lk2mPz9Wv\n")})
	for i := 0; i < 3; i++ {
		inner = fixture.Zip(map[string][]byte{fmt.Sprintf("level%d.zip", i): inner})
	}
	p := filepath.Join(t.TempDir(), "deep.zip")
	os.WriteFile(p, inner, 0o644)
	tg, err := Open(context.Background(), p, Options{TempDir: t.TempDir(), Limits: Limits{MaxTotalBytes: 1 << 30, MaxEntries: 1000, MaxEntryBytes: 1 << 30, MaxRatio: 1000, MaxDepth: 2, MaxLinkHops: 6}})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if len(tg.Warnings) != 1 || tg.Warnings[0].Path != "deep.zip!level2.zip!level1.zip!level0.zip" || !strings.Contains(tg.Warnings[0].Message, "deeper than --max-depth 2") {
		t.Errorf("warnings %v", tg.Warnings)
	}
}

// zipEntries writes a zip whose entries keep their order and duplicates.
func zipEntries(t *testing.T, entries ...[2]string) string {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e[0], Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e[1]))
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), "fn.zip")
	os.WriteFile(p, b.Bytes(), 0o644)
	return p
}

// A file entry named like a directory of other entries is refused, the
// same way every run: the package under the directory is kept.
func TestFileShadowingDirectory(t *testing.T) {
	p := zipEntries(t, [2]string{"node_modules/x/", ""}, [2]string{"node_modules/x/package.json", `{"name":"lodash","version":"4.17.4"}`}, [2]string{"node_modules/x", "file"})
	for run := 0; run < 6; run++ {
		tg, err := Open(context.Background(), p, Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		files, _ := tg.Files()
		if len(files) != 1 || files[0].Virtual != "fn.zip!node_modules/x/package.json" {
			t.Fatalf("run %d: files %v", run, files)
		}
		if len(tg.Warnings) != 1 || !strings.Contains(tg.Warnings[0].Message, "same name as a directory") {
			t.Errorf("run %d: warnings %v", run, tg.Warnings)
		}
		tg.Close()
	}
}

// Two entries of one name: both are kept for scanning, with a warning.
func TestDuplicateEntriesBothScanned(t *testing.T) {
	p := zipEntries(t, [2]string{"index.js", "const token = 'first';\n"}, [2]string{"index.js", "const ok = 1;\n"})
	tg, err := Open(context.Background(), p, Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	got := byVirtual(t, tg)
	if got["fn.zip!index.js"] != "const ok = 1;\n" || got["fn.zip!index.js.fnscan-duplicate-1"] != "const token = 'first';\n" || len(got) != 2 {
		t.Errorf("files %v", got)
	}
	if len(tg.Warnings) != 1 || !strings.Contains(tg.Warnings[0].Message, "duplicate entry: both copies scanned") {
		t.Errorf("warnings %v", tg.Warnings)
	}
}

// A 4 KB path component is one refused entry with a short warning, not a
// failed scan; the rest is unpacked.
// A zip is read in place: a path no filesystem could hold is still read
// and scanned. A tar is unpacked, so there the entry is refused, alone.
func TestLongNames(t *testing.T) {
	long := strings.Repeat("a", 4096)
	deep := strings.Repeat("d/", 1600) + "deep.js"
	p := zipEntries(t, [2]string{"cfg/" + long + "/x.env", "A=1\n"}, [2]string{"index.js", "1\n"}, [2]string{deep, "2\n"})
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	tg := openBytes(t, "fn.zip", b)
	got := contents(t, tg)
	if len(got) != 3 || got["cfg/"+long+"/x.env"] != "A=1\n" || got[deep] != "2\n" || len(tg.Warnings) != 0 {
		t.Errorf("zip: %d files, warnings %v", len(got), tg.Warnings)
	}

	tp := writeTemp(t, "fn.tar", tarBytes(t, map[string]string{"cfg/" + long + "/x.env": "A=1\n", "index.js": "1\n", deep: "2\n"}))
	tt, err := Open(context.Background(), tp, Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tt.Close()
	// A tar is read in place too: no filesystem limits its names.
	files, _ := tt.Files()
	if len(files) != 3 || len(tt.Warnings) != 0 {
		t.Errorf("tar files %d, warnings %v", len(files), tt.Warnings)
	}
	for _, f := range files {
		if b, err := f.ReadBounded(1 << 20); err != nil || len(b) != 2 && len(b) != 4 {
			t.Errorf("%.80s: %q %v", f.Virtual, b, err)
		}
	}
}

// A docker-archive whose manifest lists one layer fifteen times unpacks it
// once: a blob is content-addressed, and budgets count what is really
// decompressed (15 × 64 MiB of zeros was 960 MB written).
func TestRepeatedLayerUnpackedOnce(t *testing.T) {
	layer := tarBytes(t, map[string]string{"zeros.bin": string(make([]byte, 64<<20)), "app/a.txt": "a\n"})
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.Write(layer)
	zw.Close()
	sum := sha256.Sum256(layer)
	var names, diffs []string
	for i := 0; i < 15; i++ {
		names = append(names, "blobs/layer.tar.gz")
		diffs = append(diffs, "sha256:"+hex.EncodeToString(sum[:]))
	}
	cfg, _ := json.Marshal(map[string]any{"os": "linux", "architecture": "amd64", "rootfs": map[string]any{"type": "layers", "diff_ids": diffs}})
	manifest, _ := json.Marshal([]map[string]any{{"Config": "config.json", "RepoTags": []string{"rep:1"}, "Layers": names}})
	img := writeTemp(t, "img.tar", fixture.Tar(map[string]string{"blobs/layer.tar.gz": gz.String(), "config.json": string(cfg), "manifest.json": string(manifest)}))
	tg, _, err := openIn(t, img, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if len(tg.Parts) != 15 {
		t.Errorf("%d parts, want 15", len(tg.Parts))
	}
	// The gzipped layer is decompressed once, into one file.
	copies, _ := os.ReadDir(filepath.Join(tg.WorkDir(), "tar"))
	if len(copies) != 1 {
		t.Errorf("%d layer copies made, want 1", len(copies))
	}
	files, _ := tg.Files()
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f.Virtual, "/app/a.txt") {
			n++
		}
	}
	// Scanned once with its first listing, once in the squashed tree.
	if n > 2 {
		t.Errorf("app/a.txt listed %d times for scanning", n)
	}
}
