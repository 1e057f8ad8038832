package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/policy"
	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
	"github.com/fnscan/fnscan/vuln"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample is a small scan result: two instances of one vulnerable package
// (function and layer), one secret.
func sample() *result.Result {
	fn := artifact.Origin{Kind: artifact.OriginFunction, Name: "fn.zip", SHA256: strings.Repeat("a", 64)}
	layer := artifact.Origin{Kind: artifact.OriginLayer, Name: "deps.zip", SHA256: strings.Repeat("b", 64), Index: 1}
	res := &sbom.Result{
		Subject: sbom.Subject{Name: "fn.zip", Kind: "zip", SHA256: strings.Repeat("a", 64), CodeSHA256: "qqqq"},
		Parts:   []artifact.Origin{fn, layer},
		Components: []sbom.Component{
			{Name: "qs", Version: "0.6.6", PURL: "pkg:npm/qs@0.6.6", Locations: []sbom.Location{{Path: "fn.zip!node_modules/qs/package.json", Origin: fn}}},
			{Name: "qs", Version: "0.6.6", PURL: "pkg:npm/qs@0.6.6", Locations: []sbom.Location{{Path: "deps.zip!nodejs/node_modules/qs/package.json", Origin: layer}}},
		},
	}
	pkgs := []vuln.Package{{Name: "qs", Version: "0.6.6", PURL: "pkg:npm/qs@0.6.6"}, {Name: "qs", Version: "0.6.6", PURL: "pkg:npm/qs@0.6.6"}}
	found := []vuln.Finding{{
		ID: "GHSA-hrpp-h998-j3pp", Aliases: []string{"CVE-2022-24999"}, Summary: "qs vulnerable to Prototype Pollution",
		Severity:      vuln.Severity{Level: "HIGH", Score: 7.5, Source: "CVSS:3.1"},
		CVSS:          []vuln.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5}},
		FixedVersions: []string{"6.2.4"}, PackageIndex: []int{0, 1}, Package: pkgs[0],
	}}
	sec := secrets.Result{Findings: []secrets.Finding{{
		RuleID: "github-pat", Description: "GitHub Personal Access Token", Path: "fn.zip!index.js", Line: 2,
		Origin: fn, Fingerprint: "0123456789abcdef0123456789abcdef", Redacted: "ghp_…(40 chars)", Length: 40, Source: "content",
	}}}
	r := result.New(res, "test")
	r.Stages = []string{result.StageSBOM, result.StageVulns, result.StageSecrets, result.StageConfig}
	r.AddVulnerabilities(found, res.Components)
	r.Misconfigurations = append(r.Misconfigurations, result.Misconfiguration{
		RuleID: "FNS-CFG-003", Title: "write actions on all resources", Severity: "HIGH", Resource: "OrderFunction",
		ResourceType: "AWS::Serverless::Function", File: "fn.zip!template.yaml", Line: 42,
		Evidence: "dynamodb:PutItem on *", Remediation: "Name the tables the function writes.", CheckovID: "CKV_AWS_111",
	})
	r.Secrets = append(r.Secrets, sec.Findings...)
	r.Warnings = append(r.Warnings, artifact.Warning{Path: "fn.zip!lib/broken.jar", Message: "skipped corrupt archive: not a valid zip archive", Unscanned: true})
	v := policy.Evaluate(r, policy.Config{FailOn: "high", Secrets: true})
	r.Verdict = &v
	return r
}

func TestGolden(t *testing.T) {
	r := sample()
	if len(r.Vulnerabilities) != 2 {
		t.Fatalf("one finding in two places gave %d entries, want 2 (one per location)", len(r.Vulnerabilities))
	}
	for _, name := range []string{"table", "json", "sarif", "markdown"} {
		f, ok := Lookup(name)
		if !ok {
			t.Fatalf("format %s not registered", name)
		}
		var buf bytes.Buffer
		if err := f.Write(&buf, r); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "sample."+name+".golden", buf.Bytes())
	}
}

// checkGolden compares got with testdata/file, or rewrites it with -update.
func checkGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", file)
	if *update {
		os.WriteFile(golden, got, 0o644)
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\n%s", golden, got)
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain/path.js":      "plain/path.js",
		"a\x1b]0;pwned\x07b": `a\x1b]0;pwned\x07b`,
		"csi\u009b2J":        `csi\x9b2J`,
		"bad\xffutf8":        `bad\xffutf8`,
		"tab\tand\nline":     `tab\x09and\x0aline`,
		"ünïcode ok":         "ünïcode ok",
		"bidi\u202eoverride": `bidi\u202eoverride`,
	} {
		if got := Printable(in, ""); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Printable("a\tb\nc\x1b", "\n\t"); got != "a\tb\nc\\x1b" {
		t.Errorf("keeping tabs and newlines: %q", got)
	}
}

// sampleSuppressed has two qs findings (each in two places) taken out, one
// by VEX and one by an ignore, and a secret taken out by an ignore.
func sampleSuppressed() *result.Result {
	r := sample()
	res := r.SBOM
	pkgs := []vuln.Package{{Name: "qs", Version: "0.6.6", PURL: "pkg:npm/qs@0.6.6"}, {Name: "qs", Version: "0.6.6", PURL: "pkg:npm/qs@0.6.6"}}
	qs := vuln.Finding{
		ID: "GHSA-hrpp-h998-j3pp", Aliases: []string{"CVE-2022-24999"}, Summary: "qs vulnerable to Prototype Pollution",
		Severity: vuln.Severity{Level: "HIGH", Score: 7.5, Source: "CVSS:3.1"}, FixedVersions: []string{"6.2.4"},
		PackageIndex: []int{0, 1}, Package: pkgs[0],
	}
	other := qs
	other.ID, other.Aliases, other.Summary = "GHSA-gqgv-6jq5-jjj9", []string{"CVE-2017-1000048"}, "Prototype Pollution Protection Bypass in qs"
	supp := map[string]result.Suppression{
		qs.ID:    {Kind: "vex", Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path", Reason: "qs.parse never sees user input", Source: "vex/openvex.json"},
		other.ID: {Kind: "ignore", Reason: "upgrade in sprint 42", Expires: "2027-01-31", Source: "fnscan-policy.yaml"},
	}
	sec := secrets.Result{Suppressed: []secrets.Finding{{
		RuleID: "github-pat", Description: "GitHub Personal Access Token", Path: "fn.zip!test/fixtures.js", Line: 2,
		Origin: res.Parts[0], Fingerprint: "0123456789abcdef0123456789abcdef", Redacted: "ghp_…(40 chars)", Length: 40, Source: "content",
		Reason: "ignored: test fixtures",
	}}}
	out := result.New(res, "test")
	out.Stages = []string{result.StageSBOM, result.StageVulns, result.StageSecrets, result.StageConfig}
	out.AddVulnerabilities([]vuln.Finding{qs, other}, res.Components)
	out.SuppressedMisconfigurations = append(out.SuppressedMisconfigurations, result.Misconfiguration{
		RuleID: "FNS-CFG-030", Title: "no code signing", Severity: "LOW", Resource: "OrderFunction", File: "fn.zip!template.yaml", Line: 40,
		Suppression: &result.Suppression{Kind: "ignore", Reason: "signing arrives with the new pipeline", Source: "fnscan-policy.yaml"},
	})
	for _, v := range out.Vulnerabilities {
		s := supp[v.ID]
		v.Suppression = &s
		out.SuppressedVulnerabilities = append(out.SuppressedVulnerabilities, v)
	}
	out.Vulnerabilities = []result.Vulnerability{}
	result.SortVulnerabilities(out.SuppressedVulnerabilities)
	out.Suppressed = sec.Suppressed
	v := policy.Evaluate(out, policy.Config{FailOn: "high", Secrets: true})
	out.Verdict, out.Reproducible = &v, true
	return out
}

// Suppressed findings appear in every format with why, and each format
// stays valid against its schema.
func TestGoldenSuppressed(t *testing.T) {
	r := sampleSuppressed()
	if len(r.Vulnerabilities) != 0 || len(r.SuppressedVulnerabilities) != 4 {
		t.Fatalf("%d counted, %d suppressed; want 0 and 2 findings x 2 places", len(r.Vulnerabilities), len(r.SuppressedVulnerabilities))
	}
	outs := map[string][]byte{}
	for _, name := range []string{"table", "json", "sarif", "markdown", "cyclonedx-vex"} {
		f, _ := Lookup(name)
		var buf bytes.Buffer
		if err := f.Write(&buf, r); err != nil {
			t.Fatal(err)
		}
		outs[name] = buf.Bytes()
		checkGolden(t, "suppressed."+name+".golden", buf.Bytes())
		if name != "json" && name != "cyclonedx-vex" && (!bytes.Contains(buf.Bytes(), []byte("upgrade in sprint 42")) || !bytes.Contains(buf.Bytes(), []byte("vulnerable_code_not_in_execute_path"))) {
			t.Errorf("%s does not say why findings were suppressed", name)
		}
	}
	for name, schema := range map[string]string{"json": "../docs/report.schema.json", "sarif": "../testdata/sarif/sarif-schema-2.1.0.json"} {
		s, err := jsonschema.NewCompiler().Compile(schema)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(outs[name]))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(doc); err != nil {
			t.Errorf("%s invalid: %v", name, err)
		}
	}
	if err := sbom.ValidateCycloneDXJSON(outs["cyclonedx-vex"]); err != nil {
		t.Errorf("cyclonedx-vex invalid: %v", err)
	}
	for _, want := range []string{`"state": "not_affected"`, `"justification": "code_not_reachable"`, `"state": "in_triage"`} {
		if !bytes.Contains(outs["cyclonedx-vex"], []byte(want)) {
			t.Errorf("cyclonedx-vex lacks %s", want)
		}
	}
}

// Issue 14 item 17: a finding with 100k fixed versions used to make every
// table row as wide as their list (30 MB for one record).
func TestTableSummarisesFixedVersions(t *testing.T) {
	r := sample()
	const n = 100_000
	fixed := make([]string, n)
	for i := range fixed {
		fixed[i] = fmt.Sprintf("1.%d.0", i)
	}
	fixed[1] = strings.Repeat("9", 1000) // one very long version too
	r.Vulnerabilities[0].FixedVersions = fixed
	table, _ := Lookup("table")
	var buf bytes.Buffer
	if err := table.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	t.Logf("table with %d fixed versions: %d bytes", n, len(out))
	if len(out) > 64<<10 {
		t.Errorf("table is %d bytes, want under 64 KiB", len(out))
	}
	if !strings.Contains(out, "1.0.0, 99999999999999999999999…, 1.2.0 (+99997 more)") {
		t.Errorf("FIXED IN cell does not show the first versions and the count:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if len([]rune(line)) > 200 {
			t.Errorf("line of %d characters: %q", len([]rune(line)), line)
		}
	}
	js, _ := Lookup("json")
	buf.Reset()
	if err := js.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Vulnerabilities []struct {
			FixedVersions []string `json:"fixedVersions"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Vulnerabilities) == 0 || len(doc.Vulnerabilities[0].FixedVersions) != n {
		t.Errorf("JSON does not keep the full list of %d fixed versions", n)
	}
}

// Names from the target are inert in Markdown: no links, images or
// mentions in a pull request comment.
func TestMarkdownInertNames(t *testing.T) {
	r := sample()
	r.Vulnerabilities[0].Package.Name = "![x](https://evil.example/p.png)"
	r.Vulnerabilities[1].Package.Name = "@org/team"
	var b bytes.Buffer
	f, _ := Lookup("markdown")
	if err := f.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"![x](", "| @org/team"} {
		if strings.Contains(out, bad) {
			t.Errorf("markdown keeps %q live:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, `!\[x\](https://evil.example/p.png)`) || !strings.Contains(out, `\@org/team`) {
		t.Errorf("names not shown escaped:\n%s", out)
	}
}

// SARIF names files as code scanning resolves them: a directory target's
// files and config files given by path relative to the working directory
// (the repository root in CI), or as file:// URIs outside it; an image's
// paths stay its own. A severity from the GHSA rating alone scores its
// level, and every result has a fingerprint.
func TestSarifPaths(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	sarifOf := func(r *result.Result) map[string]any {
		t.Helper()
		f, _ := Lookup("sarif")
		var buf bytes.Buffer
		if err := f.Write(&buf, r); err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		return doc["runs"].([]any)[0].(map[string]any)
	}
	uris := func(run map[string]any) []string {
		var out []string
		for _, res := range run["results"].([]any) {
			rm := res.(map[string]any)
			if _, ok := rm["partialFingerprints"].(map[string]any)["fnscan/v1"]; !ok {
				t.Errorf("%v has no fingerprint", rm["ruleId"])
			}
			loc := rm["locations"].([]any)[0].(map[string]any)
			out = append(out, loc["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)["uri"].(string))
		}
		return out
	}
	mis := func(file string) result.Misconfiguration {
		return result.Misconfiguration{RuleID: "FNS-CFG-010", Title: "public", Severity: "HIGH", Resource: "Fn", File: file, Line: 3}
	}
	for _, c := range []struct {
		target result.Target
		files  []string
		want   []string
	}{
		{result.Target{Name: "fn", Kind: "dir", Dir: filepath.Join(cwd, "testdata", "fn")},
			[]string{"fn/template.yaml", "fn/sub dir/serverless.yml", "fn/deps.zip!template.yaml"},
			[]string{"testdata/fn/template.yaml", "testdata/fn/sub%20dir/serverless.yml", "fn/deps.zip!template.yaml"}},
		{result.Target{Name: "fn", Kind: "dir", Dir: filepath.Join(outside, "fn")},
			[]string{"fn/template.yaml"}, []string{"file://" + filepath.ToSlash(filepath.Join(outside, "fn", "template.yaml"))}},
		{result.Target{Name: "config", Kind: "config"},
			[]string{filepath.Join(cwd, "t.yaml"), filepath.Join(outside, "t.yaml"), "rel/t.yaml"},
			[]string{"t.yaml", "file://" + filepath.ToSlash(filepath.Join(outside, "t.yaml")), "rel/t.yaml"}},
		{result.Target{Name: "img:1", Kind: "docker-archive"},
			[]string{"/var/task/template.yaml"}, []string{"var/task/template.yaml"}},
		// An SBOM's paths are the described system's, not this machine's.
		{result.Target{Name: "bom.json", Kind: "sbom"},
			[]string{"/package-lock.json"}, []string{"package-lock.json"}},
	} {
		r := &result.Result{Target: c.target}
		for _, f := range c.files {
			r.Misconfigurations = append(r.Misconfigurations, mis(f))
		}
		if got := uris(sarifOf(r)); strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s %s: uris %q, want %q", c.target.Kind, c.target.Dir, got, c.want)
		}
	}

	r := &result.Result{Target: result.Target{Name: "fn.zip", Kind: "zip"}, Vulnerabilities: []result.Vulnerability{{
		ID: "GHSA-xxxx-xxxx-xxxx", Severity: "HIGH", SeveritySource: "ghsa",
		Package:   result.Package{Name: "qs", Version: "6.0.0", PURL: "pkg:npm/qs@6.0.0"},
		Locations: []sbom.Location{{Path: "fn.zip!node_modules/qs/package.json"}},
	}}}
	run := sarifOf(r)
	rule := run["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)[0].(map[string]any)
	if s := rule["properties"].(map[string]any)["security-severity"]; s != "7.5" {
		t.Errorf("security-severity of a GHSA-rated HIGH: %v", s)
	}
	if got := uris(run); got[0] != "fn.zip!node_modules/qs/package.json" {
		t.Errorf("uri %q", got[0])
	}
}

// A CycloneDX rating's severity is its own score's: a CVSS v2 1.0 beside a
// v3.1 9.8 is low, not the finding's critical; a severity from the GHSA
// rating is a rating of its own.
func TestCycloneDXRatings(t *testing.T) {
	r := &result.Result{Target: result.Target{Name: "fn.zip", Kind: "zip"}, SBOM: &sbom.Result{}, Vulnerabilities: []result.Vulnerability{
		{ID: "GHSA-aaaa-aaaa-aaaa", Severity: "CRITICAL", SeverityScore: 9.8, SeveritySource: "cvss",
			Package: result.Package{Name: "qs", Version: "6.0.0", PURL: "pkg:npm/qs@6.0.0"},
			CVSS:    []result.CVSS{{Version: "2.0", Vector: "AV:L/AC:H/Au:M/C:N/I:N/A:P", Score: 1.0}, {Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}}},
		{ID: "GHSA-bbbb-bbbb-bbbb", Severity: "HIGH", SeverityScore: 5.3, SeveritySource: "ghsa",
			Package: result.Package{Name: "qs", Version: "6.0.0", PURL: "pkg:npm/qs@6.0.0"},
			CVSS:    []result.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", Score: 5.3}}},
	}}
	var got []string
	for _, v := range cdxVulnerabilities(r) {
		for _, rt := range *v.Ratings {
			got = append(got, fmt.Sprintf("%s %s %s", v.ID, rt.Method, rt.Severity))
		}
	}
	want := "GHSA-aaaa-aaaa-aaaa CVSSv2 low|GHSA-aaaa-aaaa-aaaa CVSSv31 critical|GHSA-bbbb-bbbb-bbbb CVSSv31 medium|GHSA-bbbb-bbbb-bbbb other high"
	if strings.Join(got, "|") != want {
		t.Errorf("ratings\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}

// A Markdown report is a pull request comment: past GitHub's 65,536
// characters it is cut at a row, and says how many rows it left out.
func TestMarkdownFitsAComment(t *testing.T) {
	r := sample()
	var ms []result.Misconfiguration
	for i := range 2000 {
		ms = append(ms, result.Misconfiguration{RuleID: "FNS-CFG-003", Title: "write actions on all resources", Severity: "HIGH",
			Resource: fmt.Sprintf("Function%04d", i), File: "fn.zip!template.yaml", Line: i + 1, Evidence: "dynamodb:PutItem on *"})
	}
	r.Misconfigurations = ms
	f, _ := Lookup("markdown")
	var buf bytes.Buffer
	if err := f.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := len([]rune(out)); n > 65536 {
		t.Errorf("%d characters", n)
	}
	if !strings.Contains(out, "**Verdict: fail**") || !strings.Contains(out, "| GHSA-hrpp-h998-j3pp |") {
		t.Error("the verdict or the first findings were cut")
	}
	shown := strings.Count(out, "| FNS-CFG-003 |")
	if !strings.Contains(out, "more rows not shown") {
		t.Errorf("no note of what was left out (%d of 2000 shown)", shown)
	}
	if shown == 0 || shown == 2000 {
		t.Errorf("%d of 2000 rows shown", shown)
	}
}

// A finding a VEX statement keeps in the gate (affected, under
// investigation) carries the statement: in the JSON report, valid against
// its schema, and as the CycloneDX analysis.
func TestVEXKeptFindings(t *testing.T) {
	s, err := jsonschema.NewCompiler().Compile("../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for status, state := range map[string]string{"affected": "exploitable", "under_investigation": "in_triage"} {
		r := sample()
		for i := range r.Vulnerabilities {
			r.Vulnerabilities[i].VEX = &result.Suppression{Kind: "vex", Status: status, Reason: "upgrade planned", Source: "vex.json"}
		}
		outs := map[string][]byte{}
		for _, name := range []string{"json", "cyclonedx-vex"} {
			f, _ := Lookup(name)
			var buf bytes.Buffer
			if err := f.Write(&buf, r); err != nil {
				t.Fatal(err)
			}
			outs[name] = buf.Bytes()
		}
		doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(outs["json"]))
		if err := s.Validate(doc); err != nil {
			t.Errorf("%s: json invalid: %v", status, err)
		}
		for _, want := range []string{`"state": "` + state + `"`, `"detail": "upgrade planned"`} {
			if !bytes.Contains(outs["cyclonedx-vex"], []byte(want)) {
				t.Errorf("%s: cyclonedx-vex lacks %s", status, want)
			}
		}
		if err := sbom.ValidateCycloneDXJSON(outs["cyclonedx-vex"]); err != nil {
			t.Errorf("%s: cyclonedx-vex invalid: %v", status, err)
		}
	}
}
