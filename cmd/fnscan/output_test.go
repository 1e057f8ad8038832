package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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
	if err := writeOutput(context.Background(), output{format: "json", file: fifo}, nil, func(w io.Writer) error {
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
	if err := writeOutput(context.Background(), output{format: "json", file: t.TempDir()}, nil, func(io.Writer) error { return nil }); err == nil {
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

// Every format reports its write errors (exit 2, naming the file), and an
// output that cannot be written is refused before the scan starts, with no
// partial file left.
func TestOutputErrors(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	fn := zipFile(t, "fn.zip", map[string][]byte{"app.js": []byte("console.log(1)\n")})
	for _, f := range []string{"table", "markdown", "json", "sarif"} {
		_, stderr, code := fnscan(t, "secrets", "-o", f+"=/dev/full", fn)
		if code != 2 || !strings.Contains(stderr, "writing /dev/full: no space left on device") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("-o %s=/dev/full: exit %d, stderr %q", f, code, stderr)
		}
	}
	_, stderr, code := fnscan(t, "sbom", "-o", "cyclonedx-xml=/dev/full", fn)
	if code != 2 || !strings.Contains(stderr, "writing /dev/full") {
		t.Errorf("sbom to /dev/full: exit %d, %q", code, stderr)
	}

	// A missing directory: refused before anything is opened. The target
	// is one that would take a while and a temp dir to unpack.
	work := t.TempDir()
	big := repoTestdata("lambda", "dvsa-order-api.zip")
	for _, args := range [][]string{
		{"scan", "-o", "json=/no/such/dir/r.json", "--temp-dir", work, big},
		{"sbom", "-o", "spdx-json=/no/such/dir/r.json", "--temp-dir", work, big},
		{"secrets", "-o", "table=" + filepath.Join(fn, "r.txt"), "--temp-dir", work, big},
	} {
		start := time.Now()
		_, stderr, code := fnscan(t, args...)
		if code != 2 || !strings.Contains(stderr, strings.SplitN(args[2], "=", 2)[1]) || strings.Contains(stderr, ".fnscan-") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%v: refused after %v, not before the scan", args, d)
		}
		if left, _ := os.ReadDir(work); len(left) != 0 {
			t.Errorf("%v: the scan started: %v in the temp dir", args, left)
		}
	}

	// A write that fails midway leaves no file, not a truncated one.
	dst := filepath.Join(t.TempDir(), "r.json")
	err := writeOutput(context.Background(), output{format: "json", file: dst}, nil, func(w io.Writer) error {
		w.Write([]byte("{\"partial\": "))
		return errors.New("disk gone")
	})
	if err == nil {
		t.Error("a failed write succeeded")
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("a failed write left %s: %v", dst, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".fnscan-*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// An empty deployment zip is not a silent pass: every format warns that
// nothing was scanned (issue 13).
func TestEmptyZipWarns(t *testing.T) {
	empty := zipFile(t, "empty.zip", map[string][]byte{})
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	for _, f := range []string{"table", "json", "sarif", "markdown"} {
		out, stderr, code := fnscan(t, "scan", "--db", db, "-o", f, empty)
		if code != 0 || !strings.Contains(out, "nothing was scanned") || !strings.Contains(out, "no components found") {
			t.Errorf("-o %s: exit %d, no warning in the report:\n%s\n%s", f, code, out, stderr)
		}
		if !strings.Contains(stderr, "warning: empty.zip: the target holds no files") {
			t.Errorf("-o %s: no warning on stderr: %s", f, stderr)
		}
		switch f {
		case "json":
			validReport(t, out)
		case "sarif":
			validJSON(t, repoTestdata("sarif", "sarif-schema-2.1.0.json"), out)
		}
	}
}
