package sbom

import (
	"context"
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
