package vuln

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// dump hashes every stored value, to compare databases record by record.
func dump(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	db := openDB(t, dir)
	out := map[string][32]byte{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketVulns, bucketAffected, bucketBriefs, bucketRecords} {
			err := tx.Bucket(b).ForEach(func(k, v []byte) error {
				out[string(b)+"/"+string(k)] = sha256.Sum256(v)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func statusCounts(t *testing.T, dir string) map[string]int {
	t.Helper()
	st, err := Status(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, s := range st {
		out[s.Ecosystem] = s.Records
	}
	return out
}

func TestImportSharedZips(t *testing.T) {
	dir, first := sharedDB(t)
	if first.Skipped != 0 {
		t.Errorf("first import skipped %d real records", first.Skipped)
	}
	if first.Added == 0 || first.Withdrawn == 0 {
		t.Errorf("first import stats = %+v, want records added and withdrawn Go records ignored", first)
	}
	counts := statusCounts(t, dir)
	for _, eco := range []string{"Go", "PyPI", "npm", "Maven"} {
		if counts[eco] == 0 {
			t.Errorf("status: no %s records (%v)", eco, counts)
		}
	}
	// Every Go file but the withdrawn ones is stored.
	if got, want := counts["Go"], countGoRecords(t); got != want {
		t.Errorf("Go records = %d, want %d", got, want)
	}
	st, _ := Status(dir)
	for _, s := range st {
		if s.Source == "" || s.ImportedAt.IsZero() {
			t.Errorf("status %s: source %q imported at %v", s.Ecosystem, s.Source, s.ImportedAt)
		}
	}

	// A second import of the same data into a copy changes nothing.
	copyDir := t.TempDir()
	copyFile(t, filepath.Join(dir, dbFile), filepath.Join(copyDir, dbFile))
	before := dump(t, copyDir)
	second := importInto(t, copyDir, sharedZips(t, allSharedZips...)...)
	if second.Added != 0 || second.Updated != 0 || second.Removed != 0 || second.Unchanged != first.Added {
		t.Errorf("second import stats = %+v, want all %d records unchanged", second, first.Added)
	}
	if after := dump(t, copyDir); !reflect.DeepEqual(before, after) {
		t.Errorf("second import changed stored records: %d before, %d after", len(before), len(after))
	}
	if got := statusCounts(t, copyDir); !reflect.DeepEqual(got, counts) {
		t.Errorf("counts after second import = %v, want %v", got, counts)
	}
}

// countGoRecords counts the not-withdrawn records naming a Go package in
// the JSON zips by reading them directly, not through the importer.
func countGoRecords(t *testing.T) int {
	n := 0
	for _, z := range sharedZips(t, "go-vulndb-osv.zip", "ghsa-npm.zip", "maven-ghsa-sample.zip") {
		zr, err := zip.OpenReader(z)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if !strings.HasSuffix(f.Name, ".json") {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			var rec struct {
				Withdrawn *string
				Affected  []struct{ Package struct{ Ecosystem string } }
			}
			err = json.NewDecoder(rc).Decode(&rec)
			rc.Close()
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			for _, a := range rec.Affected {
				if rec.Withdrawn == nil && a.Package.Ecosystem == "Go" {
					n++
					break
				}
			}
		}
		zr.Close()
	}
	if n < 4000 {
		t.Fatalf("only %d Go records in the zips", n)
	}
	return n
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

var ginAffected = Package{Name: "github.com/gin-gonic/gin", Version: "v1.5.0", Ecosystem: "Go"}

// countdownCtx reports cancellation after n calls to Err, to stop an import
// part-way through.
type countdownCtx struct {
	context.Context
	mu sync.Mutex
	n  int
}

func (c *countdownCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

func TestInterruptedImportKeepsOldDB(t *testing.T) {
	dir := t.TempDir()
	importInto(t, dir, filepath.Join("testdata", "osv", "go"))
	want := dump(t, dir)
	check := func(t *testing.T) {
		t.Helper()
		db := openDB(t, dir)
		if got := matchIDs(t, db, ginAffected); !reflect.DeepEqual(got, []string{"GO-2020-0001"}) {
			t.Errorf("after interrupted import: Match(gin 1.5.0) = %v", got)
		}
		if got := dump(t, dir); !reflect.DeepEqual(got, want) {
			t.Error("after interrupted import: stored records changed")
		}
		if _, err := os.Stat(filepath.Join(dir, dbFile+".new")); err == nil {
			t.Error("temporary database left behind")
		}
	}

	t.Run("context canceled mid-way", func(t *testing.T) {
		ctx := &countdownCtx{Context: context.Background(), n: 4}
		_, err := Import(ctx, dir, []string{filepath.Join("testdata", "osv")}, ImportOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Import = %v, want context.Canceled", err)
		}
		check(t)
	})

	t.Run("crash before rename", func(t *testing.T) {
		testHookBeforeRename = func() error { return errors.New("simulated crash") }
		defer func() { testHookBeforeRename = nil }()
		if _, err := Import(context.Background(), dir, []string{filepath.Join("testdata", "osv")}, ImportOptions{}); err == nil {
			t.Fatal("Import succeeded despite the simulated crash")
		}
		check(t)
	})

	// After both, a normal import still works and adds the rest.
	importInto(t, dir, filepath.Join("testdata", "osv"))
	if got := statusCounts(t, dir); got["Maven"] != 3 {
		t.Errorf("after recovery: counts %v, want 3 Maven records", got)
	}
}

const helperEnv = "FNSCAN_VULN_TEST_IMPORT_DIR"

// helperImport runs in a child test process (see TestKilledImportKeepsOldDB).
func helperImport() int {
	sources := filepath.SplitList(os.Getenv(helperEnv + "_SOURCES"))
	if _, err := Import(context.Background(), os.Getenv(helperEnv), sources, ImportOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestKilledImportKeepsOldDB(t *testing.T) {
	zips := sharedZips(t, allSharedZips...)
	dir := t.TempDir()
	importInto(t, dir, filepath.Join("testdata", "osv", "go"))
	want := dump(t, dir)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir, helperEnv+"_SOURCES="+strings.Join(zips, string(os.PathListSeparator)))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once the new database has grown past its copied start.
	tmp := filepath.Join(dir, dbFile+".new")
	base, _ := os.Stat(filepath.Join(dir, dbFile))
	deadline := time.Now().Add(60 * time.Second)
	for {
		if fi, err := os.Stat(tmp); err == nil && fi.Size() > 2*base.Size() {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child import never started writing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("child import finished before it was killed; test proves nothing")
	}

	db := openDB(t, dir)
	if got := matchIDs(t, db, ginAffected); !reflect.DeepEqual(got, []string{"GO-2020-0001"}) {
		t.Errorf("after killed import: Match(gin 1.5.0) = %v", got)
	}
	if got := dump(t, dir); !reflect.DeepEqual(got, want) {
		t.Error("after killed import: stored records changed")
	}
	// The killed process's lock is gone and its leftover file is replaced.
	st := importInto(t, dir, filepath.Join("testdata", "osv"))
	if st.Added == 0 {
		t.Errorf("import after kill: %+v", st)
	}
}

func TestReadersDuringImport(t *testing.T) {
	dir := t.TempDir()
	importInto(t, dir, filepath.Join("testdata", "osv", "go"))
	db := openDB(t, dir)
	guava := Package{Name: "com.google.guava:guava", Version: "31.1-jre", Ecosystem: "Maven"}

	done := make(chan error)
	go func() {
		_, err := Import(context.Background(), dir, []string{filepath.Join("testdata", "osv")}, ImportOptions{})
		done <- err
	}()
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		default:
		}
		if got := matchIDs(t, db, ginAffected); len(got) != 1 {
			t.Fatalf("old handle during import: %v", got)
		}
	}
	// The old handle still sees the old file; a new one sees the import.
	if got := matchIDs(t, db, guava); len(got) != 0 {
		t.Errorf("old handle sees new records: %v", got)
	}
	if got := matchIDs(t, openDB(t, dir), guava); len(got) != 2 {
		t.Errorf("new handle: guava findings %v, want 2", got)
	}
}

func TestConcurrentImportsAreSerialised(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, src := range []string{filepath.Join("testdata", "osv", "go"), filepath.Join("testdata", "osv", "maven")} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Import(context.Background(), dir, []string{src}, ImportOptions{})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Each import merged into the other's result: nothing was lost.
	got := statusCounts(t, dir)
	if got["Go"] != 2 || got["Maven"] != 3 {
		t.Errorf("counts = %v, want Go 2 and Maven 3", got)
	}
}

func TestNoDB(t *testing.T) {
	check := func(t *testing.T, dir string) {
		t.Helper()
		_, err := Open(dir)
		if !errors.Is(err, ErrNoDB) {
			t.Fatalf("Open = %v, want ErrNoDB", err)
		}
		want := "no vulnerability database at " + dir + ": run `fnscan db import <osv zip or dir>` or `fnscan db update`"
		if err.Error() != want {
			t.Errorf("message = %q, want %q", err, want)
		}
		if _, err := Status(dir); !errors.Is(err, ErrNoDB) {
			t.Errorf("Status = %v, want ErrNoDB", err)
		}
	}
	t.Run("missing", func(t *testing.T) { check(t, filepath.Join(t.TempDir(), "nothing")) })
	t.Run("empty file", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, dbFile, "")
		check(t, dir)
	})
	t.Run("no records", func(t *testing.T) {
		dir := t.TempDir()
		// Only a withdrawn record: the database exists but is empty.
		importInto(t, dir, filepath.Join("testdata", "osv", "go", "GO-2024-2730.json"))
		check(t, dir)
	})
}

func TestMalformedRecordsSkipped(t *testing.T) {
	src := t.TempDir()
	good, err := os.ReadFile(filepath.Join("testdata", "osv", "go", "GO-2020-0001.json"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, "good.json", string(good))
	bad := map[string]string{
		"truncated.json":  `{"id": "GO-2099-0001", "affected": [`,
		"noid.json":       `{"modified": "2024-01-01T00:00:00Z", "affected": []}`,
		"wrongtype.json":  `{"id": "GO-2099-0002", "modified": "2024-01-01T00:00:00Z", "affected": "stdlib"}`,
		"badtime.json":    `{"id": "GO-2099-0003", "modified": "yesterday"}`,
		"sub/broken.yaml": "id: PYSEC-2099-1\naffected: [\n",
	}
	for name, content := range bad {
		writeFile(t, src, name, content)
	}
	var warnings []string
	dir := t.TempDir()
	st, err := Import(context.Background(), dir, []string{src}, ImportOptions{Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Skipped != len(bad) || st.Added != 1 {
		t.Errorf("stats = %+v, want %d skipped and 1 added", st, len(bad))
	}
	for name := range bad {
		found := false
		for _, w := range warnings {
			found = found || strings.Contains(w, filepath.FromSlash(name))
		}
		if !found {
			t.Errorf("no warning names %s: %q", name, warnings)
		}
	}
	if got := matchIDs(t, openDB(t, dir), ginAffected); len(got) != 1 {
		t.Errorf("good record not imported: %v", got)
	}
}

func TestWithdrawnRecords(t *testing.T) {
	dir := t.TempDir()
	src := t.TempDir()
	// Synthetic: an earlier, not yet withdrawn version of the real GO-2024-2730.
	writeFile(t, src, "GO-2024-2730.json", `{"id": "GO-2024-2730", "modified": "2024-01-01T00:00:00Z",
	  "affected": [{"package": {"ecosystem": "Go", "name": "github.com/gorilla/sessions"},
	  "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}`)
	importInto(t, dir, src, filepath.Join("testdata", "osv", "go", "GO-2020-0001.json"))
	sessions := Package{Name: "github.com/gorilla/sessions", Version: "v1.2.1", Ecosystem: "Go"}
	if got := matchIDs(t, openDB(t, dir), sessions); !reflect.DeepEqual(got, []string{"GO-2024-2730"}) {
		t.Fatalf("before withdrawal: %v", got)
	}
	st := importInto(t, dir, filepath.Join("testdata", "osv", "go"))
	if st.Removed != 1 {
		t.Errorf("stats = %+v, want 1 removed", st)
	}
	if got := matchIDs(t, openDB(t, dir), sessions); len(got) != 0 {
		t.Errorf("withdrawn record still matched: %v", got)
	}
	if st := importInto(t, dir, filepath.Join("testdata", "osv", "go")); st.Withdrawn != 1 || st.Removed != 0 {
		t.Errorf("re-import: %+v, want the withdrawn record ignored", st)
	}
}

func TestNewerModifiedReplaces(t *testing.T) {
	rec := func(modified, fixed string) string {
		return `{"id": "GHSA-test-test-test", "modified": "` + modified + `",
		  "affected": [{"package": {"ecosystem": "npm", "name": "synthetic-pkg"},
		  "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "` + fixed + `"}]}]}]}`
	}
	dir := t.TempDir()
	src := t.TempDir()
	p := Package{Name: "synthetic-pkg", Version: "1.5.0", Ecosystem: "npm"}
	importInto(t, dir, writeFile(t, src, "v1.json", rec("2024-01-01T00:00:00Z", "1.0.0")))
	if got := matchIDs(t, openDB(t, dir), p); len(got) != 0 {
		t.Fatalf("v1: %v", got)
	}
	st := importInto(t, dir, writeFile(t, src, "v2.json", rec("2024-02-01T00:00:00Z", "2.0.0")))
	if st.Updated != 1 {
		t.Errorf("newer: %+v", st)
	}
	if got := matchIDs(t, openDB(t, dir), p); len(got) != 1 {
		t.Errorf("after newer record: %v", got)
	}
	if st := importInto(t, dir, filepath.Join(src, "v1.json")); st.Unchanged != 1 || st.Updated != 0 {
		t.Errorf("older: %+v, want it ignored", st)
	}
	if got := matchIDs(t, openDB(t, dir), p); len(got) != 1 {
		t.Errorf("older record replaced the newer one: %v", got)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("FNSCAN_DB", "/x/db")
	if got := DefaultDir(); got != "/x/db" {
		t.Errorf("with FNSCAN_DB: %s", got)
	}
	t.Setenv("FNSCAN_DB", "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if got := DefaultDir(); got != filepath.Join("/cache", "fnscan", "db") {
		t.Errorf("with XDG_CACHE_HOME: %s", got)
	}
}

func TestYAMLScalarsKeepText(t *testing.T) {
	// Synthetic: unquoted 1.10 is a YAML float; it must stay the version "1.10".
	src := writeFile(t, t.TempDir(), "PYSEC-2099-9.yml", `id: PYSEC-2099-9
modified: 2024-01-01T00:00:00Z
affected:
- package:
    name: synthetic-yaml
    ecosystem: PyPI
  ranges:
  - type: ECOSYSTEM
    events:
    - introduced: 0
    - fixed: 1.10
`)
	dir := t.TempDir()
	importInto(t, dir, src)
	db := openDB(t, dir)
	for v, want := range map[string]int{"1.2": 1, "1.9": 1, "1.10": 0, "1.1": 1} {
		if got := matchIDs(t, db, Package{Name: "synthetic-yaml", Version: v, Ecosystem: "PyPI"}); len(got) != want {
			t.Errorf("%s: %v, want %d findings", v, got, want)
		}
	}
	e, err := db.Get("PYSEC-2099-9")
	if err != nil || e == nil || e.Affected[0].Ranges[0].Events[1].Fixed != "1.10" {
		t.Errorf("stored record = %+v, %v", e, err)
	}
}
