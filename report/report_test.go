package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/policy"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
	"github.com/fnscan/fnscan/vuln"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample is a small scan result: two instances of one vulnerable package
// (function and layer), one secret.
func sample() *Report {
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
	r := Build(res, found, nil, pkgs, sec, []artifact.Warning{{Path: "fn.zip!lib/broken.jar", Message: "skipped corrupt archive: not a valid zip archive"}}, "test")
	v := policy.Evaluate(found, sec.Findings, policy.Config{FailOn: "high", Secrets: true})
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
		golden := filepath.Join("testdata", "sample."+name+".golden")
		if *update {
			os.WriteFile(golden, buf.Bytes(), 0o644)
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./report -update)", err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s output differs from %s:\n%s", name, golden, buf.String())
		}
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
