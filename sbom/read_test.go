package sbom

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSBOM writes content to a file named name in a temp dir.
func writeSBOM(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// findComponent returns the component with the given name.
func findComponent(t *testing.T, res *Result, name string) Component {
	t.Helper()
	for _, c := range res.Components {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no component %q in %d components", name, len(res.Components))
	return Component{}
}

func warningText(res *Result) string {
	var ws []string
	for _, w := range res.Warnings {
		ws = append(ws, w.String())
	}
	return strings.Join(ws, "\n")
}

func TestEmbeddedSchema17(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "..", "shared", "data", "cyclonedx", "bom-1.7.schema.json"))
	if err != nil {
		t.Skip("../shared absent:", err)
	}
	embedded, _ := schemaFS.ReadFile("schema/bom-1.7.schema.json")
	if !bytes.Equal(want, embedded) {
		t.Fatal("embedded bom-1.7 schema differs from the specification's in ../shared")
	}
}

// Every CycloneDX JSON version real tools write is read: syft v1.57.0
// writes 1.7 by default and 1.4 on request; 1.2 and 1.3 have no embedded
// schema and get structural checks.
func TestReadSpecVersions(t *testing.T) {
	legacy := func(v string) string {
		return `{"bomFormat": "CycloneDX", "specVersion": "` + v + `", "version": 1, "components": [
		  {"type": "library", "bom-ref": "a", "name": "lodash", "version": "4.17.15", "purl": "pkg:npm/lodash@4.17.15"}]}`
	}
	tests := []struct {
		name, file string
		content    string // written to a temp file when file is empty
	}{
		{"syft default (1.7)", "syft-npm.cdx.json", ""},
		{"syft 1.4", "syft-npm-1.4.cdx.json", ""},
		{"1.2", "", legacy("1.2")},
		{"1.3", "", legacy("1.3")},
		{"1.4", "", legacy("1.4")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join("testdata", tt.file)
			if tt.file == "" {
				p = writeSBOM(t, "bom.json", tt.content)
			}
			res, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			if c := findComponent(t, res, "lodash"); c.Version != "4.17.15" || c.PURL != "pkg:npm/lodash@4.17.15" {
				t.Errorf("lodash = %+v", c)
			}
			if len(res.Warnings) > 0 {
				t.Errorf("warnings: %s", warningText(res))
			}
			var buf bytes.Buffer
			if err := res.Encode(&buf, "cyclonedx-json", Meta{}); err != nil {
				t.Errorf("re-encode: %v", err)
			}
		})
	}
}

// A 1.7 document is held to the 1.7 schema.
func TestRead17Invalid(t *testing.T) {
	p := writeSBOM(t, "bad.json", `{"bomFormat": "CycloneDX", "specVersion": "1.7", "version": 1,
	  "components": [{"type": "library", "name": "x", "hashes": [{"alg": "SHA-256", "content": "abc"}]}]}`)
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), "CycloneDX 1.7 schema") {
		t.Errorf("err = %v, want a 1.7 schema error", err)
	}
}

// Input SBOMs with faults common tools emit are read with warnings, JSON
// and XML alike; what fnscan writes is still validated strictly.
func TestReadForgivesToolFaults(t *testing.T) {
	const lodash = `{"type": "library", "bom-ref": "x", "name": "lodash", "version": "4.17.15", "purl": "pkg:npm/lodash@4.17.15"`
	tests := []struct {
		name, file, content string
		warning             string
	}{
		{"npm sbom git+ssh url", "bom.json", `{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [` + lodash + `,
		  "externalReferences": [{"type": "vcs", "url": "git+ssh://git@github.com:lodash/lodash.git"}]}]}`, "not valid iri-reference"},
		{"duplicate bom-ref", "bom.json", `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [` + lodash + `},
		  {"type": "library", "bom-ref": "x", "name": "minimist", "version": "0.0.10"}]}`, `bom-ref "x" is used more than once`},
		{"metadata component shares a bom-ref", "bom.json", `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
		  "metadata": {"component": {"type": "application", "bom-ref": "x", "name": "app"}}, "components": [` + lodash + `}]}`, `bom-ref "x" is used more than once`},
		{"dangling dependency", "bom.json", `{"bomFormat": "CycloneDX", "specVersion": "1.7", "version": 1, "components": [` + lodash + `}],
		  "dependencies": [{"ref": "x", "dependsOn": ["zzz"]}]}`, `depends on "zzz", which names no component`},
		{"dangling dependency ref", "bom.json", `{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [` + lodash + `}],
		  "dependencies": [{"ref": "gone"}]}`, `dependency ref "gone" names no component`},
		{"XML duplicate bom-ref", "bom.xml", `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
 <components>
  <component type="library" bom-ref="x"><name>lodash</name><version>4.17.15</version><purl>pkg:npm/lodash@4.17.15</purl></component>
  <component type="library" bom-ref="x"><name>minimist</name><version>0.0.10</version></component>
 </components>
</bom>`, `bom-ref "x" is used more than once`},
		{"XML dangling dependency", "bom.xml", `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
 <metadata><component type="application" bom-ref="app"><name>app</name></component></metadata>
 <components>
  <component type="library" bom-ref="x"><name>lodash</name><version>4.17.15</version><purl>pkg:npm/lodash@4.17.15</purl></component>
 </components>
 <dependencies><dependency ref="app"><dependency ref="x"/><dependency ref="zzz"/></dependency></dependencies>
</bom>`, `"app" depends on "zzz", which names no component`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeSBOM(t, tt.file, tt.content)
			res, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			if c := findComponent(t, res, "lodash"); c.Version != "4.17.15" {
				t.Errorf("lodash = %+v", c)
			}
			w := warningText(res)
			if !strings.Contains(w, tt.warning) || !strings.Contains(w, tt.file+": invalid CycloneDX, read anyway") {
				t.Errorf("warnings = %q, want one naming %s with %q", w, tt.file, tt.warning)
			}
			if strings.Count(w, "\n") != 0 {
				t.Errorf("want one warning, got %q", w)
			}
			if tt.file == "bom.json" {
				if err := ValidateCycloneDXJSON([]byte(tt.content)); err == nil {
					t.Error("ValidateCycloneDXJSON accepted it; fnscan's own output must be checked strictly")
				}
			}
		})
	}
}

// A tool that gets references wrong gets them wrong everywhere: the
// warnings are capped.
func TestReadWarningsCapped(t *testing.T) {
	var deps []string
	for _, r := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		deps = append(deps, `{"ref": "`+r+`"}`)
	}
	p := writeSBOM(t, "bom.json", `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [],
	  "dependencies": [`+strings.Join(deps, ",")+`]}`)
	res, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != maxInputWarnings || !strings.Contains(res.Warnings[maxInputWarnings-1].Message, "3 more problems like") {
		t.Errorf("warnings: %s", warningText(res))
	}
}

// What is not CycloneDX, or whose components cannot be read, is refused.
func TestReadStillRefuses(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not CycloneDX", `{"bomFormat": "SPDX", "specVersion": "1.6"}`, `bomFormat is "SPDX"`},
		{"unknown version", `{"bomFormat": "CycloneDX", "specVersion": "9.9", "version": 1}`, `specVersion "9.9" is not supported`},
		{"components not an array", `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": {"a": 1}}`, "/components"},
		{"1.4 components not an array", `{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": "x"}`, "want an array of components"},
		{"1.3 component without a name", `{"bomFormat": "CycloneDX", "specVersion": "1.3", "version": 1, "components": [{"type": "library", "version": "1"}]}`, "component has no name"},
		{"1.2 nested component not an object", `{"bomFormat": "CycloneDX", "specVersion": "1.2", "version": 1, "components": [{"type": "library", "name": "a", "components": [1]}]}`, "/components/0/components/0: want a component object"},
		{"schema violation other than a URL", `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [{"type": "library", "name": "x", "hashes": [{"alg": "SHA-256", "content": "abc"}]}]}`, "does not match pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(writeSBOM(t, "bom.json", tt.content))
			if err == nil || !strings.Contains(err.Error(), "invalid CycloneDX") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one with %q", err, tt.want)
			}
		})
	}
}

// A UTF-8 byte order mark (PowerShell's Out-File writes one) is not part of
// the document.
func TestReadUTF8BOM(t *testing.T) {
	cdx := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
	  {"type": "library", "bom-ref": "a", "name": "lodash", "version": "4.17.15", "purl": "pkg:npm/lodash@4.17.15"}]}`
	spdx := `{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "x",
	  "documentNamespace": "https://example.com/x", "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: test"]},
	  "packages": [{"name": "lodash", "SPDXID": "SPDXRef-lodash", "versionInfo": "4.17.15", "downloadLocation": "NOASSERTION",
	    "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/lodash@4.17.15"}]}]}`
	for name, content := range map[string]string{"bom.cdx.json": cdx, "bom.spdx.json": spdx} {
		t.Run(name, func(t *testing.T) {
			p := writeSBOM(t, name, "\xef\xbb\xbf"+content)
			res, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			if c := findComponent(t, res, "lodash"); c.Version != "4.17.15" {
				t.Errorf("lodash = %+v", c)
			}
			var buf bytes.Buffer
			if err := res.Encode(&buf, "cyclonedx-json", Meta{}); err != nil {
				t.Fatal(err)
			}
			if bytes.HasPrefix(buf.Bytes(), []byte("\xef\xbb\xbf")) {
				t.Error("re-emitted with the byte order mark")
			}
		})
	}
}

// Distro source packages, which OS advisories are filed under, come from
// what each tool writes, and a missing version from the purl.
func TestReadSourceAndVersion(t *testing.T) {
	comp := func(fields string) string {
		return `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [{"type": "library", ` + fields + `}]}`
	}
	tests := []struct {
		name, content         string
		comp, source, version string
	}{
		{"syft apk upstream", comp(`"name": "libssl1.1", "version": "1.1.1d-r2", "purl": "pkg:apk/alpine/libssl1.1@1.1.1d-r2?arch=x86_64&distro=alpine-3.10.4&upstream=openssl"`),
			"libssl1.1", "openssl", "1.1.1d-r2"},
		{"syft deb upstream with version", comp(`"name": "libssl3", "version": "3.0.11-1~deb12u2", "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl%403.0.11-1~deb12u2&distro=debian-12"`),
			"libssl3", "openssl", "3.0.11-1~deb12u2"},
		{"syft deb property", comp(`"name": "libssl3", "version": "3.0.11-1~deb12u2", "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12",
		  "properties": [{"name": "syft:metadata:source", "value": "openssl"}]`), "libssl3", "openssl", "3.0.11-1~deb12u2"},
		{"trivy SrcName", comp(`"name": "libcrypto1.1", "version": "1.1.1d-r2", "purl": "pkg:apk/alpine/libcrypto1.1@1.1.1d-r2?arch=x86_64&distro=3.10.2",
		  "properties": [{"name": "aquasecurity:trivy:SrcName", "value": "openssl"}, {"name": "aquasecurity:trivy:SrcVersion", "value": "1.1.1d-r2"}]`),
			"libcrypto1.1", "openssl", "1.1.1d-r2"},
		{"not for other purl types", comp(`"name": "x", "version": "1", "purl": "pkg:rpm/redhat/x@1?upstream=x-1.src.rpm"`), "x", "", "1"},
		{"version from purl", comp(`"name": "lodash", "purl": "pkg:npm/lodash@4.17.15"`), "lodash", "", "4.17.15"},
		{"version kept", comp(`"name": "lodash", "version": "4.17.15", "purl": "pkg:npm/lodash@4.17.21"`), "lodash", "", "4.17.15"},
		{"no purl version", comp(`"name": "lodash", "purl": "pkg:npm/lodash"`), "lodash", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Read(writeSBOM(t, "bom.json", tt.content))
			if err != nil {
				t.Fatal(err)
			}
			if c := findComponent(t, res, tt.comp); c.Source != tt.source || c.Version != tt.version {
				t.Errorf("source %q version %q, want %q %q", c.Source, c.Version, tt.source, tt.version)
			}
		})
	}
}

// syft's own CycloneDX of a real Alpine image names every package's apk
// origin, as cataloging the image does.
func TestReadSyftAlpineSource(t *testing.T) {
	res, err := Read(filepath.Join("testdata", "syft-alpine-3.10.cdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"libssl1.1": "openssl", "libcrypto1.1": "openssl", "musl-utils": "musl", "busybox": "busybox"} {
		if c := findComponent(t, res, name); c.Source != want {
			t.Errorf("%s: source %q, want %q", name, c.Source, want)
		}
	}
}

// fnscan's image → CycloneDX (JSON, XML) → scan round trip keeps the
// source packages scanning the image finds.
func TestRoundTripSource(t *testing.T) {
	res := catalogSpec(t, testdata("images", "alpine-3.10-docker-archive.tar.gz"))
	// A source named like its package adds nothing to matching (syft
	// writes no upstream qualifier then).
	want := map[string]string{}
	for _, c := range res.Components {
		if c.Source != "" && c.Source != c.Name {
			want[c.PURL] = c.Source
		}
	}
	if want["pkg:apk/alpine/libssl1.1@1.1.1d-r2?arch=x86_64&distro=alpine-3.10.4&upstream=openssl"] != "openssl" {
		t.Fatalf("cataloging the image: sources %v", want)
	}
	for _, format := range []string{"cyclonedx-json", "cyclonedx-xml", "spdx-json"} {
		t.Run(format, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bom."+format)
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := res.Encode(f, format, Meta{}); err != nil {
				t.Fatal(err)
			}
			f.Close()
			back, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, c := range back.Components {
				if c.Source != "" {
					got[c.PURL] = c.Source
				}
			}
			for purl, s := range want {
				if got[purl] != s {
					t.Errorf("%s: source %q, want %q", purl, got[purl], s)
				}
			}
		})
	}
}
