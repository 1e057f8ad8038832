package report

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/policy"
	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
)

// junitXSD is Jenkins' JUnit schema (xunit plugin), see testdata/README.md.
const junitXSD = "../testdata/junit/junit-10.xsd"

func writeJUnit(t *testing.T, r *result.Result) []byte {
	t.Helper()
	f, ok := Lookup("junit")
	if !ok {
		t.Fatal("format junit not registered")
	}
	var buf bytes.Buffer
	if err := f.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// validateJUnit checks doc against the JUnit XSD with xmllint: skipped
// where xmllint is missing, except under CI (.ci/run installs it).
func validateJUnit(t *testing.T, doc []byte) error {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint missing under CI: .ci/run installs libxml2-utils")
		}
		t.Skip("xmllint not installed (apt-get install libxml2-utils): JUnit output not validated against the XSD")
	}
	p := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(p, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", junitXSD, p).CombinedOutput()
	if err != nil {
		return &xmllintError{string(out)}
	}
	return nil
}

type xmllintError struct{ out string }

func (e *xmllintError) Error() string { return "xmllint: " + e.out }

// parseJUnit decodes the document strictly and checks every count
// attribute against the test cases it holds.
func parseJUnit(t *testing.T, doc []byte) junitSuites {
	t.Helper()
	var got junitSuites
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, doc)
	}
	tests, failures := 0, 0
	for _, s := range got.Suites {
		var f, sk int
		for _, c := range s.Cases {
			if c.Failure != nil {
				f++
			}
			if c.Skipped != nil {
				sk++
			}
			if c.Failure != nil && c.Skipped != nil {
				t.Errorf("%s / %s is both failed and skipped", s.Name, c.Name)
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Skipped != sk || s.Errors != 0 {
			t.Errorf("suite %s says tests=%d failures=%d skipped=%d errors=%d; holds %d cases, %d failed, %d skipped",
				s.Name, s.Tests, s.Failures, s.Skipped, s.Errors, len(s.Cases), f, sk)
		}
		if len(s.Cases) == 0 {
			t.Errorf("suite %s has no test case", s.Name)
		}
		tests += len(s.Cases)
		failures += f
	}
	if got.Tests != tests || got.Failures != failures {
		t.Errorf("testsuites says tests=%d failures=%d; the suites hold %d and %d", got.Tests, got.Failures, tests, failures)
	}
	return got
}

func suiteNames(d junitSuites) []string {
	var out []string
	for _, s := range d.Suites {
		out = append(out, s.Name)
	}
	return out
}

func suite(t *testing.T, d junitSuites, name string) junitSuite {
	t.Helper()
	for _, s := range d.Suites {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no suite %s in %v", name, suiteNames(d))
	return junitSuite{}
}

func TestJUnitGolden(t *testing.T) {
	r := sample()
	doc := writeJUnit(t, r)
	checkGolden(t, "sample.junit.golden", doc)
	d := parseJUnit(t, doc)
	if got, want := strings.Join(suiteNames(d), " "), "fnscan.vulnerabilities fnscan.secrets fnscan.config fnscan.gate"; got != want {
		t.Errorf("suites %q, want %q", got, want)
	}
	vulns := suite(t, d, junitSuiteVulns)
	if vulns.Tests != 2 || vulns.Failures != 2 {
		t.Errorf("vulnerabilities: %d tests, %d failures; want one failing case per place (2)", vulns.Tests, vulns.Failures)
	}
	for i, where := range []string{"deps.zip!nodejs/node_modules/qs/package.json", "fn.zip!node_modules/qs/package.json"} {
		c := vulns.Cases[i]
		if c.Classname != where || c.Name != "GHSA-hrpp-h998-j3pp qs 0.6.6" || c.Failure == nil || c.Failure.Type != "HIGH" ||
			!strings.Contains(c.Failure.Message, "qs 0.6.6 is affected by GHSA-hrpp-h998-j3pp (HIGH); fixed in 6.2.4") {
			t.Errorf("vulnerability case %d: %+v %+v", i, c, c.Failure)
		}
	}
	sec := suite(t, d, junitSuiteSecrets)
	if len(sec.Cases) != 1 || sec.Cases[0].Failure == nil || sec.Cases[0].Failure.Type != "SECRET" ||
		sec.Cases[0].Failure.Message != "GitHub Personal Access Token: ghp_…(40 chars)" || sec.Cases[0].Classname != "fn.zip!index.js" {
		t.Errorf("secrets suite: %+v", sec.Cases)
	}
	cfg := suite(t, d, junitSuiteConfig)
	if len(cfg.Cases) != 1 || cfg.Cases[0].Name != "FNS-CFG-003 OrderFunction" || cfg.Cases[0].Failure == nil || cfg.Cases[0].Failure.Type != "HIGH" ||
		!strings.Contains(cfg.Cases[0].Failure.Text, "fn.zip!template.yaml:42") {
		t.Errorf("config suite: %+v", cfg.Cases)
	}
	gate := suite(t, d, junitSuiteGate)
	if len(gate.Cases) != 1 || gate.Cases[0].Failure == nil ||
		gate.Cases[0].Failure.Message != "gate failed: "+strings.Join(r.Verdict.Reasons, "; ") {
		t.Errorf("gate suite: %+v", gate.Cases)
	}
	if d.Tests != 5 || d.Failures != 5 {
		t.Errorf("testsuites: %d tests, %d failures; want 5 and 5", d.Tests, d.Failures)
	}
	if err := validateJUnit(t, doc); err != nil {
		t.Error(err)
	}
}

func TestJUnitGoldenSuppressed(t *testing.T) {
	r := sampleSuppressed()
	doc := writeJUnit(t, r)
	checkGolden(t, "suppressed.junit.golden", doc)
	d := parseJUnit(t, doc)
	vulns := suite(t, d, junitSuiteVulns)
	// Nothing counted: the stage's passing case, then the four suppressed.
	if vulns.Tests != 5 || vulns.Failures != 0 || vulns.Skipped != 4 || vulns.Cases[0].Name != "no vulnerabilities" || vulns.Cases[0].Skipped != nil {
		t.Errorf("vulnerabilities: %+v", vulns)
	}
	var why []string
	for _, c := range vulns.Cases[1:] {
		if c.Skipped == nil {
			t.Fatalf("suppressed %s not skipped", c.Name)
		}
		why = append(why, c.Skipped.Message)
	}
	all := strings.Join(why, "\n")
	for _, want := range []string{"suppressed: VEX not_affected: vulnerable_code_not_in_execute_path", "suppressed: ignored until 2027-01-31: upgrade in sprint 42"} {
		if !strings.Contains(all, want) {
			t.Errorf("skipped messages lack %q:\n%s", want, all)
		}
	}
	sec := suite(t, d, junitSuiteSecrets)
	if sec.Tests != 2 || sec.Skipped != 1 || sec.Cases[1].Skipped.Message != "suppressed: ignored: test fixtures" {
		t.Errorf("secrets: %+v", sec)
	}
	cfg := suite(t, d, junitSuiteConfig)
	if cfg.Tests != 2 || cfg.Skipped != 1 || !strings.Contains(cfg.Cases[1].Skipped.Message, "signing arrives with the new pipeline") {
		t.Errorf("config: %+v", cfg)
	}
	gate := suite(t, d, junitSuiteGate)
	if gate.Failures != 0 || !strings.HasPrefix(string(gate.Cases[0].SystemOut), "PASS (fail-on HIGH)") {
		t.Errorf("gate: %+v", gate.Cases)
	}
	if d.Failures != 0 {
		t.Errorf("%d failures in a passing result", d.Failures)
	}
	if err := validateJUnit(t, doc); err != nil {
		t.Error(err)
	}
}

// Under --fail-on none the findings are listed but none fails, the
// secrets included, and the gate passes.
func TestJUnitFailOnNone(t *testing.T) {
	r := sample()
	v := policy.Evaluate(r, policy.Config{FailOn: "none"})
	r.Verdict = &v
	d := parseJUnit(t, writeJUnit(t, r))
	if d.Failures != 0 || d.Tests != 5 {
		t.Errorf("fail-on none: %d tests, %d failures; want 5 and 0", d.Tests, d.Failures)
	}
	if c := suite(t, d, junitSuiteSecrets).Cases[0]; !strings.Contains(string(c.SystemOut), "ghp_…(40 chars)") {
		t.Errorf("passing secret case does not say what was found: %+v", c)
	}
	if out := string(suite(t, d, junitSuiteGate).Cases[0].SystemOut); !strings.HasPrefix(out, "PASS (report only: --fail-on none)") {
		t.Errorf("gate: %q", out)
	}
	// A higher threshold fails on what reaches it only.
	v = policy.Evaluate(r, policy.Config{FailOn: "critical", Secrets: true})
	r.Verdict = &v
	d = parseJUnit(t, writeJUnit(t, r))
	if f := suite(t, d, junitSuiteVulns).Failures + suite(t, d, junitSuiteConfig).Failures; f != 0 {
		t.Errorf("fail-on critical failed %d HIGH findings", f)
	}
	if suite(t, d, junitSuiteSecrets).Failures != 1 || suite(t, d, junitSuiteGate).Failures != 1 {
		t.Errorf("fail-on critical with secrets: the secret and the gate should fail: %+v", d.Suites)
	}
}

// Only the stages that ran get a suite; one that found nothing shows a
// passing case.
func TestJUnitStages(t *testing.T) {
	r := result.New(&sbom.Result{Subject: sbom.Subject{Name: "clean.zip", Kind: "zip"}}, "test")
	r.Stages = []string{result.StageSecrets}
	v := policy.Evaluate(r, policy.Config{FailOn: "high", Secrets: true})
	r.Verdict = &v
	doc := writeJUnit(t, r)
	d := parseJUnit(t, doc)
	if got := strings.Join(suiteNames(d), " "); got != "fnscan.secrets fnscan.gate" {
		t.Errorf("suites %q for a secrets-only run", got)
	}
	c := suite(t, d, junitSuiteSecrets).Cases
	if len(c) != 1 || c[0].Name != "no secrets" || c[0].Classname != "clean.zip" || c[0].Failure != nil || c[0].Skipped != nil {
		t.Errorf("empty stage: %+v", c)
	}
	if err := validateJUnit(t, doc); err != nil {
		t.Error(err)
	}
}

// Hostile names cannot break the document, add a test case or reach a
// terminal as escapes; the document stays valid.
func TestJUnitHostileNames(t *testing.T) {
	fn := artifact.Origin{Kind: artifact.OriginFunction, Name: "x.zip"}
	evil := "fn.zip!a\x00b<c>&\"']]>\xff\ufffe\x1b]0;pwned\x07\u202e.js"
	r := result.New(&sbom.Result{Subject: sbom.Subject{Name: "evil\x1b[2J\x0b.zip", Kind: "zip"}}, "test")
	r.Stages = []string{result.StageSecrets, result.StageConfig}
	r.Secrets = append(r.Secrets, secrets.Finding{RuleID: "generic-api-key", Description: "Generic API Key", Path: evil, Line: 3,
		Origin: fn, Redacted: "abcd…(32 chars)", Source: "content"})
	r.Misconfigurations = append(r.Misconfigurations, result.Misconfiguration{RuleID: "FNS-CFG-001", Title: "t", Severity: "CRITICAL",
		Resource: "Fn\n</testcase><testcase name=\"fake\">", File: evil, Line: 1, Evidence: "\r\n<x>"})
	v := policy.Evaluate(r, policy.Config{FailOn: "high", Secrets: true})
	r.Verdict = &v
	doc := writeJUnit(t, r)
	for _, b := range []byte{0x00, 0x1b, 0x07, 0x0b, 0xff} {
		if bytes.IndexByte(doc, b) >= 0 {
			t.Errorf("raw byte %#x in the document", b)
		}
	}
	d := parseJUnit(t, doc)
	if d.Tests != 3 || d.Failures != 3 {
		t.Errorf("%d tests, %d failures; want 3 and 3 (no injected case)", d.Tests, d.Failures)
	}
	sec := suite(t, d, junitSuiteSecrets).Cases[0]
	if want := `fn.zip!a\x00b<c>&"']]>\xff` + "\ufffd" + `\x1b]0;pwned\x07\u202e.js`; sec.Classname != want {
		t.Errorf("classname %q, want %q", sec.Classname, want)
	}
	cfg := suite(t, d, junitSuiteConfig).Cases[0]
	if !strings.HasPrefix(cfg.Name, `FNS-CFG-001 Fn\x0a</testcase>`) {
		t.Errorf("resource not kept on one line: %q", cfg.Name)
	}
	if err := validateJUnit(t, doc); err != nil {
		t.Error(err)
	}
}

// The schema check can fail: a suite without its required counts is
// rejected.
func TestJUnitSchemaRejects(t *testing.T) {
	doc := writeJUnit(t, sample())
	broken := bytes.Replace(doc, []byte(` errors="0" skipped="0"`), nil, 1)
	if bytes.Equal(broken, doc) {
		t.Fatal("sample output has no errors/skipped attributes to remove")
	}
	if err := validateJUnit(t, broken); err == nil {
		t.Error("xmllint accepted a testsuite without its errors attribute")
	}
	if err := validateJUnit(t, doc); err != nil {
		t.Error(err)
	}
}

// GitLab and Jenkins keep one test case per classname and name: findings
// of one rule on one resource (two statements, the same template twice)
// get distinct names, and every finding is counted.
func TestJUnitDistinctNames(t *testing.T) {
	r := sample()
	base := result.Misconfiguration{RuleID: "FNS-CFG-002", Title: "wildcard action", Severity: "HIGH", Resource: "AdminGetOrders", ResourceType: "AWS::Serverless::Function"}
	r.Misconfigurations = nil
	for _, at := range []struct {
		file string
		line int
	}{{"a/template.yml", 10}, {"a/template.yml", 14}, {"b/template.yml", 10}, {"b/template.yml", 10}} {
		m := base
		m.File, m.Line = at.file, at.line
		r.Misconfigurations = append(r.Misconfigurations, m)
	}
	v := policy.Evaluate(r, policy.Config{FailOn: "high"})
	r.Verdict = &v
	d := parseJUnit(t, writeJUnit(t, r))
	s := suite(t, d, junitSuiteConfig)
	seen := map[string]bool{}
	for _, c := range s.Cases {
		k := c.Classname + "\x00" + c.Name
		if seen[k] {
			t.Errorf("two cases named %q in %q", c.Name, c.Classname)
		}
		seen[k] = true
	}
	if s.Failures != 4 || len(seen) != 4 {
		t.Errorf("%d failures, %d distinct cases; want 4 and 4: %+v", s.Failures, len(seen), s.Cases)
	}
	if !seen["AdminGetOrders (AWS::Serverless::Function)\x00FNS-CFG-002 AdminGetOrders at a/template.yml:14"] {
		t.Errorf("cases %v", seen)
	}
}
