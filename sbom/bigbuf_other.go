//go:build !linux

package sbom

// bigBuffer is a heap slice where huge pages cannot be asked for.
func bigBuffer(n int) (b []byte, free func()) { return make([]byte, n), func() {} }
