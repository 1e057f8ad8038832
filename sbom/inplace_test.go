package sbom

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fnscan/fnscan/internal/fixture"
)

// summary is what must not depend on how the target was opened: every
// component with its purl, cataloger and locations inside the target.
func summary(res *Result, prefix string) []string {
	var out []string
	for _, c := range res.Components {
		var locs []string
		for _, l := range c.Locations {
			locs = append(locs, strings.TrimPrefix(l.Path, prefix))
		}
		slices.Sort(locs)
		out = append(out, fmt.Sprintf("%s@%s %s %s %s %v", c.Name, c.Version, c.PURL, c.Type, c.FoundBy, locs))
	}
	slices.Sort(out)
	return out
}

// Acceptance 4 of reading archives in place: a zip read where it lies and
// the same tree unpacked by the user (dir:) give the same SBOM — packages,
// purls, catalogers, locations — nested jar and zip included.
func TestZipEqualsDirectory(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile(testdata("lambda", "dvsa-order-api.zip"))
	if err != nil {
		t.Fatal(err)
	}
	jars, _ := filepath.Glob(testdata("jars", "*.jar"))
	if len(jars) == 0 {
		t.Fatal("no jars in testdata/jars")
	}
	jar, err := os.ReadFile(jars[0])
	if err != nil {
		t.Fatal(err)
	}
	// The real package, plus a jar and a zip of npm packages inside it.
	zr, err := zip.NewReader(bytes.NewReader(base), int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		if !f.Mode().IsRegular() {
			continue
		}
		rc, _ := f.Open()
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	files["lib/"+filepath.Base(jars[0])] = jar
	files["vendor/bundle.zip"] = fixture.Zip(map[string][]byte{
		"node_modules/minimist/package.json": []byte(`{"name":"minimist","version":"0.0.8"}`),
	})
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "fn.zip")
	if err := os.WriteFile(zipPath, fixture.Zip(files), 0o644); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(dir, "fn")
	fixture.Unzip(t, zipPath, tree)

	start := time.Now()
	fromZip := catalogSpec(t, zipPath)
	tz := time.Since(start)
	start = time.Now()
	fromDir := catalogSpec(t, "dir:"+tree)
	t.Logf("zip %v, dir %v, %d components", tz, time.Since(start), len(fromZip.Components))
	a, b := summary(fromZip, "fn.zip!"), summary(fromDir, "fn/")
	if len(a) < 50 {
		t.Fatalf("only %d components from the zip", len(a))
	}
	if !slices.Equal(a, b) {
		for _, s := range a {
			if !slices.Contains(b, s) {
				t.Errorf("only from the zip: %s", s)
			}
		}
		for _, s := range b {
			if !slices.Contains(a, s) {
				t.Errorf("only from the dir: %s", s)
			}
		}
	}
}

// 200 nested zips cost one cataloging pass, not 200: time grows with the
// bytes, not with the number of archives.
func TestManyNestedArchives(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{}
	for i := 0; i < 200; i++ {
		files[fmt.Sprintf("vendor/p%03d.zip", i)] = fixture.Zip(map[string][]byte{
			fmt.Sprintf("node_modules/pkg-%03d/package.json", i): []byte(fmt.Sprintf(`{"name":"pkg-%03d","version":"1.0.%d"}`, i, i)),
		})
	}
	p := writeZip(t, "fn.zip", files)
	start := time.Now()
	res := catalogSpec(t, p)
	took := time.Since(start)
	t.Logf("200 nested zips cataloged in %v", took)
	n := 0
	for _, c := range res.Components {
		if strings.HasPrefix(c.Name, "pkg-") {
			n++
			want := fmt.Sprintf("fn.zip!vendor/p%s.zip!node_modules/%s/package.json", strings.TrimPrefix(c.Name, "pkg-"), c.Name)
			if len(c.Locations) != 1 || c.Locations[0].Path != want {
				t.Errorf("%s: locations %v, want %s", c.Name, c.Locations, want)
			}
		}
	}
	if n != 200 {
		t.Errorf("%d of 200 nested packages found", n)
	}
	// Per-archive cataloging took over 120 s; one pass takes a few seconds.
	if took > 60*time.Second {
		t.Errorf("took %v", took)
	}
}

// A jar whose manifest is over the cap is kept from syft's Java cataloger
// whether it lies in a zip read in place or in a directory on disk; a jar
// beside it with a normal manifest is still cataloged.
func TestOversizedManifestNotCataloged(t *testing.T) {
	t.Parallel()
	jar := func(manifestSize int, artifactID string) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		chunk := make([]byte, 16<<10)
		chunk[len(chunk)-1] = '\n'
		d := fixture.RepeatDeflate(chunk, manifestSize/len(chunk))
		w, _ := zw.CreateRaw(&zip.FileHeader{Name: "META-INF/MANIFEST.MF", Method: zip.Deflate, CRC32: d.CRC, CompressedSize64: uint64(len(d.Data)), UncompressedSize64: d.Size})
		w.Write(d.Data)
		w, _ = zw.Create("META-INF/maven/org.example/" + artifactID + "/pom.properties")
		fmt.Fprintf(w, "groupId=org.example\nartifactId=%s\nversion=1.0.0\n", artifactID)
		zw.Close()
		return b.Bytes()
	}
	files := map[string][]byte{"lib/big.jar": jar(32<<20, "big"), "lib/small.jar": jar(64<<10, "small")}
	p := writeZip(t, "fn.zip", files)
	dir := filepath.Join(t.TempDir(), "fn")
	fixture.Unzip(t, p, dir)
	for _, spec := range []string{p, "dir:" + dir} {
		res := catalogSpec(t, spec)
		var got []string
		for _, c := range res.Components {
			got = append(got, c.Name)
		}
		if slices.Contains(got, "big") || !slices.Contains(got, "small") {
			t.Errorf("%s: components %v, want small and not big", spec, got)
		}
		warned := false
		for _, w := range res.Warnings {
			warned = warned || (strings.Contains(w.Path, "big.jar!META-INF/MANIFEST.MF") && strings.Contains(w.Message, "not cataloged"))
		}
		if !warned {
			t.Errorf("%s: no warning for the manifest: %v", spec, res.Warnings)
		}
	}
	// The jar itself as the target: kept from the catalogers the same way.
	res := catalogSpec(t, writeZip(t, "big.jar", map[string][]byte{"lib/small.jar": jar(64<<10, "small")}))
	if len(res.Components) == 0 {
		t.Fatal("a jar target with a small nested jar: no components")
	}
	big := filepath.Join(t.TempDir(), "big.jar")
	if err := os.WriteFile(big, jar(32<<20, "big"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = catalogSpec(t, big)
	if len(res.Components) != 0 {
		t.Errorf("big.jar: components %v, want none", res.Components)
	}
	// Nested in a jar target: syft would open it reading the outer jar, so
	// the outer jar is not cataloged either, and says so.
	res = catalogSpec(t, writeZip(t, "app.jar", map[string][]byte{"BOOT-INF/lib/big.jar": jar(32<<20, "big")}))
	warned := false
	for _, w := range res.Warnings {
		warned = warned || (w.Path == "app.jar" && strings.Contains(w.Message, "not cataloged"))
	}
	if len(res.Components) != 0 || !warned {
		t.Errorf("app.jar holding big.jar: components %v, warnings %v", res.Components, res.Warnings)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0].Path, "big.jar!META-INF/MANIFEST.MF") {
		t.Errorf("big.jar: no warning for the manifest: %v", res.Warnings)
	}
}

// A jar as the target (a Java Lambda is often one uber-jar) is cataloged as
// the package it is, as when it is nested in a zip: the real guava jar
// gives what it gives inside lib/, and a shaded uber-jar gives its own
// package, the ones shaded into it and the jars nested in it.
func TestJarTarget(t *testing.T) {
	t.Parallel()
	guava, err := os.ReadFile(testdata("jars", "guava-31.1-jre.jar"))
	if err != nil {
		t.Fatal(err)
	}
	alone := filepath.Join(t.TempDir(), "guava-31.1-jre.jar")
	if err := os.WriteFile(alone, guava, 0o644); err != nil {
		t.Fatal(err)
	}
	purls := func(res *Result) []string {
		var out []string
		for _, c := range res.Components {
			out = append(out, c.PURL)
		}
		slices.Sort(out)
		return out
	}
	got := catalogSpec(t, alone)
	nested := catalogSpec(t, writeZip(t, "fn.zip", map[string][]byte{"lib/guava-31.1-jre.jar": guava}))
	if !slices.Contains(purls(got), "pkg:maven/com.google.guava/guava@31.1-jre") || !slices.Equal(purls(got), purls(nested)) {
		t.Fatalf("jar target: %v; the same jar in a zip: %v", purls(got), purls(nested))
	}
	for _, c := range got.Components {
		for _, l := range c.Locations {
			if !strings.HasPrefix(l.Path, "guava-31.1-jre.jar") {
				t.Errorf("%s found at %q, not in the jar", c.PURL, l.Path)
			}
		}
	}

	uber := writeZip(t, "order-handler.jar", map[string][]byte{
		"META-INF/MANIFEST.MF": []byte("Manifest-Version: 1.0\nMain-Class: com.example.Handler\n"),
		"META-INF/maven/com.example/order-handler/pom.properties":                   []byte("groupId=com.example\nartifactId=order-handler\nversion=1.4.0\n"),
		"META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties": []byte("groupId=com.fasterxml.jackson.core\nartifactId=jackson-databind\nversion=2.9.8\n"),
		"com/example/Handler.class":                                                 []byte("\xca\xfe\xba\xbe"),
		"BOOT-INF/lib/guava-31.1-jre.jar":                                           guava,
	})
	want := []string{"pkg:maven/com.example/order-handler@1.4.0", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.8", "pkg:maven/com.google.guava/guava@31.1-jre"}
	res := catalogSpec(t, uber)
	for _, w := range want {
		if !slices.Contains(purls(res), w) {
			t.Errorf("uber-jar: %s missing from %v", w, purls(res))
		}
	}
	// A package of a jar nested in the jar is located inside that jar.
	for _, c := range res.Components {
		if c.Name == "guava" && (len(c.Locations) != 1 || c.Locations[0].Path != "order-handler.jar!BOOT-INF/lib/guava-31.1-jre.jar!META-INF/maven/com.google.guava/guava/pom.properties") {
			t.Errorf("guava in the uber-jar at %v", c.Locations)
		}
	}
}

// A package file that fails to read (its checksum lies) is named in a
// warning marked unscanned, not silently dropped.
func TestCorruptEntryWarns(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	body := []byte(`{"name":"qs","version":"6.5.1"}`)
	w, _ := zw.CreateRaw(&zip.FileHeader{Name: "node_modules/qs/package.json", Method: zip.Store, CRC32: 12345,
		CompressedSize64: uint64(len(body)), UncompressedSize64: uint64(len(body))})
	w.Write(body)
	zw.Close()
	p := filepath.Join(t.TempDir(), "fn.zip")
	os.WriteFile(p, b.Bytes(), 0o644)
	res := catalogSpec(t, p)
	found := false
	for _, w := range res.Warnings {
		found = found || (w.Path == "fn.zip!node_modules/qs/package.json" && w.Unscanned && strings.Contains(w.Message, "checksum"))
	}
	if !found {
		t.Errorf("no warning for the corrupt entry: %+v", res.Warnings)
	}
}

// Files a later tar entry replaced are scanned, not cataloged: their marked
// names may sit under what is now a file, which no file tree can hold.
func TestReplacedTarEntriesNotMounted(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range []struct{ name, body string }{
		{"node_modules/qs/package.json", `{"name":"qs","version":"6.5.1"}`},
		{"node_modules/qs", "now a file\n"},
		{"node_modules/qs/package.json", `{"name":"qs","version":"6.5.2"}`},
		{"node_modules/qs/package.json", `{"name":"qs","version":"6.5.3"}`},
		{"node_modules/ms/package.json", `{"name":"ms","version":"2.0.0"}`},
	} {
		tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(e.body))
	}
	tw.Close()
	p := filepath.Join(t.TempDir(), "fn.tar")
	os.WriteFile(p, b.Bytes(), 0o644)
	res := catalogSpec(t, p)
	var got []string
	for _, c := range res.Components {
		got = append(got, c.PURL)
	}
	slices.Sort(got)
	if strings.Join(got, " ") != "pkg:npm/ms@2.0.0 pkg:npm/qs@6.5.3" {
		t.Errorf("components %v, want ms and the last qs", got)
	}
}
