package policy

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fnscan/fnscan/vuln"
)

func vexDoc(t *testing.T, body string) ([]Statement, error) {
	p := filepath.Join(t.TempDir(), "v.json")
	os.WriteFile(p, []byte(body), 0o644)
	return LoadVEX(p)
}

func TestZZReview(t *testing.T) {
	f := func(id string, aliases []string, purl string) vuln.Finding {
		return vuln.Finding{ID: id, Aliases: aliases, Package: vuln.Package{Name: "x", Version: "1", PURL: purl}}
	}
	cases := []struct{ name, doc string; fin vuln.Finding }{
		{"noproducts", `{"statements":[{"vulnerability":{"name":"CVE-1"},"status":"not_affected","justification":"component_not_present"}]}`, f("GHSA-1", []string{"CVE-1"}, "pkg:npm/a@1")},
		{"nullproducts", `{"statements":[{"vulnerability":{"name":"CVE-1"},"products":null,"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"emptyproducts", `{"statements":[{"vulnerability":{"name":"CVE-1"},"products":[],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"aliasInVEX", `{"statements":[{"vulnerability":{"name":"CVE-1","aliases":["GHSA-1"]},"products":[{"@id":"pkg:npm/a"}],"status":"not_affected"}]}`, f("GHSA-1", nil, "pkg:npm/a@1")},
		{"atIdOnly", `{"statements":[{"vulnerability":{"@id":"https://nvd.nist.gov/vuln/detail/CVE-1","name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"identifiersPurl", `{"statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"https://example.com/p","identifiers":{"purl":"pkg:npm/a@1"}}],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"subcompIdentifiers", `{"statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:oci/fn","subcomponents":[{"identifiers":{"purl":"pkg:npm/a@1"}}]}],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"otherImageSubcomp", `{"statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:oci/other@sha256%3Adeadbeef","subcomponents":[{"@id":"pkg:npm/a"}]}],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"pypiNorm", `{"statements":[{"vulnerability":"CVE-1","products":["pkg:pypi/foo-bar@1.0"],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:pypi/Foo_Bar@1.0")},
		{"pypiNorm2", `{"statements":[{"vulnerability":"CVE-1","products":["pkg:pypi/foo-bar"],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:pypi/foo.bar@1.0")},
		{"goV", `{"statements":[{"vulnerability":"CVE-1","products":["pkg:golang/github.com/a/b/v2@2.1.0"],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:golang/github.com/a/b/v2@v2.1.0")},
		{"goMajorDiff", `{"statements":[{"vulnerability":"CVE-1","products":["pkg:golang/github.com/a/b"],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:golang/github.com/a/b/v2@v2.1.0")},
		{"plus", `{"statements":[{"vulnerability":"CVE-1","products":["pkg:maven/g/a@1.0%2Bbuild"],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:maven/g/a@1.0+build")},
		{"mavenCase", `{"statements":[{"vulnerability":"CVE-1","products":["pkg:maven/COM.Foo/Bar@1"],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:maven/com.foo/bar@1")},
		{"npmScopeRaw", `{"statements":[{"vulnerability":"CVE-1","products":["pkg:npm/@acme/util"],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/%40acme/util@1.0.0")},
		{"npmScopeVsUnscoped", `{"statements":[{"vulnerability":"CVE-1","products":["pkg:npm/util"],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/%40acme/util@1.0.0")},
		{"typeless", `{"statements":[{"vulnerability":"CVE-1","products":["pkg:npm/a@"],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"notpurl", `{"statements":[{"vulnerability":"CVE-1","products":["lodash"],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/lodash@1")},
		{"productsNumber", `{"statements":[{"vulnerability":"CVE-1","products":5,"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"productNumber", `{"statements":[{"vulnerability":"CVE-1","products":[5],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"vulnNumber", `{"statements":[{"vulnerability":5,"products":["pkg:npm/a"],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"statementsNull", `{"statements":null}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"stmtNull", `{"statements":[null]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"badJustification", `{"statements":[{"vulnerability":"CVE-1","products":["pkg:npm/a"],"status":"not_affected","justification":"because"}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"notAffectedNoJust", `{"statements":[{"vulnerability":"CVE-1","products":["pkg:npm/a"],"status":"not_affected"}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"cdxNoVulns", `{"bomFormat":"CycloneDX","specVersion":"1.6"}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"cdxBOMLink", `{"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"not_affected"},"affects":[{"ref":"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:npm/a@1?package-id=123"}]}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"cdxBOMLinkEnc", `{"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"not_affected"},"affects":[{"ref":"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg%3Anpm%2F%2540acme%2Futil%401.0.0"}]}]}`, f("CVE-1", nil, "pkg:npm/%40acme/util@1.0.0")},
		{"cdxVersionsUnaffected", `{"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"not_affected"},"affects":[{"ref":"pkg:npm/a","versions":[{"version":"2","status":"unaffected"}]}]}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"cdxAffectsNumber", `{"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"not_affected"},"affects":5}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"cdxBadState", `{"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"totally_fine"},"affects":[{"ref":"pkg:npm/a"}]}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"cdxRefsAlias", `{"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[{"id":"SNYK-1","references":[{"id":"CVE-1"}],"analysis":{"state":"not_affected"},"affects":[{"ref":"pkg:npm/a"}]}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"cdxXML", `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6"/>`, f("CVE-1", nil, "pkg:npm/a@1")},
		{"cdxTargetRef", `{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"bom-ref":"fnscan:target","name":"fn"}},"vulnerabilities":[{"id":"CVE-1","analysis":{"state":"not_affected"},"affects":[{"ref":"fnscan:target"}]}]}`, f("CVE-1", nil, "pkg:npm/a@1")},
	}
	for _, c := range cases {
		st, err := vexDoc(t, c.doc)
		if err != nil {
			t.Logf("%-22s ERR %v", c.name, err)
			continue
		}
		out := Rules{VEX: st, Target: "abc"}.Apply([]vuln.Finding{c.fin}, nil)
		t.Logf("%-22s stmts=%d suppressed=%v %+v", c.name, len(st), len(out.SuppressedVulns) == 1, st)
	}
}

func TestZZExpiry(t *testing.T) {
	for _, e := range []string{"2026-12-31", "2026-12-31T00:00:00+10:00", "2026-12-31T10:00:00", "2026-02-30", "'2026-12-31'", "20261231", "2026-12-31 10:00:00"} {
		p := filepath.Join(t.TempDir(), "p.yaml")
		os.WriteFile(p, []byte("ignore:\n  - id: CVE-1\n    reason: r\n    expires: "+e+"\n"), 0o644)
		f, err := LoadFile(p)
		if err != nil {
			t.Logf("%s: ERR %v", e, err)
			continue
		}
		t.Logf("%s: expires=%q until=%v", e, f.Ignore[0].Expires, f.Ignore[0].until)
	}
	for _, body := range []string{"ignore:\n  - id: CVE-1\n    reson: typo\n", "- a\n", "ignore: 5\n", "ignore:\n  - null\n", "ignore:\n  - rule: '*'\n    reason: ' '\n", "failOn: HIGH\n", "failOn: none\n", "---\n---\nfailOn: high\n", "failOn: low\n---\nfailOn: bogus\n", "ignore:\n  - id: CVE-1\n    reason: r\n  - id: CVE-1\n    reason: r\n", "vex: [a.json]\nvex: [b.json]\n"} {
		p := filepath.Join(t.TempDir(), "p.yaml")
		os.WriteFile(p, []byte(body), 0o644)
		f, err := LoadFile(p)
		t.Logf("%q: %+v err=%q", body, f, err)
	}
	_ = time.Now
}
