package scan

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fnscan/fnscan/internal/fixture"
)

// The source cache keeps the three most recently used imports, and never
// one used (or being made) within the hour, or a directory it did not name.
func TestPruneSources(t *testing.T) {
	t.Parallel()
	now := time.Now()
	root := t.TempDir()
	mk := func(name string, age time.Duration, files ...string) {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644)
		}
		os.Chtimes(dir, now.Add(-age), now.Add(-age))
	}
	hex := func(i int) string { return fmt.Sprintf("%032x", i) }
	for i, age := range []time.Duration{time.Minute, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 50 * time.Hour, 24 * 400 * time.Hour} {
		mk(hex(i), age, "osv.db")
	}
	mk(hex(10), 5*time.Minute, "osv.db.lock", "osv.db.new") // an import under way
	mk(hex(11), 900*time.Hour, "osv.db.lock", "osv.db.new") // one abandoned
	mk("not-a-digest", 900*time.Hour, "osv.db")
	pruneSources(root, now)
	var left []string
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{hex(0), hex(1), hex(10), "not-a-digest"} // the import under way is the second most recent
	if !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}

	// Five used within the hour: none goes.
	root = t.TempDir()
	for i := range 5 {
		mk(hex(i), time.Duration(i)*time.Minute, "osv.db")
	}
	pruneSources(root, now)
	if entries, _ := os.ReadDir(root); len(entries) != 5 {
		t.Errorf("%d left of 5 used within the hour", len(entries))
	}
}

// Through resolveDB: each new --db source is imported once; the cache never
// holds more than keepSources old imports.
func TestSourceCachePruned(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	var dirs []string
	for i := range 5 {
		src := t.TempDir()
		rec := fmt.Sprintf(`{"id":"GHSA-test-%04d","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"p%d"},"versions":["1.0.0"]}]}`, i, i)
		if err := os.WriteFile(filepath.Join(src, "rec.json"), []byte(rec), 0o644); err != nil {
			t.Fatal(err)
		}
		dir, err := resolveDB(t.Context(), src, &Collector{})
		if err != nil {
			t.Fatal(err)
		}
		// Used long ago, as far as pruning can tell.
		old := time.Now().Add(-time.Duration(10-i) * time.Hour)
		os.Chtimes(dir, old, old)
		dirs = append(dirs, dir)
	}
	entries, err := os.ReadDir(SourceCacheDir())
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, filepath.Join(SourceCacheDir(), e.Name()))
	}
	// The fourth import removed the first, the fifth the second.
	slices.Sort(left)
	want := slices.Clone(dirs[len(dirs)-keepSources:])
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("cache holds %v, want %v", left, want)
	}
}

// A damaged import of --db in the cache is made again from the source, and
// --max-db-age cannot pass for an ecosystem the database has no records of.
func TestDamagedCacheAndMissingEcosystem(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	src := t.TempDir()
	rec := `{"id":"GHSA-test-dmg1","modified":"` + time.Now().UTC().Format(time.RFC3339) + `","affected":[{"package":{"ecosystem":"npm","name":"qs"},"versions":["6.0.0"]}]}`
	if err := os.WriteFile(filepath.Join(src, "rec.json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	fn, err := fixture.WriteZip(t.TempDir(), "fn.zip", map[string][]byte{
		"index.js":                     []byte("exports.handler = async () => 1\n"),
		"node_modules/qs/package.json": []byte(`{"name":"qs","version":"6.0.0"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Target, cfg.DB, cfg.Secrets, cfg.Deploy, cfg.FailOn = fn, src, false, false, "none"
	ids := func() []string {
		t.Helper()
		res, err := Run(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range res.Vulnerabilities {
			out = append(out, v.ID)
		}
		return out
	}
	if got := ids(); !slices.Equal(got, []string{"GHSA-test-dmg1"}) {
		t.Fatalf("first run: %v", got)
	}
	dir, err := resolveDB(t.Context(), src, &Collector{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(filepath.Join(dir, "osv.db"), 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("affected")) }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if got := ids(); !slices.Equal(got, []string{"GHSA-test-dmg1"}) {
		t.Errorf("after the cache was damaged: %v", got)
	}

	// Fresh npm records, and a Python component the records say nothing of.
	pyfn, err := fixture.WriteZip(t.TempDir(), "fn.zip", map[string][]byte{
		"node_modules/qs/package.json":      []byte(`{"name":"qs","version":"6.0.0"}`),
		"requests-2.0.0.dist-info/METADATA": []byte("Metadata-Version: 2.1\nName: requests\nVersion: 2.0.0\n"),
		"requests-2.0.0.dist-info/RECORD":   []byte("requests/__init__.py,,\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Target, cfg.MaxDBAge = pyfn, 30*24*time.Hour
	if _, err := Run(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "no records for PyPI") {
		t.Errorf("--max-db-age with no PyPI records: %v", err)
	}
}
