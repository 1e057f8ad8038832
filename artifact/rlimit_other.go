//go:build !unix

package artifact

// limitMemory is a no-op where there is no RLIMIT_AS; GOMEMLIMIT still
// makes the child's collector work harder near the limit.
func limitMemory(uint64) {}
