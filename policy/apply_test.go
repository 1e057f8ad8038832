package policy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
	"github.com/fnscan/fnscan/vuln"
)

func writePolicy(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fnscan-policy.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFileChecks(t *testing.T) {
	for body, want := range map[string]string{
		"ignore:\n  - id: CVE-1\n":                                        "a reason is required",
		"ignore:\n  - id: CVE-1\n    rule: jwt\n    reason: x\n":          "exactly one of",
		"ignore:\n  - id: CVE-1\n    reason: x\n    expires: next week\n": `expires "next week"`,
		"ignore:\n  - rule: jwt\n    path: \"[a\"\n    reason: x\n":       "unclosed [",
		"ignore:\n  - id: CVE-1\n    reson: typo\n":                       "field reson not found",
		"failOn: severe\n": "failOn",
		"ignore:\n  - fingerprint: ab\n    package: x\n    reason: r\n": "package applies to an id",
	} {
		_, err := LoadFile(writePolicy(t, body))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "fnscan-policy.yaml") {
			t.Errorf("%q: %v, want an error naming the file with %q", body, err, want)
		}
	}
	f, err := LoadFile(writePolicy(t, ""))
	if err != nil || len(f.Ignore) != 0 {
		t.Errorf("empty file: %v", err)
	}
}

func finding(id string, aliases []string, name, version, purl, level string) vuln.Finding {
	return vuln.Finding{ID: id, Aliases: aliases, Severity: vuln.Severity{Level: level},
		Package: vuln.Package{Name: name, Version: version, PURL: purl, Ecosystem: "npm"}}
}

var (
	lodashTemplate = finding("GHSA-35jh-r3h4-6jhm", []string{"CVE-2021-23337"}, "lodash", "4.17.20", "pkg:npm/lodash@4.17.20", "HIGH")
	lodashProto    = finding("GHSA-p6mc-m468-83gw", []string{"CVE-2020-8203"}, "lodash", "4.17.20", "pkg:npm/lodash@4.17.20", "HIGH")
	lodashOld      = finding("GHSA-p6mc-m468-83gw", []string{"CVE-2020-8203"}, "lodash", "4.17.15", "pkg:npm/lodash@4.17.15", "HIGH")
	minimist       = finding("GHSA-xvch-5gv4-984h", []string{"CVE-2021-44906"}, "minimist", "1.2.5", "pkg:npm/minimist@1.2.5", "CRITICAL")
	scoped         = finding("GHSA-aaaa-bbbb-cccc", []string{"CVE-2021-23337"}, "@acme/util", "1.0.0", "pkg:npm/%40acme/util@1.0.0", "LOW")
)

// outcome is what Apply left counting and what it took out, for tests.
type outcome struct {
	Vulns             []result.Vulnerability
	SuppressedVulns   []suppressedVuln
	Secrets           []secrets.Finding
	SuppressedSecrets []secrets.Finding
	Warnings          []string
}

type suppressedVuln struct {
	Finding     result.Vulnerability
	Suppression Suppression
}

// apply runs the rules over a Result made of the findings.
func apply(r Rules, vulns []vuln.Finding, found []secrets.Finding) outcome {
	res := result.New(&sbom.Result{}, "test")
	res.AddVulnerabilities(vulns, nil)
	res.Secrets = append(res.Secrets, found...)
	out := outcome{Warnings: r.Apply(res)}
	out.Vulns, out.Secrets, out.SuppressedSecrets = res.Vulnerabilities, res.Secrets, res.Suppressed
	for _, v := range res.SuppressedVulnerabilities {
		out.SuppressedVulns = append(out.SuppressedVulns, suppressedVuln{Finding: v, Suppression: *v.Suppression})
	}
	return out
}

func ids(fs []result.Vulnerability) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID+"@"+f.Package.Version)
	}
	slices.Sort(out)
	return out
}

func TestIgnores(t *testing.T) {
	f, err := LoadFile(writePolicy(t, `
ignore:
  - id: cve-2021-23337          # an alias, in lower case
    package: lodash
    reason: template() is never called
    expires: 2026-12-31
  - id: GHSA-xvch-5gv4-984h
    reason: deferred
    expires: 2026-01-31          # expired
  - rule: generic-api-key
    path: "**/test/**"
    reason: test fixtures
  - fingerprint: f00d
    reason: rotated
`))
	if err != nil {
		t.Fatal(err)
	}
	r := Rules{Ignores: f.Ignore, Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	secs := []secrets.Finding{
		{RuleID: "generic-api-key", Path: "fn.zip!src/test/fixtures/keys.js", Fingerprint: "a1"},
		{RuleID: "generic-api-key", Path: "fn.zip!src/handler.js", Fingerprint: "a2"},
		{RuleID: "aws-access-token", Path: "fn.zip!src/handler.js", Fingerprint: "f00d"},
	}
	out := apply(r, []vuln.Finding{lodashTemplate, lodashProto, minimist, scoped}, secs)
	if got, want := ids(out.Vulns), []string{"GHSA-aaaa-bbbb-cccc@1.0.0", "GHSA-p6mc-m468-83gw@4.17.20", "GHSA-xvch-5gv4-984h@1.2.5"}; !slices.Equal(got, want) {
		t.Errorf("counted %v, want %v (the package restriction keeps @acme/util, the expired ignore minimist)", got, want)
	}
	if len(out.SuppressedVulns) != 1 || out.SuppressedVulns[0].Suppression.Reason != "template() is never called" || out.SuppressedVulns[0].Suppression.Expires != "2026-12-31" {
		t.Errorf("suppressed %+v", out.SuppressedVulns)
	}
	if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "GHSA-xvch-5gv4-984h expired on 2026-01-31") {
		t.Errorf("warnings %q", out.Warnings)
	}
	if len(out.Secrets) != 1 || out.Secrets[0].Fingerprint != "a2" || len(out.SuppressedSecrets) != 2 ||
		!strings.Contains(out.SuppressedSecrets[0].Reason, "test fixtures") || !strings.Contains(out.SuppressedSecrets[1].Reason, "rotated") {
		t.Errorf("secrets %+v, suppressed %+v", out.Secrets, out.SuppressedSecrets)
	}
	// The day of expiry still counts as covered; the day after does not.
	r.Now = time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)
	if out := apply(r, []vuln.Finding{lodashTemplate}, nil); len(out.Vulns) != 0 {
		t.Error("an ignore expiring today no longer applies")
	}
	r.Now = time.Date(2027, 1, 1, 0, 0, 1, 0, time.UTC)
	if out := apply(r, []vuln.Finding{lodashTemplate}, nil); len(out.Vulns) != 1 {
		t.Error("an expired ignore still applies")
	}
}

func TestVEX(t *testing.T) {
	var stmts []Statement
	for _, doc := range []string{"openvex-v0.2.json", "openvex-v0.0.1.json", "cyclonedx-vex-example.json"} {
		s, err := LoadVEX(filepath.Join("testdata", doc))
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, s...)
	}
	jackson := finding("GHSA-jackson", []string{"SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111"}, "jackson-databind", "2.9.4",
		"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4?type=jar", "HIGH")
	out := apply(Rules{VEX: stmts}, []vuln.Finding{lodashTemplate, lodashProto, lodashOld, minimist, scoped, jackson}, nil)
	// lodashTemplate: not_affected for 4.17.20. lodashProto@4.17.20: not
	// affected via a subcomponent without version (a statement about
	// 4.17.19 does not touch it); @4.17.15: a later statement says
	// affected. minimist: under investigation counts.
	// scoped: fixed (v0.0.1, %40-encoded scope). jackson: the CycloneDX
	// spec example, not_affected.
	if got, want := ids(out.Vulns), []string{"GHSA-p6mc-m468-83gw@4.17.15", "GHSA-xvch-5gv4-984h@1.2.5"}; !slices.Equal(got, want) {
		t.Errorf("counted %v, want %v", got, want)
	}
	// The two that count keep what the newest statement said of them.
	for _, v := range out.Vulns {
		want := map[string]string{"GHSA-p6mc-m468-83gw@4.17.15": "affected", "GHSA-xvch-5gv4-984h@1.2.5": "under_investigation"}[v.ID+"@"+v.Package.Version]
		if v.VEX == nil || v.VEX.Kind != "vex" || v.VEX.Status != want || v.VEX.Source == "" {
			t.Errorf("%s@%s: vex %+v, want status %s", v.ID, v.Package.Version, v.VEX, want)
		}
	}
	byID := map[string]Suppression{}
	for _, s := range out.SuppressedVulns {
		byID[s.Finding.ID+"@"+s.Finding.Package.Version] = s.Suppression
	}
	if s := byID["GHSA-35jh-r3h4-6jhm@4.17.20"]; s.Kind != "vex" || s.Status != "not_affected" || s.Justification != "vulnerable_code_not_in_execute_path" || s.Reason != "template() is never called" || !strings.HasSuffix(s.Source, "openvex-v0.2.json") {
		t.Errorf("lodash template suppression %+v", s)
	}
	if s := byID["GHSA-jackson@2.9.4"]; s.Justification != "code_not_reachable" {
		t.Errorf("jackson suppression %+v", s)
	}
	if s := byID["GHSA-aaaa-bbbb-cccc@1.0.0"]; s.Status != "fixed" {
		t.Errorf("scoped package suppression %+v", s)
	}

	// A statement about the image itself covers every package in it.
	img := []Statement{{Vulnerability: "CVE-2021-44906", Products: []Product{{ID: "pkg:oci/fn@sha256%3Aabc123?repository_url=ecr"}}, Status: "not_affected"}}
	if out := apply(Rules{VEX: img, Targets: []string{"ABC123"}}, []vuln.Finding{minimist}, nil); len(out.Vulns) != 0 {
		t.Error("a statement naming the scanned image does not cover its packages")
	}
	if out := apply(Rules{VEX: img, Targets: []string{"def456"}}, []vuln.Finding{minimist}, nil); len(out.Vulns) != 1 {
		t.Error("a statement naming another image covers this one")
	}
	// Subcomponents of another (pinned) image say nothing about this one.
	other := []Statement{{Vulnerability: "CVE-2021-44906", Status: "not_affected",
		Products: []Product{{ID: "pkg:oci/other@sha256:fff", Subs: []string{"pkg:npm/minimist"}}}}}
	if out := apply(Rules{VEX: other, Targets: []string{"abc123"}}, []vuln.Finding{minimist}, nil); len(out.Vulns) != 1 {
		t.Error("a subcomponent of another image covers this one")
	}
	other[0].Products[0].ID = "pkg:oci/other@sha256:abc123"
	if out := apply(Rules{VEX: other, Targets: []string{"abc123"}}, []vuln.Finding{minimist}, nil); len(out.Vulns) != 0 {
		t.Error("a subcomponent of this image is not covered")
	}
	// A statement without products is about nothing.
	none := []Statement{{Vulnerability: "CVE-2021-44906", Status: "not_affected"}}
	if out := apply(Rules{VEX: none}, []vuln.Finding{minimist}, nil); len(out.Vulns) != 1 {
		t.Error("a statement without products suppressed a finding")
	}
	// The newest statement wins, wherever it stands.
	at := func(day int) time.Time { return time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC) }
	prod := []Product{{ID: "pkg:npm/minimist@1.2.5"}}
	order := []Statement{
		{Vulnerability: "GHSA-xvch-5gv4-984h", Products: prod, Status: "affected", Time: at(20)},
		{Vulnerability: "GHSA-xvch-5gv4-984h", Products: prod, Status: "not_affected", Time: at(10)},
	}
	if out := apply(Rules{VEX: order}, []vuln.Finding{minimist}, nil); len(out.Vulns) != 1 {
		t.Error("an older not_affected beat a newer affected")
	}
	order[0].Time = at(5)
	if out := apply(Rules{VEX: order}, []vuln.Finding{minimist}, nil); len(out.Vulns) != 0 {
		t.Error("a newer not_affected lost to an older affected")
	}

	for _, bad := range []string{
		// Which statement is newest decides: a time that does not read is
		// an error, and OpenVEX requires the document's.
		`{"statements": [{"vulnerability": {"name": "X"}, "products": [{"@id": "pkg:npm/a"}], "status": "fixed"}]}`,
		`{"timestamp": "2026-06-01", "statements": [{"vulnerability": {"name": "X"}, "products": [{"@id": "pkg:npm/a"}], "status": "fixed"}]}`,
		`{"timestamp": "2026-01-01T00:00:00Z", "statements": [{"vulnerability": {"name": "X"}, "products": [{"@id": "pkg:npm/a"}], "status": "fixed", "timestamp": "June"}]}`,
		`{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "X", "analysis": {"state": "resolved", "lastUpdated": "2026-06-01"}, "affects": [{"ref": "pkg:npm/a"}]}]}`,
		`{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "X", "analysis": {"state": "resolved"}, "affects": [{"ref": "pkg:npm/a", "versions": [{"version": "1", "status": "fine"}]}]}]}`,
		`{"timestamp": "2026-01-01T00:00:00Z", "statements": [{"vulnerability": {"name": "X"}, "products": [{"@id": "pkg:npm/a"}], "status": "affected", "STATUS": "not_affected", "justification": "component_not_present"}]}`,
		`{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "X", "analysis": {"state": "exploitable", "State": "not_affected"}, "affects": [{"ref": "pkg:npm/a"}]}]}`,
		`{"bomFormat": "CycloneDX", "metadata": {"timestamp": "yesterday"}, "vulnerabilities": [{"id": "X", "analysis": {"state": "resolved"}, "affects": [{"ref": "pkg:npm/a"}]}]}`,
		`{"timestamp": "2026-01-01T00:00:00Z", "statements": [{"vulnerability": {"name": "X"}, "status": "maybe"}]}`,
		`{"timestamp": "2026-01-01T00:00:00Z", "statements": [{"vulnerability": {"name": "X"}, "products": [{"@id": "pkg:npm/a"}], "status": "not_affected"}]}`,
		`{"timestamp": "2026-01-01T00:00:00Z", "statements": [{"vulnerability": {"name": "X"}, "products": [{"@id": "pkg:npm/a"}], "status": "not_affected", "justification": "because"}]}`,
		`{"timestamp": "2026-01-01T00:00:00Z", "statements": [{"vulnerability": {"name": "X"}, "products": 5, "status": "fixed"}]}`,
		`{"bomFormat": "CycloneDX", "components": []}`,
		`{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "X", "analysis": {"state": "not_affected", "justification": "because"}, "affects": [{"ref": "pkg:npm/a"}]}]}`,
		`{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "X", "analysis": {"state": "nope"}, "affects": [{"ref": "pkg:npm/a"}]}]}`,
		`{"bomFormat": "SPDX"}`, `not json`, `[]`, `{"statements": {}}`,
		`{"bomFormat": "CycloneDX", "vulnerabilities": {}}`,
	} {
		p := filepath.Join(t.TempDir(), "bad.json")
		os.WriteFile(p, []byte(bad), 0o644)
		_, err := LoadVEX(p)
		if err == nil || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("%s: %v", bad, err)
		}
		// Said in the document's terms, not the Go types it is read into.
		if err != nil && (strings.Contains(err.Error(), "struct") || strings.Contains(err.Error(), "Go value")) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		glob, path string
		want       bool
		target     string
	}{
		{"**/test/**", "fn.zip!src/test/a.js", true, ""},
		{"test/**", "fn.zip!test/a/b.js", true, ""},
		{"test/**", "fn.zip!src/test/a.js", false, ""},
		{"*.env", "fn.zip!.env", true, ""},
		{"*.env", "fn.zip!config/.env", false, ""},
		{"**/*.env", "fn.zip!config/.env", true, ""},
		{"var/task/**", "/var/task/lib/x.jar!META-INF/a", true, ""},
		{"/var/task/lib/*.jar", "/var/task/lib/x.jar", true, ""},
		{"lib/x.jar!**", "fn.zip!lib/x.jar!a.properties", false, ""}, // "!" is a directory separator in globs
		{"lib/x.jar/**", "fn.zip!lib/x.jar!a.properties", true, ""},
		{"src/[!t]*.js", "fn.zip!src/handler.js", true, ""},
		{"src/[!h]*.js", "fn.zip!src/handler.js", false, ""},
		{"test/**", "fn/test/t.js", true, "fn"}, // a directory target
		{"test/**", "./test/t.js", true, "."},   // fnscan secrets .
		{"test/**", "fn/src/test/t.js", false, "fn"},
		{"test/**", "fn/test/t.js", false, "other"},
	} {
		re, err := globRegexp(tc.glob)
		if err != nil {
			t.Fatal(err)
		}
		if got := pathMatches(re, tc.path, tc.target); got != tc.want {
			t.Errorf("%q on %q: %v", tc.glob, tc.path, got)
		}
	}
}

// OpenVEX aliases and identifiers, PyPI and npm name rules, Maven
// group:artifact in an ignore.
func TestVEXNamesAndPackages(t *testing.T) {
	p := filepath.Join(t.TempDir(), "vex.json")
	os.WriteFile(p, []byte(`{"@context": "https://openvex.dev/ns/v0.2.0", "timestamp": "2026-01-01T00:00:00Z", "statements": [
  {"vulnerability": {"name": "OSV-NOT-USED", "aliases": ["CVE-2020-14343"]},
   "products": [{"@id": "https://example.com/pyyaml", "identifiers": {"purl": "pkg:pypi/PyYAML@5.3.1"}}],
   "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
  {"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/Minimist@1.2.5"}],
   "status": "fixed"}]}`), 0o644)
	stmts, err := LoadVEX(p)
	if err != nil {
		t.Fatal(err)
	}
	pyyaml := vuln.Finding{ID: "GHSA-8q59-q68h-6hv4", Aliases: []string{"CVE-2020-14343", "PYSEC-2021-142"},
		Package: vuln.Package{Name: "pyyaml", Version: "5.3.1", PURL: "pkg:pypi/pyyaml@5.3.1"}}
	out := apply(Rules{VEX: stmts}, []vuln.Finding{pyyaml, minimist}, nil)
	if len(out.Vulns) != 0 {
		t.Errorf("not suppressed: %v", ids(out.Vulns))
	}
	jackson := vuln.Finding{ID: "GHSA-x", Package: vuln.Package{Name: "jackson-databind", PURL: "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4"}}
	fooBar := vuln.Finding{ID: "GHSA-y", Package: vuln.Package{Name: "Foo_Bar", PURL: "pkg:pypi/foo-bar@1.0"}}
	for want, f := range map[string]vuln.Finding{
		"com.fasterxml.jackson.core:jackson-databind": jackson,
		"foo.bar": fooBar,
	} {
		r := Rules{Ignores: []Ignore{{ID: f.ID, Package: want, Reason: "r"}}}
		if out := apply(r, []vuln.Finding{f}, nil); len(out.Vulns) != 0 {
			t.Errorf("ignore with package %q does not match %s", want, f.Package.PURL)
		}
	}
	if _, err := LoadFile(writePolicy(t, "failOn: high\n---\nfailOn: low\n")); err == nil || !strings.Contains(err.Error(), "one YAML document") {
		t.Errorf("two YAML documents: %v", err)
	}
}

// Misconfigurations are ignored by their rule (or a prefix wildcard),
// narrowed by resource; the secrets wildcard "*" hides none of them.
func TestMisconfigurationIgnores(t *testing.T) {
	f, err := LoadFile(writePolicy(t, `
ignore:
  - rule: "*"
    reason: every secret rule
  - rule: FNS-CFG-03*
    resource: Api
    reason: supply chain later
  - rule: FNS-CFG-044
    reason: logs kept by the platform
`))
	if err != nil {
		t.Fatal(err)
	}
	res := result.New(&sbom.Result{}, "test")
	for _, m := range []result.Misconfiguration{
		{RuleID: "FNS-CFG-030", Resource: "Api"}, {RuleID: "FNS-CFG-031", Resource: "Api"},
		{RuleID: "FNS-CFG-030", Resource: "Worker"}, {RuleID: "FNS-CFG-044", Resource: "Worker"}, {RuleID: "FNS-CFG-001", Resource: "Worker"},
	} {
		res.Misconfigurations = append(res.Misconfigurations, m)
	}
	Rules{Ignores: f.Ignore}.Apply(res)
	var kept []string
	for _, m := range res.Misconfigurations {
		kept = append(kept, m.RuleID+"@"+m.Resource)
	}
	if want := []string{"FNS-CFG-030@Worker", "FNS-CFG-001@Worker"}; !slices.Equal(kept, want) || len(res.SuppressedMisconfigurations) != 3 {
		t.Errorf("kept %v (want %v), suppressed %d", kept, want, len(res.SuppressedMisconfigurations))
	}
}

// CycloneDX affects: a ref with a version is the component analysed,
// whatever versions the vulnerability affects in general; a ref without
// one is narrowed to the versions listed whose status agrees with the
// analysis; a vers range covers nothing here.
func TestCycloneDXAffectsVersions(t *testing.T) {
	load := func(affects string) []Statement {
		t.Helper()
		p := filepath.Join(t.TempDir(), "vex.json")
		os.WriteFile(p, []byte(`{"bomFormat": "CycloneDX", "specVersion": "1.6", "vulnerabilities": [{"id": "GHSA-xvch-5gv4-984h",
			"analysis": {"state": "not_affected", "justification": "code_not_reachable"}, "affects": [`+affects+`]}]}`), 0o644)
		stmts, err := LoadVEX(p)
		if err != nil {
			t.Fatal(err)
		}
		return stmts
	}
	for _, tc := range []struct {
		affects    string
		suppressed bool
	}{
		{`{"ref": "pkg:npm/minimist"}`, true},
		{`{"ref": "pkg:npm/minimist", "versions": [{"version": "1.2.8", "status": "unaffected"}]}`, false},
		{`{"ref": "pkg:npm/minimist", "versions": [{"version": "1.2.5", "status": "unaffected"}]}`, true},
		{`{"ref": "pkg:npm/minimist", "versions": [{"version": "1.2.5", "status": "affected"}]}`, false},
		{`{"ref": "pkg:npm/minimist", "versions": [{"range": "vers:npm/>=1.2.0", "status": "unaffected"}]}`, false},
		{`{"ref": "pkg:npm/minimist", "versions": [{"version": "1.2.5"}]}`, false}, // status defaults to affected
		{`{"ref": "pkg:npm/minimist@1.2.5", "versions": [{"range": "vers:npm/<1.2.6", "status": "affected"}]}`, true},
	} {
		out := apply(Rules{VEX: load(tc.affects)}, []vuln.Finding{minimist}, nil)
		if got := len(out.Vulns) == 0; got != tc.suppressed {
			t.Errorf("%s: suppressed %v, want %v", tc.affects, got, tc.suppressed)
		}
	}
}
