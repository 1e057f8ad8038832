package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestScripts runs every testdata/script/*.txtar: the archive comment holds
// commands, one per line, the files are written to a fresh $WORK first.
//
//	fnscan ARGS...         run in-process; must exit 0
//	exit N fnscan ARGS...  must exit N
//	stdout RE / ! stdout RE / stderr RE / ! stderr RE
//	exists FILE / ! exists FILE
//
// $TESTDATA is the repository's testdata, $WORK the script's temp dir.
func TestScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/script/*.txtar")
	if len(files) == 0 {
		t.Fatal("no scripts")
	}
	testdataDir, _ := filepath.Abs("../../testdata")
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			work := t.TempDir()
			for _, af := range ar.Files {
				p := filepath.Join(work, af.Name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, af.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			expand := scriptEnv(t, work, testdataDir)
			var stdout, stderr bytes.Buffer
			for n, line := range strings.Split(string(ar.Comment), "\n") {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				where := f + ":" + strconv.Itoa(n+1)
				neg := false
				if rest, ok := strings.CutPrefix(line, "! "); ok {
					neg, line = true, rest
				}
				args := strings.Fields(line)
				for i := range args {
					args[i] = expand(args[i])
				}
				switch args[0] {
				case "fnscan", "exit":
					want := 0
					if args[0] == "exit" {
						want, _ = strconv.Atoi(args[1])
						args = args[2:]
					}
					stdout.Reset()
					stderr.Reset()
					got := run(context.Background(), args[1:], &stdout, &stderr)
					if got != want {
						t.Fatalf("%s: %s exited %d, want %d\nstdout:\n%s\nstderr:\n%s", where, line, got, want, clip(stdout.String()), stderr.String())
					}
				case "stdout", "stderr":
					buf := stdout.String()
					if args[0] == "stderr" {
						buf = stderr.String()
					}
					re := regexp.MustCompile("(?m)" + strings.TrimSpace(strings.TrimPrefix(line, args[0])))
					if re.MatchString(buf) == neg {
						t.Fatalf("%s: %s: match=%v\n%s:\n%s", where, line, !neg, args[0], clip(buf))
					}
				case "exists":
					_, err := os.Stat(filepath.Join(work, args[1]))
					if (err == nil) == neg {
						t.Fatalf("%s: %s: exists=%v", where, line, err == nil)
					}
				default:
					t.Fatalf("%s: unknown command %q", where, args[0])
				}
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

// scriptEnv gives a script its own database under work and expands
// $TESTDATA and $WORK in its arguments (other variables stay as written).
func scriptEnv(t *testing.T, work, testdataDir string) func(string) string {
	t.Setenv("FNSCAN_DB", filepath.Join(work, "db"))
	return func(s string) string {
		return os.Expand(s, func(k string) string {
			switch k {
			case "TESTDATA":
				return testdataDir
			case "WORK":
				return work
			}
			return "$" + k
		})
	}
}
