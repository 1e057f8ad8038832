package artifact

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/internal/fixture"
)

// FuzzUnpack feeds arbitrary bytes to Open as a zip, a tar and an image: it
// must never panic, never leave a file outside its work dir, and clean up.
func FuzzUnpack(f *testing.F) {
	seeds, _ := filepath.Glob(testdata("malicious", "*"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	for _, b := range hostileSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		p := filepath.Join(parent, "input")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		work := filepath.Join(parent, "work")
		os.Mkdir(work, 0o755)
		l := DefaultLimits()
		// Small limits: instrumented decompression is slow, and a bomb only
		// needs to reach the limit to exercise it.
		l.MaxTotalBytes, l.MaxEntryBytes = 2<<20, 1<<20
		for _, kind := range []string{"", "zip:", "docker-archive:", "oci-archive:"} {
			tg, err := Open(context.Background(), kind+p, Options{TempDir: work, Limits: l})
			if err != nil {
				continue
			}
			files, _ := tg.Files()
			for _, fl := range files {
				if fl.Real != "" && !strings.HasPrefix(fl.Real, tg.WorkDir()) {
					t.Fatalf("%s outside work dir", fl.Real)
				}
				// Files read in place are read here too: a lying header
				// must fail the read, never panic.
				fl.ReadBounded(4 << 20)
			}
			assertContained(t, tg.WorkDir())
			tg.Close()
		}
		if left, _ := os.ReadDir(work); len(left) != 0 {
			t.Fatalf("work dir not cleaned: %d entries", len(left))
		}
		entries, _ := os.ReadDir(parent)
		if len(entries) != 2 {
			t.Fatalf("something written beside the input: %d entries", len(entries))
		}
	})
}

// hostileSeeds are the shapes of issue 14's silent misses: a tar entry
// hardlinked to itself, a zip with two entries of one name, and a zip whose
// directory is later shadowed by a file of the same name.
func hostileSeeds() [][]byte {
	var out [][]byte
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "self.js", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
	tw.Write([]byte("x=1"))
	tw.WriteHeader(&tar.Header{Name: "self.js", Linkname: "self.js", Typeflag: tar.TypeLink})
	tw.Close()
	out = append(out, tb.Bytes())
	zipOf := func(entries ...[2]string) []byte {
		var zb bytes.Buffer
		zw := zip.NewWriter(&zb)
		for _, e := range entries {
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: e[0], Method: zip.Deflate})
			w.Write([]byte(e[1]))
		}
		zw.Close()
		return zb.Bytes()
	}
	out = append(out, zipOf([2]string{"index.js", "token='secret'"}, [2]string{"index.js", "ok"}))
	out = append(out, zipOf([2]string{"node_modules/x/", ""}, [2]string{"node_modules/x/package.json", `{"name":"lodash","version":"4.17.4"}`}, [2]string{"node_modules/x", "file"}))
	// Item 2: entries sharing one stream, and a size past the end.
	small := fixture.RepeatDeflate([]byte("0123456789abcdef"), 64)
	out = append(out, fixture.OverlappingZip([]string{"a", "b", "c"}, small, 0))
	out = append(out, fixture.OverlappingZip([]string{"a"}, small, 0x7fffffff))
	// Item 3: one layer listed three times.
	layer := fixture.Tar(map[string]string{"app/a.txt": "a"})
	out = append(out, fixture.DockerArchive("x:1", [][]byte{layer, layer, layer}))
	return out
}
