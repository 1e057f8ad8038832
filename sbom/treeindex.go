package sbom

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	stfile "github.com/anchore/stereoscope/pkg/file"
	"github.com/anchore/stereoscope/pkg/filetree"
	"github.com/bmatcuk/doublestar/v4"

	"github.com/fnscan/fnscan/artifact"
)

// treeIndex holds every path the catalogers may ask for, built once and
// then only read, and answers their queries itself (treesearch.go):
// stereoscope's own index keeps a map entry, a FileInfo and a set entry per
// bucket for every file, and its tree three maps' entries and a node (about
// 1 KB a file together, most of the memory of scanning a large image); this
// one keeps one record a file, sorted by ID, and buckets of record numbers.
// It still answers stereoscope's index queries (filetree.IndexReader), and
// TestTreeIndexMatchesStereoscope and TestSearchMatchesStereoscope hold it
// to stereoscope's answers.
type treeIndex struct {
	recs   []indexRec // in ID order: references are made in add order
	byBase []int32    // record numbers ordered by basename, then ID
	// names are the distinct basenames, sorted; byBase[at[i]:at[i+1]]
	// holds the records named names[i].
	names  []string
	at     []int32
	byExt  map[string][]int32
	byType map[stfile.Type][]int32
	byMIME map[string][]int32
	mimes  map[int32]string
	sealed bool
	// For the searches (treesearch.go): record numbers by path, each
	// symlink's target record, and each record's links.
	byPath []int32
	dest   map[int32]int32
	back   map[int32][]int32
}

// indexRec is one path: 64 bytes, an image holds 100k.
type indexRec struct {
	ref   stfile.Reference
	link  string
	entry *artifact.Entry // size, mode and time; nil for a directory fnscan made
	root  *artifact.Root  // for regular files: where to read them
	typ   stfile.Type
}

// recMIME is what add takes: a record and, for an executable, its MIME
// type (kept by the index, not in every record).
type recMIME struct {
	indexRec
	mime string
}

// file is where a regular file's record is read from.
func (r *indexRec) file() treeFile { return treeFile{r.root.Tree, r.entry, r.root} }

// newTreeIndex makes an index for about n records.
func newTreeIndex(n int) *treeIndex {
	return &treeIndex{recs: make([]indexRec, 0, n), byExt: map[string][]int32{}, byType: map[stfile.Type][]int32{}, byMIME: map[string][]int32{}, mimes: map[int32]string{}}
}

// mime is a record's MIME type, if sniffed.
func (x *treeIndex) mime(n int32) string { return x.mimes[n] }

// add records a reference the tree just made; ref IDs only grow.
func (x *treeIndex) add(rm recMIME) error {
	rec := rm.indexRec
	if x.sealed {
		return fmt.Errorf("index: %s added after the index was sealed", rec.ref.RealPath)
	}
	if n := len(x.recs); n > 0 && x.recs[n-1].ref.ID() >= rec.ref.ID() {
		// The tree gave back an existing reference (a directory added
		// twice): the later metadata wins, as in stereoscope's index.
		i, ok := x.find(rec.ref.ID())
		if !ok {
			return fmt.Errorf("index: reference %d for %s out of order", rec.ref.ID(), rec.ref.RealPath)
		}
		x.drop(int32(i))
		x.recs[i] = rec
		x.setMIME(int32(i), rm.mime)
		x.bucket(int32(i))
		return nil
	}
	x.recs = append(x.recs, rec)
	n := int32(len(x.recs) - 1)
	x.setMIME(n, rm.mime)
	x.bucket(n)
	for _, ext := range fileExtensions(string(rec.ref.RealPath)) {
		x.byExt[ext] = append(x.byExt[ext], n)
	}
	return nil
}

func (x *treeIndex) setMIME(n int32, mime string) {
	if mime == "" {
		delete(x.mimes, n)
	} else {
		x.mimes[n] = mime
	}
}

func (x *treeIndex) bucket(n int32) {
	r := &x.recs[n]
	x.byType[r.typ] = append(x.byType[r.typ], n)
	if m := x.mime(n); m != "" {
		x.byMIME[m] = append(x.byMIME[m], n)
	}
}

func (x *treeIndex) drop(n int32) {
	r := &x.recs[n]
	remove := func(s []int32) []int32 { return slices.DeleteFunc(s, func(v int32) bool { return v == n }) }
	x.byType[r.typ] = remove(x.byType[r.typ])
	if m := x.mime(n); m != "" {
		x.byMIME[m] = remove(x.byMIME[m])
	}
}

// seal sorts the basename order once every reference is added; later adds are refused.
func (x *treeIndex) seal() {
	if x.sealed {
		return
	}
	x.sealed = true
	x.byBase = make([]int32, 0, len(x.recs))
	for i := range x.recs {
		if baseOf(x.recs[i].ref.RealPath) != "/" {
			x.byBase = append(x.byBase, int32(i))
		}
	}
	slices.SortFunc(x.byBase, func(a, b int32) int {
		if c := strings.Compare(baseOf(x.recs[a].ref.RealPath), baseOf(x.recs[b].ref.RealPath)); c != 0 {
			return c
		}
		return int(a - b)
	})
	for i, n := range x.byBase {
		if name := baseOf(x.recs[n].ref.RealPath); len(x.names) == 0 || x.names[len(x.names)-1] != name {
			x.names = append(x.names, name)
			x.at = append(x.at, int32(i))
		}
	}
	x.at = append(x.at, int32(len(x.byBase)))
	// Buckets are filled in ID order, but a rewritten record keeps its
	// place: stereoscope answers in ID order, so re-sort where needed.
	for _, s := range x.byType {
		slices.Sort(s)
	}
	for _, s := range x.byMIME {
		slices.Sort(s)
	}
	x.sealLinks()
}

func baseOf(p stfile.Path) string { return path.Base(string(p)) }

func (x *treeIndex) find(id stfile.ID) (int, bool) {
	return slices.BinarySearchFunc(x.recs, id, func(r indexRec, id stfile.ID) int {
		switch {
		case r.ref.ID() < id:
			return -1
		case r.ref.ID() > id:
			return 1
		}
		return 0
	})
}

// record gives the number of a reference's record.
func (x *treeIndex) record(ref stfile.Reference) (int32, bool) {
	i, ok := x.find(ref.ID())
	return int32(i), ok
}

// metadata is what stereoscope's index would have stored for the record.
func (x *treeIndex) metadata(n int32) stfile.Metadata {
	r := &x.recs[n]
	p := string(r.ref.RealPath)
	info := stfile.ManualInfo{NameValue: path.Base(p)}
	switch {
	case r.entry == nil:
		info.ModeValue = os.ModeDir | 0o755
	case r.typ == stfile.TypeDirectory:
		info.ModeValue, info.ModTimeValue = r.entry.Mode, r.entry.ModTime
	default:
		info.ModeValue, info.ModTimeValue, info.SizeValue = r.entry.Mode, r.entry.ModTime, r.entry.Size
	}
	return stfile.Metadata{FileInfo: info, Path: p, LinkDestination: r.link, Type: r.typ, MIMEType: x.mime(n)}
}

func (x *treeIndex) entry(n int32) filetree.IndexEntry {
	r := &x.recs[n]
	return filetree.IndexEntry{Reference: r.ref, Metadata: x.metadata(n)}
}

func (x *treeIndex) entries(ns []int32, out []filetree.IndexEntry) []filetree.IndexEntry {
	for _, n := range ns {
		out = append(out, x.entry(n))
	}
	return out
}

func (x *treeIndex) Exists(f stfile.Reference) bool {
	_, ok := x.find(f.ID())
	return ok
}

func (x *treeIndex) Get(f stfile.Reference) (filetree.IndexEntry, error) {
	i, ok := x.find(f.ID())
	if !ok {
		return filetree.IndexEntry{}, os.ErrNotExist
	}
	return x.entry(int32(i)), nil
}

func (x *treeIndex) GetByMIMEType(types ...string) ([]filetree.IndexEntry, error) {
	var out []filetree.IndexEntry
	for _, t := range types {
		out = x.entries(x.byMIME[t], out)
	}
	return out, nil
}

func (x *treeIndex) GetByFileType(types ...stfile.Type) ([]filetree.IndexEntry, error) {
	var out []filetree.IndexEntry
	for _, t := range types {
		out = x.entries(x.byType[t], out)
	}
	return out, nil
}

func (x *treeIndex) GetByExtension(exts ...string) ([]filetree.IndexEntry, error) {
	var out []filetree.IndexEntry
	for _, e := range exts {
		out = x.entries(x.byExt[e], out)
	}
	return out, nil
}

// named is the run of byBase holding names[i].
func (x *treeIndex) named(i int) []int32 { return x.byBase[x.at[i]:x.at[i+1]] }

func (x *treeIndex) GetByBasename(names ...string) ([]filetree.IndexEntry, error) {
	var out []filetree.IndexEntry
	for _, name := range names {
		if strings.Contains(name, "/") {
			return nil, fmt.Errorf("found directory separator in a basename")
		}
		out = x.entries(x.withName(name), out)
	}
	return out, nil
}

func (x *treeIndex) GetByBasenameGlob(globs ...string) ([]filetree.IndexEntry, error) {
	for _, g := range globs {
		if strings.Contains(g, "**") {
			return nil, fmt.Errorf("%w: basename glob %q contains '**'", doublestar.ErrBadPattern, g)
		}
		if strings.Contains(g, "/") {
			return nil, fmt.Errorf("%w: basename glob %q contains a directory separator", doublestar.ErrBadPattern, g)
		}
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("%w: invalid basename glob %q", doublestar.ErrBadPattern, g)
		}
	}
	var out []filetree.IndexEntry
	for _, g := range globs {
		out = x.entries(x.nameGlob(g), out)
	}
	return out, nil
}

// fileExtensions is stereoscope's: every dotted suffix of the basename,
// leading dots aside ("a.tar.gz" has ".gz" and ".tar.gz").
func fileExtensions(p string) []string {
	var exts []string
	p = strings.TrimSpace(p)
	if strings.HasSuffix(p, ".") || strings.HasSuffix(p, "/") {
		return exts
	}
	p = strings.TrimLeft(path.Base(p), ".")
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '.' {
			exts = append(exts, p[i:])
		}
	}
	return exts
}
