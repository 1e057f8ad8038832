package sbom

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/anchore/syft/syft/file"

	"github.com/fnscan/fnscan/internal/fixture"
)

// TestBinaryCacheLifetime: a zip's executable is inflated once into a
// buffer that outlives the tree's Close while a reader is open, fails reads
// after that reader's Close instead of touching freed memory, and goes when
// its last reader is closed or collected.
func TestBinaryCacheLifetime(t *testing.T) {
	t.Parallel()
	// Over bigBuffer's threshold, so the buffer is mapped outside the heap.
	elf := append([]byte("\x7fELF\x02\x01\x01"), bytes.Repeat([]byte("go binary bytes "), 6<<20/16)...)
	zipPath := filepath.Join(t.TempDir(), "fn.zip")
	if err := os.WriteFile(zipPath, fixture.Zip(map[string][]byte{"bootstrap": elf, "other": elf[:5000]}), 0o644); err != nil {
		t.Fatal(err)
	}
	src := mountTargets(t, zipPath)
	res := src.res
	locs, err := res.FilesByMIMEType("application/x-executable", "application/x-elf", "application/x-sharedlib")
	if err != nil || len(locs) != 2 {
		t.Fatalf("executables: %v %v", locs, err)
	}
	var boot file.Location
	for _, l := range locs {
		if l.RealPath == "/bootstrap" {
			boot = l
		}
	}
	open := func() *binReader {
		rc, err := res.FileContentsByLocation(boot)
		if err != nil {
			t.Fatal(err)
		}
		br, ok := rc.(*binReader)
		if !ok {
			t.Fatalf("%T, want the cached binary", rc)
		}
		return br
	}
	a, b := open(), open()
	c := a.hold.c
	if b.hold.c != c {
		t.Fatal("two readers of one binary got two copies")
	}
	src.Close() // the cache lets go; the open readers keep the buffer
	if _, err := res.FileContentsByLocation(boot); err == nil {
		t.Error("a binary opened after Close")
	}
	got, err := io.ReadAll(a)
	if err != nil || !bytes.Equal(got, elf) {
		t.Fatalf("read after the tree's Close: %d bytes, %v", len(got), err)
	}
	a.Close()
	if _, err := a.ReadAt(make([]byte, 4), 0); err != errClosed {
		t.Errorf("read after the reader's Close: %v", err)
	}
	buf := make([]byte, 4)
	if _, err := b.ReadAt(buf, 0); err != nil || string(buf) != "\x7fELF" {
		t.Fatalf("the other reader: %q %v", buf, err)
	}
	b = nil // never closed: collected instead
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		c.mu.Lock()
		refs, gone := c.refs, c.b == nil
		c.mu.Unlock()
		if refs == 0 && gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("buffer kept: %d references", refs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
