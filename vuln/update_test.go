package vuln

import (
	"archive/zip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// zipDir packs the files of a testdata directory into an osv.dev-style flat zip.
func zipDir(t *testing.T, dir, out string) string {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return out
}

// osvServer serves <Ecosystem>/all.zip from the given files, like the
// osv-vulnerabilities bucket, and records the paths asked for.
func osvServer(t *testing.T, files map[string]string) (*httptest.Server, *[]string) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.EscapedPath())
		eco, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/all.zip")
		path, known := files[eco]
		if !ok || !known {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, path)
	}))
	t.Cleanup(srv.Close)
	return srv, &asked
}

func TestUpdate(t *testing.T) {
	tmp := t.TempDir()
	files := map[string]string{
		"Go":    zipDir(t, filepath.Join("testdata", "osv", "go"), filepath.Join(tmp, "go.zip")),
		"Maven": zipDir(t, filepath.Join("testdata", "osv", "maven"), filepath.Join(tmp, "maven.zip")),
	}
	// With the shared data, serve the real exports instead.
	if _, err := os.Stat(filepath.Join(repoRoot(t), "..", "shared", "data", "osv", "go-vulndb-osv.zip")); err == nil {
		z := sharedZips(t, "go-vulndb-osv.zip", "maven-ghsa-sample.zip")
		files["Go"], files["Maven"] = z[0], z[1]
	}
	srv, asked := osvServer(t, files)
	dir := t.TempDir()
	st, err := Update(context.Background(), dir, UpdateOptions{BaseURL: srv.URL + "/", Ecosystems: []string{"Go", "Maven"}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Added == 0 {
		t.Errorf("stats = %+v", st)
	}
	if want := []string{"/Go/all.zip", "/Maven/all.zip"}; !reflect.DeepEqual(*asked, want) {
		t.Errorf("requests = %v, want %v", *asked, want)
	}
	status, err := Status(dir)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{}
	for _, s := range status {
		sources[s.Ecosystem] = s.Source
	}
	if sources["Go"] != srv.URL+"/Go/all.zip" || sources["Maven"] != srv.URL+"/Maven/all.zip" {
		t.Errorf("status sources = %v", sources)
	}
	db := openDB(t, dir)
	if got := matchIDs(t, db, Package{PURL: "pkg:maven/com.google.guava/guava@31.1-jre"}); len(got) != 2 {
		t.Errorf("guava after update: %v", got)
	}

	// A failed download leaves the database as it was.
	before := dump(t, dir)
	_, err = Update(context.Background(), dir, UpdateOptions{BaseURL: srv.URL, Ecosystems: []string{"Go", "NoSuchEcosystem"}})
	if err == nil || !strings.Contains(err.Error(), "/NoSuchEcosystem/all.zip") || !strings.Contains(err.Error(), "404") {
		t.Errorf("update with a missing ecosystem: %v, want a 404 naming the URL", err)
	}
	if after := dump(t, dir); !reflect.DeepEqual(before, after) {
		t.Error("failed update changed the database")
	}
}

func TestDefaultUpdateOptions(t *testing.T) {
	o := DefaultUpdateOptions()
	if o.BaseURL != "https://osv-vulnerabilities.storage.googleapis.com" {
		t.Errorf("base URL %s", o.BaseURL)
	}
	for _, eco := range []string{"npm", "PyPI", "Maven", "Go", "RubyGems", "NuGet", "crates.io", "Packagist", "Alpine", "Debian"} {
		if !containsString(o.Ecosystems, eco) {
			t.Errorf("default ecosystems lack %s", eco)
		}
	}
}
