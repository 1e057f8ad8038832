package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
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

// Names from a hostile archive never reach the terminal as escape
// sequences: not in warnings, errors, the table or Markdown.
func TestHostileNamesArePrinted(t *testing.T) {
	const esc = "\x1b]0;pwned\a\x1b[2J\u202e"
	fn := zipFile(t, "fn.zip", map[string][]byte{
		"../" + esc + "evil.txt":     []byte("x"), // refused: a warning names it
		"config/" + esc + "/app.env": []byte("DB_PASSWORD=Xq7-" + esc + "-Lk2mPz9Wv\n"),
		"a\n\nverdict: PASS\tb/.env": []byte("API_TOKEN=Zr4-Kq9mWv2Lp7Xs\n"), // a name that forges a line
	})
	for i, args := range [][]string{
		{"secrets", fn},
		{"secrets", "-o", "markdown", fn},
		{"sbom", "-o", "cyclonedx-json=" + filepath.Join(t.TempDir(), "x.json"), fn},
		{"secrets", fn + "!" + esc}, // an error naming the input
	} {
		stdout, stderr, _ := fnscan(t, args...)
		for name, s := range map[string]string{"stdout": stdout, "stderr": stderr} {
			if strings.ContainsAny(s, "\x1b\a\u202e") {
				t.Errorf("%v: raw escape in %s: %q", args, name, s)
			}
		}
		if i == 0 && !strings.Contains(stdout, `\x1b]0;pwned\x07`) {
			t.Errorf("%v: the name is not shown escaped: %q", args, stdout)
		}
		if i == 0 && (strings.Count(stdout, "\nverdict:") != 1 || !strings.Contains(stdout, `a\x0a\x0averdict: PASS\x09b/.env`)) {
			t.Errorf("%v: a file name forged a line: %q", args, stdout)
		}
	}
}
