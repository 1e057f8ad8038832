package vuln

import (
	"archive/zip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPyPIBoundaries(t *testing.T) {
	db := testdataDB(t)
	tests := []struct {
		name, pkg, version string
		want               []string
	}{
		// PYSEC-2021-333: ECOSYSTEM introduced 0.4.0, fixed 0.4.2; versions 0.4.0, 0.4.1.
		{"before introduced", "sqlparse", "0.3.1", nil},
		{"at introduced", "sqlparse", "0.4.0", []string{"PYSEC-2021-333"}},
		{"inside", "sqlparse", "0.4.1", []string{"PYSEC-2021-333"}},
		{"inside, not in versions list", "sqlparse", "0.4.2.dev1", []string{"PYSEC-2021-333"}},
		{"at fixed", "sqlparse", "0.4.2", nil},
		{"after fixed", "sqlparse", "0.5.0", nil},
		{"PEP 440 equal spelling", "sqlparse", "0.4.1.0", []string{"PYSEC-2021-333"}},
		{"PEP 503 name", "SQLParse", "0.4.1", []string{"PYSEC-2021-333"}},
		{"GIT commit is no version", "sqlparse", "8238a9e450ed1524e40cb3a8b0b3c00606903aeb", nil},
		// PYSEC-2022-42969: introduced 0, last_affected 1.11.0.
		{"introduced 0", "py", "0.0.1", []string{"PYSEC-2022-42969"}},
		{"pre-release in versions", "py", "1.4.7.dev3", []string{"PYSEC-2022-42969"}},
		{"at last_affected", "py", "1.11.0", []string{"PYSEC-2022-42969"}},
		{"just after last_affected", "py", "1.11.1", nil},
		{"post release after last_affected", "py", "1.11.0.post1", nil},
		{"unparseable version", "py", "not a version!", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := matchIDs(t, db, Package{Name: tt.pkg, Version: tt.version, Ecosystem: "PyPI"})
			if tt.want == nil {
				tt.want = []string{}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s %s: got %v, want %v", tt.pkg, tt.version, got, tt.want)
			}
		})
	}
}

// TestGitRangesOnlyThroughVersions drops the ECOSYSTEM range from a copy of
// the real PYSEC-2021-333, leaving its GIT range and versions list.
func TestGitRangesOnlyThroughVersions(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "osv", "pypa", "PYSEC-2021-333.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	eco := "  - type: ECOSYSTEM\n    events:\n    - introduced: 0.4.0\n    - fixed: 0.4.2\n"
	if !strings.Contains(text, eco) {
		t.Fatal("testdata record changed: ECOSYSTEM range not found")
	}
	src := writeFile(t, t.TempDir(), "PYSEC-2021-333.yaml", strings.Replace(text, eco, "", 1))
	dir := t.TempDir()
	importInto(t, dir, src)
	db := openDB(t, dir)
	for v, want := range map[string]int{"0.4.0": 1, "0.4.1": 1, "0.4.1.post1": 0, "0.3.0": 0, "1499cffcd7c4d635b4297b44d48fb4fe94cf988e": 0} {
		if got := matchIDs(t, db, Package{Name: "sqlparse", Version: v, Ecosystem: "PyPI"}); len(got) != want {
			t.Errorf("sqlparse %s: %v, want %d findings", v, got, want)
		}
	}
}

func TestGo(t *testing.T) {
	db := testdataDB(t)
	tests := []struct {
		name string
		pkg  Package
		want []string
	}{
		{"module inside", Package{Name: "github.com/gin-gonic/gin", Version: "v1.5.0", Ecosystem: "Go"}, []string{"GO-2020-0001"}},
		{"module at fix", Package{Name: "github.com/gin-gonic/gin", Version: "v1.6.0", Ecosystem: "Go"}, nil},
		{"module after fix", Package{Name: "github.com/gin-gonic/gin", Version: "v1.9.1", Ecosystem: "Go"}, nil},
		{"module pseudo-version before fix", Package{Name: "github.com/gin-gonic/gin", Version: "v1.5.1-0.20200101000000-abcdefabcdef", Ecosystem: "Go"}, []string{"GO-2020-0001"}},
		{"module path is case-sensitive", Package{Name: "github.com/Gin-Gonic/gin", Version: "v1.5.0", Ecosystem: "Go"}, nil},
		{"module from purl", Package{PURL: "pkg:golang/github.com/gin-gonic/gin@v1.4.0"}, []string{"GO-2020-0001"}},
		{"x/net inside", Package{Name: "golang.org/x/net", Version: "v0.16.0", Ecosystem: "Go"}, []string{"GO-2023-2102"}},
		// GO-2023-2102 stdlib: introduced 0, fixed 1.20.10, introduced 1.21.0-0, fixed 1.21.3.
		{"stdlib go1.20.9", Package{Name: "stdlib", Version: "go1.20.9", Ecosystem: "Go"}, []string{"GO-2023-2102"}},
		{"stdlib go1.20.10", Package{Name: "stdlib", Version: "go1.20.10", Ecosystem: "Go"}, nil},
		{"stdlib go1.21", Package{Name: "stdlib", Version: "go1.21", Ecosystem: "Go"}, []string{"GO-2023-2102"}},
		{"stdlib go1.21rc2", Package{Name: "stdlib", Version: "go1.21rc2", Ecosystem: "Go"}, []string{"GO-2023-2102"}},
		{"stdlib go1.21.2", Package{Name: "stdlib", Version: "go1.21.2", Ecosystem: "Go"}, []string{"GO-2023-2102"}},
		{"stdlib 1.21.2 without prefix", Package{Name: "stdlib", Version: "1.21.2", Ecosystem: "Go"}, []string{"GO-2023-2102"}},
		{"stdlib go1.21.3", Package{Name: "stdlib", Version: "go1.21.3", Ecosystem: "Go"}, nil},
		{"stdlib with experiment suffix", Package{Name: "stdlib", Version: "go1.21.2 X:boringcrypto", Ecosystem: "Go"}, []string{"GO-2023-2102"}},
		{"stdlib from purl", Package{PURL: "pkg:golang/stdlib@go1.21.1"}, []string{"GO-2023-2102"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := matchIDs(t, db, tt.pkg)
			if tt.want == nil {
				tt.want = []string{}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%+v: got %v, want %v", tt.pkg, got, tt.want)
			}
		})
	}

	fs, err := db.Match(context.Background(), []Package{{Name: "stdlib", Version: "go1.20.3", Ecosystem: "Go"}})
	if err != nil || len(fs) != 1 {
		t.Fatalf("stdlib go1.20.3: %v %v", fs, err)
	}
	f := fs[0]
	if want := []string{"1.20.10", "1.21.3"}; !reflect.DeepEqual(f.FixedVersions, want) {
		t.Errorf("fixed versions = %v, want %v", f.FixedVersions, want)
	}
	if want := []string{"CVE-2023-39325", "GHSA-4374-p667-p6c8"}; !reflect.DeepEqual(f.Aliases, want) {
		t.Errorf("aliases = %v, want %v", f.Aliases, want)
	}
	if f.Severity.Level != LevelUnknown || f.Summary == "" {
		t.Errorf("severity %+v summary %q: Go records carry no severity but a summary", f.Severity, f.Summary)
	}
}

func TestGoTagToSemver(t *testing.T) {
	for in, want := range map[string]string{
		"go1.21.3": "1.21.3", "go1.21": "1.21.0", "go1.21rc2": "1.21.0-rc.2", "go1.9beta1": "1.9.0-beta.1",
		"1.20.1": "1.20.1", "v1.22.0": "1.22.0", "go1.22.1 X:nocoverageredesign": "1.22.1", "go1": "1.0.0",
		"1.21.0-rc.2": "1.21.0-rc.2",
	} {
		if got := goTagToSemver(in); got != want {
			t.Errorf("goTagToSemver(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMavenGuava(t *testing.T) {
	// Of the three guava advisories, GHSA-mvr2-9pj6-7w5j is fixed in
	// 24.1.1; the other two are fixed in 32.0.0 and cover 31.1-jre.
	want := []string{"GHSA-5mg8-w23w-74h3", "GHSA-7g45-4rm6-3mm3"}
	check := func(t *testing.T, db *DB) {
		for _, p := range []Package{
			{Name: "com.google.guava:guava", Version: "31.1-jre", Ecosystem: "Maven"},
			{PURL: "pkg:maven/com.google.guava/guava@31.1-jre"},
		} {
			if got := matchIDs(t, db, p); !reflect.DeepEqual(got, want) {
				t.Errorf("%+v: got %v, want %v", p, got, want)
			}
		}
		if got := matchIDs(t, db, Package{Name: "com.google.guava:guava", Version: "23.0", Ecosystem: "Maven"}); len(got) != 3 {
			t.Errorf("guava 23.0: got %v, want all three", got)
		}
		if got := matchIDs(t, db, Package{Name: "com.google.guava:guava", Version: "32.0.0-jre", Ecosystem: "Maven"}); len(got) != 0 {
			t.Errorf("guava 32.0.0-jre: got %v, want none", got)
		}
	}
	t.Run("testdata", func(t *testing.T) { check(t, testdataDB(t)) })
	t.Run("shared sample", func(t *testing.T) {
		dir := t.TempDir()
		importInto(t, dir, sharedZips(t, "maven-ghsa-sample.zip")...)
		check(t, openDB(t, dir))
	})
	t.Run("severity", func(t *testing.T) {
		fs, err := testdataDB(t).Match(context.Background(), []Package{{PURL: "pkg:maven/com.google.guava/guava@31.1-jre"}})
		if err != nil {
			t.Fatal(err)
		}
		// CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N = 3.3; C:H = 5.5.
		got := map[string]Severity{}
		for _, f := range fs {
			got[f.ID] = f.Severity
		}
		want := map[string]Severity{
			"GHSA-5mg8-w23w-74h3": {Level: LevelLow, Score: 3.3, Source: "CVSS:3.1"},
			"GHSA-7g45-4rm6-3mm3": {Level: LevelMedium, Score: 5.5, Source: "CVSS:3.1"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("severities = %+v, want %+v", got, want)
		}
	})
}

func TestNPM(t *testing.T) {
	t.Run("lodash", func(t *testing.T) {
		dir := t.TempDir()
		importInto(t, dir, sharedZips(t, "ghsa-npm.zip")...)
		db := openDB(t, dir)
		// From INDEX.tsv: fixed 4.17.21 (x2), 4.17.12, and 3.7.0..4.17.19 cover
		// 4.17.11; the two fixed in 4.17.11 and the one in 4.17.5 do not.
		want := []string{"GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm", "GHSA-jf85-cpcp-j695", "GHSA-p6mc-m468-83gw"}
		if got := matchIDs(t, db, Package{Name: "lodash", Version: "4.17.11", Ecosystem: "npm"}); !reflect.DeepEqual(got, want) {
			t.Errorf("lodash 4.17.11: got %v, want %v", got, want)
		}
		if got := matchIDs(t, db, Package{Name: "lodash", Version: "4.17.21", Ecosystem: "npm"}); len(got) != 0 {
			t.Errorf("lodash 4.17.21: got %v", got)
		}
		if got := matchIDs(t, db, Package{Name: "Lodash", Version: "4.17.11", Ecosystem: "npm"}); len(got) != 0 {
			t.Errorf("npm names are case-sensitive; Lodash matched %v", got)
		}
	})
	t.Run("scoped", func(t *testing.T) {
		db := testdataDB(t)
		// GHSA-c429-5p7v-vgjp: @hapi/hoek <8.5.1 and 9.0.0..<9.0.3; hoek <=6.1.3.
		tests := []struct {
			pkg  Package
			want int
		}{
			{Package{Name: "@hapi/hoek", Version: "8.5.0", Ecosystem: "npm"}, 1},
			{Package{Name: "@hapi/hoek", Version: "8.5.1", Ecosystem: "npm"}, 0},
			{Package{Name: "@hapi/hoek", Version: "9.0.2", Ecosystem: "npm"}, 1},
			{Package{Name: "@hapi/hoek", Version: "9.0.3", Ecosystem: "npm"}, 0},
			{Package{PURL: "pkg:npm/%40hapi/hoek@9.0.0"}, 1},
			{Package{PURL: "pkg:npm/@hapi/hoek@9.0.0"}, 1},
			{Package{Name: "hoek", Version: "6.1.3", Ecosystem: "npm"}, 1},
			{Package{Name: "hoek", Version: "6.1.4", Ecosystem: "npm"}, 0},
			{Package{Name: "@other/hoek", Version: "6.1.3", Ecosystem: "npm"}, 0},
		}
		for _, tt := range tests {
			if got := matchIDs(t, db, tt.pkg); len(got) != tt.want {
				t.Errorf("%+v: got %v, want %d findings", tt.pkg, got, tt.want)
			}
		}
		fs, _ := db.Match(context.Background(), []Package{{Name: "@hapi/hoek", Version: "8.0.0", Ecosystem: "npm"}})
		if len(fs) != 1 || !reflect.DeepEqual(fs[0].FixedVersions, []string{"8.5.1", "9.0.3"}) {
			t.Errorf("@hapi/hoek 8.0.0 fixed versions: %+v", fs)
		}
		if fs[0].Severity != (Severity{Level: LevelHigh, Score: 8.1, Source: "CVSS:3.1"}) {
			t.Errorf("severity = %+v", fs[0].Severity)
		}
	})
}

func TestSamePackageMatchedOnce(t *testing.T) {
	db := testdataDB(t)
	pkgs := []Package{
		{Name: "com.google.guava:guava", Version: "31.1-jre", Ecosystem: "Maven"},
		{Name: "lodash", Version: "1.0.0", Ecosystem: "npm"},
		{PURL: "pkg:maven/com.google.guava/guava@31.1-jre"},
		{Name: "com.google.guava:guava", Version: "33.0.0-jre", Ecosystem: "Maven"},
		{Name: "com.google.guava:guava", Version: "31.1-jre", Ecosystem: "maven"},
		{Name: "com.google.guava:guava", Version: "30.0-jre", Ecosystem: "Maven"},
	}
	fs, err := db.Match(context.Background(), pkgs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int{}
	for _, f := range fs {
		got[f.ID+" "+f.Package.Version] = f.PackageIndex
	}
	want := map[string][]int{
		"GHSA-5mg8-w23w-74h3 31.1-jre": {0, 2, 4},
		"GHSA-7g45-4rm6-3mm3 31.1-jre": {0, 2, 4},
		"GHSA-5mg8-w23w-74h3 30.0-jre": {5},
		"GHSA-7g45-4rm6-3mm3 30.0-jre": {5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
}

// Synthetic records (not from any database) for alias merging.
const (
	synthGHSA = `{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-03-01T00:00:00Z", "summary": "synthetic GHSA",
	  "aliases": ["CVE-2099-0001"],
	  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
	  "affected": [{"package": {"ecosystem": "PyPI", "name": "Synthetic_Pkg"},
	    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}]}],
	  "database_specific": {"severity": "MODERATE"}}`
	synthPYSEC = `{"id": "PYSEC-2099-1", "modified": "2024-02-01T00:00:00Z", "details": "synthetic PYSEC\nmore",
	  "aliases": ["CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"],
	  "affected": [{"package": {"ecosystem": "PyPI", "name": "synthetic-pkg"},
	    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}]}]}`
	// Shares only the CVE with the GHSA record: merged transitively.
	synthOSV = `{"id": "GHSA-dddd-eeee-ffff", "modified": "2024-04-01T00:00:00Z",
	  "aliases": ["CVE-2099-0001"],
	  "affected": [{"package": {"ecosystem": "PyPI", "name": "synthetic.pkg"}, "versions": ["1.0.0"]}]}`
	synthOther = `{"id": "PYSEC-2099-2", "modified": "2024-02-01T00:00:00Z", "summary": "unrelated",
	  "affected": [{"package": {"ecosystem": "PyPI", "name": "synthetic-pkg"},
	    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}],
	  "database_specific": {"severity": "LOW"}}`
)

func TestAliasMerging(t *testing.T) {
	src := t.TempDir()
	for name, rec := range map[string]string{"ghsa.json": synthGHSA, "pysec.json": synthPYSEC, "osv.json": synthOSV, "other.json": synthOther} {
		writeFile(t, src, name, rec)
	}
	dir := t.TempDir()
	importInto(t, dir, src)
	db := openDB(t, dir)
	fs, err := db.Match(context.Background(), []Package{{Name: "synthetic-pkg", Version: "1.0.0", Ecosystem: "PyPI"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 {
		t.Fatalf("got %d findings, want 2: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.ID != "PYSEC-2099-1" {
		t.Errorf("canonical ID = %s, want the native PYSEC-2099-1", f.ID)
	}
	if want := []string{"CVE-2099-0001", "GHSA-aaaa-bbbb-cccc", "GHSA-dddd-eeee-ffff"}; !reflect.DeepEqual(f.Aliases, want) {
		t.Errorf("aliases = %v, want %v", f.Aliases, want)
	}
	if want := []string{"1.2.0", "1.3.0"}; !reflect.DeepEqual(f.FixedVersions, want) {
		t.Errorf("fixed = %v, want %v", f.FixedVersions, want)
	}
	if want := (Severity{Level: LevelCritical, Score: 9.8, Source: "CVSS:3.1"}); f.Severity != want {
		t.Errorf("severity = %+v, want %+v", f.Severity, want)
	}
	if f.Summary != "synthetic PYSEC" || f.Modified.Month() != 4 {
		t.Errorf("summary %q modified %v", f.Summary, f.Modified)
	}
	if o := fs[1]; o.ID != "PYSEC-2099-2" || len(o.Aliases) != 0 || o.Severity != (Severity{Level: LevelLow, Source: "ghsa"}) {
		t.Errorf("unrelated finding = %+v", o)
	}
	// Past the GHSA fix only the PYSEC and unrelated records remain; still merged by alias.
	fs, _ = db.Match(context.Background(), []Package{{Name: "synthetic-pkg", Version: "1.2.5", Ecosystem: "PyPI"}})
	if got := ids(fs); !reflect.DeepEqual(got, []string{"PYSEC-2099-1", "PYSEC-2099-2"}) {
		t.Errorf("1.2.5: %v", got)
	}
}

func TestReleaseEcosystems(t *testing.T) {
	// Synthetic records in osv.dev's distro conventions.
	src := t.TempDir()
	writeFile(t, src, "alpine310.json", `{"id": "ALPINE-TEST-310", "modified": "2024-01-01T00:00:00Z",
	  "affected": [{"package": {"ecosystem": "Alpine:v3.10", "name": "musl"},
	    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.22-r4"}]}]}]}`)
	writeFile(t, src, "alpine311.json", `{"id": "ALPINE-TEST-311", "modified": "2024-01-01T00:00:00Z",
	  "affected": [{"package": {"ecosystem": "Alpine:v3.11", "name": "musl"},
	    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.24-r3"}]}]}]}`)
	writeFile(t, src, "debian.json", `{"id": "DSA-TEST-1", "modified": "2024-01-01T00:00:00Z",
	  "affected": [{"package": {"ecosystem": "Debian:10", "name": "openssl"},
	    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.1n-0+deb10u2"}]}]}]}`)
	dir := t.TempDir()
	importInto(t, dir, src)
	db := openDB(t, dir)
	tests := []struct {
		pkg  Package
		want []string
	}{
		{Package{PURL: "pkg:apk/alpine/musl@1.1.22-r3?arch=x86_64&distro=alpine-3.10.9"}, []string{"ALPINE-TEST-310"}},
		{Package{PURL: "pkg:apk/alpine/musl@1.1.22-r4?distro=alpine-3.10.9"}, nil},
		{Package{Name: "musl", Version: "1.1.22-r3", Ecosystem: "Alpine:v3.11"}, []string{"ALPINE-TEST-311"}},
		{Package{Name: "musl", Version: "1.1.22-r3", Ecosystem: "Alpine"}, []string{"ALPINE-TEST-310", "ALPINE-TEST-311"}},
		{Package{Name: "libssl1.1", Source: "openssl", Version: "1.1.1d-0+deb10u7", Ecosystem: "Debian:10"}, []string{"DSA-TEST-1"}},
		{Package{PURL: "pkg:deb/debian/libssl1.1@1.1.1d-0%2Bdeb10u7?distro=debian-10", Source: "openssl"}, []string{"DSA-TEST-1"}},
		{Package{Name: "libssl1.1", Source: "openssl", Version: "1.1.1n-0+deb10u2", Ecosystem: "Debian:10"}, nil},
		{Package{Name: "libssl1.1", Source: "openssl", Version: "1.1.1d-0+deb10u7", Ecosystem: "Debian:11"}, nil},
		{Package{Name: "libssl1.1", Version: "1.1.1d-0+deb10u7", Ecosystem: "Debian:10"}, nil},
	}
	for _, tt := range tests {
		got := matchIDs(t, db, tt.pkg)
		if tt.want == nil {
			tt.want = []string{}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%+v: got %v, want %v", tt.pkg, got, tt.want)
		}
	}
}

func TestRangeEvaluation(t *testing.T) {
	// Spec examples (https://ossf.github.io/osv-schema/#examples) evaluated
	// directly, SEMVER ordering.
	ev := func(kv ...string) []Event {
		var out []Event
		for i := 0; i < len(kv); i += 2 {
			switch kv[i] {
			case "i":
				out = append(out, Event{Introduced: kv[i+1]})
			case "f":
				out = append(out, Event{Fixed: kv[i+1]})
			case "l":
				out = append(out, Event{LastAffected: kv[i+1]})
			case "L":
				out = append(out, Event{Limit: kv[i+1]})
			}
		}
		return out
	}
	tests := []struct {
		name     string
		events   []Event
		affected []string
		not      []string
	}{
		{"unfixed", ev("i", "0"), []string{"0.0.1", "99.0.0"}, nil},
		{"fixed", ev("i", "0", "f", "1.0.2"), []string{"1.0.1"}, []string{"1.0.2", "2.0.0"}},
		{"last_affected", ev("i", "0", "l", "1.0.2"), []string{"1.0.2"}, []string{"1.0.3"}},
		{"multiple, unsorted", ev("f", "2.0.3", "i", "2.0.0", "f", "1.0.2", "i", "0"), []string{"1.0.1", "2.0.2"}, []string{"1.0.2", "1.5.0", "2.0.3"}},
		{"limit", ev("i", "0", "L", "2.0.0"), []string{"1.9.9"}, []string{"2.0.0", "3.0.0"}},
		{"limit star", ev("i", "1.0.0", "L", "*"), []string{"5.0.0"}, []string{"0.9.0"}},
		{"prerelease below introduced", ev("i", "1.0.0", "f", "2.0.0"), []string{"1.0.1"}, []string{"1.0.0-rc.1", "2.0.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := []compactAffected{{E: "npm", R: []Range{{Type: RangeSemver, Events: tt.events}}}}
			for _, v := range tt.affected {
				if m, _ := evaluate(context.Background(), ca, resolved{eco: "npm", base: "npm", version: v}, &versionCache{}); len(m) == 0 {
					t.Errorf("%s not affected, want affected", v)
				}
			}
			for _, v := range tt.not {
				if m, _ := evaluate(context.Background(), ca, resolved{eco: "npm", base: "npm", version: v}, &versionCache{}); len(m) != 0 {
					t.Errorf("%s affected, want not", v)
				}
			}
		})
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		pkg                Package
		eco, name, version string
		ok                 bool
	}{
		{Package{PURL: "pkg:npm/%40babel/core@7.0.0"}, "npm", "@babel/core", "7.0.0", true},
		{Package{PURL: "pkg:pypi/Django_REST.framework@3.0"}, "PyPI", "django-rest-framework", "3.0", true},
		{Package{PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar"}, "Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", true},
		{Package{PURL: "pkg:golang/golang.org/x/net@v0.17.0"}, "Go", "golang.org/x/net", "0.17.0", true},
		{Package{PURL: "pkg:apk/alpine/busybox@1.30.1-r2?distro=alpine-3.10.9"}, "Alpine:v3.10", "busybox", "1.30.1-r2", true},
		{Package{PURL: "pkg:deb/debian/curl@7.64.0-4?distro=debian-10"}, "Debian:10", "curl", "7.64.0-4", true},
		{Package{PURL: "pkg:deb/debian/curl@7.64.0-4?distro=buster"}, "Debian:10", "curl", "7.64.0-4", true},
		{Package{PURL: "pkg:gem/rails@6.0.0"}, "RubyGems", "rails", "6.0.0", true},
		{Package{PURL: "pkg:cargo/serde@1.0.0"}, "crates.io", "serde", "1.0.0", true},
		{Package{PURL: "pkg:nuget/Newtonsoft.Json@12.0.1"}, "NuGet", "newtonsoft.json", "12.0.1", true},
		{Package{PURL: "pkg:composer/laravel/framework@8.0.0"}, "Packagist", "laravel/framework", "8.0.0", true},
		{Package{Name: "requests", Version: "2.0", Ecosystem: "pypi"}, "PyPI", "requests", "2.0", true},
		{Package{Name: "x", Ecosystem: "npm"}, "", "", "", false},
		{Package{PURL: "pkg:unknown/x@1"}, "", "", "", false},
		{Package{PURL: "not a purl"}, "", "", "", false},
	}
	for _, tt := range tests {
		r, ok := resolve(tt.pkg)
		if ok != tt.ok || (ok && (r.eco != tt.eco || r.names[0] != tt.name || r.version != tt.version)) {
			t.Errorf("resolve(%+v) = %+v %v, want %s %s %s %v", tt.pkg, r, ok, tt.eco, tt.name, tt.version, tt.ok)
		}
	}
}

// TestDVSAAgreesWithOSVScanner matches the npm packages of the real DVSA
// Lambda zip against ghsa-npm.zip; osv-scanner v2.5.0 reports 26
// (advisory, package) pairs for the same inputs (shared/README.md).
func TestDVSAAgreesWithOSVScanner(t *testing.T) {
	lambda := filepath.Join(repoRoot(t), "..", "shared", "data", "lambda", "dvsa-order-api.zip")
	if _, err := os.Stat(lambda); err != nil {
		t.Skipf("shared Lambda data not available: %v", err)
	}
	zr, err := zip.OpenReader(lambda)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var pkgs []Package
	for _, f := range zr.File {
		if !strings.Contains(f.Name, "node_modules/") || !strings.HasSuffix(f.Name, "/package.json") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var pj struct{ Name, Version string }
		err = json.NewDecoder(rc).Decode(&pj)
		rc.Close()
		if err == nil && pj.Name != "" && pj.Version != "" {
			pkgs = append(pkgs, Package{Name: pj.Name, Version: pj.Version, Ecosystem: "npm"})
		}
	}
	dir := t.TempDir()
	importInto(t, dir, sharedZips(t, "ghsa-npm.zip")...)
	fs, err := openDB(t, dir).Match(context.Background(), pkgs)
	if err != nil {
		t.Fatal(err)
	}
	pairs := map[string]bool{}
	for _, f := range fs {
		pairs[f.ID+" "+f.Package.Name+"@"+f.Package.Version] = true
	}
	if len(pairs) != 26 {
		t.Errorf("%d (advisory, package) pairs, osv-scanner reports 26: %v", len(pairs), pairs)
	}
	for _, want := range []string{"GHSA-q4v7-4rhw-9hqm node-serialize@0.0.4", "GHSA-44pw-h2cw-w3vq hawk@1.0.0", "GHSA-xvch-5gv4-984h minimist@0.0.10"} {
		if !pairs[want] {
			t.Errorf("missing %s", want)
		}
	}
}
