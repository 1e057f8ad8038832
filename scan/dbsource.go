package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/vuln"
)

// resolveDB turns --db into a database directory. A database directory is
// used as it is. An OSV source — an osv.dev export zip, a zip or a
// directory of records — is imported once into the cache, keyed by the
// source's digest, and reused: the first run needs no import step.
func resolveDB(ctx context.Context, db string, h Handler) (string, error) {
	fi, err := os.Stat(db)
	if err != nil {
		return db, nil // Open says there is none, and how to make one
	}
	if fi.IsDir() {
		// A database directory (or one an import is making, or one a
		// failed import left its lock in) is Open's to judge.
		for _, f := range []string{"osv.db", "osv.db.new", "osv.db.lock"} {
			if _, err := os.Lstat(filepath.Join(db, f)); err == nil {
				return db, nil
			}
		}
		if entries, _ := os.ReadDir(db); len(entries) == 0 {
			return db, nil
		}
	}
	digest, err := sourceDigest(db, fi)
	if err != nil {
		return "", fmt.Errorf("--db %s: %w", db, err)
	}
	dir := filepath.Join(SourceCacheDir(), digest[:32])
	// Marked used before it is looked at, so a prune running beside this
	// one sees it as in use.
	useSource(dir)
	if _, err := os.Stat(filepath.Join(dir, "osv.db")); err == nil {
		return dir, nil
	}
	h.Progress("importing vulnerability records from " + filepath.Base(db))
	st, err := vuln.Import(ctx, dir, []string{db}, vuln.ImportOptions{Warn: func(s string) {
		h.Warning(artifact.Warning{Path: db, Message: s})
	}})
	if err != nil {
		return "", fmt.Errorf("--db %s: %w", db, err)
	}
	if st.Read == 0 {
		os.RemoveAll(dir)
		return "", fmt.Errorf("--db %s: no OSV records in it (want a database directory, an osv.dev export zip, or a zip or directory of OSV JSON/YAML)", db)
	}
	useSource(dir)
	pruneSources(SourceCacheDir(), time.Now())
	return dir, nil
}

// keepSources is how many imported --db sources the cache keeps, most
// recently used first: a CI runner fed a fresh export every day would
// otherwise keep an import of each for ever.
const keepSources = 3

// inUseFor: an import used this recently may be open in a run still going,
// and is never removed.
const inUseFor = time.Hour

// useSource marks an import as used now (the directory's time).
func useSource(dir string) {
	now := time.Now()
	os.Chtimes(dir, now, now)
}

// pruneSources removes the imports past the keepSources most recently used,
// unless used within inUseFor (an import under way made its files within
// it too). Only directories named as resolveDB names them are looked at.
func pruneSources(root string, now time.Time) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	type source struct {
		dir  string
		used time.Time
	}
	var list []source
	for _, e := range entries {
		if !e.IsDir() || !sourceName(e.Name()) {
			continue
		}
		if info, err := e.Info(); err == nil {
			list = append(list, source{filepath.Join(root, e.Name()), info.ModTime()})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].used.After(list[j].used) })
	for i, s := range list {
		if i >= keepSources && now.Sub(s.used) >= inUseFor {
			os.RemoveAll(s.dir)
		}
	}
}

// sourceName: the 32 lower-case hex digits of a digest.
func sourceName(name string) bool {
	if len(name) != 32 {
		return false
	}
	for _, c := range name {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// SourceCacheDir holds databases imported from --db sources: beside the
// default database, always an absolute path.
func SourceCacheDir() string {
	d, err := filepath.Abs(filepath.Join(filepath.Dir(vuln.DefaultDir()), "sources"))
	if err != nil {
		return filepath.Join(os.TempDir(), "fnscan", "sources")
	}
	return d
}

// sourceKeyVersion changes the cache key when the import or the database
// format changes.
const sourceKeyVersion = "fnscan-osv-source/1"

// sourceDigest hashes a source: a file's bytes, or a directory's record
// files (paths and bytes), so a changed record is a new import.
func sourceDigest(p string, fi fs.FileInfo) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", sourceKeyVersion)
	if !fi.IsDir() {
		f, err := os.Open(p)
		if err != nil {
			return "", err
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	var files []string
	err := filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// Every non-directory, links included: the import reads through
		// symlinks, so the key must too.
		if !d.IsDir() {
			files = append(files, q)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	for _, q := range files {
		rel, _ := filepath.Rel(p, q)
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		f, err := os.Open(q)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
