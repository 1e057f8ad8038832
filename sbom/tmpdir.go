package sbom

import (
	"context"
	"os"
	"unsafe"
)

// syft's catalogers (jar unpacking, rpmdb copies, archive spills) take
// their temp directory from a *tmpdir.TempDir in the context, and make one
// under os.TempDir() when there is none, which they never remove. The
// package is internal to syft, so its two constructors are linked here by
// name: each scan hands syft a directory inside its own work dir, and no
// process-wide TMPDIR is changed. TestCatalogTempDir fails if a syft
// upgrade renames them.

//go:linkname syftTempDirFromPath github.com/anchore/syft/internal/tmpdir.FromPath
func syftTempDirFromPath(dir string) unsafe.Pointer

//go:linkname syftTempDirWithValue github.com/anchore/syft/internal/tmpdir.WithValue
func syftTempDirWithValue(ctx context.Context, td unsafe.Pointer) context.Context

// withTempDir makes syft's catalogers write their temp files under dir.
func withTempDir(ctx context.Context, dir string) context.Context {
	return syftTempDirWithValue(ctx, syftTempDirFromPath(dir))
}

//go:linkname syftTempDirRoot github.com/anchore/syft/internal/tmpdir.Root
func syftTempDirRoot(ctx context.Context, prefix string) (context.Context, unsafe.Pointer)

//go:linkname syftTempDirCleanup github.com/anchore/syft/internal/tmpdir.(*TempDir).Cleanup
func syftTempDirCleanup(td unsafe.Pointer) error

//go:linkname syftTempDirNewFile github.com/anchore/syft/internal/tmpdir.(*TempDir).NewFile
func syftTempDirNewFile(td unsafe.Pointer, pattern string) (*os.File, func(), error)

//go:linkname syftTempDirFromContext github.com/anchore/syft/internal/tmpdir.FromContext
func syftTempDirFromContext(ctx context.Context) unsafe.Pointer

// withLazyTempDir gives syft a temp dir under os.TempDir() that is made on
// first use; cleanup removes it.
func withLazyTempDir(ctx context.Context, prefix string) (context.Context, func()) {
	ctx, td := syftTempDirRoot(ctx, prefix)
	return ctx, func() { syftTempDirCleanup(td) }
}

// tempFile makes a file in the temp dir syft uses for this scan; done
// removes it.
func tempFile(ctx context.Context, pattern string) (*os.File, func(), error) {
	td := syftTempDirFromContext(ctx)
	if td == nil {
		f, err := os.CreateTemp("", pattern)
		if err != nil {
			return nil, nil, err
		}
		return f, func() { os.Remove(f.Name()) }, nil
	}
	return syftTempDirNewFile(td, pattern)
}
