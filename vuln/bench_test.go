package vuln

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkImport imports the Go vulndb export (4,291 records) into a fresh
// database.
func BenchmarkImport(b *testing.B) {
	zips := sharedZips(b, "go-vulndb-osv.zip")
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(b.TempDir(), "db")
		if _, err := Import(context.Background(), dir, zips, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// bench5000 builds 5,000 packages: half are names present in the database
// (each at a few versions), half are unknown names.
func bench5000(b *testing.B, dir string) []Package {
	db, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var pkgs []Package
	versions := []string{"0.1.0", "1.0.0", "2.3.4", "4.17.11"}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAffected).Cursor()
		last := ""
		for k, _ := c.First(); k != nil && len(pkgs) < 2500; k, _ = c.Next() {
			parts := strings.SplitN(string(k), "\x00", 3)
			if parts[0]+parts[1] == last {
				continue
			}
			last = parts[0] + parts[1]
			eco := parts[0]
			if eco == "Go" {
				pkgs = append(pkgs, Package{Name: parts[1], Ecosystem: eco, Version: "v" + versions[len(pkgs)%4]})
				continue
			}
			pkgs = append(pkgs, Package{Name: parts[1], Ecosystem: eco, Version: versions[len(pkgs)%4]})
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; len(pkgs) < 5000; i++ {
		pkgs = append(pkgs, Package{PURL: fmt.Sprintf("pkg:npm/unknown-package-%d@1.0.%d", i, i)})
	}
	return pkgs
}

// BenchmarkMatch5000 opens the database built from the shared zips and
// matches 5,000 components, as one scan does.
func BenchmarkMatch5000(b *testing.B) {
	dir, _ := sharedDB(b)
	pkgs := bench5000(b, dir)
	b.ResetTimer()
	var findings int
	for i := 0; i < b.N; i++ {
		db, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		fs, err := db.Match(context.Background(), pkgs)
		if err != nil {
			b.Fatal(err)
		}
		findings = len(fs)
		db.Close()
	}
	b.ReportMetric(float64(findings), "findings")
}
