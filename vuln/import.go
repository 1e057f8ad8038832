package vuln

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/osv-scalibr/semantic"
	bolt "go.etcd.io/bbolt"
	"gopkg.in/yaml.v3"
)

// ImportOptions configures Import.
type ImportOptions struct {
	// Warn receives one line per skipped record or file ("file: reason").
	Warn func(string)
}

// ImportStats counts what an import did.
type ImportStats struct {
	Read      int // valid records read
	Added     int
	Updated   int
	Unchanged int // identical to, or older than, the stored record
	Withdrawn int // withdrawn records that removed nothing (none stored, or older than the stored copy)
	Removed   int // stored records deleted because the source withdrew them
	Skipped   int // malformed records, reported through Warn
	// DroppedRanges counts SEMVER and ECOSYSTEM ranges left out of a record
	// because one of their versions is not valid for the range type; each is
	// reported through Warn and the rest of the record is kept.
	DroppedRanges int
}

// maxRecordSize bounds a single OSV file; real records are at most a few
// MiB. A record decodes into several times its size in memory.
const maxRecordSize = 16 << 20

// maxAffected bounds a record's affected list and maxListEntries the
// entries of all its lists together (ranges, events, versions, ...): a few
// MiB of "{}," would otherwise decode into GiBs of structs. The largest
// real records have some thousands of entries.
const (
	maxAffected    = 100_000
	maxListEntries = 1_000_000
)

// maxYAMLNodes bounds the nodes of a YAML record after following aliases
// (an alias bomb grows tenfold per level); maxYAMLDepth bounds the nesting,
// which alias chains could otherwise make as deep as the file is long.
const (
	maxYAMLNodes = 1_000_000
	maxYAMLDepth = 1000
)

// maxVersionLen bounds every version string of a record (range events and
// versions lists): a record with a longer one is skipped. The longest
// versions in the osv.dev exports are Go pseudo-versions of about 50 bytes;
// the version parsers take time quadratic in the length of a version, so an
// unbounded one could stall every scan that reaches the record. Matching
// also never parses a longer string (see versionCache.parse).
const maxVersionLen = 256

// batchSize is the number of records written per bbolt transaction.
const batchSize = 1000

// testHookBeforeRename lets tests simulate a crash after the new database
// is complete but before it replaces the old one.
var testHookBeforeRename func() error

// Import merges OSV records into the database in dir, creating it if needed.
// Each source is an osv.dev export zip (<Ecosystem>/all.zip), any zip or
// directory (searched recursively) of OSV .json/.yaml/.yml files, or a single
// such file. Records are keyed by ID: a newer modified replaces the stored
// record, identical data changes nothing. Withdrawn records are ignored and
// remove a stored record with the same ID if they are not older than it
// (see "Withdrawn records" in the package documentation). Records with a
// version over 256 bytes are skipped and ranges with invalid versions are
// dropped, each with a warning (see "Hostile or malformed records"). The
// database is replaced
// atomically: readers of the old file are not disturbed and an interrupted
// import leaves the old database in place.
func Import(ctx context.Context, dir string, sources []string, opts ImportOptions) (ImportStats, error) {
	srcs := make([]source, len(sources))
	for i, s := range sources {
		abs, err := filepath.Abs(s)
		if err != nil {
			abs = s
		}
		srcs[i] = source{path: s, label: abs, name: s}
	}
	return importSources(ctx, dir, srcs, opts)
}

type source struct {
	path  string
	label string // recorded in the status, e.g. the download URL
	name  string // names the source in errors and warnings
}

func importSources(ctx context.Context, dir string, sources []source, opts ImportOptions) (st ImportStats, err error) {
	if len(sources) == 0 {
		return st, errors.New("vulnerability import: no sources given")
	}
	for _, s := range sources {
		if _, err := os.Stat(s.path); err != nil {
			return st, fmt.Errorf("vulnerability import: %w", err)
		}
	}
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, fmt.Errorf("vulnerability import: %w", err)
	}
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return st, fmt.Errorf("vulnerability import: lock %s: %w", dir, err)
	}
	defer unlock()

	final := filepath.Join(dir, dbFile)
	tmp := final + ".new"
	// A leftover from a killed import is stale: we hold the lock.
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return st, fmt.Errorf("vulnerability import: %w", err)
	}
	if err := copyExisting(final, tmp, opts.Warn); err != nil {
		return st, err
	}
	b, err := bolt.Open(tmp, 0o644, &bolt.Options{Timeout: 5 * time.Second, NoSync: true})
	if err != nil {
		os.Remove(tmp)
		return st, fmt.Errorf("vulnerability import: create %s: %w", tmp, err)
	}
	now := time.Now().UTC()
	w := &writer{db: b, stats: &st, touched: map[string]map[string]int{}, warn: opts.Warn, now: now}
	closed, done := false, false
	defer func() {
		// Also on a panic: no osv.db.new is left behind.
		if !done {
			w.rollback() // bbolt's Close waits for an open write transaction
			if !closed {
				b.Close()
			}
			os.Remove(tmp)
		}
	}()
	for _, s := range sources {
		w.label = s.label
		if err = readSource(ctx, s.path, s.name, w.add, w.skip); err != nil {
			return st, err
		}
	}
	if err = w.finish(now); err != nil {
		return st, err
	}
	if err = b.Sync(); err != nil {
		return st, fmt.Errorf("vulnerability import: sync %s: %w", tmp, err)
	}
	closed = true
	if err = b.Close(); err != nil {
		return st, fmt.Errorf("vulnerability import: close %s: %w", tmp, err)
	}
	if testHookBeforeRename != nil {
		if err = testHookBeforeRename(); err != nil {
			return st, err
		}
	}
	if err = os.Rename(tmp, final); err != nil {
		return st, fmt.Errorf("vulnerability import: %w", err)
	}
	done = true
	syncDir(dir)
	return st, nil
}

// copyExisting starts the new database from a consistent snapshot of the
// current one. An unreadable current database is rebuilt from scratch.
func copyExisting(final, tmp string, warn func(string)) error {
	fi, err := os.Stat(final)
	if err != nil || fi.Size() == 0 {
		return nil
	}
	old, err := bolt.Open(final, 0o644, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		warn(fmt.Sprintf("%s: unreadable, building a new database: %v", final, err))
		return nil
	}
	defer old.Close()
	err = old.View(func(tx *bolt.Tx) error { return tx.CopyFile(tmp, 0o644) })
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("vulnerability import: copy %s: %w", final, err)
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// readSource calls add for every record in a zip, directory or file, and
// skip for every file that cannot be parsed.
// name stands for a file source in messages.
func readSource(ctx context.Context, path, name string, add func(file string, e *Entry) error, skip func(file string, err error)) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("vulnerability import: %w", err)
	}
	if !fi.IsDir() {
		return readFile(ctx, path, name, add, skip)
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// Regular files only: a symlink may point out of the source (at
		// /etc/passwd as a record), and a FIFO would hang the import.
		if d.Type().IsRegular() && (isRecordFile(p) || strings.EqualFold(filepath.Ext(p), ".zip")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("vulnerability import: %w", err)
	}
	for _, f := range files {
		if err := readFile(ctx, f, f, add, skip); err != nil {
			return err
		}
	}
	return nil
}

func isRecordFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

func readFile(ctx context.Context, path, name string, add func(string, *Entry) error, skip func(string, error)) error {
	if strings.EqualFold(filepath.Ext(path), ".zip") {
		return readZip(ctx, path, name, add, skip)
	}
	if !isRecordFile(path) {
		return fmt.Errorf("vulnerability import: %s: not a zip, .json, .yaml or .yml file", name)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("vulnerability import: %w", err)
	}
	data, err := readLimited(f)
	f.Close()
	if err != nil {
		skip(name, err)
		return nil
	}
	return addParsed(name, data, add, skip)
}

// readZip fails on any damage to the archive (a truncated or corrupted
// download): skipping the entries would silently drop findings. Only
// records that decode but do not parse are skipped.
func readZip(ctx context.Context, path, zipName string, add func(string, *Entry) error, skip func(string, error)) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("vulnerability import: %s: %w", zipName, err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || !isRecordFile(zf.Name) {
			continue // e.g. INDEX.tsv, .id-allocator
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := zipName + ":" + zf.Name
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("vulnerability import: %s: damaged archive: %w", name, err)
		}
		data, err := readLimited(rc)
		rc.Close()
		if errors.Is(err, errTooLarge) {
			skip(name, err)
			continue
		}
		if err != nil {
			return fmt.Errorf("vulnerability import: %s: damaged archive: %w", name, err)
		}
		if err := addParsed(name, data, add, skip); err != nil {
			return err
		}
	}
	return nil
}

var errTooLarge = fmt.Errorf("larger than %d bytes", maxRecordSize)

func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRecordSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRecordSize {
		return nil, errTooLarge
	}
	return data, nil
}

func addParsed(name string, data []byte, add func(string, *Entry) error, skip func(string, error)) error {
	entries, err := parseRecords(name, data)
	if err != nil {
		skip(name, err)
		return nil
	}
	for _, e := range entries {
		if err := validate(e); err != nil {
			skip(name, err)
			continue
		}
		if err := add(name, e); err != nil {
			return err
		}
	}
	return nil
}

// parseRecords decodes one OSV JSON or YAML file: a record or a JSON array
// of records.
func parseRecords(name string, data []byte) ([]*Entry, error) {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".yaml" || ext == ".yml" {
		j, err := yamlToJSON(data)
		if err != nil {
			return nil, err
		}
		data = j
	}
	trimmed := bytes.TrimSpace(data)
	if err := checkLists(trimmed); err != nil {
		return nil, err
	}
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []*Entry
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, err
		}
		return list, nil
	}
	var e Entry
	if err := json.Unmarshal(trimmed, &e); err != nil {
		return nil, err
	}
	return []*Entry{&e}, nil
}

// yamlToJSON converts a YAML document keeping every scalar's text: an
// unquoted version such as 1.10 must stay "1.10", not become the float 1.1.
func yamlToJSON(data []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, err
	}
	c := yamlConv{active: map[*yaml.Node]bool{}}
	v, err := c.value(&n, 0)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// yamlConv follows aliases within budgets: the expanded record may hold at
// most maxYAMLNodes nodes and maxRecordSize bytes of scalars, so it is no
// larger than a JSON record could be.
type yamlConv struct {
	nodes, bytes int
	active       map[*yaml.Node]bool // aliased nodes being expanded
}

func (c *yamlConv) value(n *yaml.Node, depth int) (any, error) {
	c.nodes++
	c.bytes += len(n.Value)
	switch {
	case c.nodes > maxYAMLNodes:
		return nil, fmt.Errorf("YAML aliases expand to more than %d nodes", maxYAMLNodes)
	case c.bytes > maxRecordSize:
		return nil, fmt.Errorf("YAML aliases expand to more than %d bytes", maxRecordSize)
	case depth > maxYAMLDepth:
		return nil, fmt.Errorf("line %d: YAML nested deeper than %d levels", n.Line, maxYAMLDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, errors.New("empty YAML document")
		}
		return c.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, fmt.Errorf("line %d: unknown YAML alias", n.Line)
		}
		if c.active[n.Alias] {
			return nil, fmt.Errorf("line %d: YAML alias *%s refers to itself", n.Line, n.Value)
		}
		c.active[n.Alias] = true
		defer delete(c.active, n.Alias)
		return c.value(n.Alias, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := c.value(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			return n.Value == "true", nil
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// checkLists refuses, before decoding, JSON whose lists would decode into
// far more memory than the bytes they take: more than maxAffected entries
// in an "affected" list, or more than maxListEntries list entries in all
// (per file: a list of records shares the bound). It only counts: syntax
// errors are left to the decoder.
func checkLists(data []byte) error {
	type frame struct {
		array    bool
		expect   bool // a value (array) or a key (object) may start here
		affected bool // the list of an "affected" key
		n        int
	}
	var (
		stack   []frame
		total   int    // list entries so far
		key     []byte // last object key read
		isKey   bool
		pending bool // the next value follows key
	)
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case ' ', '\t', '\n', '\r', ':':
			continue
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if top != nil && top.array && top.expect && c != ']' && c != ',' {
			top.expect = false
			top.n++
			if total++; total > maxListEntries {
				return fmt.Errorf("more than %d list entries (records, affected, ranges, events, versions, ...)", maxListEntries)
			}
			if top.affected && top.n > maxAffected {
				return fmt.Errorf("record has more than %d affected entries", maxAffected)
			}
		}
		isKey = top != nil && !top.array && top.expect && c == '"'
		if top != nil && !top.array && top.expect && c != '}' && c != ',' {
			top.expect = false
		}
		switch c {
		case '"':
			j := i + 1
			for j < len(data) && data[j] != '"' {
				if data[j] == '\\' {
					j++
				}
				j++
			}
			if isKey {
				key = data[i:min(j+1, len(data))]
				pending = true
			} else {
				pending = false
			}
			i = j
			continue
		case '[', '{':
			f := frame{array: c == '[', expect: true}
			if f.array && pending {
				// Decoding matches keys case-insensitively and unescaped.
				var k string
				if bytes.EqualFold(key, []byte(`"affected"`)) ||
					bytes.IndexByte(key, '\\') >= 0 && json.Unmarshal(key, &k) == nil && strings.EqualFold(k, "affected") {
					f.affected = true
				}
			}
			// encoding/json refuses this depth too; the stack stays small.
			if len(stack) >= 10000 {
				return errors.New("JSON nested too deeply")
			}
			stack = append(stack, f)
		case ']', '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if top != nil {
				top.expect = true
			}
		}
		pending = false
	}
	return nil
}

func validate(e *Entry) error {
	if e == nil {
		return errors.New("empty record")
	}
	if strings.TrimSpace(e.ID) == "" {
		return errors.New("record has no id")
	}
	if len(e.ID) > 200 || strings.ContainsAny(e.ID, "\x00\n\r\t /") {
		return fmt.Errorf("record id %q is not valid", e.ID)
	}
	for i, a := range e.Affected {
		for _, r := range a.Ranges {
			for _, ev := range r.Events {
				for _, v := range []string{ev.Introduced, ev.Fixed, ev.LastAffected, ev.Limit} {
					if len(v) > maxVersionLen {
						return fmt.Errorf("record %s: affected[%d] (%s): %s range has a version of %d bytes (%s), longer than the limit of %d", e.ID, i, clip(a.Package.Ecosystem+"/"+a.Package.Name), clip(r.Type), len(v), clip(v), maxVersionLen)
					}
				}
			}
		}
		for _, v := range a.Versions {
			if len(v) > maxVersionLen {
				return fmt.Errorf("record %s: affected[%d] (%s): versions list has a version of %d bytes (%s), longer than the limit of %d", e.ID, i, clip(a.Package.Ecosystem+"/"+a.Package.Name), len(v), clip(v), maxVersionLen)
			}
		}
	}
	return nil
}

// clip quotes at most the first 40 bytes of s for a warning.
func clip(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q...", s[:40])
	}
	return fmt.Sprintf("%q", s)
}

// dropBadRanges removes from e the SEMVER and ECOSYSTEM ranges holding a
// version that is not valid for the range type, and returns one message
// per range removed. A range is removed whole, never one event of it: a
// range without its fixed or limit event would include every later version.
// SEMVER versions must be SemVer 2.0.0, optionally after a "v" (the OSV
// schema forbids the "v"; some sources write it and it orders the same).
// ECOSYSTEM versions must parse with the ecosystem's parser where it can
// fail (PyPI, Debian, Alpine, ...). "introduced": "0" and "limit": "*" are
// valid in both.
func dropBadRanges(e *Entry) []string {
	var msgs []string
	for i := range e.Affected {
		a := &e.Affected[i]
		kept := a.Ranges[:0:0]
		for j, r := range a.Ranges {
			if bad, why := badRangeVersion(r, a.Package.Ecosystem); bad != "" {
				msgs = append(msgs, fmt.Sprintf("record %s: affected[%d] (%s): %s range %d dropped: %s is %s", e.ID, i, clip(a.Package.Ecosystem+"/"+a.Package.Name), r.Type, j, clip(bad), why))
				continue
			}
			kept = append(kept, r)
		}
		if len(kept) != len(a.Ranges) {
			a.Ranges = kept
		}
	}
	return msgs
}

// badRangeVersion returns the first invalid version of r, and why.
func badRangeVersion(r Range, ecosystem string) (string, string) {
	for _, ev := range r.Events {
		for _, v := range []string{ev.Introduced, ev.Fixed, ev.LastAffected, ev.Limit} {
			if v == "" || v == "*" && ev.Limit != "" || v == "0" && ev.Introduced != "" {
				continue
			}
			switch r.Type {
			case RangeSemver:
				if !validSemver(v) {
					return v, "not a SemVer 2.0.0 version"
				}
			case RangeEcosystem:
				_, err := semantic.Parse(v, ecosystemBase(canonicalEcosystem(ecosystem)))
				if err != nil && !errors.Is(err, semantic.ErrUnsupportedEcosystem) {
					return v, "not a " + ecosystem + " version"
				}
			}
		}
	}
	return "", ""
}

// validSemver reports whether s follows the SemVer 2.0.0 grammar
// (https://semver.org/#backusnaur-form-grammar-for-valid-semver-versions)
// after an optional leading "v".
func validSemver(s string) bool {
	s = strings.TrimPrefix(s, "v")
	s, build, hasBuild := strings.Cut(s, "+")
	if hasBuild && !semverIdents(build, false) {
		return false
	}
	core, pre, hasPre := strings.Cut(s, "-")
	if hasPre && !semverIdents(pre, true) {
		return false
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if !isDigits(p) || len(p) > 1 && p[0] == '0' {
			return false
		}
	}
	return true
}

// semverIdents checks dot-separated pre-release or build identifiers:
// non-empty, [0-9A-Za-z-], and for pre-release numeric ones no leading zero.
func semverIdents(s string, pre bool) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		for _, c := range []byte(id) {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
				return false
			}
		}
		if pre && len(id) > 1 && id[0] == '0' && isDigits(id) {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// recordMeta is what the index keeps per record besides the record itself.
//
// A withdrawn record leaves a tombstone: Withdrawn set, no ecosystems and no
// keys, so that an older copy imported later stays out.
type recordMeta struct {
	Modified   time.Time `json:"m"`
	Hash       string    `json:"h"`
	Withdrawn  bool      `json:"w,omitempty"`
	Ecosystems []string  `json:"e,omitempty"`
	Keys       []string  `json:"k,omitempty"`
}

// writer applies records to the new database in batches.
type writer struct {
	db      *bolt.DB
	tx      *bolt.Tx
	pending int
	stats   *ImportStats
	label   string
	touched map[string]map[string]int // ecosystem base -> source label -> records changed
	warn    func(string)
	now     time.Time // withdrawals after now are not in effect yet
}

func (w *writer) skip(file string, err error) {
	w.stats.Skipped++
	w.warn(fmt.Sprintf("%s: skipped: %v", file, err))
}

func (w *writer) begin() error {
	if w.tx != nil {
		return nil
	}
	tx, err := w.db.Begin(true)
	if err != nil {
		return fmt.Errorf("vulnerability import: %w", err)
	}
	for _, name := range [][]byte{bucketVulns, bucketAffected, bucketBriefs, bucketRecords, bucketMeta} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			tx.Rollback()
			return fmt.Errorf("vulnerability import: %w", err)
		}
	}
	w.tx = tx
	return nil
}

func (w *writer) commit() error {
	if w.tx == nil {
		return nil
	}
	err := w.tx.Commit()
	w.tx, w.pending = nil, 0
	if err != nil {
		return fmt.Errorf("vulnerability import: %w", err)
	}
	return nil
}

func (w *writer) rollback() {
	if w.tx != nil {
		w.tx.Rollback()
		w.tx = nil
	}
}

func (w *writer) add(file string, e *Entry) error {
	if err := w.begin(); err != nil {
		return err
	}
	w.stats.Read++
	for _, m := range dropBadRanges(e) {
		w.stats.DroppedRanges++
		w.warn(file + ": " + m)
	}
	records := w.tx.Bucket(bucketRecords)
	id := []byte(e.ID)
	var old *recordMeta
	if v := records.Get(id); v != nil {
		old = &recordMeta{}
		if err := json.Unmarshal(v, old); err != nil {
			old = &recordMeta{} // damaged entry: replace it
		}
	}
	canon, err := json.Marshal(e)
	if err != nil {
		w.skip(file, err)
		return nil
	}
	sum := sha256.Sum256(canon)
	hash := hex.EncodeToString(sum[:])
	withdrawn := withdrawnAt(e, w.now)
	// Every copy of a record, withdrawn or not, obeys the same order: one
	// older than the stored copy (or its tombstone) changes nothing. A
	// withdrawn copy dates from its withdrawal if that is later than its
	// modified time: Go vulndb writes withdrawn records with a zero modified.
	modified := e.Modified
	if withdrawn && e.Withdrawn.After(modified) {
		modified = e.Withdrawn
	}
	if old != nil && (modified.Before(old.Modified) || old.Hash == hash && old.Withdrawn == withdrawn) {
		if old.Withdrawn {
			w.stats.Withdrawn++
		} else {
			w.stats.Unchanged++
		}
		return nil
	}
	ecos := recordEcosystems(e)
	if withdrawn {
		if old == nil || old.Withdrawn {
			w.stats.Withdrawn++
		} else {
			w.stats.Removed++
			w.touch(old.Ecosystems)
			if err := w.remove(e.ID, old); err != nil {
				return err
			}
		}
		// The tombstone keeps an older active copy, read later, out.
		mv, _ := json.Marshal(recordMeta{Modified: modified, Hash: hash, Withdrawn: true})
		if err := records.Put(id, mv); err != nil {
			return fmt.Errorf("vulnerability import: %s: %w", e.ID, err)
		}
		return w.step()
	}
	if old != nil && !old.Withdrawn {
		if err := w.remove(e.ID, old); err != nil {
			return err
		}
		w.stats.Updated++
		w.touch(old.Ecosystems)
	} else {
		w.stats.Added++
	}
	w.touch(ecos)
	keys := map[string][]compactAffected{}
	for i, a := range e.Affected {
		if a.Package.Name == "" || a.Package.Ecosystem == "" {
			continue
		}
		eco := canonicalEcosystem(a.Package.Ecosystem)
		base := ecosystemBase(eco)
		k := base + "\x00" + normalizeName(base, a.Package.Name) + "\x00" + e.ID
		ca := compactAffected{I: i, E: eco, V: a.Versions}
		for _, r := range a.Ranges {
			if r.Type == RangeSemver || r.Type == RangeEcosystem {
				ca.R = append(ca.R, Range{Type: r.Type, Events: r.Events})
			}
		}
		keys[k] = append(keys[k], ca)
	}
	meta := recordMeta{Modified: e.Modified, Hash: hash, Ecosystems: ecos}
	idx := w.tx.Bucket(bucketAffected)
	for k, list := range keys {
		if err := idx.Put([]byte(k), encodeAffected(list)); err != nil {
			return fmt.Errorf("vulnerability import: %s: %w", e.ID, err)
		}
		meta.Keys = append(meta.Keys, k)
	}
	sort.Strings(meta.Keys)
	mv, _ := json.Marshal(meta)
	if err := records.Put(id, mv); err != nil {
		return fmt.Errorf("vulnerability import: %s: %w", e.ID, err)
	}
	if err := w.tx.Bucket(bucketBriefs).Put(id, encodeBrief(briefOf(e))); err != nil {
		return fmt.Errorf("vulnerability import: %s: %w", e.ID, err)
	}
	if err := w.tx.Bucket(bucketVulns).Put(id, deflate(canon)); err != nil {
		return fmt.Errorf("vulnerability import: %s: %w", e.ID, err)
	}
	return w.step()
}

// step commits every batchSize records.
func (w *writer) step() error {
	if w.pending++; w.pending >= batchSize {
		return w.commit()
	}
	return nil
}

// touch credits the current source with a change to the records of ecos.
func (w *writer) touch(ecos []string) {
	for _, eco := range ecos {
		if w.touched[eco] == nil {
			w.touched[eco] = map[string]int{}
		}
		w.touched[eco][w.label]++
	}
}

func (w *writer) remove(id string, old *recordMeta) error {
	idx := w.tx.Bucket(bucketAffected)
	for _, k := range old.Keys {
		if err := idx.Delete([]byte(k)); err != nil {
			return err
		}
	}
	for _, b := range [][]byte{bucketRecords, bucketBriefs} {
		if err := w.tx.Bucket(b).Delete([]byte(id)); err != nil {
			return err
		}
	}
	return w.tx.Bucket(bucketVulns).Delete([]byte(id))
}

// withdrawnAt reports whether e is withdrawn at now: a withdrawal dated in
// the future has not happened yet.
func withdrawnAt(e *Entry, now time.Time) bool {
	return !e.Withdrawn.IsZero() && !e.Withdrawn.After(now)
}

func recordEcosystems(e *Entry) []string {
	var out []string
	for _, a := range e.Affected {
		if a.Package.Ecosystem == "" {
			continue
		}
		base := ecosystemBase(canonicalEcosystem(a.Package.Ecosystem))
		if !containsString(out, base) {
			out = append(out, base)
		}
	}
	sort.Strings(out)
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// finish recomputes the per-ecosystem status and commits.
func (w *writer) finish(now time.Time) error {
	if err := w.begin(); err != nil {
		return err
	}
	status := map[string]*EcosystemStatus{}
	future := now.Add(24 * time.Hour)
	meta := w.tx.Bucket(bucketMeta)
	prefix := []byte("ecosystem/")
	c := meta.Cursor()
	var stale [][]byte
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var s EcosystemStatus
		if json.Unmarshal(v, &s) == nil && s.Ecosystem != "" {
			s.Records, s.NewestModified = 0, time.Time{}
			status[s.Ecosystem] = &s
		}
		stale = append(stale, bytes.Clone(k))
	}
	for _, k := range stale {
		if err := meta.Delete(k); err != nil {
			return err
		}
	}
	err := w.tx.Bucket(bucketRecords).ForEach(func(_, v []byte) error {
		var m recordMeta
		if json.Unmarshal(v, &m) != nil {
			return nil
		}
		for _, eco := range m.Ecosystems {
			s := status[eco]
			if s == nil {
				s = &EcosystemStatus{Ecosystem: eco}
				status[eco] = s
			}
			s.Records++
			// A record dated in the future (a typo, a clock) must not make
			// the whole ecosystem look fresh to --max-db-age.
			if m.Modified.After(s.NewestModified) && m.Modified.Before(future) {
				s.NewestModified = m.Modified
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// An ecosystem's source is the one that changed most of its records
	// (GHSA exports also carry a few records of other ecosystems); an import
	// that changed none of them keeps the previous source and time.
	for eco, labels := range w.touched {
		s := status[eco]
		if s == nil {
			continue
		}
		source, best := "", -1
		for label, n := range labels {
			if n > best || (n == best && label < source) {
				source, best = label, n
			}
		}
		s.Source, s.ImportedAt = source, now
	}
	for eco, s := range status {
		v, _ := json.Marshal(s)
		if err := meta.Put([]byte("ecosystem/"+eco), v); err != nil {
			return err
		}
	}
	return w.commit()
}
