package sbom

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/anchore/syft/syft/format"
	"github.com/anchore/syft/syft/pkg"

	"github.com/fnscan/fnscan/internal/fixture"
)

// lockEntries reads an npm lockfile's "packages" (package-lock.json, or the
// hidden node_modules/.package-lock.json npm writes of what it installed)
// as install path → name@version; the project's own "" entry is left out.
func lockEntries(t *testing.T, b []byte) map[string]string {
	t.Helper()
	var lock struct {
		Packages map[string]struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Link    bool   `json:"link"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, e := range lock.Packages {
		if k == "" || e.Link {
			continue
		}
		name := e.Name
		if name == "" {
			name = k[strings.LastIndex(k, "node_modules/")+len("node_modules/"):]
		}
		out[k] = name + "@" + e.Version
	}
	return out
}

func zipFile(t *testing.T, zr *zip.ReadCloser, name string) []byte {
	t.Helper()
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("%s not in the zip", name)
	return nil
}

// Issue 9, npm exactness: on a real `npm ci` tree (testdata/lambda/
// npm-resolve-fn, see testdata/README.md) the npm components are exactly
// what npm says it installed, none of the package.json files resolve ships
// as test fixtures, and the function's own package.json is the application.
func TestNpmInstalledExact(t *testing.T) {
	zipPath := testdata("lambda", "npm-resolve-fn.zip")
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	want := map[string]string{} // virtual path of the package.json -> name@version
	for k, nv := range lockEntries(t, zipFile(t, zr, "node_modules/.package-lock.json")) {
		want["npm-resolve-fn.zip!"+k+"/package.json"] = nv
	}
	fixtures := 0
	for _, f := range zr.File {
		if path.Base(f.Name) == "package.json" && strings.Contains(f.Name, "/test/") {
			fixtures++
		}
	}
	if len(want) != 8 || fixtures < 10 {
		t.Fatalf("fixture zip changed: %d installed packages, %d test package.json files", len(want), fixtures)
	}

	res := catalogSpec(t, zipPath)
	got := map[string]string{}
	for _, c := range res.Components {
		if len(c.Locations) != 1 {
			t.Errorf("%s@%s: %d locations", c.Name, c.Version, len(c.Locations))
			continue
		}
		got[c.Locations[0].Path] = c.Name + "@" + c.Version
		if c.PURL != npmPURL(c.Name, c.Version) {
			t.Errorf("%s@%s: purl %s", c.Name, c.Version, c.PURL)
		}
	}
	for p, nv := range want {
		if got[p] != nv {
			t.Errorf("installed %s at %s: got %q", nv, p, got[p])
		}
	}
	for p, nv := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("component %s at %s was not installed by npm", nv, p)
		}
	}

	if len(res.Applications) != 1 {
		t.Fatalf("applications: %v", names(res.Applications))
	}
	app := res.Applications[0]
	if app.Name != "npm-fixture-fn" || app.Version != "1.2.3" || app.PURL != "" || app.Locations[0].Path != "npm-resolve-fn.zip!package.json" {
		t.Errorf("application %+v", app)
	}

	// In CycloneDX the application is under metadata.component, typed
	// application, depends on its direct dependencies, and carries nothing a
	// consumer would match: syft's decoder (which grype uses) reads it as a
	// package of no type and no purl.
	var buf bytes.Buffer
	if err := res.Encode(&buf, "cyclonedx-json", Meta{Reproducible: true}); err != nil {
		t.Fatal(err)
	}
	if err := ValidateCycloneDXJSON(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Metadata struct {
			Component struct {
				BOMRef     string `json:"bom-ref"`
				Components []struct {
					BOMRef  string `json:"bom-ref"`
					Type    string `json:"type"`
					Name    string `json:"name"`
					Version string `json:"version"`
					PURL    string `json:"purl"`
				} `json:"components"`
			} `json:"component"`
		} `json:"metadata"`
		Components []struct {
			Name string `json:"name"`
		} `json:"components"`
		Dependencies []struct {
			Ref       string   `json:"ref"`
			DependsOn []string `json:"dependsOn"`
		} `json:"dependencies"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Metadata.Component.BOMRef != "fnscan:target" || len(doc.Metadata.Component.Components) != 1 {
		t.Fatalf("metadata.component: %+v", doc.Metadata.Component)
	}
	ac := doc.Metadata.Component.Components[0]
	if ac.Type != "application" || ac.Name != "npm-fixture-fn" || ac.Version != "1.2.3" || ac.PURL != "" || strings.HasPrefix(ac.BOMRef, "pkg:") {
		t.Errorf("application component %+v", ac)
	}
	if len(doc.Components) != len(want) {
		t.Errorf("%d components in the CycloneDX, want %d", len(doc.Components), len(want))
	}
	refName := map[string]string{}
	for _, c := range res.Components {
		refName[c.Ref] = c.Name + "@" + c.Version
	}
	var direct []string
	for _, d := range doc.Dependencies {
		if d.Ref == ac.BOMRef {
			for _, r := range d.DependsOn {
				direct = append(direct, refName[r])
			}
		}
	}
	sort.Strings(direct)
	if strings.Join(direct, " ") != "@isaacs/string-locale-compare@1.1.0 function-bind@1.1.1 resolve@1.22.8" {
		t.Errorf("the application depends on %v", direct)
	}
	s, _, _, err := format.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for p := range s.Artifacts.Packages.Enumerate() {
		if p.Name == "npm-fixture-fn" && (p.PURL != "" || (p.Type != "" && p.Type != pkg.UnknownPkg) || len(p.CPEs) != 0) {
			t.Errorf("decoded back as a matchable package: %s %s %v", p.Type, p.PURL, p.CPEs)
		}
	}

	// In SPDX it is the package whose purpose is APPLICATION, with no
	// purl or CPE references.
	var sb bytes.Buffer
	if err := res.Encode(&sb, "spdx-json", Meta{Reproducible: true}); err != nil {
		t.Fatal(err)
	}
	var spdx struct {
		Packages []struct {
			Name    string `json:"name"`
			Purpose string `json:"primaryPackagePurpose"`
			Refs    []any  `json:"externalRefs"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(sb.Bytes(), &spdx); err != nil {
		t.Fatal(err)
	}
	var appPkgs []string
	for _, p := range spdx.Packages {
		if p.Purpose == "APPLICATION" || p.Name == "npm-fixture-fn" {
			appPkgs = append(appPkgs, p.Name+" "+p.Purpose)
			if len(p.Refs) != 0 {
				t.Errorf("SPDX application has references %v", p.Refs)
			}
		}
	}
	if len(appPkgs) != 1 || appPkgs[0] != "npm-fixture-fn APPLICATION" {
		t.Errorf("SPDX applications: %v", appPkgs)
	}

	// Read back, it is still the application and not a component.
	p := t.TempDir() + "/bom.json"
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Components) != len(want) || len(back.Applications) != 1 || back.Applications[0].Name != "npm-fixture-fn" {
		t.Errorf("read back: %d components, applications %v", len(back.Components), names(back.Applications))
	}
}

// The same function shipped with its lockfile and no node_modules: the
// lockfile's entries are the components, and its "" entry (the function
// itself) is the application, not a library.
func TestNpmLockfileOnlyApplication(t *testing.T) {
	dir := testdata("lambda", "npm-resolve-fn")
	files := map[string][]byte{}
	for _, n := range []string{"package.json", "package-lock.json", "index.js"} {
		b, err := os.ReadFile(dir + "/" + n)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = b
	}
	var want []string
	for _, nv := range lockEntries(t, files["package-lock.json"]) {
		want = append(want, nv)
	}
	sort.Strings(want)
	res := catalogSpec(t, writeZip(t, "fn.zip", files))
	got := names(res.Components)
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("components %v, want %v", got, want)
	}
	if got := names(res.Applications); len(got) != 1 || got[0] != "npm-fixture-fn@1.2.3" {
		t.Errorf("applications %v", got)
	}
}

// A Python project's own metadata (pyproject.toml, setup.py, setup.cfg) is
// not read by the installed-package catalogers fnscan selects: only what
// pip installed is a component, and the project is not.
func TestPythonProjectNotComponent(t *testing.T) {
	sp := "requests-2.31.0.dist-info/"
	fn := writeZip(t, "py-fn.zip", map[string][]byte{
		"pyproject.toml":   []byte("[project]\nname = \"requests\"\nversion = \"2.0.0\"\ndependencies = [\"requests==2.31.0\"]\n"),
		"setup.py":         []byte("from setuptools import setup\nsetup(name=\"requests\", version=\"2.0.0\")\n"),
		"setup.cfg":        []byte("[metadata]\nname = requests\nversion = 2.0.0\n"),
		"requirements.txt": []byte("requests==2.31.0\n"),
		"app.py":           []byte("import requests\n"),
		sp + "METADATA":    []byte("Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n"),
		sp + "RECORD":      []byte("requests/__init__.py,,\n"),
	})
	res := catalogSpec(t, fn)
	if got := names(res.Components); len(got) != 1 || got[0] != "requests@2.31.0" || len(res.Applications) != 0 {
		t.Errorf("components %v, applications %v", got, names(res.Applications))
	}
}

// In a container image the function is in LAMBDA_TASK_ROOT (/var/task):
// its package.json is the application there; installed packages anywhere
// are components; other package.json files and lockfiles are neither.
func TestImageTaskRootApplication(t *testing.T) {
	pj := func(name, version string) string {
		return `{"name":"` + name + `","version":"` + version + `"}`
	}
	layer := fixture.Tar(map[string]string{
		"var/task/package.json":                                  pj("image-fn", "2.0.0"),
		"var/task/node_modules/qs/package.json":                  pj("qs", "6.5.2"),
		"var/task/node_modules/qs/test/fixture/package.json":     pj("dist", "1.0.0"),
		"var/lang/lib/node_modules/npm/package.json":             pj("npm", "10.8.2"),
		"var/lang/lib/node_modules/npm/docs/sample/package.json": pj("benchmark", "1.0.0"),
		"opt/tool/package.json":                                  pj("bin", "1.0.0"),
		// Lockfiles of projects nobody installed here (the Go toolchain
		// ships one, JupyterLab a yarn.lock): syft leaves them out of images.
		"usr/local/go/src/cmd/vendor/golang.org/x/telemetry/package-lock.json": lockfile("telemetry", "lodash", "4.17.15"),
		"usr/share/jupyter/lab/staging/yarn.lock":                              "lodash@^4.17.11:\n  version \"4.17.11\"\n  resolved \"https://registry.yarnpkg.com/lodash/-/lodash-4.17.11.tgz\"\n",
	})
	img := filepath.Join(t.TempDir(), "img.tar")
	if err := os.WriteFile(img, fixture.DockerArchive("fn:latest", [][]byte{layer}), 0o644); err != nil {
		t.Fatal(err)
	}
	res := catalogSpec(t, img)
	got := names(res.Components)
	sort.Strings(got)
	if strings.Join(got, " ") != "npm@10.8.2 qs@6.5.2" {
		t.Errorf("components %v", got)
	}
	if len(res.Applications) != 1 || res.Applications[0].Name != "image-fn" || res.Applications[0].Locations[0].Path != "/var/task/package.json" {
		t.Errorf("applications %+v", res.Applications)
	}
}

func lockfile(project, dep, version string) string {
	return `{"name":"` + project + `","version":"0.0.0","lockfileVersion":3,"requires":true,"packages":{` +
		`"":{"name":"` + project + `","version":"0.0.0","dependencies":{"` + dep + `":"` + version + `"}},` +
		`"node_modules/` + dep + `":{"version":"` + version + `","resolved":"https://registry.npmjs.org/` + dep + `/-/` + dep + `-` + version + `.tgz","integrity":"sha512-x"}}}`
}

// A lockfile inside node_modules is a dependency's own (its tests, its
// examples): npm installed from the function's, so its entries are not
// components.
func TestNestedLockfileNotComponents(t *testing.T) {
	dir := t.TempDir()
	zipPath, err := fixture.WriteZip(dir, "fn.zip", map[string][]byte{
		"index.js":                               []byte("exports.handler = async () => 1\n"),
		"package-lock.json":                      []byte(lockfile("fn", "qs", "6.5.2")),
		"node_modules/qs/package.json":           []byte(`{"name":"qs","version":"6.5.2"}`),
		"node_modules/qs/test/package-lock.json": []byte(lockfile("qs-tests", "minimist", "0.0.8")),
		// syft skips package-lock.json and yarn.lock under node_modules, not these.
		"node_modules/qs/example/pnpm-lock.yaml": []byte("lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      is-positive:\n        specifier: ^3.1.0\n        version: 3.1.0\n\npackages:\n  /is-positive@3.1.0:\n    resolution: {integrity: sha512-x}\n    dev: false\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	res := catalogSpec(t, zipPath)
	if got := names(res.Components); strings.Join(got, " ") != "qs@6.5.2" {
		t.Errorf("components %v", got)
	}
}

// In an image not built on Lambda's base, the application is in the
// image's working directory: its package.json is the application and its
// lockfile, with no node_modules beside it (Yarn PnP, a bundled app), the
// only source of its packages.
func TestImageWorkingDirApplication(t *testing.T) {
	layer := fixture.Tar(map[string]string{
		"app/package.json":                  `{"name":"web","version":"3.1.0","dependencies":{"qs":"6.5.2"}}`,
		"app/package-lock.json":             lockfile("web", "qs", "6.5.2"),
		"usr/share/doc/x/package-lock.json": lockfile("docs", "lodash", "4.17.15"),
	})
	img := filepath.Join(t.TempDir(), "img.tar")
	cfg := map[string]any{"config": map[string]any{"WorkingDir": "/app", "Env": []string{"PATH=/usr/bin"}}}
	if err := os.WriteFile(img, fixture.DockerArchiveConfig("web:1", [][]byte{layer}, cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	res := catalogSpec(t, img)
	if got := names(res.Components); strings.Join(got, " ") != "qs@6.5.2" {
		t.Errorf("components %v", got)
	}
	if len(res.Applications) != 1 || res.Applications[0].Name != "web" {
		t.Errorf("applications %+v", res.Applications)
	}
}

// From the first node_modules on, an installed package's path is nothing
// but node_modules/<name> (or @scope/<name>, or pnpm's store) nested.
func TestInstalledManifest(t *testing.T) {
	for m, want := range map[string]bool{
		"node_modules/a/package.json":                                           true,
		"node_modules/@s/a/package.json":                                        true,
		"node_modules/a/node_modules/@s/b/package.json":                         true,
		"nodejs/node_modules/a/package.json":                                    true,
		"app/node_modules/a/node_modules/b/package.json":                        true,
		"node_modules/.pnpm/lodash@4.17.20/node_modules/lodash/package.json":    true,
		"node_modules/.pnpm/@s+x@1.0.0/node_modules/@s/x/package.json":          true,
		"node_modules/b/test/fixtures/node_modules/evil/package.json":           false,
		"node_modules/resolve/test/resolver/nested_symlinks/mylib/package.json": false,
		"node_modules/a/lib/package.json":                                       false,
		"node_modules/.bin/package.json":                                        false,
		"node_modules/@s/package.json":                                          false,
		"package.json":                                                          false,
		"node_modules/.pnpm/node_modules/a/package.json":                        false,
	} {
		if got := installedManifest(m); got != want {
			t.Errorf("%s: %v, want %v", m, got, want)
		}
	}
}
