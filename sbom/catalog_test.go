package sbom

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"
	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/internal/fixture"
)

func testdata(parts ...string) string {
	return filepath.Join(append([]string{"..", "testdata"}, parts...)...)
}

func catalogSpec(t *testing.T, spec string, layers ...string) *Result {
	t.Helper()
	tg, err := artifact.Open(context.Background(), spec, artifact.Options{Layers: layers, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	res, err := Catalog(context.Background(), tg, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// npmPURL builds the purl the npm purl spec gives a package name.
func npmPURL(name, version string) string {
	if strings.HasPrefix(name, "@") {
		name = "%40" + strings.TrimPrefix(name, "@")
	}
	return "pkg:npm/" + name + "@" + version
}

// Acceptance 1: every node_modules/**/package.json in the real DVSA package
// appears exactly once with its name, version and purl; nothing invented.
func TestDVSANodeModules(t *testing.T) {
	zipPath := testdata("lambda", "dvsa-order-api.zip")
	res := catalogSpec(t, zipPath)
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	want := map[string]string{} // virtual path -> purl
	for _, f := range zr.File {
		if !strings.Contains(f.Name, "node_modules/") || filepath.Base(f.Name) != "package.json" {
			continue
		}
		rc, _ := f.Open()
		var pj struct{ Name, Version string }
		err := json.NewDecoder(rc).Decode(&pj)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		want["dvsa-order-api.zip!"+f.Name] = npmPURL(pj.Name, pj.Version)
	}
	if len(want) < 50 {
		t.Fatalf("only %d package.json files in the fixture", len(want))
	}
	seen := map[string]int{}
	for _, c := range res.Components {
		if len(c.Locations) != 1 {
			t.Errorf("%s@%s: %d locations", c.Name, c.Version, len(c.Locations))
			continue
		}
		loc := c.Locations[0]
		seen[loc.Path]++
		if loc.Origin.Kind != artifact.OriginFunction || loc.Origin.SHA256 == "" {
			t.Errorf("%s: origin %+v", c.Name, loc.Origin)
		}
		if purl, ok := want[loc.Path]; ok {
			if c.PURL != purl {
				t.Errorf("%s: purl %q, want %q", loc.Path, c.PURL, purl)
			}
		} else {
			t.Errorf("component %s@%s at %s is not a node_modules package.json", c.Name, c.Version, loc.Path)
		}
	}
	// The function's own package.json is the application, not a component.
	if got := names(res.Applications); len(got) != 1 || got[0] != "order-api@1.0.0" || res.Applications[0].Locations[0].Path != "dvsa-order-api.zip!package.json" {
		t.Errorf("applications %v", got)
	}
	for p := range want {
		if seen[p] != 1 {
			t.Errorf("%s appears %d times", p, seen[p])
		}
	}

	// The dependency graph: request's declared dependencies, read from its
	// own package.json in the zip, are its dependsOn in the SBOM.
	var declared struct{ Dependencies map[string]string }
	for _, f := range zr.File {
		if f.Name == "node_modules/request/package.json" {
			rc, _ := f.Open()
			json.NewDecoder(rc).Decode(&declared)
			rc.Close()
		}
	}
	byRef := map[string]string{}
	var requestRef string
	for _, c := range res.Components {
		byRef[c.Ref] = c.Name
		if c.Name == "request" {
			requestRef = c.Ref
		}
	}
	deps := res.Dependencies()[requestRef]
	got := map[string]bool{}
	for _, d := range deps {
		got[byRef[d]] = true
	}
	if len(declared.Dependencies) == 0 {
		t.Fatal("request declares no dependencies in the fixture")
	}
	for name := range declared.Dependencies {
		if !got[name] {
			t.Errorf("request's dependency %s missing from the graph (got %v)", name, got)
		}
	}
}

// Acceptance 2: exactly the packages of the image's own apk database, with
// distro-qualified purls.
func TestAlpineImage(t *testing.T) {
	img := testdata("images", "alpine-3.10-docker-archive.tar.gz")
	res := catalogSpec(t, img)
	want := apkInstalled(t, img)
	if len(want) == 0 {
		t.Fatal("no packages read from the image's lib/apk/db/installed")
	}
	// The distribution is a component of its own, as syft writes it.
	var osComps []string
	for _, c := range *res.CycloneDX(Meta{Reproducible: true}).Components {
		if c.Type == cyclonedx.ComponentTypeOS {
			osComps = append(osComps, c.Name+"@"+c.Version)
		}
	}
	if strings.Join(osComps, " ") != "alpine@3.10.4" {
		t.Errorf("operating-system components %v", osComps)
	}
	got := map[string]string{}
	for _, c := range res.Components {
		if c.Type != "apk" {
			t.Errorf("non-apk component %s@%s (%s)", c.Name, c.Version, c.Type)
			continue
		}
		got[c.Name] = c.Version
		if !strings.HasPrefix(c.PURL, "pkg:apk/alpine/"+c.Name+"@"+c.Version) || !strings.Contains(c.PURL, "distro=alpine-3.10") {
			t.Errorf("%s: purl %q lacks the distro", c.Name, c.PURL)
		}
		if c.Locations[0].Path != "/lib/apk/db/installed" || c.Locations[0].Origin.Kind != artifact.OriginImageLayer || !strings.HasPrefix(c.Locations[0].Origin.Name, "sha256:") {
			t.Errorf("%s: location %+v", c.Name, c.Locations[0])
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d packages, image has %d", len(got), len(want))
	}
	for n, v := range want {
		if got[n] != v {
			t.Errorf("%s: got %q, image has %q", n, got[n], v)
		}
	}
}

// apkInstalled reads P:/V: pairs straight from the image's layer, without fnscan.
func apkInstalled(t *testing.T, img string) map[string]string {
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if !strings.HasSuffix(h.Name, ".tar") {
			continue
		}
		lr := tar.NewReader(tr)
		for {
			lh, err := lr.Next()
			if err != nil {
				break
			}
			if strings.TrimPrefix(lh.Name, "/") != "lib/apk/db/installed" {
				continue
			}
			var name string
			sc := bufio.NewScanner(lr)
			for sc.Scan() {
				line := sc.Text()
				if v, ok := strings.CutPrefix(line, "P:"); ok {
					name = v
				} else if v, ok := strings.CutPrefix(line, "V:"); ok {
					out[name] = v
				}
			}
		}
	}
	return out
}

func writeZip(t *testing.T, name string, files map[string][]byte) string {
	t.Helper()
	p, err := fixture.WriteZip(t.TempDir(), name, files)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Acceptance 3: a function zip with a Python layer (real dist-info) and a
// Java layer (the real guava jar): each component attributed to its layer.
func TestLayersAttribution(t *testing.T) {
	guava, err := os.ReadFile(testdata("jars", "guava-31.1-jre.jar"))
	if err != nil {
		t.Fatal(err)
	}
	fn := writeZip(t, "fn.zip", map[string][]byte{
		"index.py": []byte("import requests\n"),
	})
	sp := "python/lib/python3.12/site-packages/"
	pyLayer := writeZip(t, "py-deps.zip", map[string][]byte{
		sp + "requests-2.31.0.dist-info/METADATA":      []byte("Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n"),
		sp + "requests-2.31.0.dist-info/RECORD":        []byte("requests/__init__.py,,\n"),
		sp + "requests-2.31.0.dist-info/top_level.txt": []byte("requests\n"),
		sp + "requests/__init__.py":                    []byte("\n"),
		sp + "Jinja2-3.1.2.dist-info/METADATA":         []byte("Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\n"),
		sp + "Jinja2-3.1.2.dist-info/RECORD":           []byte(""),
	})
	javaLayer := writeZip(t, "java-deps.zip", map[string][]byte{"java/lib/guava-31.1-jre.jar": guava})
	res := catalogSpec(t, fn, pyLayer, javaLayer)
	byName := map[string]Component{}
	for _, c := range res.Components {
		byName[c.Name] = c
	}
	check := func(name, version, purl, layer string, index int, pathPrefix string) {
		t.Helper()
		c, ok := byName[name]
		if !ok {
			t.Fatalf("%s not found; components: %v", name, names(res.Components))
		}
		if c.Version != version || c.PURL != purl {
			t.Errorf("%s: %s %s", name, c.Version, c.PURL)
		}
		o := c.Locations[0].Origin
		if o.Kind != artifact.OriginLayer || o.Name != layer || o.Index != index || len(o.SHA256) != 64 {
			t.Errorf("%s: origin %+v, want layer %s #%d", name, o, layer, index)
		}
		if !strings.HasPrefix(c.Locations[0].Path, pathPrefix) {
			t.Errorf("%s: path %s, want prefix %s", name, c.Locations[0].Path, pathPrefix)
		}
	}
	check("requests", "2.31.0", "pkg:pypi/requests@2.31.0", "py-deps.zip", 1, "py-deps.zip!"+sp)
	check("jinja2", "3.1.2", "pkg:pypi/jinja2@3.1.2", "py-deps.zip", 1, "py-deps.zip!"+sp)
	check("guava", "31.1-jre", "pkg:maven/com.google.guava/guava@31.1-jre", "java-deps.zip", 2,
		"java-deps.zip!java/lib/guava-31.1-jre.jar!META-INF/maven/com.google.guava/guava/pom.properties")
	// The CycloneDX document carries the same attribution as properties.
	var buf bytes.Buffer
	if err := res.Encode(&buf, "cyclonedx-json", Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := ValidateCycloneDXJSON(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"fnscan:origin:name",` + "\n" + `          "value": "java-deps.zip"`, `"value": "/opt"`} {
		if !strings.Contains(buf.String(), strings.ReplaceAll(s, "\n          ", " ")) && !strings.Contains(buf.String(), s) {
			t.Errorf("CycloneDX lacks %s", s)
		}
	}
}

func names(cs []Component) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name+"@"+c.Version)
	}
	return out
}

// Acceptance 4: a Go bootstrap compiled here from real modules lists its
// modules and its Go version.
func TestGoBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a Go binary")
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "bootstrap"), "./testdata/gobootstrap")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bin, _ := os.ReadFile(filepath.Join(dir, "bootstrap"))
	fn := writeZip(t, "go-fn.zip", map[string][]byte{"bootstrap": bin})
	res := catalogSpec(t, fn)
	want := map[string]string{"stdlib": "go" + strings.TrimPrefix(runtime.Version(), "go")}
	for _, m := range []string{"golang.org/x/text", "gopkg.in/yaml.v3"} {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", m).Output()
		if err != nil {
			t.Fatal(err)
		}
		want[m] = strings.TrimSpace(string(out))
	}
	got := map[string]Component{}
	for _, c := range res.Components {
		got[c.Name] = c
	}
	// The bootstrap's main module is the function itself: the application.
	if len(res.Applications) != 1 || res.Applications[0].Name != "github.com/fnscan/fnscan" || res.Applications[0].PURL != "" || res.Applications[0].Locations[0].Path != "go-fn.zip!bootstrap" {
		t.Errorf("applications %+v", res.Applications)
	}
	if c, ok := got["github.com/fnscan/fnscan"]; ok {
		t.Errorf("the main module is a component: %+v", c)
	}
	for name, v := range want {
		c, ok := got[name]
		if !ok || c.Version != v {
			t.Errorf("%s: got %q, want %q (components %v)", name, c.Version, v, names(res.Components))
			continue
		}
		if c.Locations[0].Path != "go-fn.zip!bootstrap" {
			t.Errorf("%s: location %s", name, c.Locations[0].Path)
		}
		if name != "stdlib" && c.PURL != "pkg:golang/"+name+"@"+v {
			t.Errorf("%s: purl %s", name, c.PURL)
		}
	}
}

// Acceptance 6 and determinism: output validates (JSON schema; XML against
// the XSD with xmllint when present) and the same input gives the same bytes.
func TestOutputsValidAndDeterministic(t *testing.T) {
	zipPath := testdata("lambda", "dvsa-order-api.zip")
	encode := func(format string) []byte {
		res := catalogSpec(t, zipPath)
		var buf bytes.Buffer
		if err := res.Encode(&buf, format, Meta{Reproducible: true}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b := encode("cyclonedx-json"), encode("cyclonedx-json")
	if !bytes.Equal(a, b) {
		t.Error("two runs gave different bytes with --reproducible")
	}
	if err := validateWithSchemaFile(t, a); err != nil {
		t.Error(err)
	}
	x := encode("cyclonedx-xml")
	if !bytes.Equal(x, encode("cyclonedx-xml")) {
		t.Error("XML not deterministic")
	}
	if xmllint, err := exec.LookPath("xmllint"); err == nil {
		dir := t.TempDir()
		p := filepath.Join(dir, "bom.xml")
		os.WriteFile(p, x, 0o644)
		// The XSD imports the SPDX licence schema by URL; point it at the
		// specification's local copy (no network here).
		xsd, _ := os.ReadFile(testdata("cyclonedx", "bom-1.6.xsd"))
		xsd = bytes.ReplaceAll(xsd, []byte(`schemaLocation="http://cyclonedx.org/schema/spdx"`), []byte(`schemaLocation="spdx.xsd"`))
		os.WriteFile(filepath.Join(dir, "bom-1.6.xsd"), xsd, 0o644)
		spdx, _ := os.ReadFile(testdata("cyclonedx", "spdx.xsd"))
		os.WriteFile(filepath.Join(dir, "spdx.xsd"), spdx, 0o644)
		out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", filepath.Join(dir, "bom-1.6.xsd"), p).CombinedOutput()
		if err != nil {
			t.Errorf("XML does not validate against bom-1.6.xsd: %v\n%s", err, out)
		}
	} else if os.Getenv("CI") != "" {
		t.Fatal("xmllint missing under CI: .ci/run installs libxml2-utils")
	} else {
		t.Log("xmllint not installed: XML checked for determinism only")
	}
	if !bytes.Equal(encode("spdx-json"), encode("spdx-json")) {
		t.Error("SPDX not deterministic with Reproducible")
	}
	var spdx struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []any  `json:"packages"`
	}
	if err := json.Unmarshal(encode("spdx-json"), &spdx); err != nil || spdx.SPDXVersion != "SPDX-2.3" || len(spdx.Packages) < 59 {
		t.Errorf("SPDX: %v %s %d packages", err, spdx.SPDXVersion, len(spdx.Packages))
	}
}

// validateWithSchemaFile validates against the spec's schema file in
// testdata (a copy of the one in ../shared), not only the embedded one.
func validateWithSchemaFile(t *testing.T, b []byte) error {
	t.Helper()
	want, err := os.ReadFile(testdata("cyclonedx", "bom-1.6.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	embedded, _ := schemaFS.ReadFile("schema/bom-1.6.schema.json")
	if !bytes.Equal(want, embedded) {
		t.Fatal("embedded bom-1.6 schema differs from testdata's copy of the specification")
	}
	return ValidateCycloneDXJSON(b)
}

// The specification's own examples: valid ones read and re-emitted, invalid
// ones rejected with the file named.
func TestSpecExamples(t *testing.T) {
	files, _ := filepath.Glob(testdata("cyclonedx", "examples-1.6", "*.json"))
	if len(files) < 60 {
		t.Fatalf("only %d examples", len(files))
	}
	for _, f := range files {
		base := filepath.Base(f)
		res, err := Read(f)
		if strings.HasPrefix(base, "invalid") {
			if err == nil || !strings.Contains(err.Error(), base) || !strings.Contains(err.Error(), "invalid CycloneDX") {
				t.Errorf("%s: err = %v", base, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		var buf bytes.Buffer
		if err := res.Encode(&buf, "cyclonedx-json", Meta{}); err != nil {
			t.Errorf("%s: re-encode: %v", base, err)
			continue
		}
		if err := ValidateCycloneDXJSON(buf.Bytes()); err != nil {
			t.Errorf("%s: re-emitted document invalid: %v", base, err)
		}
	}
}

// Round trip: fnscan's own SBOM read back keeps components and origins.
func TestRoundTrip(t *testing.T) {
	res := catalogSpec(t, testdata("lambda", "dvsa-order-api.zip"))
	p := filepath.Join(t.TempDir(), "bom.json")
	f, _ := os.Create(p)
	if err := res.Encode(f, "cyclonedx-json", Meta{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	back, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Components) != len(res.Components) {
		t.Fatalf("read %d components, wrote %d", len(back.Components), len(res.Components))
	}
	for i, c := range back.Components {
		w := res.Components[i]
		if c.PURL != w.PURL || c.Locations[0].Path != w.Locations[0].Path || c.Locations[0].Origin.Kind != w.Locations[0].Origin.Kind {
			t.Errorf("component %d: read %+v, wrote %+v", i, c, w)
		}
	}
	_ = io.Discard
}

// syft's temp files go where Config.TempDir says, never to os.TempDir():
// a guard for the linked tmpdir constructors (sbom/tmpdir.go).
func TestCatalogTempDir(t *testing.T) {
	guava, err := os.ReadFile(testdata("jars", "guava-31.1-jre.jar"))
	if err != nil {
		t.Fatal(err)
	}
	fn := writeZip(t, "fn.zip", map[string][]byte{"lib/guava-31.1-jre.jar": guava})
	sysTmp := t.TempDir()
	t.Setenv("TMPDIR", sysTmp)
	tg, err := artifact.Open(context.Background(), fn, artifact.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	cfg := DefaultConfig()
	cfg.TempDir = filepath.Join(t.TempDir(), "syft")
	res, err := Catalog(context.Background(), tg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Components) == 0 {
		t.Fatal("guava not cataloged")
	}
	if left, _ := os.ReadDir(sysTmp); len(left) != 0 {
		t.Errorf("syft wrote to TMPDIR: %v", left)
	}
	if _, err := os.Stat(cfg.TempDir); err != nil {
		t.Errorf("the cataloging temp dir was not made: %v", err)
	}
}

// A .NET function: the project its deps.json is named after is the
// application, not a NuGet package an advisory could name; a self-contained
// runtime ("runtimepack.X") is the NuGet package X advisories name.
func TestDotnetDeps(t *testing.T) {
	t.Parallel()
	deps, err := os.ReadFile(filepath.Join("testdata", "OrdersFn.deps.json"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"OrdersFn.deps.json": deps, "bootstrap": []byte("ELF?")}
	for _, dll := range []string{"OrdersFn.dll", "Amazon.Lambda.Core.dll", "Amazon.Lambda.Serialization.SystemTextJson.dll", "Newtonsoft.Json.dll", "System.Text.Json.dll", "System.Private.CoreLib.dll"} {
		files[dll] = []byte("MZ....")
	}
	res := catalogSpec(t, writeZip(t, "orders.zip", files))
	if got := names(res.Applications); !slices.Equal(got, []string{"OrdersFn@1.0.0"}) || res.Applications[0].PURL != "" {
		t.Errorf("applications %v (%+v), want OrdersFn@1.0.0 with no purl", got, res.Applications)
	}
	var purls []string
	for _, c := range res.Components {
		purls = append(purls, c.PURL)
	}
	for _, want := range []string{"pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.1", "pkg:nuget/Newtonsoft.Json@13.0.1", "pkg:nuget/Amazon.Lambda.Core@2.2.0"} {
		if !slices.Contains(purls, want) {
			t.Errorf("%s missing from %v", want, purls)
		}
	}
	for _, p := range purls {
		if strings.Contains(strings.ToLower(p), "runtimepack") || strings.Contains(p, "OrdersFn") {
			t.Errorf("component %s", p)
		}
	}
	// The same deps.json in a layer is not the function's.
	res = catalogSpec(t, writeZip(t, "fn.zip", map[string][]byte{"index.js": []byte("//")}), writeZip(t, "dotnet-layer.zip", files))
	if len(res.Applications) != 0 {
		t.Errorf("layer: applications %v", names(res.Applications))
	}
}

// One serial number per result, whatever documents are written of it; a
// reproducible one changes with a part's digest (a layer replaced by
// another of the same name is another SBOM).
func TestSerialNumbers(t *testing.T) {
	res := &Result{Subject: Subject{Name: "fn.zip", SHA256: "aa"}, Parts: []artifact.Origin{{Kind: artifact.OriginLayer, Name: "l.zip", SHA256: "bb", Index: 1}}}
	if a, b := serial(res, false), serial(res, false); a != b {
		t.Errorf("two documents of one result: %s and %s", a, b)
	}
	r1 := serial(res, true)
	other := &Result{Subject: res.Subject, Parts: []artifact.Origin{{Kind: artifact.OriginLayer, Name: "l.zip", SHA256: "cc", Index: 1}}}
	if r2 := serial(other, true); r1 == r2 {
		t.Errorf("another layer of the same name, the same serial %s", r1)
	}
	same := &Result{Subject: res.Subject, Parts: res.Parts}
	if r3 := serial(same, true); r3 != r1 {
		t.Errorf("the same content, serials %s and %s", r1, r3)
	}
}

// TestLayersStackAsLambdaExtractsThem: Lambda extracts layers into /opt in
// order, so a package two layers hold at one path is the later layer's
// (its jar too); a package only the earlier holds stays.
func TestLayersStackAsLambdaExtractsThem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pkg := func(name, version string) []byte {
		return []byte(`{"name":"` + name + `","version":"` + version + `","license":"MIT"}`)
	}
	jar := func(version string) []byte {
		return fixture.Zip(map[string][]byte{
			"META-INF/MANIFEST.MF":                             []byte("Manifest-Version: 1.0\n"),
			"META-INF/maven/org.example/shared/pom.properties": []byte("groupId=org.example\nartifactId=shared\nversion=" + version + "\n"),
		})
	}
	write := func(name string, files map[string][]byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, fixture.Zip(files), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fn := write("fn.zip", map[string][]byte{"index.js": []byte("exports.handler = async () => 1;\n")})
	old := write("old.zip", map[string][]byte{
		"nodejs/node_modules/lodash/package.json":   pkg("lodash", "4.17.4"),
		"nodejs/node_modules/only-old/package.json": pkg("only-old", "1.0.0"),
		"java/lib/shared.jar":                       jar("1.0.0"),
	})
	newer := write("new.zip", map[string][]byte{
		"nodejs/node_modules/lodash/package.json": pkg("lodash", "4.17.21"),
		"java/lib/shared.jar":                     jar("2.0.0"),
	})
	versions := func(res *Result) []string {
		var out []string
		for _, c := range res.Components {
			out = append(out, c.Name+"@"+c.Version)
		}
		slices.Sort(out)
		return out
	}
	got := versions(catalogSpec(t, fn, old, newer))
	want := []string{"lodash@4.17.21", "only-old@1.0.0", "shared@2.0.0"}
	if !slices.Equal(got, want) {
		t.Errorf("layers old, new: %v, want %v", got, want)
	}
	// The other order: the old layer replaces the new one's files.
	got = versions(catalogSpec(t, fn, newer, old))
	want = []string{"lodash@4.17.4", "only-old@1.0.0", "shared@1.0.0"}
	if !slices.Equal(got, want) {
		t.Errorf("layers new, old: %v, want %v", got, want)
	}
}

// The SPDX document's root is the target as scanned: a zip with its
// checksum, an image a container with its archive's checksum, architecture
// and tag.
func TestSPDXRoot(t *testing.T) {
	t.Parallel()
	root := func(res *Result) map[string]any {
		var buf bytes.Buffer
		if err := res.Encode(&buf, "spdx-json", Meta{Reproducible: true}); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Packages []map[string]any `json:"packages"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		for _, p := range doc.Packages {
			if id, _ := p["SPDXID"].(string); strings.HasPrefix(id, "SPDXRef-DocumentRoot-") {
				return p
			}
		}
		t.Fatal("no document root package")
		return nil
	}
	checksum := func(p map[string]any) string {
		cs, _ := p["checksums"].([]any)
		if len(cs) != 1 {
			return fmt.Sprint(cs)
		}
		c, _ := cs[0].(map[string]any)
		return fmt.Sprint(c["algorithm"], ":", c["checksumValue"])
	}
	zipRes := catalogSpec(t, testdata("lambda", "dvsa-order-api.zip"))
	zr := root(zipRes)
	if zr["primaryPackagePurpose"] != "FILE" || checksum(zr) != "SHA256:"+zipRes.Subject.SHA256 || len(zipRes.Subject.SHA256) != 64 {
		t.Errorf("zip root %v, want FILE with SHA256:%s", zr, zipRes.Subject.SHA256)
	}
	// An SBOM read and written again keeps its root: the checksum of the
	// SBOM file is not the subject's.
	var cdx bytes.Buffer
	if err := zipRes.Encode(&cdx, "cyclonedx-json", Meta{}); err != nil {
		t.Fatal(err)
	}
	bomPath := filepath.Join(t.TempDir(), "bom.json")
	os.WriteFile(bomPath, cdx.Bytes(), 0o644)
	tg, err := artifact.Open(context.Background(), "sbom:"+bomPath, artifact.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	again, err := Read(tg.Input)
	if err != nil {
		t.Fatal(err)
	}
	if c := checksum(root(again)); len(again.Subject.SHA256) != 64 || strings.Contains(c, again.Subject.SHA256) {
		t.Errorf("SBOM input: root checksum %s is the SBOM file's", c)
	}
	imgRes := catalogSpec(t, testdata("images", "alpine-3.10-docker-archive.tar.gz"))
	ir := root(imgRes)
	if ir["primaryPackagePurpose"] != "CONTAINER" || checksum(ir) != "SHA256:"+imgRes.Subject.SHA256 {
		t.Errorf("image root %v, want CONTAINER with SHA256:%s", ir, imgRes.Subject.SHA256)
	}
}
