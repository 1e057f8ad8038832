package vuln

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperImport())
	}
	code := m.Run()
	if sharedOnce.dir != "" {
		os.RemoveAll(filepath.Dir(sharedOnce.dir))
	}
	os.Exit(code)
}

// repoRoot is the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// sharedZips returns the shared OSV zips, skipping the test without them.
func sharedZips(t testing.TB, names ...string) []string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "..", "shared", "data", "osv")
	var out []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err != nil {
			t.Skipf("shared OSV data not available (%v): this test needs %s beside the repository", err, p)
		}
		out = append(out, p)
	}
	return out
}

var allSharedZips = []string{"go-vulndb-osv.zip", "pypa-advisory-database.zip", "ghsa-npm.zip", "maven-ghsa-sample.zip"}

var sharedOnce struct {
	sync.Mutex
	dir   string
	stats ImportStats
}

// sharedDB imports the four shared zips once per test binary.
func sharedDB(t testing.TB) (string, ImportStats) {
	t.Helper()
	zips := sharedZips(t, allSharedZips...)
	sharedOnce.Lock()
	defer sharedOnce.Unlock()
	if sharedOnce.dir == "" {
		tmp, err := os.MkdirTemp("", "fnscan-vuln-test-")
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(tmp, "db")
		st, err := Import(context.Background(), dir, zips, ImportOptions{Warn: func(s string) { t.Log(s) }})
		if err != nil {
			os.RemoveAll(tmp)
			t.Fatalf("import shared zips: %v", err)
		}
		sharedOnce.dir, sharedOnce.stats = dir, st
	}
	return sharedOnce.dir, sharedOnce.stats
}

// importInto imports sources into dir and fails the test on error.
func importInto(t testing.TB, dir string, sources ...string) ImportStats {
	t.Helper()
	st, err := Import(context.Background(), dir, sources, ImportOptions{Warn: func(s string) { t.Log(s) }})
	if err != nil {
		t.Fatalf("Import(%v): %v", sources, err)
	}
	return st
}

func testdataDB(t testing.TB) *DB {
	t.Helper()
	dir := t.TempDir()
	importInto(t, dir, filepath.Join("testdata", "osv"))
	return openDB(t, dir)
}

func openDB(t testing.TB, dir string) *DB {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func matchIDs(t testing.TB, db *DB, p Package) []string {
	t.Helper()
	fs, err := db.Match(context.Background(), []Package{p})
	if err != nil {
		t.Fatalf("Match(%+v): %v", p, err)
	}
	return ids(fs)
}

func ids(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	sort.Strings(out)
	return out
}

// writeFile writes a test input under dir and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
