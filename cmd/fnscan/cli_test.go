package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/cli/*.ct with the output fnscan gives now")

// TestCLI runs every testdata/cli/*.ct: a transcript of commands and their
// exact output, as govulncheck's .ct tests are. A block is
//
//	$ fnscan ARGS...
//	stdout, exactly
//	[stderr]
//	stderr, exactly
//	[exit N]
//
// Lines starting with "#!" are comments (kept before the next command);
// a blank line follows each block's output. $TESTDATA
// and $WORK (a fresh dir per file, with FNSCAN_DB=$WORK/db) are expanded,
// and in the output those paths, temp dirs, ages and timestamps are masked
// (fixups below). go test ./cmd/fnscan -run TestCLI -update rewrites the
// files: review their diff like code.
func TestCLI(t *testing.T) {
	files, _ := filepath.Glob("testdata/cli/*.ct")
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	testdataDir, _ := filepath.Abs("../../testdata")
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".ct"), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			work := t.TempDir()
			expand := scriptEnv(t, work, testdataDir)
			mask := func(s string) string {
				s = strings.ReplaceAll(s, work, "$WORK")
				s = strings.ReplaceAll(s, testdataDir, "$TESTDATA")
				for _, fx := range fixups {
					s = fx.re.ReplaceAllString(s, fx.with)
				}
				return s
			}
			var got strings.Builder
			for _, block := range blocks(string(b)) {
				got.WriteString(block.comment)
				cmd := strings.TrimPrefix(block.command, "$ fnscan")
				args := strings.Fields(cmd)
				for i := range args {
					args[i] = expand(args[i])
				}
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), args, &stdout, &stderr)
				got.WriteString(block.command + "\n")
				got.WriteString(mask(stdout.String()))
				if stderr.Len() > 0 {
					got.WriteString("[stderr]\n" + mask(stderr.String()))
				}
				if code != 0 {
					fmt.Fprintf(&got, "[exit %d]\n", code)
				}
				got.WriteString("\n")
			}
			out := strings.TrimSuffix(got.String(), "\n")
			if *update {
				os.WriteFile(f, []byte(out), 0o644)
				return
			}
			if out != string(b) {
				t.Errorf("%s: output differs (go test ./cmd/fnscan -run TestCLI -update, then review the diff):\n%s", f, diffLines(string(b), out))
			}
		})
	}
}

type block struct{ comment, command string }

// blocks splits a transcript into commands with the comments before
// them; expected output is dropped (it is rendered anew and compared whole).
func blocks(s string) []block {
	var out []block
	var comment strings.Builder
	for _, line := range strings.Split(s, "\n") {
		switch {
		case strings.HasPrefix(line, "$ fnscan"):
			out = append(out, block{comment: comment.String(), command: line})
			comment.Reset()
		case strings.HasPrefix(line, "#!"):
			comment.WriteString(line + "\n")
		}
	}
	return out
}

var fixups = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`/tmp/fnscan-[0-9]+`), "$$TMP"},
	{regexp.MustCompile(`\b[0-9hms.]+ ago +`), "AGE ago  "},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), "TIME"},
	{regexp.MustCompile(`\b\d+ days? old\b`), "N days old"},
	{regexp.MustCompile(`urn:uuid:[0-9a-f-]{36}`), "urn:uuid:UUID"},
}

// diffLines shows the first differing lines.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, a, b)
		}
	}
	return ""
}
