package artifact

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Review findings on the in-place reader, each an input that once hid a
// file: a duplicate renamed onto a name another entry holds, and a file
// entry carrying a directory or fifo mode (unzip writes both as files).
func TestTreeHidesNothing(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	add := func(name, body string, mode os.FileMode) {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		if mode != 0 {
			h.SetMode(mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	add("a", "secret-one", 0)
	add("a.fnscan-duplicate-1", "two", 0)
	add("a", "three", 0)
	add("dirmode.env", "secret-dir", os.ModeDir|0o755)
	add("fifo.env", "secret-fifo", os.ModeNamedPipe|0o644)
	add("lib.zip", string(zipBytes(t, map[string][]byte{"x.js": []byte("first")})), 0)
	add("lib.zip", string(zipBytes(t, map[string][]byte{"y.js": []byte("second")})), 0)
	zw.Close()
	tg := openBytes(t, "fn.zip", b.Bytes())
	got := map[string]string{}
	for path, c := range contents(t, tg) {
		got[c] = path
	}
	for _, want := range []string{"secret-one", "two", "three", "secret-dir", "secret-fifo", "first", "second"} {
		if _, ok := got[want]; !ok {
			t.Errorf("%q not among the files read: %v", want, got)
		}
	}
}

// openBytes opens an archive given as bytes; the target closes with the test.
func openBytes(t *testing.T, name string, b []byte) *Target {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tg, err := Open(context.Background(), p, Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// contents reads every file of a target: path inside its part → content.
func contents(t *testing.T, tg *Target) map[string]string {
	t.Helper()
	files, err := tg.Files()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range files {
		b, err := f.ReadBounded(1 << 20)
		if err != nil {
			t.Fatal(err)
		}
		got[f.Path] = string(b)
	}
	return got
}
