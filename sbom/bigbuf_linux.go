package sbom

import "syscall"

// bigBuffer gives n bytes outside the Go heap, mapped with transparent huge
// pages when the kernel allows them: filling a 24 MB binary's buffer took
// 6,000 page faults, a sixth of a zip's cataloging on a virtual machine.
// free unmaps it; nothing may read it after.
func bigBuffer(n int) (b []byte, free func()) {
	if n < 4<<20 {
		return make([]byte, n), func() {}
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]byte, n), func() {}
	}
	_ = syscall.Madvise(b, madvHugePage) // only advice: fine where refused
	return b, func() { _ = syscall.Munmap(b) }
}

const madvHugePage = 14 // MADV_HUGEPAGE
