package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/sbom"
)

// The gate with a policy file: an ignore with a reason takes a critical out,
// an expired one does not (with a warning), VEX statements in OpenVEX and
// CycloneDX take out others; every suppressed finding stays in the report
// with its reason, and fnscan's own CycloneDX VEX output reads back in.
func TestScanPolicyAndVEX(t *testing.T) {
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	fn := repoTestdata("lambda", "dvsa-order-api.zip")
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("openvex.json", `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1",
  "author": "fn team", "timestamp": "2026-11-01T00:00:00Z", "version": 1,
  "statements": [{"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/minimist@0.0.10"}],
    "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}`)
	cdxVEX := write("forge.cdx.json", `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "components": [{"type": "library", "bom-ref": "forge", "name": "node-forge", "version": "0.7.6", "purl": "pkg:npm/node-forge@0.7.6"}],
  "vulnerabilities": [{"id": "GHSA-92xj-mqp7-vmcj", "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
    "affects": [{"ref": "forge"}]}]}`)
	policyFile := func(expires string) string {
		return write("fnscan-policy.yaml", `failOn: critical
ignore:
  - id: GHSA-q4v7-4rhw-9hqm
    reason: node-serialize only reads our own signed cookies
    expires: 2099-12-31
  - id: CVE-2018-1000620   # cryptiles, by its CVE alias
    reason: upgrade scheduled
    expires: `+expires+`
vex:
  - openvex.json
`)
	}

	run := func(args ...string) (jsonReport, map[string]any, string, int) {
		t.Helper()
		out, stderr, code := fnscan(t, append([]string{"scan", "--db", db, "--no-secrets", "-o", "json", fn}, args...)...)
		var r jsonReport
		var raw map[string]any
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
		json.Unmarshal([]byte(out), &raw)
		return r, raw, stderr, code
	}
	suppressed := func(raw map[string]any) []string {
		var out []string
		list, _ := raw["suppressedVulnerabilities"].([]any)
		for _, v := range list {
			m := v.(map[string]any)
			s := m["suppression"].(map[string]any)
			out = append(out, m["id"].(string)+" "+s["kind"].(string))
		}
		slices.Sort(out)
		return out
	}

	// The cryptiles ignore has expired: its critical counts again.
	r, raw, stderr, code := run("--policy", policyFile("2026-01-31"), "--vex", cdxVEX)
	if code != 1 || !strings.Contains(stderr, "CVE-2018-1000620 expired on 2026-01-31") || !strings.Contains(stderr, "1 CRITICAL") {
		t.Errorf("expired ignore: exit %d, stderr %s", code, stderr)
	}
	want := []string{"GHSA-92xj-mqp7-vmcj vex", "GHSA-q4v7-4rhw-9hqm ignore", "GHSA-xvch-5gv4-984h vex"}
	if got := suppressed(raw); !slices.Equal(got, want) {
		t.Errorf("suppressed %v, want %v", got, want)
	}
	if len(r.Vulnerabilities) != 23 {
		t.Errorf("%d vulnerabilities count, want 26 - 3", len(r.Vulnerabilities))
	}
	out, _, _ := fnscan(t, "scan", "--db", db, "--no-secrets", "-o", "json", fn, "--policy", policyFile("2026-01-31"), "--vex", cdxVEX)
	validReport(t, out)

	// Renewed: every critical is accounted for and the gate passes. The
	// VEX output is schema-valid CycloneDX and reads back as VEX.
	vexOut := filepath.Join(dir, "out.vex.json")
	sarifOut := filepath.Join(dir, "out.sarif")
	_, raw, stderr, code = run("--policy", policyFile("2099-01-01"), "--vex", cdxVEX, "-o", "cyclonedx-vex="+vexOut, "-o", "sarif="+sarifOut)
	if code != 0 || len(suppressed(raw)) != 4 {
		t.Fatalf("renewed ignore: exit %d, suppressed %v, %s", code, suppressed(raw), stderr)
	}
	b, err := os.ReadFile(vexOut)
	if err != nil {
		t.Fatal(err)
	}
	if err := sbom.ValidateCycloneDXJSON(b); err != nil {
		t.Errorf("cyclonedx-vex output invalid: %v", err)
	}
	_, raw, _, _ = run("--vex", vexOut)
	// Ignores are "in triage" in VEX terms, so only the VEX statements
	// carry over.
	if got, want := suppressed(raw), []string{"GHSA-92xj-mqp7-vmcj vex", "GHSA-xvch-5gv4-984h vex"}; !slices.Equal(got, want) {
		t.Errorf("read back from fnscan's VEX: %v, want %v", got, want)
	}
	sarif, err := os.ReadFile(sarifOut)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(sarif), `"suppressions"`); n != 4 {
		t.Errorf("SARIF has %d suppressed results, want 4", n)
	}

	// Bad policy and VEX files are errors naming the file.
	for _, args := range [][]string{
		{"--policy", write("bad.yaml", "ignore:\n  - id: X\n")},
		{"--vex", write("bad.json", `{"statements": [{"vulnerability": "X", "status": "perhaps"}]}`)},
		{"--policy", filepath.Join(dir, "missing.yaml")},
	} {
		_, stderr, code := fnscan(t, append([]string{"scan", "--db", db, "--no-secrets", fn}, args...)...)
		if code != 2 || !strings.Contains(stderr, filepath.Base(args[1])) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// Issue 14: a nested archive that cannot be opened is named in the report
// (marked unscanned in JSON) and fails the gate only with failOnIncomplete,
// set by the policy file or --fail-on-incomplete (the flag wins either way).
func TestFailOnIncomplete(t *testing.T) {
	fn := zipFile(t, "fn.zip", map[string][]byte{
		"index.js":          []byte("exports.handler = async () => 1;\n"),
		"vendor/bundle.zip": []byte("PK\x03\x04 truncated: not a zip archive"),
	})
	db := importDB(t, repoTestdata("osv", "maven-ghsa-sample.zip"))
	dir := t.TempDir()
	on, off := filepath.Join(dir, "on.yaml"), filepath.Join(dir, "off.yaml")
	os.WriteFile(on, []byte("failOnIncomplete: true\n"), 0o644)
	os.WriteFile(off, []byte("failOnIncomplete: false\n"), 0o644)
	const reason = "1 file or archive not scanned (failOnIncomplete; see the warnings)"
	for _, c := range []struct {
		want int
		args []string
	}{
		{0, []string{"secrets", fn}},
		{1, []string{"secrets", fn, "--fail-on-incomplete"}},
		{0, []string{"secrets", fn, "--policy", on, "--fail-on-incomplete=false"}},
		{0, []string{"scan", fn, "--db", db}},
		{1, []string{"scan", fn, "--db", db, "--policy", on}},
		{1, []string{"scan", fn, "--db", db, "--policy", off, "--fail-on-incomplete"}},
		{1, []string{"scan", fn, "--db", db, "--fail-on", "none", "--fail-on-incomplete"}},
	} {
		out, stderr, code := fnscan(t, append(c.args, "-o", "json", "--quiet")...)
		if code != c.want {
			t.Errorf("fnscan %s: exit %d, want %d\n%s", strings.Join(c.args, " "), code, c.want, stderr)
			continue
		}
		var r struct {
			Warnings []struct {
				Path, Message string
				Unscanned     bool
			}
			Verdict struct {
				Pass    bool
				Reasons []string
			}
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("fnscan %s: %v", strings.Join(c.args, " "), err)
		}
		var unscanned []string
		for _, w := range r.Warnings {
			if w.Unscanned {
				unscanned = append(unscanned, w.Path)
			}
		}
		if !slices.Equal(unscanned, []string{"fn.zip!vendor/bundle.zip"}) {
			t.Errorf("fnscan %s: warnings %+v, want only the corrupt archive marked unscanned", strings.Join(c.args, " "), r.Warnings)
		}
		if failed := slices.Contains(r.Verdict.Reasons, reason); failed != (c.want == 1) {
			t.Errorf("fnscan %s: reasons %q", strings.Join(c.args, " "), r.Verdict.Reasons)
		}
		if c.want == 1 && !strings.Contains(stderr, "policy failed: "+reason) {
			t.Errorf("fnscan %s: stderr %q", strings.Join(c.args, " "), stderr)
		}
	}
	// The same verdict through the built binary, as a pipeline sees it.
	if !testing.Short() {
		cmd := exec.Command(binary(t), "secrets", fn, "--fail-on-incomplete")
		cmd.Env = cleanEnv(t)
		if code, _, stderr := exitOf(t, cmd); code != 1 {
			t.Errorf("binary: exit %d, want 1\n%s", code, stderr)
		}
	}
}
