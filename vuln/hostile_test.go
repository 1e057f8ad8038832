package vuln

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/osv-scalibr/semantic"
)

// Tests for issue 14, "Hostile input, round two": each builds its OSV
// records, imports them with Import and matches with (*DB).Match.

// osvRecord renders one OSV record for a single affected package.
func osvRecord(t testing.TB, id, modified, withdrawn, eco, name string, ranges []Range, versions []string) string {
	t.Helper()
	e := map[string]any{
		"id":       id,
		"modified": modified,
		"affected": []any{map[string]any{
			"package":  map[string]string{"ecosystem": eco, "name": name},
			"ranges":   ranges,
			"versions": versions,
		}},
	}
	if withdrawn != "" {
		e["withdrawn"] = withdrawn
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ev builds events: "i" introduced, "f" fixed, "l" last_affected, "L" limit.
func ev(kv ...string) []Event {
	var out []Event
	for i := 0; i+1 < len(kv); i += 2 {
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

func semverRange(kv ...string) []Range {
	return []Range{{Type: RangeSemver, Events: ev(kv...)}}
}

// writeZip writes name -> content into a deflated zip and returns its path.
func writeZip(t testing.TB, path string, files map[string]string) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func importWarn(t testing.TB, dir string, sources ...string) (ImportStats, []string) {
	t.Helper()
	var warnings []string
	st, err := Import(context.Background(), dir, sources, ImportOptions{Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatalf("Import(%v): %v", sources, err)
	}
	return st, warnings
}

// Item 6: a 1 MB version string used to stall scans (parse time quadratic
// in its length). Import rejects the record, naming file and record.
func TestLongVersionRecordSkipped(t *testing.T) {
	huge := "1." + strings.Repeat("7", 1<<20)
	src := filepath.Join(t.TempDir(), "hostile.zip")
	writeZip(t, src, map[string]string{
		"GHSA-long-fixd-0001.json": osvRecord(t, "GHSA-long-fixd-0001", "2024-01-01T00:00:00Z", "", "npm", "victim",
			semverRange("i", "0", "f", huge), nil),
		"GHSA-long-list-0002.json": osvRecord(t, "GHSA-long-list-0002", "2024-01-01T00:00:00Z", "", "npm", "victim",
			nil, []string{"1.0.0", huge}),
		"GHSA-good-good-0003.json": osvRecord(t, "GHSA-good-good-0003", "2024-01-01T00:00:00Z", "", "npm", "victim",
			semverRange("i", "0", "f", "2.0.0"), nil),
	})
	if fi, _ := os.Stat(src); fi.Size() > 64<<10 {
		t.Fatalf("test input is %d bytes on disk, want it small", fi.Size())
	}
	dir := t.TempDir()
	start := time.Now()
	st, warnings := importWarn(t, dir, src)
	t.Logf("import of two 1 MB versions took %v", time.Since(start))
	if st.Skipped != 2 || st.Added != 1 {
		t.Errorf("stats = %+v, want 2 skipped, 1 added", st)
	}
	for _, id := range []string{"GHSA-long-fixd-0001", "GHSA-long-list-0002"} {
		found := false
		for _, w := range warnings {
			if strings.Contains(w, id) {
				found = true
				if !strings.Contains(w, src) || !strings.Contains(w, "longer than the limit of 256") {
					t.Errorf("warning for %s does not name the file and the limit: %q", id, w)
				}
				if len(w) > 600 {
					t.Errorf("warning for %s is %d bytes: it must not repeat the version", id, len(w))
				}
			}
		}
		if !found {
			t.Errorf("no warning names %s: %q", id, warnings)
		}
	}
	db := openDB(t, dir)
	start = time.Now()
	got := matchIDs(t, db, Package{Name: "victim", Version: "1.0.0", Ecosystem: "npm"})
	if !reflect.DeepEqual(got, []string{"GHSA-good-good-0003"}) {
		t.Errorf("match = %v, want only the valid record", got)
	}
	// A hostile version on the scanned side is never parsed either.
	got = matchIDs(t, db, Package{Name: "victim", Version: huge, Ecosystem: "npm"})
	if len(got) != 0 {
		t.Errorf("1 MB package version matched %v", got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("matching took %v, want under 2s", d)
	}
}

// Item 6: the cost is in osv-scalibr semantic's parseSemverLike, which
// grows the current component with string += per byte (and then converts it
// with big.Int): time quadratic in the length. This logs the growth, then
// checks that matching records at the import bound, with versions built to
// be slow for each parser, stays fast.
func TestMatchAtVersionBoundIsFast(t *testing.T) {
	for _, n := range []int{4 << 10, 8 << 10, 16 << 10} {
		s := "1.0.0-" + strings.Repeat("a", n)
		start := time.Now()
		semantic.ParseSemverVersion(s)
		t.Logf("unbounded: ParseSemverVersion of %d bytes: %v", n, time.Since(start))
	}

	at := func(prefix string, fill byte, i int) string {
		s := fmt.Sprintf("%s%d.", prefix, i)
		return s + strings.Repeat(string(fill), maxVersionLen-len(s))
	}
	const ranges = 200
	src := t.TempDir()
	var pkgs []Package
	for _, c := range []struct {
		eco, prefix string
		typ         string
		fill        byte
	}{
		{"npm", "1.0.0-", RangeSemver, 'a'},
		{"Go", "1.0.0-", RangeSemver, '1'},
		{"PyPI", "1.", RangeEcosystem, '9'},
		{"Maven", "1.", RangeEcosystem, 'x'},
		{"RubyGems", "1.", RangeEcosystem, '3'},
		{"Debian", "1.", RangeEcosystem, '~'},
		{"NuGet", "1.", RangeEcosystem, '7'},
		{"Packagist", "1.", RangeEcosystem, '5'},
	} {
		var rs []Range
		var versions []string
		for i := range ranges {
			rs = append(rs, Range{Type: c.typ, Events: ev("i", at(c.prefix, c.fill, i), "f", at(c.prefix, c.fill, i+1))})
			versions = append(versions, at(c.prefix, c.fill, ranges+i))
		}
		for _, r := range rs {
			for _, e := range r.Events {
				if v := e.Introduced + e.Fixed; len(v) != maxVersionLen {
					t.Fatalf("test version is %d bytes, want %d", len(v), maxVersionLen)
				}
			}
		}
		id := "BOUND-" + strings.ToUpper(c.eco)
		writeFile(t, src, id+".json", osvRecord(t, id, "2024-01-01T00:00:00Z", "", c.eco, "bound-pkg", rs, versions))
		pkgs = append(pkgs,
			Package{Name: "bound-pkg", Version: at(c.prefix, c.fill, 0), Ecosystem: c.eco},
			Package{Name: "bound-pkg", Version: at(c.prefix, c.fill, 2*ranges-1), Ecosystem: c.eco})
	}
	dir := t.TempDir()
	st, warnings := importWarn(t, dir, src)
	if st.Added != 8 || st.Skipped != 0 {
		t.Fatalf("stats = %+v (%q), want every record at the bound accepted", st, warnings)
	}
	db := openDB(t, dir)
	start := time.Now()
	fs, err := db.Match(context.Background(), pkgs)
	d := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("matching %d packages against 8 records of %d ranges and %d listed versions of %d bytes: %v", len(pkgs), ranges, ranges, maxVersionLen, d)
	if len(fs) == 0 {
		t.Error("no finding: the records at the bound were not evaluated")
	}
	if d > 2*time.Second {
		t.Errorf("matching at the version bound took %v, want under 2s", d)
	}
}

// cancelAfter is a context whose Err reports Canceled from its n+1th call.
type cancelAfter struct {
	context.Context
	n, calls atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.calls.Add(1) > c.n.Load() {
		return context.Canceled
	}
	return nil
}

// Item 6: matching checks ctx inside its loops, not only per package.
func TestMatchCancelledInsideRecord(t *testing.T) {
	var rs []Range
	for i := range 5000 {
		rs = append(rs, Range{Type: RangeSemver, Events: ev("i", fmt.Sprintf("1.%d.0", i), "f", fmt.Sprintf("1.%d.1", i))})
	}
	src := t.TempDir()
	writeFile(t, src, "GHSA-many-rngs-0001.json", osvRecord(t, "GHSA-many-rngs-0001", "2024-01-01T00:00:00Z", "", "npm", "many", rs, nil))
	dir := t.TempDir()
	importInto(t, dir, src)
	db := openDB(t, dir)
	pkg := []Package{{Name: "many", Version: "1.4999.0", Ecosystem: "npm"}}
	if fs, err := db.Match(context.Background(), pkg); err != nil || len(fs) != 1 {
		t.Fatalf("uncancelled match: %v, %v; want one finding", fs, err)
	}
	// Cancelled after the per-package and per-record checks, in the middle
	// of the single record's ranges.
	ctx := &cancelAfter{Context: context.Background()}
	ctx.n.Store(10)
	fs, err := db.Match(ctx, pkg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("match = %v, %v; want context.Canceled", fs, err)
	}
	if c := ctx.calls.Load(); c > 15 {
		t.Errorf("ctx.Err called %d times after cancellation at call 11: matching went on", c)
	}
}

// Item 15: an older withdrawn copy must not delete a newer active record,
// and a withdrawal dated in the future is not in effect.
func TestWithdrawnCopiesObeyModifiedOrder(t *testing.T) {
	const id = "GHSA-wdrn-test-0001"
	rng := semverRange("i", "0", "f", "2.0.0")
	rec := func(modified, withdrawn string) string {
		return osvRecord(t, id, modified, withdrawn, "npm", "withdrawn-pkg", rng, nil)
	}
	pkg := Package{Name: "withdrawn-pkg", Version: "1.0.0", Ecosystem: "npm"}
	src := t.TempDir()
	active2024 := writeFile(t, src, "a/active.json", rec("2024-01-01T00:00:00Z", ""))
	old2999 := writeFile(t, src, "b/old-future.json", rec("2023-01-01T00:00:00Z", "2999-01-01T00:00:00Z"))
	oldPast := writeFile(t, src, "c/old-past.json", rec("2023-01-01T00:00:00Z", "2023-06-01T00:00:00Z"))
	new2025 := writeFile(t, src, "d/new-withdrawn.json", rec("2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"))
	future := writeFile(t, src, "e/future.json", rec("2024-01-01T00:00:00Z", "2999-01-01T00:00:00Z"))

	t.Run("older withdrawn copies after the active one", func(t *testing.T) {
		dir := t.TempDir()
		importInto(t, dir, active2024)
		for _, f := range []string{old2999, oldPast} {
			if st := importInto(t, dir, f); st.Removed != 0 || st.Unchanged != 1 {
				t.Errorf("%s: stats = %+v, want it unchanged", filepath.Base(f), st)
			}
			if got := matchIDs(t, openDB(t, dir), pkg); !reflect.DeepEqual(got, []string{id}) {
				t.Errorf("after %s: %v, want the active record kept", filepath.Base(f), got)
			}
		}
	})
	t.Run("newer withdrawn copy, then an older active one", func(t *testing.T) {
		dir := t.TempDir()
		// Another record keeps the database non-empty for Open.
		importInto(t, dir, active2024, filepath.Join("testdata", "osv", "npm"))
		if st := importInto(t, dir, new2025); st.Removed != 1 {
			t.Errorf("stats = %+v, want 1 removed", st)
		}
		if st := importInto(t, dir, active2024); st.Added != 0 {
			t.Errorf("older active copy after the withdrawal: %+v, want it ignored", st)
		}
		if got := matchIDs(t, openDB(t, dir), pkg); len(got) != 0 {
			t.Errorf("withdrawn record matched: %v", got)
		}
	})
	t.Run("both in one import, withdrawn read first", func(t *testing.T) {
		both := t.TempDir()
		writeFile(t, both, "1-withdrawn.json", rec("2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"))
		writeFile(t, both, "2-active.json", rec("2024-01-01T00:00:00Z", ""))
		dir := t.TempDir()
		st := importInto(t, dir, both)
		if st.Added != 0 || st.Withdrawn != 2 {
			t.Errorf("stats = %+v, want nothing added", st)
		}
		// Open refuses an empty database: the withdrawal left no record.
		if _, err := Open(dir); !errors.Is(err, ErrNoDB) {
			t.Errorf("Open = %v, want ErrNoDB", err)
		}
	})
	t.Run("withdrawal in the future", func(t *testing.T) {
		dir := t.TempDir()
		if st := importInto(t, dir, future); st.Added != 1 || st.Withdrawn != 0 {
			t.Errorf("stats = %+v, want the record added", st)
		}
		if got := matchIDs(t, openDB(t, dir), pkg); !reflect.DeepEqual(got, []string{id}) {
			t.Errorf("record withdrawn in 2999 not matched: %v", got)
		}
	})
}

// Item 15: an import that changed no record of an ecosystem leaves its
// Source and ImportedAt alone.
func TestStatusCreditsOnlyChangingSource(t *testing.T) {
	src := t.TempDir()
	rec := func(modified, fixed string) string {
		return osvRecord(t, "GHSA-stat-test-0001", modified, "", "npm", "status-pkg", semverRange("i", "0", "f", fixed), nil)
	}
	first := writeFile(t, src, "first/r.json", rec("2024-01-01T00:00:00Z", "2.0.0"))
	same := writeFile(t, src, "same/r.json", rec("2024-01-01T00:00:00Z", "2.0.0"))
	older := writeFile(t, src, "older/r.json", rec("2023-01-01T00:00:00Z", "1.0.0"))
	newer := writeFile(t, src, "newer/r.json", rec("2024-02-01T00:00:00Z", "3.0.0"))
	dir := t.TempDir()
	npm := func() EcosystemStatus {
		t.Helper()
		status, err := Status(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range status {
			if s.Ecosystem == "npm" {
				return s
			}
		}
		t.Fatalf("no npm status in %+v", status)
		return EcosystemStatus{}
	}
	importInto(t, dir, first)
	before := npm()
	if before.Source != first {
		t.Fatalf("source = %q, want %q", before.Source, first)
	}
	for _, f := range []string{same, older} {
		importInto(t, dir, f)
		if s := npm(); s.Source != first || !s.ImportedAt.Equal(before.ImportedAt) {
			t.Errorf("after importing %s, which changed nothing: source %q at %v, want %q at %v", f, s.Source, s.ImportedAt, first, before.ImportedAt)
		}
	}
	importInto(t, dir, newer)
	if s := npm(); s.Source != newer || !s.ImportedAt.After(before.ImportedAt) {
		t.Errorf("after a newer record: source %q at %v, want %q after %v", s.Source, s.ImportedAt, newer, before.ImportedAt)
	}
}

// Item 16: a SEMVER range whose versions are not SemVer 2.0.0 is dropped
// whole with a warning; it never becomes "affects everything".
func TestInvalidRangeDropped(t *testing.T) {
	src := t.TempDir()
	bad := []string{"not-a-version", "1.0", "01.0.0", "1.0.0-01", "1.0.0-", "1.0.0+", "1..0", "1.0.0.0", "≥1.0.0"}
	for i, v := range bad {
		id := fmt.Sprintf("GHSA-badv-semv-%04d", i)
		e := map[string]any{
			"id": id, "modified": "2024-01-01T00:00:00Z",
			"affected": []any{
				map[string]any{
					"package": map[string]string{"ecosystem": "npm", "name": fmt.Sprintf("bad-%d", i)},
					"ranges":  semverRange("i", "0", "f", v),
				},
				// The rest of the record stays usable.
				map[string]any{
					"package": map[string]string{"ecosystem": "npm", "name": fmt.Sprintf("good-%d", i)},
					"ranges":  semverRange("i", "0", "f", "2.0.0"),
				},
			},
		}
		b, _ := json.Marshal(e)
		writeFile(t, src, id+".json", string(b))
	}
	writeFile(t, src, "CRAN-BAD-0001.json", osvRecord(t, "CRAN-BAD-0001", "2024-01-01T00:00:00Z", "", "CRAN", "badcran",
		[]Range{{Type: RangeEcosystem, Events: ev("i", "0", "f", "not-a-version")}}, nil))
	// Accepted: a leading "v" (outside the OSV schema, but ordered the same), build metadata.
	writeFile(t, src, "GHSA-okay-semv-0001.json", osvRecord(t, "GHSA-okay-semv-0001", "2024-01-01T00:00:00Z", "", "npm", "vprefixed",
		semverRange("i", "v1.0.0", "f", "1.2.3-rc.1+build.007"), nil))

	dir := t.TempDir()
	st, warnings := importWarn(t, dir, src)
	if st.DroppedRanges != len(bad)+1 || st.Added != len(bad)+2 || st.Skipped != 0 {
		t.Errorf("stats = %+v, want %d ranges dropped and every record added", st, len(bad)+1)
	}
	db := openDB(t, dir)
	for i, v := range bad {
		id := fmt.Sprintf("GHSA-badv-semv-%04d", i)
		found := false
		for _, w := range warnings {
			found = found || strings.Contains(w, id) && strings.Contains(w, fmt.Sprintf("%q", v)) && strings.Contains(w, "SEMVER range 0 dropped")
		}
		if !found {
			t.Errorf("no warning names %s and %q: %q", id, v, warnings)
		}
		for _, ver := range []string{"0.1.0", "1.0.0", "99.0.0"} {
			if got := matchIDs(t, db, Package{Name: fmt.Sprintf("bad-%d", i), Version: ver, Ecosystem: "npm"}); len(got) != 0 {
				t.Errorf("fixed %q: %s matched %v, want the dropped range to match nothing", v, ver, got)
			}
		}
		if got := matchIDs(t, db, Package{Name: fmt.Sprintf("good-%d", i), Version: "1.0.0", Ecosystem: "npm"}); !reflect.DeepEqual(got, []string{id}) {
			t.Errorf("valid affected entry of %s: %v", id, got)
		}
	}
	if got := matchIDs(t, db, Package{Name: "badcran", Version: "1.0.0", Ecosystem: "CRAN"}); len(got) != 0 {
		t.Errorf("CRAN range with an unparseable fixed matched %v", got)
	}
	if got := matchIDs(t, db, Package{Name: "vprefixed", Version: "1.1.0", Ecosystem: "npm"}); !reflect.DeepEqual(got, []string{"GHSA-okay-semv-0001"}) {
		t.Errorf("v-prefixed range: %v", got)
	}
	// Re-importing warns again and changes nothing.
	st, warnings = importWarn(t, dir, src)
	if st.Unchanged != len(bad)+2 || len(warnings) != len(bad)+1 {
		t.Errorf("re-import: %+v, %d warnings", st, len(warnings))
	}
}

// A range that reaches matching with an event that does not parse (an old
// database, the online API) includes nothing, rather than losing the event.
func TestUnparseableEventDisablesRange(t *testing.T) {
	ca := []compactAffected{{E: "CRAN", R: []Range{{Type: RangeEcosystem, Events: ev("i", "0", "f", "not-a-version")}}}}
	if m, _ := evaluate(context.Background(), ca, resolved{eco: "CRAN", base: "CRAN", version: "1.0.0"}, &versionCache{}); len(m) != 0 {
		t.Errorf("affected by a range with an unparseable fixed: %v", m)
	}
	long := "1.0." + strings.Repeat("1", maxVersionLen)
	ca = []compactAffected{{E: "npm", R: []Range{{Type: RangeSemver, Events: ev("i", "0", "f", long)}}}}
	if m, _ := evaluate(context.Background(), ca, resolved{eco: "npm", base: "npm", version: "1.0.0"}, &versionCache{}); len(m) != 0 {
		t.Errorf("affected by a range with a too long fixed: %v", m)
	}
}

func TestValidSemver(t *testing.T) {
	for _, v := range []string{"0.0.0", "1.2.3", "v1.2.3", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92",
		"1.0.0-x-y-z.--", "1.0.0-alpha+001", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85",
		"2.2.5-rc6.0.20190621200032-0ddffe484adc+incompatible"} {
		if !validSemver(v) {
			t.Errorf("validSemver(%q) = false", v)
		}
	}
	for _, v := range []string{"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "1.2.3-01", "1.2.3-", "1.2.3+",
		"1.2.3-a..b", "1.2.3+a..b", "1.2.3-a_b", "V1.2.3", "vv1.2.3", "1.2.3 ", " 1.2.3", "a.b.c", "-1.2.3"} {
		if validSemver(v) {
			t.Errorf("validSemver(%q) = true", v)
		}
	}
}
