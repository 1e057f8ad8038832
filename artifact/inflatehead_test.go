package artifact

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// flateStreams compresses a spread of inputs (text, binary, runs, tiny
// ones) at every level, so stored, fixed and dynamic blocks all occur.
func flateStreams(t testing.TB) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var inputs [][]byte
	inputs = append(inputs, nil, []byte("a"), []byte("\x7fELF"), []byte("MZ\x90\x00"), bytes.Repeat([]byte("ab"), 40000))
	for i := 0; i < 40; i++ {
		b := make([]byte, rng.IntN(70000))
		switch i % 4 {
		case 0:
			for j := range b {
				b[j] = byte(rng.IntN(256))
			}
		case 1:
			for j := range b {
				b[j] = "abcdefgh \n{}"[rng.IntN(12)]
			}
		case 2:
			copy(b, "\x7fELF\x02\x01\x01")
		case 3:
			for j := range b {
				b[j] = byte(j / 300)
			}
		}
		inputs = append(inputs, b)
	}
	var out [][]byte
	for _, in := range inputs {
		for _, level := range []int{flate.NoCompression, flate.BestSpeed, 5, flate.BestCompression, flate.HuffmanOnly} {
			var buf bytes.Buffer
			w, err := flate.NewWriter(&buf, level)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(in)
			w.Close()
			out = append(out, buf.Bytes())
		}
	}
	return out
}

// TestInflateHead: the head equals what a full inflater gives first, for
// every block type, and a stream cut short is "not ok", never a wrong head.
func TestInflateHead(t *testing.T) {
	for i, stream := range flateStreams(t) {
		full, err := io.ReadAll(flate.NewReader(bytes.NewReader(stream)))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 4, 512, 40000} {
			want := full[:min(n, len(full))]
			got, ok := inflateHead(stream, n)
			if !ok {
				t.Fatalf("stream %d, head %d: not decoded", i, n)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("stream %d, head %d: got %q..., want %q...", i, n, got[:min(8, len(got))], want[:min(8, len(want))])
			}
		}
		for cut := 0; cut < min(len(stream), 40); cut++ {
			if got, ok := inflateHead(stream[:cut], 4); ok && !bytes.Equal(got, full[:min(4, len(full))]) {
				t.Fatalf("stream %d cut at %d: wrong head %q", i, cut, got)
			}
		}
	}
}

// FuzzInflateHead: on any bytes a head it gives is what compress/flate
// gives first, and it never panics.
func FuzzInflateHead(f *testing.F) {
	for _, s := range flateStreams(f)[:30] {
		f.Add(s[:min(len(s), 600)])
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		got, ok := inflateHead(src, 16)
		if !ok {
			return
		}
		// compress/flate holds back what it decoded before an error later
		// in the stream, which the head never reaches: only a stream it
		// reads cleanly must give at least as many bytes.
		full, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(src)), 16))
		if !bytes.Equal(got[:min(len(full), len(got))], full[:min(len(full), len(got))]) || err == nil && len(full) < len(got) {
			t.Fatalf("head %q, compress/flate gives %q", got, full)
		}
	})
}

// TestTreeHead: Head and Heads over real zip entries (deflated, stored,
// empty; hundreds, so Heads spreads them over cores and windows) equal
// their first bytes.
func TestTreeHead(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := map[string][]byte{
		"bin/app":   append([]byte("\x7fELF\x02\x01"), bytes.Repeat([]byte{0}, 5000)...),
		"stored.sh": []byte("#!/bin/sh\necho hi\n"),
		"empty":     nil,
		"big.js":    bytes.Repeat([]byte("var x = 1;\n"), 10000),
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 700 {
		data := make([]byte, rng.IntN(40000))
		for j := range data {
			data[j] = "abc\x00\x7fELF"[rng.IntN(8)]
		}
		files[fmt.Sprintf("f/%03d", i)] = data
	}
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		method := zip.Deflate
		if name == "stored.sh" || strings.HasSuffix(name, "7") {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[name])
	}
	zw.Close()
	u := &unpacker{b: &budget{limits: DefaultLimits(), ctx: t.Context()}, warn: func(Warning) {}}
	tree, err := u.openTree(t.Context(), "fn.zip", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{4, 300} {
		var es []*Entry
		for _, name := range names {
			e := tree.Lookup(name)
			es = append(es, e)
			got, err := tree.Head(e, n)
			if err != nil {
				t.Fatal(err)
			}
			if want := files[name][:min(n, len(files[name]))]; !bytes.Equal(got, want) {
				t.Errorf("%s: head %q, want %q", name, got, want)
			}
		}
		var mu sync.Mutex
		seen := map[string]bool{}
		tree.Heads(t.Context(), es, n, func(e *Entry, got []byte, err error) {
			mu.Lock()
			defer mu.Unlock()
			seen[e.Path] = true
			if want := files[e.Path][:min(n, len(files[e.Path]))]; err != nil || !bytes.Equal(got, want) {
				t.Errorf("Heads %s: head %q (%v), want %q", e.Path, got, err, want)
			}
		})
		if len(seen) != len(names) {
			t.Errorf("Heads gave %d heads of %d", len(seen), len(names))
		}
	}
}
