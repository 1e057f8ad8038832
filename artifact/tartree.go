package artifact

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// whiteout is an OCI layer deletion marker.
type whiteout struct {
	dir    string // directory the marker sits in
	name   string // deleted entry; empty for an opaque marker
	opaque bool
}

// tarItem is one header of a tar, with where its data lies.
type tarItem struct {
	name      string // clean
	raw       string // as the archive holds it, for messages
	typ       byte
	link      string
	mode      fs.FileMode
	mod       time.Time
	off, size int64
}

// tarIndex is a tar read in one pass.
type tarIndex struct {
	items  []tarItem
	wh     []whiteout
	data   io.ReaderAt // what item offsets point into
	diffID string      // sha256 of the uncompressed tar, for an image layer
}

// indexTar reads a tar once, start to end. An uncompressed tar is indexed
// where it lies: its items point into src. A compressed one is decompressed
// once into one file in the work dir, written sequentially (not a file per
// entry), and its items point there. In image mode leading slashes are
// stripped, as docker does, and whiteout markers are collected.
func (t *Target) indexTar(ctx context.Context, u *unpacker, display string, src sizedReaderAt, image bool) (_ *tarIndex, err error) {
	head := make([]byte, 6)
	n, _ := src.ReadAt(head, 0)
	dr, done, err := u.decompress(io.NewSectionReader(src, 0, src.Size()))
	if err != nil {
		return nil, fmt.Errorf("%s: corrupt compressed stream: %w", display, err)
	}
	defer done()
	// Only a layer's digest is checked (its diffID); other tars are not
	// hashed again.
	var h hash.Hash
	var sinks []io.Writer
	if image {
		h = sha256.New()
		sinks = append(sinks, h)
	}
	ix := &tarIndex{data: src}
	var copyOut *bufio.Writer
	compressed := compression(head[:n]) != ""
	if compressed {
		f, err := t.workFile("tar")
		if err != nil {
			return nil, err
		}
		t.closeLater(f)
		defer func() {
			if err != nil {
				f.Truncate(0) // a failed copy frees its disk at once
			}
		}()
		ix.data = f
		copyOut = bufio.NewWriterSize(f, 1<<20)
		sinks = append(sinks, copyOut)
	}
	var in io.Reader = dr
	if len(sinks) > 0 {
		in = io.TeeReader(dr, io.MultiWriter(sinks...))
	}
	cr := &countReader{r: in}
	tr := tar.NewReader(cr)
	for i := 0; ; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, ErrLimit) || errors.Is(err, context.Canceled) {
				return nil, fmt.Errorf("%s: %w", display, err)
			}
			return nil, fmt.Errorf("%s: corrupt tar: %w", display, err)
		}
		if err := u.b.entry(); err != nil {
			return nil, fmt.Errorf("%s: %w", display, err)
		}
		name, err := cleanPath(hdr.Name, image)
		if err != nil {
			u.refuse(display, hdr.Name, err)
			continue
		}
		if name == "" {
			continue
		}
		if image {
			base := path.Base(name)
			if base == ".wh..wh..opq" {
				ix.wh = append(ix.wh, whiteout{dir: path.Dir(name), opaque: true})
				continue
			}
			if strings.HasPrefix(base, ".wh.") {
				target := strings.TrimPrefix(base, ".wh.")
				if target == "" || target == "." || target == ".." || strings.Contains(target, "/") {
					u.refuseMarker(display, hdr.Name, errors.New("invalid whiteout name"))
					continue
				}
				ix.wh = append(ix.wh, whiteout{dir: path.Dir(name), name: target})
				continue
			}
		}
		it := tarItem{name: name, raw: hdr.Name, typ: hdr.Typeflag, mode: hdr.FileInfo().Mode(), mod: hdr.ModTime, off: cr.n, size: hdr.Size}
		if hdr.Typeflag == tar.TypeSymlink || hdr.Typeflag == tar.TypeLink {
			if len(hdr.Linkname) > maxLinkTarget {
				u.refuseMarker(display, hdr.Name, fmt.Errorf("a link target of %d bytes (the limit is %d)", len(hdr.Linkname), maxLinkTarget))
				continue
			}
			it.link = hdr.Linkname
		}
		if it.raw == it.name {
			it.raw = it.name // one copy held, not two
		}
		if err := u.b.name(len(name) + len(it.link)); err != nil {
			return nil, fmt.Errorf("%s: %w", display, err)
		}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
			if isSparse(hdr) {
				// Its data is not one run of bytes in the archive (and its
				// declared size is not what the archive holds).
				u.refuse(display, hdr.Name, errors.New("a sparse file"))
				continue
			}
			if !compressed && hdr.Size > src.Size()-cr.n {
				// Nothing to decompress: a size past the end is a truncated
				// or lying tar (Go's own testdata has such), not a bomb.
				return nil, fmt.Errorf("%s!%s: corrupt tar: entry declares %d bytes past the end of the archive", display, shortName(hdr.Name), hdr.Size)
			}
			if hdr.Size > u.b.limits.MaxEntryBytes {
				return nil, fmt.Errorf("%s!%s: %w: entry declares %d bytes (raise --max-entry-size)", display, shortName(hdr.Name), ErrLimit, hdr.Size)
			}
			it.typ = tar.TypeReg
		case tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
		default:
			continue // devices, fifos: nothing to scan
		}
		ix.items = append(ix.items, it)
	}
	// Padding and trailing blocks finish the diffID; the cap bounds them.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		if errors.Is(err, ErrLimit) || errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("%s: %w", display, err)
		}
		return nil, fmt.Errorf("%s: corrupt stream: %w", display, err)
	}
	if copyOut != nil {
		if err := copyOut.Flush(); err != nil {
			return nil, err
		}
	}
	if h != nil {
		ix.diffID = "sha256:" + hex.EncodeToString(h.Sum(nil))
	}
	return ix, nil
}

// maxLinkTarget is the longest link target read, as in zips.
const maxLinkTarget = 4096

func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// tarTree builds the tree a tar unpacks to, as tar would: later entries
// replace earlier ones, a file replaces a directory (and what it held), a
// path under a file replaces that file with a directory. A file replaced by
// a file of the same name is kept under a marked name, as in zips, so its
// bytes are still scanned. archive and sep name the tree's paths in
// messages; display names the archive in refusals.
func (u *unpacker) tarTree(ix *tarIndex, archive, sep, display string, rootfs bool) (*Tree, error) {
	tr := &Tree{archive: archive, sep: sep, entries: map[string]*Entry{}, rootfs: rootfs}
	var links []*Entry
	seen := map[string]int{}
	taken := map[string]bool{}
	tr.onShadow = func(old *Entry) {
		if old.ra == nil {
			return
		}
		var dup string
		for {
			seen[old.Path]++
			dup = fmt.Sprintf("%s%s%d", old.Path, dupMark, seen[old.Path])
			if !taken[dup] && tr.entries[dup] == nil {
				break
			}
		}
		taken[dup] = true
		moved := *old
		moved.Path, moved.dup = dup, true
		tr.shadowed = append(tr.shadowed, &moved)
		u.warn(Warning{Path: tr.display(shortName(old.Path)), Message: fmt.Sprintf("replaced by a later entry of the archive: still scanned, as %s", shortName(dup))})
	}
	for _, it := range ix.items {
		e := &Entry{Path: it.name, Mode: it.mode, ModTime: it.mod}
		switch it.typ {
		case tar.TypeDir:
			e.Type, e.Mode = EntryDir, fs.ModeDir|it.mode.Perm()
		case tar.TypeSymlink:
			if _, err := linkTarget(it.name, it.link, rootfs); err != nil {
				u.refuseMarker(display, it.raw, err)
				continue
			}
			e.Type, e.raw, e.Size = EntrySymlink, it.link, int64(len(it.link))
			links = append(links, e)
		case tar.TypeLink:
			old, err := cleanPath(it.link, true)
			if err == nil && old == "" {
				err = errors.New("empty hardlink target")
			}
			var x *Entry
			if err == nil {
				if old == it.name {
					// The entry already there keeps its content.
					err = errors.New("links to itself")
				} else if x = tr.entries[old]; x == nil {
					err = errors.New("target is not in the archive")
				} else if x.Type != EntryFile {
					err = errors.New("target is not a regular file")
				}
			}
			if err != nil {
				u.refuse(display, it.raw, fmt.Errorf("hardlink to %q: %w", it.link, err))
				continue
			}
			e.Type, e.Mode, e.Size, e.ra, e.off = EntryFile, x.Mode, x.Size, x.ra, x.off
		default:
			e.Type, e.Mode, e.Size, e.ra, e.off = EntryFile, it.mode.Perm(), it.size, ix.data, it.off
		}
		tr.put(e)
		// Implied directories count: a deep name adds one per level.
		if n := int64(len(tr.entries) + len(tr.shadowed)); n > u.b.limits.MaxEntries {
			return nil, fmt.Errorf("%s: %w: more than %d entries (raise --max-entries)", display, ErrLimit, u.b.limits.MaxEntries)
		}
	}
	tr.onShadow = nil
	tr.finish(u, links)
	return tr, nil
}

// put adds an entry as unpacking would (see tarTree).
func (t *Tree) put(e *Entry) {
	// Bottom up to the first directory (whose parents all are): a
	// non-directory on the way is replaced by a directory.
	for d := parentOf(e.Path); d != "."; d = parentOf(d) {
		if x := t.entries[d]; x != nil {
			if x.Type != EntryDir {
				t.drop(x)
			}
			break
		}
	}
	t.addDir(parentOf(e.Path), time.Time{})
	old := t.entries[e.Path]
	switch {
	case old == nil:
	case old.Type == EntryDir && e.Type == EntryDir:
		if !e.implied {
			old.Mode, old.ModTime, old.implied = e.Mode, e.ModTime, false
		}
		return
	case old.Type == EntryDir:
		t.removeTree(e.Path)
	default:
		t.drop(old)
	}
	t.set(e)
}

// removeTree removes a path and, if it is a directory, everything under it.
func (t *Tree) removeTree(p string) {
	x := t.entries[p]
	if x == nil {
		return
	}
	t.drop(x)
	if x.Type == EntryDir {
		t.removeChildren(p)
	}
}

// removeChildren empties a directory (an opaque whiteout).
func (t *Tree) removeChildren(dir string) {
	if t.kids == nil {
		t.kids = make(map[string][]string, len(t.entries)/4)
		for p := range t.entries {
			d := parentOf(p)
			t.kids[d] = append(t.kids[d], p)
		}
	}
	kids := t.kids[dir]
	delete(t.kids, dir)
	for _, k := range kids {
		t.removeTree(k)
	}
}

// squashTrees builds the filesystem a container sees from its layers'
// trees: each layer's whiteouts delete from the layers below, then its
// entries are laid over them. owner maps each file of the result to the
// index of the layer that wrote it. Files are shared with the layers'
// trees; directories and symlinks are copied (a link resolves differently
// in the squashed tree than in its layer).
func (u *unpacker) squashTrees(layers []*Tree, whs [][]whiteout) (*Tree, map[string]int) {
	sq := &Tree{archive: "", sep: "/", entries: map[string]*Entry{}, rootfs: true}
	owner := map[string]int{}
	// The symlinks now in the squashed tree: a later layer writes through
	// them, as docker and containerd do.
	links := map[*Entry]string{}
	// Entries come sorted, a directory before what it holds: the parent
	// resolved last is reused until the next layer.
	var lastDir, lastReal string
	through := func(p string) (string, error) {
		dir := parentOf(p)
		if len(links) == 0 || dir == "." {
			return p, nil
		}
		if dir != lastDir {
			real, err := sq.resolve(".", dir, links, 0, u.b.limits.MaxLinkHops)
			if err != nil {
				return "", err
			}
			lastDir, lastReal = dir, real
		}
		if lastReal == "." {
			return p[len(dir)+1:], nil
		}
		return lastReal + p[len(dir):], nil
	}
	for i, l := range layers {
		lastDir = ""
		for _, w := range whs[i] {
			dir := w.dir
			if dir != "." {
				real, err := through(dir + "/x")
				if err != nil {
					continue // it leads nowhere the image holds
				}
				dir = parentOf(real)
			}
			// A removal may take a link the cached parent went through.
			lastDir = ""
			if w.opaque {
				if x := sq.entries[dir]; x != nil && x.Type == EntryDir || dir == "." {
					sq.removeChildren(dir)
				}
				continue
			}
			sq.removeTree(path.Join(dir, w.name))
		}
		lastDir = ""
		for _, e := range l.list {
			if e.dup {
				continue
			}
			p, err := through(e.Path)
			if err != nil {
				u.warn(Warning{Path: l.display(shortName(e.Path)), Message: "refused: its directory is a symlink that " + err.Error()})
				continue
			}
			if e.Type == EntryDir && e.implied && sq.entries[p] != nil {
				// No entry named it: what is there (a directory, or a
				// symlink written through) stays.
				continue
			}
			c := e
			if e.Type != EntryFile || p != e.Path {
				// A directory's mode may change, a link resolves anew, a
				// path through a link lands elsewhere.
				cp := *e
				cp.Path, cp.Link = p, ""
				c = &cp
			}
			sq.put(c)
			if c.Type == EntrySymlink {
				links[c] = c.raw
			}
			if c.Type != EntryDir {
				owner[c.Path] = i
			}
		}
	}
	var all []*Entry
	for _, e := range sq.entries {
		if e.Type == EntrySymlink {
			all = append(all, e)
		}
	}
	sq.finish(u, all)
	for p := range owner {
		if x := sq.Lookup(p); x == nil || x.Type == EntryDir {
			delete(owner, p)
		}
	}
	return sq, owner
}

// workFile makes a new file in the work dir for one sequential copy.
func (t *Target) workFile(kind string) (*os.File, error) {
	work, err := t.workDir()
	if err != nil {
		return nil, err
	}
	dir := work + "/" + kind
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return os.CreateTemp(dir, "*")
}

// closeLater keeps a file open until the target is closed: trees read from it.
func (t *Target) closeLater(c io.Closer) {
	t.workMu.Lock()
	defer t.workMu.Unlock()
	if t.closed {
		c.Close()
		return
	}
	t.closers = append(t.closers, c)
}
