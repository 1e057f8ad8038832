//go:build unix

package artifact

import "syscall"

// limitMemory caps the process's address space (enforced on Linux; macOS
// ignores RLIMIT_AS and the child relies on GOMEMLIMIT there).
func limitMemory(bytes uint64) {
	lim := syscall.Rlimit{Cur: bytes, Max: bytes}
	syscall.Setrlimit(syscall.RLIMIT_AS, &lim)
}
