package sbom

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"
)

//go:linkname syftTempDirNewChild github.com/anchore/syft/internal/tmpdir.(*TempDir).NewChild
func syftTempDirNewChild(td unsafe.Pointer, name string) (string, func(), error)

// The context withTempDir makes carries the TempDir syft's catalogers ask
// for, and it makes their directories inside ours.
func TestWithTempDir(t *testing.T) {
	dir := t.TempDir()
	td := syftTempDirFromContext(withTempDir(context.Background(), dir))
	if td == nil {
		t.Fatal("no syft TempDir in the context")
	}
	child, cleanup, err := syftTempDirNewChild(td, "archive-contents")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if !strings.HasPrefix(child, dir+string(filepath.Separator)) {
		t.Errorf("syft's child dir %s is not inside %s", child, dir)
	}
}
