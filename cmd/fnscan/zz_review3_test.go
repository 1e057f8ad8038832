package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/sbom"
)

func TestZZPolicyReview(t *testing.T) {
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	fn := repoTestdata("lambda", "dvsa-order-api.zip")
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	// 1. cyclonedx-vex with no vulnerabilities
	empty := zipFile(t, "empty.zip", map[string][]byte{"index.js": []byte("exports.h=1\n")})
	vexOut := filepath.Join(dir, "empty.vex.json")
	_, stderr, code := fnscan(t, "scan", "--db", db, "--no-secrets", "-o", "cyclonedx-vex="+vexOut, empty)
	b, _ := os.ReadFile(vexOut)
	t.Logf("empty: exit %d %s\n%s", code, stderr, b)
	t.Logf("validate empty: %v", sbom.ValidateCycloneDXJSON(b))
	// 2. secrets command with cyclonedx-vex
	o, stderr, code := fnscan(t, "secrets", "-o", "cyclonedx-vex", empty)
	t.Logf("secrets vex: exit %d %q %.300s", code, stderr, o)
	// 3. bad YAML: unknown key
	_, stderr, code = fnscan(t, "scan", "--db", db, "--no-secrets", fn, "--policy", write("typo.yaml", "ignore:\n  - id: X\n    reson: y\n"))
	t.Logf("typo: exit %d %q", code, stderr)
	_, stderr, code = fnscan(t, "scan", "--db", db, "--no-secrets", fn, "--vex", write("num.json", `{"statements":[{"vulnerability":"X","products":5,"status":"fixed"}]}`))
	t.Logf("num: exit %d %q", code, stderr)
	_, stderr, code = fnscan(t, "scan", "--db", db, "--no-secrets", fn, "--vex", dir)
	t.Logf("dir: exit %d %q", code, stderr)
	// 4. VEX with no products: suppresses everything of that CVE
	np := write("np.json", `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2026-01-01T00:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-2021-44906"},"status":"not_affected","justification":"component_not_present"}]}`)
	o, stderr, code = fnscan(t, "scan", "--db", db, "--no-secrets", "-o", "json", fn, "--vex", np)
	t.Logf("noproducts: exit %d suppressed=%d", code, strings.Count(o, `"kind": "vex"`))
	// 5. full outputs with policy
	pol := write("p.yaml", "failOn: critical\nignore:\n  - id: GHSA-q4v7-4rhw-9hqm\n    reason: r\n  - id: CVE-2018-1000620\n    reason: later\n    expires: 2099-01-01\nvex:\n  - np.json\n")
	vo := filepath.Join(dir, "full.vex.json")
	so := filepath.Join(dir, "full.sarif")
	mo := filepath.Join(dir, "full.md")
	to := filepath.Join(dir, "full.txt")
	co := filepath.Join(dir, "full.cdx.json")
	_, stderr, code = fnscan(t, "scan", "--db", db, "--no-secrets", fn, "--policy", pol, "-o", "cyclonedx-vex="+vo, "-o", "sarif="+so, "-o", "markdown="+mo, "-o", "table="+to, "-o", "cyclonedx-json="+co, "-o", "cyclonedx-xml="+co+".xml")
	t.Logf("full: exit %d %s", code, stderr)
	for _, p := range []string{vo, co} {
		b, _ := os.ReadFile(p)
		t.Logf("validate %s: %v", filepath.Base(p), sbom.ValidateCycloneDXJSON(b))
	}
	for _, p := range []string{vo, so, mo, to} {
		os.Link(p, filepath.Join("/tmp/zzreview3_"+filepath.Base(p)))
		b, _ := os.ReadFile(p)
		os.WriteFile("/tmp/zzreview3_"+filepath.Base(p), b, 0o644)
	}
}
