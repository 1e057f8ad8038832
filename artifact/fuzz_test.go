package artifact

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
				if !strings.HasPrefix(fl.Real, tg.WorkDir()) {
					t.Fatalf("%s outside work dir", fl.Real)
				}
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
