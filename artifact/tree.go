package artifact

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kflate "github.com/klauspost/compress/flate"
)

// EntryType is what an entry of a Tree is.
type EntryType uint8

const (
	EntryFile EntryType = iota
	EntryDir
	EntrySymlink
)

// Entry is one path of a Tree.
type Entry struct {
	Path    string // slash path inside the archive, clean, no leading slash
	Type    EntryType
	Mode    fs.FileMode
	Size    int64 // uncompressed size, as the zip's central directory or tar header declares it
	ModTime time.Time
	// Link is a symlink's target resolved inside the tree (chroot semantics,
	// every link on the way followed): a real path or one that does not
	// exist. "." is the tree's root.
	Link string
	raw  string // a symlink's target as the archive holds it
	f    *zip.File
	// A tar entry's data: Size bytes at off in ra (a tar is never
	// compressed per entry). A zip entry's data (compressed) is at off in
	// its Tree's ra.
	ra      io.ReaderAt
	off     int64
	dup     bool // the earlier copy of a tar entry replaced by a later one
	implied bool // a directory no entry named, made for the paths under it
	// open reads an entry that is neither (a decompressed single file).
	open func() (io.ReadCloser, error)
}

// Replaced says the entry is a tar file a later entry of the same name or
// path replaced: listed under a marked name to be scanned, not a file of the
// unpacked tree.
func (e *Entry) Replaced() bool { return e.dup }

// Tree is an archive read where it lies: an index built from a zip's
// central directory or one pass over a tar, each file read (a zip entry
// decompressed) only when asked for. Nothing is written to disk from it,
// and no path is ever made from an entry name.
type Tree struct {
	archive string // display name, e.g. "fn.zip" or "fn.zip!lib/a.jar"
	sep     string // between archive and an entry in messages; "" is "!"
	entries map[string]*Entry
	list    []*Entry    // sorted by path
	ra      io.ReaderAt // a zip's bytes, which nested stored zips are sections of
	size    int64       // of ra
	// kids lists each directory's paths as added (some since removed);
	// made on the first removal of a directory, which most trees never see.
	kids map[string][]string
	// shadowed holds files a later tar entry replaced, under marked names:
	// listed and scanned, not in the tree's paths.
	shadowed []*Entry
	onShadow func(*Entry)
	// rootfs: a container's root filesystem (an image layer, the squashed
	// view), where ".." at the root stays at the root, as the kernel
	// resolves it; elsewhere a link climbing out of the archive is refused.
	rootfs bool
}

// Entries lists every entry, directories implied by file paths included,
// sorted by path. Shared: read, do not change.
func (t *Tree) Entries() []*Entry { return t.list }

// Lookup finds an entry by its path (no symlinks followed).
func (t *Tree) Lookup(p string) *Entry {
	if t.entries != nil {
		return t.entries[p]
	}
	i, ok := slices.BinarySearchFunc(t.list, p, func(e *Entry, p string) int { return strings.Compare(e.Path, p) })
	if !ok || t.list[i].dup {
		return nil // a replaced copy is listed under its mark, not at a path
	}
	return t.list[i]
}

// Open reads a file entry. Reads are bounded by the declared size (the zip
// reader fails past it), which Open checked against every limit.
func (t *Tree) Open(e *Entry) (io.ReadCloser, error) {
	if e.Type == EntryFile && e.ra != nil {
		return sectionFile{io.NewSectionReader(e.ra, e.off, e.Size)}, nil
	}
	if e.Type == EntryFile && e.open != nil {
		rc, err := e.open()
		if err != nil {
			return nil, fmt.Errorf("%s!%s: %w", t.archive, e.Path, err)
		}
		return &entryReader{rc: readCloser{io.LimitReader(rc, e.Size), func() { rc.Close() }}, name: t.archive + "!" + e.Path}, nil
	}
	if e.Type != EntryFile || e.f == nil {
		return nil, fmt.Errorf("%s!%s: not a regular file", t.archive, e.Path)
	}
	rc, err := e.f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s!%s: %w", t.archive, e.Path, err)
	}
	return &entryReader{rc: rc, name: t.archive + "!" + e.Path}, nil
}

// Head reads up to n first bytes of a file entry. A zip entry's head is
// inflated alone, not the 32 KB a reader inflates before its first read
// returns: sniffing every entry's magic cost as much as inflating most of
// them. No checksum is verified here (Open's readers do).
func (t *Tree) Head(e *Entry, n int) ([]byte, error) {
	if b, ok := t.zipHead(e, n, func(off int64, k int) ([]byte, bool) {
		b := make([]byte, k)
		m, _ := t.ra.ReadAt(b, off)
		return b, m == k
	}); ok {
		return b, nil
	}
	return t.readHead(e, n)
}

// Heads calls fn with the head of each file entry in es (up to n bytes, as
// Head gives; valid only during the call), on every core: a zip's entries
// are read in file order, a run of them through one buffer per core.
func (t *Tree) Heads(ctx context.Context, es []*Entry, n int, fn func(*Entry, []byte, error)) {
	var inZip, rest []*Entry
	for _, e := range es {
		if e.Type == EntryFile && e.f != nil && t.ra != nil {
			inZip = append(inZip, e)
		} else {
			rest = append(rest, e)
		}
	}
	slices.SortFunc(inZip, func(a, b *Entry) int { return cmp.Compare(a.off, b.off) })
	type job struct {
		es    []*Entry
		inZip bool
	}
	var jobs []job
	for _, j := range []job{{inZip, true}, {rest, false}} {
		for c := range slices.Chunk(j.es, 256) {
			jobs = append(jobs, job{c, j.inZip})
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWindow(t.ra, t.size)
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				for _, e := range jobs[i].es {
					var b []byte
					var err error
					if !jobs[i].inZip {
						b, err = t.Head(e, n)
					} else if h, ok := t.zipHead(e, n, w.get); ok {
						b = h
					} else {
						b, err = t.readHead(e, n)
					}
					fn(e, b, err)
				}
			}
		}()
	}
	wg.Wait()
}

// zipHead is a zip entry's head from its compressed bytes, which read
// gives; ok is false for anything else, or what it cannot decode alone.
func (t *Tree) zipHead(e *Entry, n int, read func(off int64, k int) ([]byte, bool)) (_ []byte, ok bool) {
	if e.Type != EntryFile || e.f == nil || t.ra == nil {
		return nil, false
	}
	want := int(min(int64(n), e.Size))
	switch e.f.Method {
	case zip.Store:
		if e.f.CompressedSize64 != e.f.UncompressedSize64 {
			return nil, false // a lie Open's reader refuses
		}
		if b, ok := read(e.off, want); ok {
			return b, true
		}
	case zip.Deflate:
		// A dynamic block's tables take at most ≈300 bytes.
		if src, ok := read(e.off, int(min(int64(1024+2*n), int64(e.f.CompressedSize64)))); ok {
			if b, ok := inflateHead(src, want); ok && len(b) == want {
				return b, true
			}
		}
	}
	return nil, false
}

// readHead reads up to n first bytes of a file entry through Open.
func (t *Tree) readHead(e *Entry, n int) ([]byte, error) {
	rc, err := t.Open(e)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := make([]byte, min(int64(n), e.Size))
	k, err := io.ReadFull(rc, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return b[:k], err
}

// RandomAccess says whether Open gives a reader with ReadAt and Seek.
func (t *Tree) RandomAccess(e *Entry) bool { return e.Type == EntryFile && e.ra != nil }

// sectionFile is a tar entry: stored, so read with random access (ReadAt
// and Seek), which syft's binary catalogers use instead of a copy.
type sectionFile struct{ *io.SectionReader }

func (sectionFile) Close() error { return nil }

// inflater is klauspost's inflate, faster than the standard library's,
// its readers pooled as archive/zip pools its own.
func inflater(r io.Reader) io.ReadCloser {
	if fr, ok := flatePool.Get().(io.ReadCloser); ok {
		fr.(kflate.Resetter).Reset(r, nil)
		return &pooledInflater{fr: fr}
	}
	return &pooledInflater{fr: kflate.NewReader(r)}
}

var flatePool sync.Pool

type pooledInflater struct {
	mu sync.Mutex // Read and Close may race when a reader is abandoned
	fr io.ReadCloser
}

func (p *pooledInflater) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fr == nil {
		return 0, errors.New("read after close")
	}
	return p.fr.Read(b)
}

func (p *pooledInflater) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	if p.fr != nil {
		err = p.fr.Close()
		flatePool.Put(p.fr)
		p.fr = nil
	}
	return err
}

// entryReader names the entry in read errors: a header that lies about a
// size or checksum fails the read there.
type entryReader struct {
	rc   io.ReadCloser
	name string
}

func (r *entryReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s: %w", r.name, err)
	}
	return n, err
}

func (r *entryReader) Close() error { return r.rc.Close() }

// sizedReaderAt is what a nested archive is read from: a section of its parent
// when stored, else its inflated bytes in memory or, past memCap, a file in
// the work dir.
type sizedReaderAt interface {
	io.ReaderAt
	Size() int64
}

// openTree indexes the zip in ra. archive names it in messages. Limits are
// checked from the central directory before any byte is inflated: sizes
// beyond the file, entries overlapping one another (the way non-recursive
// zip bombs reuse one stream), declared sizes and ratios over a limit. A
// refused entry is a warning; a limit is an error.
func (u *unpacker) openTree(ctx context.Context, archive string, ra io.ReaderAt, size int64) (*Tree, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("not a valid zip archive: %w", err)
	}
	zr.RegisterDecompressor(zip.Deflate, inflater)
	t := &Tree{archive: archive, entries: map[string]*Entry{}, ra: ra, size: size}
	type span struct {
		start, end int64
		name       string
	}
	var spans []span
	names := make([]string, len(zr.File))
	offs := dataOffsets(zr.File, ra, size)
	last := map[string]int{}
	var declared, deflated int64
	for i, f := range zr.File {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if err := u.b.entry(); err != nil {
			return nil, fmt.Errorf("%s: %w", archive, err)
		}
		name, err := cleanPath(f.Name, false)
		if err != nil {
			u.refuse(archive, f.Name, err)
			continue
		}
		if name == "" {
			continue
		}
		if isDirEntry(f) {
			names[i] = name
			continue
		}
		off := offs[i]
		if off < 0 {
			off, err = f.DataOffset()
			offs[i] = off
		}
		if err != nil {
			return nil, fmt.Errorf("%s!%s: corrupt zip entry: %w", archive, shortName(f.Name), err)
		}
		csize := int64(f.CompressedSize64)
		if f.CompressedSize64 > uint64(size) || off < 0 || off+csize > size {
			return nil, fmt.Errorf("%s!%s: %w: entry declares %d compressed bytes beyond the end of the archive (malformed or a bomb)", archive, shortName(f.Name), ErrMalformed, f.CompressedSize64)
		}
		if csize > 0 {
			spans = append(spans, span{off, off + csize, f.Name})
		}
		usize := int64(f.UncompressedSize64)
		if f.UncompressedSize64 > uint64(u.b.limits.MaxEntryBytes) {
			return nil, fmt.Errorf("%s!%s: %w: entry declares %d bytes (raise --max-entry-size)", archive, shortName(f.Name), ErrLimit, f.UncompressedSize64)
		}
		if usize > 1<<20 && (csize == 0 || usize/csize > u.b.limits.MaxRatio) {
			return nil, fmt.Errorf("%s!%s: %w: entry declares %d bytes from %d compressed, a ratio above %d:1 (zip bomb? raise --max-ratio)", archive, shortName(f.Name), ErrLimit, usize, csize, u.b.limits.MaxRatio)
		}
		declared += usize
		deflated += csize
		names[i] = name
		last[name] = i
	}
	// Overlapping data is how a small zip declares gigabytes: every entry
	// reads the same bytes. No tool writes it, so it is refused whole.
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return nil, fmt.Errorf("%s: %w: entries %s and %s share compressed data (a zip bomb's trick)", archive, ErrMalformed, shortName(spans[i-1].name), shortName(spans[i].name))
		}
	}
	if deflated > 0 && declared > 256<<20 && declared/deflated > u.b.limits.MaxRatio {
		return nil, fmt.Errorf("%s: %w: archive declares %d bytes from %d compressed, a ratio above %d:1 (zip bomb? raise --max-ratio)", archive, ErrLimit, declared, deflated, u.b.limits.MaxRatio)
	}
	if err := u.b.add(declared); err != nil {
		return nil, fmt.Errorf("%s: %w", archive, err)
	}
	// A file whose name is also a directory of other entries is refused,
	// whatever the order: the directory holds what the tree needs.
	parents := map[string]bool{}
	for _, name := range names {
		for d := path.Dir(name); d != "." && d != "/" && !parents[d]; d = path.Dir(d) {
			parents[d] = true
		}
	}
	seen := map[string]int{}
	var links []*Entry
	for i, f := range zr.File {
		name := names[i]
		if name == "" {
			continue
		}
		mode := f.Mode()
		if isDirEntry(f) {
			t.addDir(name, f.Modified)
			continue
		}
		if mode&fs.ModeSymlink == 0 {
			// unzip writes any other entry (a fifo, a device, a "directory"
			// mode on a file name) as a file with its content: so is it read.
			mode = mode.Perm()
		}
		if parents[name] {
			u.refuse(archive, f.Name, errors.New("a file of the same name as a directory in the archive"))
			continue
		}
		if last[name] != i {
			if !mode.IsRegular() {
				continue
			}
			// Unzip tools disagree on which of two same-named entries
			// wins: both are scanned, the earlier under a marked name
			// that no other entry has.
			var dup string
			for {
				seen[name]++
				dup = fmt.Sprintf("%s%s%d", name, dupMark, seen[name])
				if _, taken := last[dup]; !taken && !parents[dup] && t.entries[dup] == nil {
					break
				}
			}
			u.warn(Warning{Path: archive + "!" + f.Name, Message: fmt.Sprintf("duplicate entry: both copies scanned, the earlier as %s", dup)})
			name = dup
		}
		e := &Entry{Path: name, Mode: mode, Size: int64(f.UncompressedSize64), ModTime: f.Modified, f: f, off: offs[i]}
		// Only what reading needs is kept: a hostile extra field or comment
		// would otherwise stay in memory for the whole scan.
		f.Extra, f.Comment = nil, ""
		if mode&fs.ModeSymlink != 0 {
			e.Type = EntrySymlink
			links = append(links, e)
		}
		t.add(e)
	}
	for _, e := range links {
		target, err := readSmall(e.f, 4096)
		if err != nil {
			return nil, fmt.Errorf("%s!%s: %w", archive, e.Path, err)
		}
		e.f = nil
		e.Size = int64(len(target))
		if _, err := linkTarget(e.Path, target, false); err != nil {
			// A link holds no content: refusing it leaves nothing unread.
			u.warn(Warning{Path: archive + "!" + shortName(e.Path), Message: "refused: " + err.Error()})
			t.remove(e)
			continue
		}
		e.raw = target
	}
	t.finish(u, links)
	return t, nil
}

// finish resolves the tree's symlinks, once every link is known, and lists
// its entries. A link that escapes, loops or chains too deep is removed
// with a warning.
func (t *Tree) finish(u *unpacker, links []*Entry) {
	raw := map[*Entry]string{}
	for _, e := range links {
		if t.entries[e.Path] == e {
			raw[e] = e.raw
		}
	}
	for _, e := range links {
		target, ok := raw[e]
		if !ok {
			continue
		}
		real, err := t.resolve(parentOf(e.Path), target, raw, 1, u.b.limits.MaxLinkHops) // the link itself counts, as on disk
		if err != nil {
			u.warn(Warning{Path: t.display(e.Path), Message: fmt.Sprintf("refused: symlink to %q: %v", target, err)})
			t.remove(e)
			continue
		}
		e.Link = real
	}
	t.list = make([]*Entry, 0, len(t.entries)+len(t.shadowed))
	for _, e := range t.entries {
		t.list = append(t.list, e)
	}
	t.list = append(t.list, t.shadowed...)
	// A later entry may be named like an earlier replaced copy's mark:
	// the entry itself sorts first, where Lookup finds it.
	sort.Slice(t.list, func(i, j int) bool {
		a, b := t.list[i], t.list[j]
		return a.Path < b.Path || a.Path == b.Path && !a.dup && b.dup
	})
	// The tree is only read from now on: Lookup searches the sorted list,
	// and the map (about 40 bytes an entry, an image holds 100k) goes.
	t.entries, t.kids, t.shadowed = nil, nil, nil
}

// display names a path of the tree in messages.
func (t *Tree) display(p string) string {
	if t.sep == "" {
		return t.archive + "!" + p
	}
	return t.archive + t.sep + p
}

// dupMark names the earlier copy of a duplicated entry.
const dupMark = ".fnscan-duplicate-"

// isDirEntry: a zip directory is a name ending in "/", as unzip sees it;
// a mode bit alone does not hide a file's content.
func isDirEntry(f *zip.File) bool {
	return strings.HasSuffix(strings.ReplaceAll(f.Name, `\`, "/"), "/")
}

// baseName is an entry's file name without a duplicate mark.
func baseName(p string) string {
	b := path.Base(p)
	if i := strings.LastIndex(b, dupMark); i > 0 {
		return b[:i]
	}
	return b
}

// ErrMalformed marks an archive refused for its structure.
var ErrMalformed = errors.New("malformed archive")

func (t *Tree) add(e *Entry) {
	t.addDir(parentOf(e.Path), time.Time{})
	t.set(e)
}

func (t *Tree) remove(e *Entry) {
	if t.entries[e.Path] == e {
		delete(t.entries, e.Path)
	}
}

// parentOf is path.Dir of a clean path, without cleaning it again: a deep
// path is walked level by level, and each must cost nothing.
func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return "."
}

// set stores an entry, recording a new path under its parent (once kids
// exists) so that a directory's removal costs what it removes.
func (t *Tree) set(e *Entry) {
	if _, ok := t.entries[e.Path]; !ok && t.kids != nil {
		d := parentOf(e.Path)
		t.kids[d] = append(t.kids[d], e.Path)
	}
	t.entries[e.Path] = e
}

// drop removes one entry; a file with content goes to onShadow, if set.
func (t *Tree) drop(x *Entry) {
	delete(t.entries, x.Path)
	if t.onShadow != nil && x.Type == EntryFile {
		t.onShadow(x)
	}
}

// addDir adds a directory and its parents, keeping a time already known.
func (t *Tree) addDir(p string, mod time.Time) {
	for ; p != "." && p != "/" && p != ""; p = parentOf(p) {
		if e, ok := t.entries[p]; ok {
			if e.Type == EntryDir && e.ModTime.IsZero() {
				e.ModTime = mod
			}
			return
		}
		t.set(&Entry{Path: p, Type: EntryDir, Mode: fs.ModeDir | 0o755, ModTime: mod, implied: true})
		mod = time.Time{}
	}
}

// resolve follows target from dir inside the tree (see followLinks);
// hops counts links already followed. The root is ".".
func (t *Tree) resolve(dir, target string, links map[*Entry]string, hops, maxHops int) (string, error) {
	cur := dir
	if dir == "." || strings.HasPrefix(target, "/") {
		cur = ""
	}
	real, err := followLinks(cur, target, hops, maxHops, t.rootfs, func(p string) (string, bool) {
		raw, ok := links[t.entries[p]]
		return raw, ok
	})
	if real == "" && err == nil {
		real = "."
	}
	return real, err
}

// memCap bounds the inflated nested archives held in memory for one target;
// past it they are written to the work dir (compressed, as they came).
const memCap = 256 << 20

// nestedSource gives the bytes of an archive found in a tree: a section of
// the parent when stored (a tar entry, a stored zip entry), else read
// (inflated, decompressed) into memory or, past memCap, the work dir.
func (u *unpacker) nestedSource(parent *Tree, e *Entry, spill func() (*os.File, error), held *atomic.Int64) (sizedReaderAt, io.Closer, error) {
	if e.ra != nil {
		return io.NewSectionReader(e.ra, e.off, e.Size), nil, nil
	}
	if e.f != nil && e.f.Method == zip.Store && int64(e.f.UncompressedSize64) == int64(e.f.CompressedSize64) {
		// e.off: the data offset openTree read from the local header.
		return io.NewSectionReader(parent.ra, e.off, int64(e.f.CompressedSize64)), nil, nil
	}
	rc, err := parent.Open(e)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	if held.Add(e.Size) <= memCap {
		b, err := io.ReadAll(rc)
		if err != nil {
			held.Add(-e.Size)
			return nil, nil, err
		}
		return bytes.NewReader(b), nil, nil
	}
	held.Add(-e.Size)
	f, err := spill()
	if err != nil {
		return nil, nil, err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return io.NewSectionReader(f, 0, fi.Size()), f, nil
}
