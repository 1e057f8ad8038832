package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Writing to a device or pipe writes into it; it must never be replaced by
// a regular file (a rename over /dev/null did exactly that once).
func TestWriteOutputSpecialFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	if err := writeOutput(output{format: "json", file: fifo}, nil, func(w io.Writer) error {
		_, err := w.Write([]byte("report"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, []byte("report")) {
		t.Errorf("read %q through the fifo", b)
	}
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("fifo replaced: %v %v", fi.Mode(), err)
	}
	if err := writeOutput(output{format: "json", file: t.TempDir()}, nil, func(io.Writer) error { return nil }); err == nil {
		t.Error("writing to a directory succeeded")
	}
}
