package vuln

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// A damaged database file is an error, never a crash and never a database
// without matches: a scan against it must not pass the gate.
func TestDamagedDatabase(t *testing.T) {
	good := t.TempDir()
	importInto(t, good, filepath.Join("testdata", "osv"))
	orig, err := os.ReadFile(filepath.Join(good, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	pkgs := []Package{{Name: "@hapi/hoek", Version: "8.0.0", Ecosystem: "npm"}, {Name: "github.com/gin-gonic/gin", Version: "v1.0.0", Ecosystem: "Go"}}
	intact, err := openDB(t, good).Match(context.Background(), pkgs)
	if err != nil || len(intact) == 0 {
		t.Fatalf("the intact database: %d findings, %v", len(intact), err)
	}
	ids := func(fs []Finding) string {
		var out []string
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return strings.Join(out, " ")
	}
	for name, damage := range map[string]func(p string){
		"a bucket gone": func(p string) {
			b, err := bolt.Open(p, 0o644, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if err := b.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketAffected) }); err != nil {
				t.Fatal(err)
			}
		},
		"truncated": func(p string) { os.Truncate(p, int64(len(orig)/2)) },
		"zeroed pages": func(p string) {
			b := append([]byte(nil), orig...)
			clear(b[len(b)/4 : len(b)/2])
			os.WriteFile(p, b, 0o644)
		},
		"meta garbled": func(p string) {
			b := append([]byte(nil), orig...)
			for i := 0; i < 8192 && i < len(b); i += 7 {
				b[i] ^= 0x5a
			}
			os.WriteFile(p, b, 0o644)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, dbFile)
			if err := os.WriteFile(p, orig, 0o644); err != nil {
				t.Fatal(err)
			}
			damage(p)
			// Either the damage is found (ErrDamaged from opening,
			// matching or reading the status) or the answer is the
			// intact one: never fewer findings without an error.
			db, err := Open(dir)
			if err == nil {
				defer db.Close()
				var fs []Finding
				if fs, err = db.Match(context.Background(), pkgs); err == nil {
					if _, err = db.Status(); err == nil && ids(fs) != ids(intact) {
						t.Errorf("findings %q without an error, intact %q", ids(fs), ids(intact))
					}
				}
			}
			if err != nil && !errors.Is(err, ErrDamaged) {
				t.Errorf("%v, want ErrDamaged", err)
			}
			t.Logf("%v", err)
		})
	}
}
