package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/fnscan/fnscan/internal/fixture"
)

func repoTestdata(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "testdata"}, parts...)...)
}

// fnscan runs the CLI in-process and returns stdout, stderr and the status.
func fnscan(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

func importDB(t *testing.T, sources ...string) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "db")
	if _, stderr, code := fnscan(t, append([]string{"db", "import", "--db", db}, sources...)...); code != 0 {
		t.Fatalf("db import: %d %s", code, stderr)
	}
	return db
}

type jsonReport struct {
	Target struct {
		Name, Kind, SHA256, Platform string
	}
	Components []struct {
		Name, Version, PURL, Ecosystem string
	}
	Vulnerabilities []struct {
		ID            string
		Aliases       []string
		Severity      string
		FixedVersions []string
		Package       struct{ Name, Version, PURL, Ecosystem string }
		Locations     []struct {
			Path   string
			Origin struct{ Kind, Name, SHA256 string }
		}
	}
	Secrets []struct {
		RuleID, Path, Redacted, Fingerprint string
		Line                                int
	}
	Verdict struct{ Pass bool }
}

func scanJSON(t *testing.T, args ...string) jsonReport {
	t.Helper()
	out, stderr, code := fnscan(t, append([]string{"scan", "-o", "json", "--quiet", "--fail-on", "none"}, args...)...)
	if code != 0 {
		t.Fatalf("scan %v: exit %d: %s", args, code, stderr)
	}
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report: %v", err)
	}
	return r
}

func zipFile(t *testing.T, name string, files map[string][]byte) string {
	t.Helper()
	p, err := fixture.WriteZip(t.TempDir(), name, files)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Issue 3, acceptance 1: the real DVSA package against the npm GHSA records
// gives exactly the (advisory, package) pairs osv-scanner v2.5.0 reports on
// the same records (its output, saved with provenance in testdata/osv).
func TestScanDVSAMatchesReference(t *testing.T) {
	golden := repoTestdata("osv", "dvsa-osv-scanner-v2.5.0-pairs.txt")
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Skipf("reference pairs not recorded yet (%v): run bench/osv-diff.sh", err)
	}
	want := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		want[f[0]+" "+f[1]+"@"+f[2]] = true
	}
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	r := scanJSON(t, "--db", db, "--no-secrets", repoTestdata("lambda", "dvsa-order-api.zip"))
	got := map[string]bool{}
	for _, v := range r.Vulnerabilities {
		key := v.Package.Name + "@" + v.Package.Version
		ids := append([]string{v.ID}, v.Aliases...)
		matched := false
		for _, id := range ids {
			if want[id+" "+key] {
				got[id+" "+key] = true
				matched = true
			}
		}
		if !matched {
			t.Errorf("fnscan reports %s for %s; the reference does not", v.ID, key)
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("reference reports %s; fnscan does not", k)
		}
	}
}

// Issue 9: neither the function's own package.json nor a package.json in a
// dependency's test fixtures is matched against advisories, though both
// carry the name and version of a vulnerable registry package; an
// installed package is.
func TestScanNoMatchForApplicationOrFixtures(t *testing.T) {
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	fn := zipFile(t, "fn.zip", map[string][]byte{
		"package.json":                                    []byte(`{"name":"node-serialize","version":"0.0.4","dependencies":{"minimist":"0.0.10"}}`),
		"node_modules/minimist/package.json":              []byte(`{"name":"minimist","version":"0.0.10"}`),
		"node_modules/minimist/test/fixture/package.json": []byte(`{"name":"qs","version":"0.6.6"}`),
	})
	r := scanJSON(t, "--db", db, "--no-secrets", fn)
	if len(r.Components) != 1 || r.Components[0].Name != "minimist" {
		t.Errorf("components %+v", r.Components)
	}
	if len(r.Vulnerabilities) == 0 {
		t.Fatal("minimist 0.0.10 not matched: the check below proves nothing")
	}
	for _, v := range r.Vulnerabilities {
		if v.Package.Name != "minimist" || v.Locations[0].Path != "fn.zip!node_modules/minimist/package.json" {
			t.Errorf("%s for %s@%s at %+v", v.ID, v.Package.Name, v.Package.Version, v.Locations)
		}
	}
}

// Issue 3, acceptance 2: the real guava jar nested in a layer zip is found
// inside the jar inside the layer, with its advisories.
func TestScanGuavaInLayer(t *testing.T) {
	guava, err := os.ReadFile(repoTestdata("jars", "guava-31.1-jre.jar"))
	if err != nil {
		t.Fatal(err)
	}
	fn := zipFile(t, "fn.zip", map[string][]byte{"Handler.class": []byte("\xca\xfe\xba\xbe")})
	layer := zipFile(t, "java-libs.zip", map[string][]byte{"java/lib/guava-31.1-jre.jar": guava})
	db := importDB(t, repoTestdata("osv", "maven-ghsa-sample.zip"))
	r := scanJSON(t, "--db", db, "--no-secrets", fn, "--layer", layer)
	ids := map[string]bool{}
	for _, v := range r.Vulnerabilities {
		if v.Package.Name != "guava" {
			continue
		}
		ids[v.ID] = true
		l := v.Locations[0]
		if l.Path != "java-libs.zip!java/lib/guava-31.1-jre.jar!META-INF/maven/com.google.guava/guava/pom.properties" || l.Origin.Kind != "layer" || l.Origin.Name != "java-libs.zip" {
			t.Errorf("%s located at %+v", v.ID, l)
		}
	}
	for _, id := range []string{"GHSA-5mg8-w23w-74h3", "GHSA-7g45-4rm6-3mm3"} {
		if !ids[id] {
			t.Errorf("%s not found for guava 31.1-jre (got %v)", id, ids)
		}
	}
	if ids["GHSA-mvr2-9pj6-7w5j"] {
		t.Error("GHSA-mvr2-9pj6-7w5j (fixed in 24.1.1) reported for 31.1-jre")
	}
}

// Issue 3, acceptance 3: Go bootstrap binaries built from a module version a
// GO- record covers, and from the fixed version.
func TestScanGoBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go binaries")
	}
	db := importDB(t, repoTestdata("osv", "go"))
	build := func(version string) string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/fn\n\ngo 1.22\n\nrequire golang.org/x/text "+version+"\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport (\n\t\"fmt\"\n\n\t\"golang.org/x/text/language\"\n)\n\nfunc main() { fmt.Println(language.English) }\n"), 0o644)
		cmd := exec.Command("go", "build", "-o", "bootstrap", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOSUMDB=off", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("cannot build with golang.org/x/text %s (module proxy unreachable?): %v\n%s", version, err, out)
		}
		bin, _ := os.ReadFile(filepath.Join(dir, "bootstrap"))
		return zipFile(t, "fn-"+version+".zip", map[string][]byte{"bootstrap": bin})
	}
	has := func(r jsonReport, id string) bool {
		for _, v := range r.Vulnerabilities {
			if v.ID == id && v.Package.Name == "golang.org/x/text" {
				return true
			}
		}
		return false
	}
	vulnerable := scanJSON(t, "--db", db, "--no-secrets", build("v0.3.6"))
	if !has(vulnerable, "GO-2021-0113") {
		t.Errorf("GO-2021-0113 not found in a binary built with golang.org/x/text v0.3.6: %+v", vulnerable.Vulnerabilities)
	}
	fixed := scanJSON(t, "--db", db, "--no-secrets", build("v0.3.7"))
	if has(fixed, "GO-2021-0113") {
		t.Error("GO-2021-0113 reported for golang.org/x/text v0.3.7, the fixed version")
	}
}

// Issue 3, acceptance 4: a Python layer with versions inside a range, at
// `fixed`, and at `last_affected`.
func TestScanPythonBoundaries(t *testing.T) {
	db := importDB(t, repoTestdata("osv", "pypa"))
	sp := "python/lib/python3.12/site-packages/"
	dist := func(name, version string) (string, []byte) {
		return sp + name + "-" + version + ".dist-info/METADATA", []byte("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n")
	}
	files := map[string][]byte{}
	for _, nv := range [][2]string{{"sqlparse", "0.4.1"}} {
		k, v := dist(nv[0], nv[1])
		files[k] = v
	}
	inside := zipFile(t, "inside.zip", files)
	k1, v1 := dist("sqlparse", "0.4.2")
	atFixed := zipFile(t, "at-fixed.zip", map[string][]byte{k1: v1})
	k2, v2 := dist("py", "1.11.0")
	atLast := zipFile(t, "at-last.zip", map[string][]byte{k2: v2})
	k3, v3 := dist("py", "1.11.1")
	afterLast := zipFile(t, "after-last.zip", map[string][]byte{k3: v3})
	fn := zipFile(t, "fn.zip", map[string][]byte{"app.py": []byte("print(1)\n")})
	r := scanJSON(t, "--db", db, "--no-secrets", fn, "--layer", inside, "--layer", atFixed, "--layer", atLast, "--layer", afterLast)
	found := map[string]string{} // package@version -> id
	for _, v := range r.Vulnerabilities {
		found[v.Package.Name+"@"+v.Package.Version] = v.ID
		if v.Locations[0].Origin.Kind != "layer" {
			t.Errorf("%s: origin %+v", v.ID, v.Locations[0].Origin)
		}
	}
	if found["sqlparse@0.4.1"] != "PYSEC-2021-333" {
		t.Errorf("sqlparse 0.4.1 (inside [0.4.0, 0.4.2)) not reported: %v", found)
	}
	if _, ok := found["sqlparse@0.4.2"]; ok {
		t.Errorf("sqlparse 0.4.2 (the fixed version) reported")
	}
	if found["py@1.11.0"] != "PYSEC-2022-42969" {
		t.Errorf("py 1.11.0 (last_affected) not reported: %v", found)
	}
	if _, ok := found["py@1.11.1"]; ok {
		t.Errorf("py 1.11.1 (after last_affected) reported")
	}
}

// A missing database is an error that says how to get one, not a clean result.
func TestScanWithoutDB(t *testing.T) {
	_, stderr, code := fnscan(t, "scan", "--db", filepath.Join(t.TempDir(), "none"), repoTestdata("lambda", "dvsa-order-api.zip"))
	if code != 2 || !strings.Contains(stderr, "fnscan db import") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// validReport fails the test unless out validates against the JSON report
// schema, docs/report.schema.json.
func validReport(t *testing.T, out string) {
	t.Helper()
	validJSON(t, filepath.Join("..", "..", "docs", "report.schema.json"), out)
}

// validJSON fails the test unless doc validates against the JSON schema.
func validJSON(t *testing.T, schema, doc string) {
	t.Helper()
	s, err := jsonschema.NewCompiler().Compile(schema)
	if err != nil {
		t.Fatal(err)
	}
	d, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(d); err != nil {
		t.Errorf("invalid against %s: %v", filepath.Base(schema), err)
	}
}

// The JSON report validates against docs/report.schema.json.
func TestReportJSONSchema(t *testing.T) {
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	for _, target := range []string{repoTestdata("lambda", "dvsa-order-api.zip"), repoTestdata("images", "alpine-3.10-docker-archive.tar.gz")} {
		out, stderr, code := fnscan(t, "scan", "--db", db, "--fail-on", "none", "-o", "json", target)
		if code != 0 {
			t.Fatalf("%s: exit %d %s", target, code, stderr)
		}
		validReport(t, out)
	}
	// fnscan config writes the same report, of target kind config.
	out, stderr, code := fnscan(t, "config", "--fail-on", "none", "-o", "json", filepath.Join("..", "..", "deploy", "testdata", "dvsa-template.yml"))
	if code != 0 {
		t.Fatalf("config: exit %d %s", code, stderr)
	}
	validReport(t, out)
}

// A bundled function's npm packages cannot be checked: the report says so
// (the gate cannot vouch for them), on stderr and in its warnings.
func TestScanBundleWarning(t *testing.T) {
	var b strings.Builder
	b.WriteString("var __commonJS = (cb, mod) => function __require() { return mod; };\n")
	for _, m := range []string{"node_modules/axios/lib/axios.js", "node_modules/uuid/dist/index.js"} {
		b.WriteString("// " + m + "\nvar require_x = __commonJS({\n" + strings.Repeat("  x();\n", 4000) + "});\n")
	}
	b.WriteString("// src/handler.ts\nexports.handler = async () => 1;\n")
	fn := zipFile(t, "fn.zip", map[string][]byte{"index.js": []byte(b.String())})
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	out, stderr, code := fnscan(t, "scan", "--db", db, "--no-secrets", "-o", "json", fn)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Warnings []struct{ Path, Message string }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, w := range r.Warnings {
		found = found || (w.Path == "fn.zip!index.js" && strings.Contains(w.Message, "bundles 2 npm packages without their versions (axios, uuid)"))
	}
	if !found || !strings.Contains(stderr, "bundles 2 npm packages") {
		t.Errorf("report warnings %+v, stderr %q", r.Warnings, stderr)
	}
}
