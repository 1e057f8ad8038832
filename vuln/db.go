package vuln

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrNoDB is returned (wrapped, with the directory and how to fix it) when
// the database is missing or holds no records.
var ErrNoDB = errors.New("no vulnerability database")

// dbFile is the database inside its directory. Imports build dbFile+".new"
// and rename it over dbFile.
const dbFile = "osv.db"

// Buckets:
//
//	vulns:    record ID -> deflated canonical JSON of the Entry
//	affected: ecosystem base \x00 normalised name \x00 record ID -> JSON []compactAffected
//	briefs:   record ID -> JSON brief (what a Finding needs)
//	records:  record ID -> JSON recordMeta (to compare and unindex without inflating)
//	meta:     "ecosystem/" + base -> JSON EcosystemStatus
var (
	bucketVulns    = []byte("vulns")
	bucketAffected = []byte("affected")
	bucketBriefs   = []byte("briefs")
	bucketRecords  = []byte("records")
	bucketMeta     = []byte("meta")
)

// DB is a read-only handle on the vulnerability database. It is safe for
// concurrent use; imports never disturb an open DB.
type DB struct {
	bolt *bolt.DB
	dir  string
}

// EcosystemStatus describes the records of one ecosystem (without release).
type EcosystemStatus struct {
	Ecosystem      string
	Records        int
	NewestModified time.Time
	Source         string    // of the last import that changed records of this ecosystem, the source that changed most of them
	ImportedAt     time.Time // when that import ran
}

// DefaultDir is $FNSCAN_DB, else fnscan/db under the user cache directory
// ($XDG_CACHE_HOME or its platform default).
func DefaultDir() string {
	if d := os.Getenv("FNSCAN_DB"); d != "" {
		return d
	}
	if c, err := os.UserCacheDir(); err == nil {
		return filepath.Join(c, "fnscan", "db")
	}
	return filepath.Join(os.TempDir(), "fnscan", "db")
}

// ErrDamaged marks a database file that does not read as one: a scan must
// not take a damaged database for one without matches.
var ErrDamaged = errors.New("vulnerability database is damaged")

func damaged(dir string, why any) error {
	return fmt.Errorf("%w at %s (%v): import it again (fnscan db import, fnscan db update) or remove it", ErrDamaged, dir, why)
}

// view runs fn in a read transaction, turning what a damaged file does to
// bbolt (its panics; a fault on the mapped file past a truncation) into
// ErrDamaged instead of a crash. Other panics (a bug in matching) stay
// panics: they are not the file's.
func view(b *bolt.DB, dir string, fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamage(dir, &err)
	return b.View(fn)
}

// recoverDamage, deferred, sets *err to ErrDamaged for a panic the file
// caused and lets any other panic go on.
func recoverDamage(dir string, err *error) {
	if r := recover(); r != nil {
		if !fromFile(r) {
			panic(r)
		}
		*err = damaged(dir, r)
	}
}

// fromFile says a recovered panic came from the database file: a memory
// fault (the mapped file), or a panic raised inside bbolt.
func fromFile(r any) bool {
	if re, ok := r.(interface{ Addr() uintptr }); ok && re != nil {
		return true
	}
	// Called from the deferred recover, the stack still holds the frames
	// that panicked.
	return bytes.Contains(debug.Stack(), []byte("go.etcd.io/bbolt."))
}

func noDB(dir string) error {
	return fmt.Errorf("%w at %s: run `fnscan db import <osv zip or dir>` or `fnscan db update`", ErrNoDB, dir)
}

// Open opens the database in dir read-only. It never waits for an import:
// imports write a different file and rename it into place.
func Open(dir string) (*DB, error) {
	path := filepath.Join(dir, dbFile)
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return nil, noDB(dir)
	}
	b, err := openBolt(path, dir)
	if err != nil {
		return nil, err
	}
	empty := true
	err = view(b, dir, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketVulns)
		if v == nil {
			return nil
		}
		k, _ := v.Cursor().First()
		if empty = k == nil; empty {
			return nil
		}
		// An import writes every bucket: one missing is a damaged file,
		// whose matches would silently be none.
		for _, name := range [][]byte{bucketAffected, bucketBriefs, bucketMeta} {
			if tx.Bucket(name) == nil {
				return damaged(dir, fmt.Sprintf("no %s bucket", name))
			}
		}
		return nil
	})
	if err != nil || empty {
		b.Close()
		if err == nil {
			err = noDB(dir)
		}
		return nil, err
	}
	return &DB{bolt: b, dir: dir}, nil
}

// openBolt opens the file read-only; a file bbolt cannot make sense of
// (or panics on) is damaged.
func openBolt(path, dir string) (b *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamage(dir, &err)
	b, err = bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		// The file system's refusals (permission, descriptors) and a lock
		// held are not damage: the file may be fine, and in use.
		var pe *fs.PathError
		if errors.Is(err, bolterrors.ErrTimeout) || errors.As(err, &pe) || errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("open vulnerability database %s: %w", path, err)
		}
		return nil, damaged(dir, err)
	}
	return b, nil
}

// Close releases the database.
func (db *DB) Close() error { return db.bolt.Close() }

// Get returns the stored record with the given ID, or nil if absent.
func (db *DB) Get(id string) (*Entry, error) {
	var e *Entry
	err := view(db.bolt, db.dir, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketVulns)
		if b == nil {
			return nil
		}
		var err error
		e, err = loadEntry(b, id)
		return err
	})
	return e, err
}

// Status opens the database in dir and reports its records per ecosystem.
func Status(dir string) ([]EcosystemStatus, error) {
	db, err := Open(dir)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.Status()
}

// Status reports the records per ecosystem, sorted by ecosystem.
func (db *DB) Status() ([]EcosystemStatus, error) {
	var out []EcosystemStatus
	err := view(db.bolt, db.dir, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if b == nil {
			return damaged(db.dir, "no meta bucket")
		}
		c := b.Cursor()
		prefix := []byte("ecosystem/")
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var s EcosystemStatus
			if err := json.Unmarshal(v, &s); err != nil {
				return damaged(db.dir, fmt.Sprintf("status %q: %v", k, err))
			}
			if s.Records > 0 {
				out = append(out, s)
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Ecosystem < out[j].Ecosystem })
	return out, err
}

func loadEntry(b *bolt.Bucket, id string) (*Entry, error) {
	v := b.Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	raw, err := inflate(v)
	if err != nil {
		return nil, fmt.Errorf("vulnerability record %s: %w", id, err)
	}
	var e Entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("vulnerability record %s: %w", id, err)
	}
	return &e, nil
}

// flate writers are large to allocate; reuse them.
var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.DefaultCompression)
	return w
}}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	w := deflaters.Get().(*flate.Writer)
	w.Reset(&buf)
	w.Write(b)
	w.Close()
	deflaters.Put(w)
	return buf.Bytes()
}

func inflate(b []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(b))
	defer r.Close()
	return io.ReadAll(r)
}
