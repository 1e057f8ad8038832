//go:build !unix

package vuln

import "context"

// lockDir is a no-op where flock is unavailable: concurrent imports into
// the same directory are then not serialised (the last rename wins).
func lockDir(ctx context.Context, dir string) (func(), error) {
	return func() {}, ctx.Err()
}
