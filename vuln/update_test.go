package vuln

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
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

// Credentials in the base URL are used for the request but never shown or
// stored; the query is kept after the joined path.
func TestUpdateURLSecrets(t *testing.T) {
	src := writeZip(t, filepath.Join(t.TempDir(), "npm.zip"), map[string]string{"GHSA-good-good-0001.json": goodRecord(t, "GHSA-good-good-0001")})
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.RequestURI())
		if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "s3cretPW" || r.URL.Query().Get("token") != "TOKEN42" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		if r.URL.Path != "/base/npm/all.zip" {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, src)
	}))
	t.Cleanup(srv.Close)
	secret := strings.Replace(srv.URL, "http://", "http://alice:s3cretPW@", 1) + "/base?token=TOKEN42"
	dir := t.TempDir()
	if _, err := Update(context.Background(), dir, UpdateOptions{BaseURL: secret, Ecosystems: []string{"npm"}}); err != nil {
		t.Fatalf("update: %v (requests %q)", err, asked)
	}
	if want := []string{"/base/npm/all.zip?token=TOKEN42"}; !reflect.DeepEqual(asked, want) {
		t.Errorf("requests = %q, want %q", asked, want)
	}
	status, err := Status(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(status) != 1 || status[0].Source != srv.URL+"/base/npm/all.zip" {
		t.Errorf("status = %+v, want source %s/base/npm/all.zip", status, srv.URL)
	}
	_, err = Update(context.Background(), dir, UpdateOptions{BaseURL: secret, Ecosystems: []string{"Go"}})
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/base/Go/all.zip") || !strings.Contains(err.Error(), "404") {
		t.Errorf("update of a missing ecosystem: %v", err)
	}
	// A refused connection: the client's own error quotes the URL.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err2 := Update(context.Background(), dir, UpdateOptions{BaseURL: strings.Replace(closed.URL, "http://", "http://alice:s3cretPW@", 1) + "?token=TOKEN42", Ecosystems: []string{"npm"}})
	for _, e := range []error{err, err2} {
		if e == nil || strings.Contains(e.Error(), "s3cretPW") || strings.Contains(e.Error(), "TOKEN42") {
			t.Errorf("error shows a secret: %v", e)
		}
	}
}

// Errors and warnings of an update name the ecosystem and URL, not the
// deleted temporary file; a damaged download fails the update.
func TestUpdateNamesSource(t *testing.T) {
	tmp := t.TempDir()
	html := filepath.Join(tmp, "page.html")
	os.WriteFile(html, []byte("<html>maintenance</html>"), 0o644)
	srv, _ := osvServer(t, map[string]string{
		"npm":  writeZip(t, filepath.Join(tmp, "npm.zip"), map[string]string{"bad.json": "{", "GHSA-good-good-0001.json": goodRecord(t, "GHSA-good-good-0001")}),
		"PyPI": html,
		"Go":   damagedZip(t, filepath.Join(tmp, "go.zip"), zip.Store),
	})
	dir := t.TempDir()
	var warnings []string
	st, err := Update(context.Background(), dir, UpdateOptions{BaseURL: srv.URL, Ecosystems: []string{"npm"}, Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil || st.Skipped != 1 || len(warnings) != 1 || !strings.Contains(warnings[0], "npm export "+srv.URL+"/npm/all.zip:bad.json") {
		t.Errorf("update: %v, stats %+v, warnings %q", err, st, warnings)
	}
	before := dump(t, dir)
	for _, eco := range []string{"PyPI", "Go"} {
		_, err := Update(context.Background(), dir, UpdateOptions{BaseURL: srv.URL, Ecosystems: []string{eco}})
		if err == nil || !strings.Contains(err.Error(), eco+" export "+srv.URL+"/"+eco+"/all.zip") || strings.Contains(err.Error(), "fnscan-osv-") {
			t.Errorf("update of a bad %s export: %v, want an error naming the ecosystem and URL", eco, err)
		}
	}
	if after := dump(t, dir); !reflect.DeepEqual(before, after) {
		t.Error("failed update changed the database")
	}
}

func TestDownloadLimits(t *testing.T) {
	oldSize, oldIdle := maxDownloadSize, downloadIdleTimeout
	maxDownloadSize, downloadIdleTimeout = 1000, 300*time.Millisecond
	t.Cleanup(func() { maxDownloadSize, downloadIdleTimeout = oldSize, oldIdle })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big/all.zip": // chunked: no Content-Length to check first
			for i := 0; i < 10; i++ {
				w.Write(bytes.Repeat([]byte("x"), 500))
				w.(http.Flusher).Flush()
			}
		case "/stall/all.zip":
			// Data keeps the download alive past the idle timeout...
			for i := 0; i < 4; i++ {
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
				time.Sleep(downloadIdleTimeout / 2)
			}
			// ...until it stops.
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	for eco, want := range map[string]string{"big": "larger than 1000 bytes", "stall": "no data received for 300ms"} {
		path := filepath.Join(t.TempDir(), "x.zip")
		err := download(context.Background(), http.DefaultClient, srv.URL+"/"+eco+"/all.zip", "shown", path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "shown") {
			t.Errorf("%s: %v, want %q", eco, err, want)
		}
	}
}
