package vuln

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// goodRecord is a valid npm record matching victim@1.0.0.
func goodRecord(t testing.TB, id string) string {
	return osvRecord(t, id, "2024-01-01T00:00:00Z", "", "npm", "victim", semverRange("i", "0", "f", "2.0.0"), nil)
}

// damagedZip writes a zip with two records and flips a byte in the data of
// the second; stored entries fail their checksum, deflated ones may also
// fail to inflate.
func damagedZip(t *testing.T, path string, method uint16) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, id := range []string{"GHSA-good-zip0-0001", "GHSA-good-zip0-0002"} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: id + ".json", Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(goodRecord(t, id)))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	off, err := zr.File[1].DataOffset()
	if err != nil {
		t.Fatal(err)
	}
	data[off+int64(zr.File[1].CompressedSize64)/2] ^= 0x55
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// noLeftover fails if an import left its temporary database behind.
func noLeftover(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, dbFile+".new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s.new left behind (%v)", dbFile, err)
	}
}

func TestDamagedZipFailsImport(t *testing.T) {
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		t.Run(fmt.Sprint(method), func(t *testing.T) {
			tmp := t.TempDir()
			dir := t.TempDir()
			importWarn(t, dir, writeZip(t, filepath.Join(tmp, "old.zip"), map[string]string{"GHSA-old0-old0-0001.json": goodRecord(t, "GHSA-old0-old0-0001")}))
			before := dump(t, dir)
			src := damagedZip(t, filepath.Join(tmp, "damaged.zip"), method)
			var warnings []string
			_, err := Import(context.Background(), dir, []string{src}, ImportOptions{Warn: func(s string) { warnings = append(warnings, s) }})
			if err == nil || !strings.Contains(err.Error(), "GHSA-good-zip0-0002.json") {
				t.Fatalf("import of a damaged zip: err %v, warnings %q; want an error naming the entry", err, warnings)
			}
			if after := dump(t, dir); !reflect.DeepEqual(before, after) {
				t.Error("failed import changed the database")
			}
			noLeftover(t, dir)
		})
	}
}

// An entry that decompresses but does not parse is content, not damage.
func TestUnparseableZipEntrySkipped(t *testing.T) {
	src := writeZip(t, filepath.Join(t.TempDir(), "src.zip"), map[string]string{
		"bad.json":                 `{"id": "GHSA-bad0-bad0-0001", "affected": [`,
		"GHSA-good-good-0001.json": goodRecord(t, "GHSA-good-good-0001"),
	})
	st, warnings := importWarn(t, t.TempDir(), src)
	if st.Skipped != 1 || st.Added != 1 || len(warnings) != 1 || !strings.Contains(warnings[0], src+":bad.json") {
		t.Errorf("stats %+v, warnings %q", st, warnings)
	}
}

// yamlBomb nests levels of ten aliases each: 10^levels nodes once expanded.
func yamlBomb(levels int) string {
	var b strings.Builder
	b.WriteString("id: PYSEC-2099-9\nmodified: 2024-01-01T00:00:00Z\nx0: &a0 [lol]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "x%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), 10), ","))
	}
	return b.String()
}

func TestHostileYAMLSkipped(t *testing.T) {
	src := t.TempDir()
	bad := map[string]string{
		"self.yaml":   "id: PYSEC-2099-1\nmodified: 2024-01-01T00:00:00Z\ndetails: &x [ *x ]\n",
		"mutual.yaml": "id: PYSEC-2099-2\nmodified: 2024-01-01T00:00:00Z\na: &a {b: &b [ *a ]}\n",
		"bomb.yaml":   yamlBomb(7),
		"bytes.yaml":  "id: PYSEC-2099-3\nmodified: 2024-01-01T00:00:00Z\nd: &d " + strings.Repeat("x", 1<<20) + "\ne: [" + strings.TrimSuffix(strings.Repeat("*d,", 20), ",") + "]\n",
	}
	for name, content := range bad {
		writeFile(t, src, name, content)
	}
	writeFile(t, src, "good.json", goodRecord(t, "GHSA-good-good-0001"))
	dir := t.TempDir()
	st, warnings := importWarn(t, dir, src)
	if st.Skipped != len(bad) || st.Added != 1 {
		t.Errorf("stats = %+v, want %d skipped, 1 added; warnings %q", st, len(bad), warnings)
	}
	for name := range bad {
		found := false
		for _, w := range warnings {
			found = found || strings.Contains(w, filepath.Join(src, name))
		}
		if !found {
			t.Errorf("no warning names %s: %q", name, warnings)
		}
	}
	noLeftover(t, dir)
}

// A plain alias, used within the limits, still works.
func TestYAMLAliasKept(t *testing.T) {
	src := writeFile(t, t.TempDir(), "r.yaml", `id: PYSEC-2099-4
modified: 2024-01-01T00:00:00Z
affected:
  - package: {ecosystem: npm, name: victim}
    ranges: &r [{type: SEMVER, events: [{introduced: "0"}, {fixed: 2.0.0}]}]
  - package: {ecosystem: npm, name: other}
    ranges: *r
`)
	dir := t.TempDir()
	if st, w := importWarn(t, dir, src); st.Added != 1 || st.Skipped != 0 {
		t.Fatalf("stats %+v, warnings %q", st, w)
	}
	if got := matchIDs(t, openDB(t, dir), Package{Name: "other", Version: "1.0.0", Ecosystem: "npm"}); len(got) != 1 {
		t.Errorf("alias not followed: %v", got)
	}
}

func TestHugeListsSkipped(t *testing.T) {
	empties := func(n int) string { return strings.TrimSuffix(strings.Repeat("{},", n), ",") }
	bad := map[string]string{
		"affected.json": `{"id": "GHSA-huge-aff0-0001", "modified": "2024-01-01T00:00:00Z", "affected": [` + empties(maxAffected+1) + `]}`,
		// Keys match case-insensitively when decoding.
		"affected-case.json": `{"id": "GHSA-huge-aff0-0002", "modified": "2024-01-01T00:00:00Z", "AFFECTED": [` + empties(maxAffected+1) + `]}`,
		"events.json": `{"id": "GHSA-huge-evt0-0001", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "victim"},
			"ranges": [{"type": "SEMVER", "events": [` + empties(maxListEntries) + `]}]}]}`,
		"big.json": `{"id": "GHSA-huge-big0-0001", "modified": "2024-01-01T00:00:00Z", "details": "` + strings.Repeat("x", 17<<20) + `"}`,
	}
	files := map[string]string{"GHSA-good-good-0001.json": goodRecord(t, "GHSA-good-good-0001")}
	for k, v := range bad {
		files[k] = v
	}
	src := writeZip(t, filepath.Join(t.TempDir(), "src.zip"), files)
	st, warnings := importWarn(t, t.TempDir(), src)
	if st.Skipped != len(bad) || st.Added != 1 {
		t.Errorf("stats = %+v, want %d skipped, 1 added; warnings %q", st, len(bad), warnings)
	}
	for name := range bad {
		found := false
		for _, w := range warnings {
			found = found || strings.Contains(w, src+":"+name)
		}
		if !found {
			t.Errorf("no warning names %s: %q", name, warnings)
		}
	}
}

func TestCheckListsAcceptsRecords(t *testing.T) {
	for _, s := range []string{
		`{"id": "a", "affected": [{"versions": ["1", "2"], "ranges": [{"events": [{"introduced": "0"}]}]}], "x": "[[\"affected\""}`,
		`[{"id": "a"}, {"id": "b", "affected": []}]`,
		`{"id": "a\"affected\"", "affected": [ {}, {} ]}`,
	} {
		if err := checkLists([]byte(s)); err != nil {
			t.Errorf("checkLists(%s): %v", s, err)
		}
	}
	if err := checkLists([]byte(`{"affected": [` + strings.Repeat(`{"a": [1, 2]}, `, maxAffected) + `{}]}`)); err == nil {
		t.Error("checkLists accepted too many affected entries")
	}
}

// A source directory is read for its regular files: a symlink out of it
// is not followed (a FIFO would hang the import the same way), and a
// record dated in the future does not date its ecosystem.
func TestSourceDirRegularFilesAndFutureDates(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, outside, "secret.json", `{"id": "GHSA-out-side-xxxx", "modified": "2024-01-01T00:00:00Z",
	  "affected": [{"package": {"ecosystem": "npm", "name": "leaked"}, "versions": ["1.0.0"]}]}`)
	src := t.TempDir()
	writeFile(t, src, "a.json", `{"id": "GHSA-aaaa-aaaa-aaaa", "modified": "2024-01-01T00:00:00Z",
	  "affected": [{"package": {"ecosystem": "npm", "name": "qs"}, "versions": ["1.0.0"]}]}`)
	writeFile(t, src, "b.json", `{"id": "GHSA-bbbb-bbbb-bbbb", "modified": "2099-01-01T00:00:00Z",
	  "affected": [{"package": {"ecosystem": "npm", "name": "qs"}, "versions": ["1.0.1"]}]}`)
	if err := os.Symlink(filepath.Join(outside, "secret.json"), filepath.Join(src, "link.json")); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	importInto(t, dir, src)
	db := openDB(t, dir)
	if fs, err := db.Match(context.Background(), []Package{{Name: "leaked", Version: "1.0.0", Ecosystem: "npm"}}); err != nil || len(fs) != 0 {
		t.Errorf("followed a symlink out of the source: %v %v", fs, err)
	}
	st, err := db.Status()
	if err != nil || len(st) != 1 || st[0].Records != 2 || st[0].NewestModified.Year() != 2024 {
		t.Errorf("status %+v, %v: want 2 npm records dated 2024", st, err)
	}
}
