package scan

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
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
