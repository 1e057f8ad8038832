package artifact

import (
	"archive/zip"
	"cmp"
	"encoding/binary"
	"io"
	"reflect"
	"slices"
	"unsafe"
)

// window reads small regions of an archive in file order through one
// buffer: on a virtual machine a pread costs as much as inflating a small
// entry, and the bench's zip of 7k files took 17.8k of them (each local
// header, each entry's head) before cataloging began.
type window struct {
	ra   io.ReaderAt
	size int64
	buf  []byte
	off  int64 // file offset of buf[0]
}

// windowSize: small, as a larger window copies the large entries between
// headers (16 KB read a zip's heads in half the time 1 MB did).
const windowSize = 16 << 10

func newWindow(ra io.ReaderAt, size int64) *window {
	return &window{ra: ra, size: size}
}

// get returns the n bytes at off, valid until the next call: from the
// buffer when it holds them, else after reading a window from off.
func (w *window) get(off int64, n int) ([]byte, bool) {
	if off < 0 || n < 0 || off > w.size-int64(n) { // off comes from the zip: no sum that can wrap
		return nil, false
	}
	if off >= w.off && off+int64(n) <= w.off+int64(len(w.buf)) {
		return w.buf[off-w.off : off-w.off+int64(n)], true
	}
	k := int(min(int64(max(n, windowSize)), w.size-off))
	if cap(w.buf) < k {
		w.buf = make([]byte, k)
	}
	m, _ := w.ra.ReadAt(w.buf[:k], off)
	w.buf, w.off = w.buf[:m], off
	if m < n {
		return nil, false
	}
	return w.buf[:n], true
}

// headerOffsetField is where archive/zip keeps a File's local header offset,
// which it does not export: without it every entry's data offset is a read
// of its own (File.DataOffset). Unset if a Go release changes the field;
// TestHeaderOffsetField fails then, and offsets are read one by one.
var headerOffsetField = func() uintptr {
	f, ok := reflect.TypeFor[zip.File]().FieldByName("headerOffset")
	if !ok || f.Type.Kind() != reflect.Int64 || len(f.Index) != 1 {
		return 0
	}
	return f.Offset
}()

// dataOffsets gives the data offset of every file of a zip, as
// File.DataOffset does, reading the local headers in file order through a
// window. An entry whose header the window cannot read or check is left to
// DataOffset, whose error the caller reports.
func dataOffsets(files []*zip.File, ra io.ReaderAt, size int64) []int64 {
	offs := make([]int64, len(files))
	if headerOffsetField == 0 {
		for i := range offs {
			offs[i] = -1
		}
		return offs
	}
	hdr := make([]int64, len(files))
	order := make([]int, len(files))
	for i, f := range files {
		hdr[i] = *(*int64)(unsafe.Add(unsafe.Pointer(f), headerOffsetField))
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(hdr[a], hdr[b]) })
	w := newWindow(ra, size)
	for _, i := range order {
		offs[i] = -1
		b, ok := w.get(hdr[i], 30)
		if !ok || binary.LittleEndian.Uint32(b) != 0x04034b50 { // local file header signature
			continue
		}
		offs[i] = hdr[i] + 30 + int64(binary.LittleEndian.Uint16(b[26:])) + int64(binary.LittleEndian.Uint16(b[28:]))
	}
	return offs
}
