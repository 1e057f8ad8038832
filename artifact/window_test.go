package artifact

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHeaderOffsetField(t *testing.T) {
	if headerOffsetField == 0 {
		t.Fatal("archive/zip.File has no int64 headerOffset: every zip entry's data offset is now a read of its own")
	}
}

// TestDataOffsetsMatchZip holds the windowed local-header reads to
// archive/zip's own DataOffset on real archives and made ones: extra
// fields, long names, data descriptors, entries larger than a window,
// a central directory out of file order, corrupt headers.
func TestDataOffsetsMatchZip(t *testing.T) {
	type archive struct {
		name string
		b    []byte
	}
	var archives []archive
	for _, pat := range []string{"../testdata/*/*.zip", "../testdata/*/*.jar", "../../shared/data/*/*.zip", "../../shared/data/*/*.jar"} {
		ms, _ := filepath.Glob(pat)
		for _, m := range ms {
			b, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			archives = append(archives, archive{m, b})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for k := range 20 {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for i := range 50 + rng.IntN(200) {
			h := &zip.FileHeader{Name: string(rune('a'+i%26)) + string(bytes.Repeat([]byte{'x'}, rng.IntN(300))) + string(rune('0'+i%10)), Method: zip.Deflate}
			if rng.IntN(3) == 0 {
				h.Method = zip.Store
			}
			if rng.IntN(4) == 0 {
				h.Extra = make([]byte, 4+rng.IntN(60))
				binary.LittleEndian.PutUint16(h.Extra, 0xcafe)
				binary.LittleEndian.PutUint16(h.Extra[2:], uint16(len(h.Extra)-4))
			}
			w, err := zw.CreateHeader(h)
			if err != nil {
				t.Fatal(err)
			}
			n := rng.IntN(4096)
			if rng.IntN(40) == 0 {
				n = windowSize + rng.IntN(windowSize) // spans windows
			}
			data := make([]byte, n)
			for j := range data {
				data[j] = byte(rng.IntN(256))
			}
			w.Write(data)
		}
		zw.Close()
		archives = append(archives, archive{"made-" + string(rune('a'+k)), buf.Bytes()})
	}
	// A corrupt local header: the entry is left to DataOffset.
	bad := append([]byte(nil), archives[len(archives)-1].b...)
	if i := bytes.Index(bad[10:], []byte("PK\x03\x04")); i >= 0 {
		copy(bad[10+i:], "PK\x09\x09")
	}
	archives = append(archives, archive{"corrupt-header", bad})

	checked := 0
	for _, a := range archives {
		zr, err := zip.NewReader(bytes.NewReader(a.b), int64(len(a.b)))
		if err != nil {
			continue
		}
		files := zr.File
		if len(files) > 2 {
			// The central directory need not follow file order.
			files = append([]*zip.File(nil), files...)
			rng.Shuffle(len(files), func(i, j int) { files[i], files[j] = files[j], files[i] })
		}
		offs := dataOffsets(files, bytes.NewReader(a.b), int64(len(a.b)))
		for i, f := range files {
			want, err := f.DataOffset()
			switch {
			case err != nil && offs[i] != -1:
				t.Errorf("%s!%s: offset %d, where DataOffset fails (%v)", a.name, f.Name, offs[i], err)
			case err == nil && offs[i] != want:
				t.Errorf("%s!%s: offset %d, DataOffset %d", a.name, f.Name, offs[i], want)
			}
			checked++
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d entries checked", checked)
	}
}

// A header offset is the zip's to say (its zip64 field is read unchecked):
// one near the largest int64 is a corrupt entry, not a wrapped sum.
func TestDataOffsetHostile(t *testing.T) {
	w := newWindow(bytes.NewReader(make([]byte, 100)), 100)
	for _, off := range []int64{math.MaxInt64, math.MaxInt64 - 10, -1, 71, 100} {
		if b, ok := w.get(off, 30); ok {
			t.Errorf("get(%d, 30) of 100 bytes = %d bytes", off, len(b))
		}
	}
	for _, hoff := range []uint64{math.MaxInt64 - 16, math.MaxInt64, 1 << 40} {
		b := zip64HeaderOffset(hoff)
		u := &unpacker{b: &budget{limits: DefaultLimits(), ctx: t.Context()}, warn: func(Warning) {}}
		_, err := u.openTree(t.Context(), "x.zip", bytes.NewReader(b), int64(len(b)))
		if err == nil || !strings.Contains(err.Error(), "corrupt zip entry") {
			t.Errorf("header offset %#x: %v, want a corrupt entry", hoff, err)
		}
	}
}

// zip64HeaderOffset is a one-file stored zip whose central directory gives
// the local header's offset in a zip64 extra field.
func zip64HeaderOffset(hoff uint64) []byte {
	le := binary.LittleEndian
	name, data := []byte("a.txt"), []byte("hi")
	crc := crc32.ChecksumIEEE(data)
	var b []byte
	b = le.AppendUint32(b, 0x04034b50)
	b = le.AppendUint16(b, 45)
	b = append(b, make([]byte, 8)...) // flags, method (stored), time, date
	b = le.AppendUint32(b, crc)
	b = le.AppendUint32(b, uint32(len(data)))
	b = le.AppendUint32(b, uint32(len(data)))
	b = le.AppendUint16(b, uint16(len(name)))
	b = le.AppendUint16(b, 0)
	b = append(b, name...)
	b = append(b, data...)
	cd := len(b)
	b = le.AppendUint32(b, 0x02014b50)
	b = le.AppendUint16(b, 45)
	b = le.AppendUint16(b, 45)
	b = append(b, make([]byte, 8)...) // flags, method, time, date
	b = le.AppendUint32(b, crc)
	b = le.AppendUint32(b, uint32(len(data)))
	b = le.AppendUint32(b, uint32(len(data)))
	b = le.AppendUint16(b, uint16(len(name)))
	b = le.AppendUint16(b, 12)         // extra: the zip64 field
	b = append(b, make([]byte, 10)...) // comment length, disk, attributes
	b = le.AppendUint32(b, 0xffffffff)
	b = append(b, name...)
	b = le.AppendUint16(b, 0x0001)
	b = le.AppendUint16(b, 8)
	b = le.AppendUint64(b, hoff)
	end := len(b)
	b = le.AppendUint32(b, 0x06054b50)
	b = append(b, make([]byte, 4)...)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint32(b, uint32(end-cd))
	b = le.AppendUint32(b, uint32(cd))
	return le.AppendUint16(b, 0)
}
