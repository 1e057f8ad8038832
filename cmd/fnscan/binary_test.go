package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var built struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// binary builds fnscan once: exit codes are checked through the real
// process, as a pipeline sees them.
func binary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "fnscan-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "fnscan")
		built.out, built.err = exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.path
}

// exitOf runs a command and returns its exit code, stdout and stderr.
func exitOf(t *testing.T, cmd *exec.Cmd) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), o.String(), e.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, o.String(), e.String()
}

// cleanEnv is a fresh machine for fnscan: no database, an empty cache.
// Go's own caches stay where they are (a cold module cache would download
// the world).
func cleanEnv(t *testing.T) []string {
	home := t.TempDir()
	goenv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	g := strings.Split(strings.TrimSpace(string(goenv)), "\n")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FNSCAN_") && !strings.HasPrefix(kv, "XDG_CACHE_HOME=") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "GO") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "FNSCAN_PASSWORD=ci",
		"GOCACHE="+g[0], "GOMODCACHE="+g[1], "GOPATH="+g[2], "GOFLAGS="+os.Getenv("GOFLAGS"))
}

// The README's first command, run as written from the repository root on
// a fresh cache, ends with the verdict and the documented exit code; the
// same arguments through the built binary give that exit code exactly.
func TestReadmeFirstCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fnscan")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```sh\n")
	if !ok {
		t.Fatal("README has no sh block")
	}
	line, _, _ := strings.Cut(block, "\n")
	command, comment, _ := strings.Cut(line, "#")
	command = strings.TrimSpace(command)
	if !strings.HasPrefix(command, "go run ./cmd/fnscan scan ") || !strings.Contains(comment, "exit 1") {
		t.Fatalf("the README's first command is not the gate with its exit code: %q", line)
	}
	env := cleanEnv(t)
	sh := exec.Command("sh", "-c", command)
	sh.Dir, sh.Env = "../..", env
	code, stdout, stderr := exitOf(t, sh)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	last := lines[len(lines)-1]
	if code != 1 || !strings.HasPrefix(last, "verdict: FAIL: ") || !strings.Contains(last, "CRITICAL vulnerabilities") {
		t.Errorf("README command: exit %d, last line %q\nstderr: %s", code, last, stderr)
	}
	args := strings.Fields(strings.TrimPrefix(command, "go run ./cmd/fnscan "))
	bin := exec.Command(binary(t), args...)
	bin.Dir, bin.Env = "../..", env
	if code, _, stderr := exitOf(t, bin); code != 1 {
		t.Errorf("binary: exit %d: %s", code, stderr)
	}
}

// Exit codes through the built binary: 0 pass, 1 gate failed, 2 error, for
// every command.
func TestExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fnscan")
	}
	bin := binary(t)
	env := cleanEnv(t)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	clean := zipFile(t, "clean.zip", map[string][]byte{"index.js": []byte("exports.handler = async () => 1;\n")})
	dvsa := repoTestdata("lambda", "dvsa-order-api.zip")
	osv := repoTestdata("osv", "ghsa-npm.zip")
	goat := "../../deploy/testdata/serverless-goat-template.yaml"
	safe := p("safe.yaml")
	os.WriteFile(safe, []byte("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"), 0o644)
	for _, c := range []struct {
		want int
		args []string
	}{
		{0, []string{"scan", clean, "--db", osv}},
		{1, []string{"scan", dvsa, "--db", osv}},
		{0, []string{"scan", dvsa, "--db", osv, "--fail-on", "none"}},
		{2, []string{"scan", dvsa, "--db", p("none")}},
		{2, []string{"scan", p("missing.zip"), "--db", osv}},
		{0, []string{"secrets", clean}},
		{1, []string{"secrets", repoTestdata("secrets", "planted.zip")}},
		{2, []string{"secrets", p("missing.zip")}},
		{0, []string{"config", safe}},
		{1, []string{"config", goat}},
		{2, []string{"config", clean}},
		{0, []string{"sbom", clean, "-o", "cyclonedx-json=" + p("bom.json")}},
		{2, []string{"sbom", p("missing.zip")}},
		{0, []string{"db", "import", "--db", p("db"), osv}},
		{0, []string{"db", "status", "--db", p("db")}},
		{2, []string{"db", "import", "--db", p("db2"), p("missing.zip")}},
		{0, []string{"keygen", "--output-key-prefix", p("k")}},
		{0, []string{"sign", "--key", p("k.key"), "--bundle", p("clean.sig"), clean}},
		{0, []string{"verify", "--key", p("k.pub"), "--bundle", p("clean.sig"), clean}},
		{1, []string{"verify", "--key", p("k.pub"), "--bundle", p("clean.sig"), dvsa}},
		{2, []string{"verify", "--key", p("k.pub"), "--bundle", p("missing.sig"), clean}},
		{2, []string{"frobnicate"}},
		{0, []string{"version"}},
	} {
		cmd := exec.Command(bin, c.args...)
		cmd.Env = env
		if code, _, stderr := exitOf(t, cmd); code != c.want {
			t.Errorf("fnscan %s: exit %d, want %d\n%s", strings.Join(c.args, " "), code, c.want, stderr)
		}
	}
}
