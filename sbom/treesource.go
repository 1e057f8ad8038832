package sbom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	stfile "github.com/anchore/stereoscope/pkg/file"
	syftart "github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/file"
	"github.com/anchore/syft/syft/source"

	"github.com/fnscan/fnscan/artifact"
)

// mount places roots of a target in one file tree for syft: a single root
// or an image's squashed filesystem at "/", the others each under a
// directory of its own, so every cataloger runs once for the target however
// many archives it holds.
type mount struct {
	roots    []*artifact.Root
	prefixes []string // "" for the root at "/", else "/fnscan-root-N"
}

func newMount(roots []*artifact.Root) *mount {
	m := &mount{roots: roots}
	base := "fnscan-root"
	for _, r := range roots {
		if r.Virtual == "" && r.Tree != nil {
			// The image's own top-level names must not collide with the
			// other roots' directories.
			for taken(r.Tree, base) {
				base += "_"
			}
		}
	}
	for i, r := range roots {
		if len(roots) == 1 || r.Virtual == "" {
			// An image's filesystem is where catalogers look for
			// /etc/os-release and package databases.
			m.prefixes = append(m.prefixes, "")
		} else {
			m.prefixes = append(m.prefixes, "/"+base+"-"+strconv.Itoa(i))
		}
	}
	return m
}

// taken says whether a top-level name of the tree starts with prefix.
func taken(t *artifact.Tree, prefix string) bool {
	for _, e := range t.Entries() {
		if !strings.Contains(e.Path, "/") && strings.HasPrefix(e.Path, prefix) {
			return true
		}
	}
	return false
}

// locate maps a path syft reports to its root and the slash path inside it.
func (m *mount) locate(real string) (*artifact.Root, string) {
	real = "/" + strings.TrimPrefix(real, "/")
	top := 0
	for i, p := range m.prefixes {
		if p == "" {
			top = i
			continue
		}
		if rest, ok := strings.CutPrefix(real, p+"/"); ok {
			return m.roots[i], rest
		}
	}
	return m.roots[top], strings.TrimPrefix(real, "/")
}

// read gives the content of a file by the path syft reports, for the few
// files fnscan reads itself after cataloging (package.json dependencies).
func (m *mount) read(real string, max int64) ([]byte, error) {
	r, rel := m.locate(real)
	return r.ReadFile(rel, max)
}

// treeSource is a syft source over Tree roots: the catalogers read the
// archives in place through it, as they would read a directory.
type treeSource struct {
	desc source.Description
	res  *treeResolver
}

func (s *treeSource) ID() syftart.ID                                   { return syftart.ID(s.desc.ID) }
func (s *treeSource) Describe() source.Description                     { return s.desc }
func (s *treeSource) FileResolver(source.Scope) (file.Resolver, error) { return s.res, nil }
func (s *treeSource) Close() error                                     { s.res.release(); return nil }

// treeResolver answers syft's queries from an index of the archives'
// entries, as syft's own directory resolver does from a stereoscope file
// tree of a walk of the disk (see treesearch.go).
type treeResolver struct {
	index    *treeIndex
	ctx      context.Context // carries syft's temp dir, for large files
	binMu    sync.Mutex
	bins     map[*artifact.Entry]*cachedBinary
	binBytes int64
	closed   bool // release was called: no more binaries cached
	// prefetched is closed when the background inflating of executables
	// ends.
	prefetched chan struct{}
	failed     map[*artifact.Entry]bool
	warn       func(artifact.Warning)
}

type treeFile struct {
	tree  *artifact.Tree
	entry *artifact.Entry
	root  *artifact.Root // names it as users see it, for warnings
}

func (tf treeFile) virtual() string {
	v, _ := tf.root.Locate(tf.entry.Path)
	return v
}

// spillAt is the size past which a file is copied to the temp dir when a
// cataloger reads it (syft buffers binaries whole to parse them).
const spillAt = 64 << 20

// maxCatalogFile bounds a file other than a binary or an archive that the
// catalogers may read. Archives are exempt: fnscan opened and checked each
// one already, and one that did not open is kept from the catalogers.
const maxCatalogFile = 64 << 20

// metadataName: a path a cataloger parses as text whatever its first bytes
// say (a 2 GiB dpkg status that starts with an ELF header is still parsed).
func metadataName(p string) bool {
	base := strings.ToLower(path.Base(p))
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		switch base[i:] {
		case ".json", ".lock", ".txt", ".xml", ".yaml", ".yml", ".toml", ".properties", ".mf", ".cfg", ".ini",
			".gemspec", ".nuspec", ".csproj", ".mod", ".sum", ".sqlite", ".db", ".pom", ".cabal", ".rockspec", ".jar", ".zip", ".whl":
			return true
		}
	}
	switch base {
	case "status", "installed", "metadata", "pkg-info", "record", "packages", "gemfile", "pipfile", "mix.lock", "rebar.lock", "cargo.lock", "go.mod":
		return true
	}
	return strings.Contains(p, "/var/lib/") || strings.Contains(p, "/lib/apk/")
}

func newTreeSource(ctx context.Context, name string, m *mount, tmpCtx context.Context, warn func(artifact.Warning)) (*treeSource, error) {
	size := 1 + len(m.roots)
	for _, root := range m.roots {
		size += len(root.Tree.Entries())
	}
	r := &treeResolver{index: newTreeIndex(size), ctx: tmpCtx, bins: map[*artifact.Entry]*cachedBinary{}, failed: map[*artifact.Entry]bool{}, warn: warn}
	type pending struct {
		p    string
		tf   treeFile
		mime string
	}
	var regular []*pending
	addDir := func(p string, e *artifact.Entry) error {
		return r.index.add(recMIME{indexRec: indexRec{ref: *stfile.NewFileReference(stfile.Path(p)), entry: e, typ: stfile.TypeDirectory}})
	}
	if err := addDir("/", nil); err != nil {
		return nil, err
	}
	for i, root := range m.roots {
		prefix := m.prefixes[i]
		if prefix != "" {
			if err := addDir(prefix, nil); err != nil {
				return nil, err
			}
		}
		for _, e := range root.Tree.Entries() {
			p := prefix + "/" + e.Path
			switch e.Type {
			case artifact.EntryDir:
				if err := addDir(p, e); err != nil {
					return nil, err
				}
			case artifact.EntrySymlink:
				if root.ShadowedBy(e.Path) > 0 {
					continue // a later Lambda layer's path
				}
				target := prefix + "/" + e.Link
				if e.Link == "." {
					target = prefix + "/"
				}
				if err := r.index.add(recMIME{indexRec: indexRec{ref: *stfile.NewFileReference(stfile.Path(p)), entry: e, typ: stfile.TypeSymLink, link: target}}); err != nil {
					return nil, err
				}
			case artifact.EntryFile:
				// A file a later Lambda layer replaces is not in /opt.
				if root.NotCataloged[e.Path] || e.Replaced() || root.ShadowedBy(e.Path) > 0 {
					continue
				}
				regular = append(regular, &pending{p: p, tf: treeFile{root.Tree, e, root}})
			}
		}
	}
	// The MIME type is sniffed from each file's head, as syft's directory
	// indexer does, where it can matter: syft's catalogers only ever ask for
	// executable types (ELF, PE, Mach-O), so a file without their magic is
	// left untyped instead of running every text detector over it.
	// Trees are sniffed side by side too: a Java function is many small
	// jars.
	type group struct {
		tree *artifact.Tree
		es   []*artifact.Entry
	}
	var groups []group
	byEntry := make(map[*artifact.Entry]*pending, len(regular))
	for _, pd := range regular {
		if pd.tf.entry.Size == 0 {
			continue
		}
		byEntry[pd.tf.entry] = pd
		if n := len(groups); n == 0 || groups[n-1].tree != pd.tf.tree {
			groups = append(groups, group{tree: pd.tf.tree})
		}
		g := &groups[len(groups)-1]
		g.es = append(g.es, pd.tf.entry)
	}
	var wg sync.WaitGroup
	busy := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, g := range groups {
		wg.Add(1)
		busy <- struct{}{}
		go func() {
			defer func() { <-busy; wg.Done() }()
			g.tree.Heads(ctx, g.es, 4, func(e *artifact.Entry, head []byte, err error) {
				if err != nil || !artifact.ExecutableMagic(head) {
					return
				}
				pd := byEntry[e] // only read while sniffing
				if rc, err := g.tree.Open(e); err == nil {
					pd.mime = stfile.MIMEType(rc)
					rc.Close()
				}
			})
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var prefetch []treeFile
	for _, pd := range regular {
		if pd.tf.entry.Size > maxCatalogFile && !artifact.IsArchiveName(pd.p) && !(isBinaryMIME(pd.mime) && !metadataName(pd.p)) {
			// Catalogers parse metadata files whole in memory; none is
			// this large, and one that is would be a memory bomb.
			if warn != nil {
				v := pd.tf.virtual()
				warn(artifact.Warning{Path: v, Message: fmt.Sprintf("not cataloged: %d bytes, over the %d MiB a package file may take (still scanned for secrets)", pd.tf.entry.Size, maxCatalogFile>>20), Unscanned: true})
			}
			continue
		}
		if err := r.index.add(recMIME{indexRec{ref: *stfile.NewFileReference(stfile.Path(pd.p)), entry: pd.tf.entry, root: pd.tf.root, typ: stfile.TypeRegular}, pd.mime}); err != nil {
			return nil, err
		}
		if isBinaryMIME(pd.mime) && pd.tf.entry.Size <= spillAt && !pd.tf.tree.RandomAccess(pd.tf.entry) {
			prefetch = append(prefetch, pd.tf)
		}
	}
	r.index.seal()
	// Every cataloger of binaries reads each executable whole, so they are
	// inflated from now on, one at a time, beside the catalogers that start
	// with other files (a zip's 24 MB binary took a third of cataloging,
	// waited for by the Go cataloger). release waits for it: nothing reads
	// the archive after the source is closed.
	r.prefetched = make(chan struct{})
	go func() {
		defer close(r.prefetched)
		for _, tf := range prefetch {
			c, err := r.cached(tf)
			if c == nil || err != nil {
				return
			}
			c.unref()
			if ctx.Err() != nil {
				return
			}
		}
	}()
	return &treeSource{
		desc: source.Description{ID: "fnscan-tree-" + name, Name: name, Metadata: source.FileMetadata{Path: name}},
		res:  r,
	}, nil
}

func (r *treeResolver) HasPath(p string) bool {
	return r.index.resolve(p, false) >= 0
}

func (r *treeResolver) FilesByPath(paths ...string) ([]file.Location, error) {
	var out []file.Location
	for _, p := range paths {
		ref := r.index.file(p)
		if ref == nil || !ref.HasReference() {
			continue
		}
		e, err := r.index.Get(*ref.Reference)
		if err != nil || e.IsDir() {
			continue
		}
		out = append(out, file.NewVirtualLocationFromDirectory(string(ref.RealPath), p, *ref.Reference))
	}
	return out, nil
}

func (r *treeResolver) FilesByGlob(patterns ...string) ([]file.Location, error) {
	seen := stfile.NewFileReferenceSet()
	var out []file.Location
	for _, pattern := range patterns {
		refs, err := r.index.searchGlob(pattern)
		if err != nil {
			return nil, err
		}
		for _, ref := range refs {
			if !ref.HasReference() || seen.Contains(*ref.Reference) {
				continue
			}
			e, err := r.index.Get(*ref.Reference)
			if err != nil {
				return nil, fmt.Errorf("no metadata for %s: %w", ref.RealPath, err)
			}
			if e.IsDir() {
				continue
			}
			seen.Add(*ref.Reference)
			out = append(out, file.NewVirtualLocationFromDirectory(string(ref.RealPath), string(ref.RequestPath), *ref.Reference))
		}
	}
	return out, nil
}

func (r *treeResolver) FilesByMIMEType(types ...string) ([]file.Location, error) {
	seen := stfile.NewFileReferenceSet()
	var out []file.Location
	for _, ref := range r.index.searchMIME(types...) {
		if !ref.HasReference() || seen.Contains(*ref.Reference) {
			continue
		}
		seen.Add(*ref.Reference)
		out = append(out, file.NewVirtualLocationFromDirectory(string(ref.RealPath), string(ref.RequestPath), *ref.Reference))
	}
	return out, nil
}

func (r *treeResolver) RelativeFileByPath(_ file.Location, p string) *file.Location {
	locs, err := r.FilesByPath(p)
	if err != nil || len(locs) == 0 {
		return nil
	}
	return &locs[0]
}

func (r *treeResolver) FileContentsByLocation(l file.Location) (io.ReadCloser, error) {
	n, ok := r.index.record(l.Reference())
	if !ok || r.index.recs[n].typ != stfile.TypeRegular {
		return nil, fmt.Errorf("not a regular file: %q", l.RealPath)
	}
	tf := r.index.recs[n].file()
	if tf.tree.RandomAccess(tf.entry) {
		// A tar entry lies stored in its archive: read in place.
		return tf.tree.Open(tf.entry)
	}
	if isBinaryMIME(r.index.mime(n)) && tf.entry.Size <= spillAt {
		return r.binary(tf)
	}
	if tf.entry.Size <= spillAt {
		rc, err := tf.tree.Open(tf.entry)
		if err != nil {
			return nil, err
		}
		return &warnReader{rc: rc, r: r, tf: tf}, nil
	}
	// syft buffers a reader without random access whole in memory; a large
	// file goes to the temp dir instead, read back with ReadAt.
	return r.spillCopy(tf)
}

// spillCopy copies a file to an unlinked temp file, read with ReadAt.
func (r *treeResolver) spillCopy(tf treeFile) (io.ReadCloser, error) {
	rc, err := tf.tree.Open(tf.entry)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	f, done, err := tempFile(r.ctx, "entry-*")
	if err != nil {
		return nil, err
	}
	done() // unlinked: gone when closed, whatever happens
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		r.readFailed(tf, err)
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// binary gives a binary's bytes with random access. Several catalogers
// (Go, Rust, .NET, ELF notes) each read every executable, and syft buffers
// a plain reader whole for each: inflated once here, shared by all.
func (r *treeResolver) binary(tf treeFile) (io.ReadCloser, error) {
	c, err := r.cached(tf)
	if err != nil {
		return nil, err
	}
	if c == nil {
		// Past the cap: each reader gets its own copy in the temp dir.
		return r.spillCopy(tf)
	}
	if c.err != nil {
		c.unref()
		return nil, c.err
	}
	return newBinReader(c), nil
}

var errClosed = errors.New("read after the tree was closed")

// cached inflates a binary once into the cache, or gives nil when it would
// take the cache past its cap. The caller holds a reference to what it
// gets, and gives it up with unref.
func (r *treeResolver) cached(tf treeFile) (*cachedBinary, error) {
	r.binMu.Lock()
	if r.closed {
		r.binMu.Unlock()
		return nil, errClosed
	}
	c, ok := r.bins[tf.entry]
	if !ok {
		if r.binBytes+tf.entry.Size > binCacheCap {
			r.binMu.Unlock()
			return nil, nil
		}
		r.binBytes += tf.entry.Size
		c = &cachedBinary{refs: 1} // the cache's own
		r.bins[tf.entry] = c
	}
	c.ref()
	r.binMu.Unlock()
	c.once.Do(func() {
		var rc io.ReadCloser
		if rc, c.err = tf.tree.Open(tf.entry); c.err == nil {
			// The declared size is exact (reads fail past it) and under
			// spillAt: one allocation, not ReadAll's doublings.
			c.b, c.free = bigBuffer(int(tf.entry.Size))
			_, c.err = io.ReadFull(rc, c.b)
			rc.Close()
		}
		if c.err != nil {
			r.readFailed(tf, c.err)
		}
	})
	return c, nil
}

// release drops the cache's references: each binary's buffer goes when its
// last reader is closed (or collected).
func (r *treeResolver) release() {
	r.binMu.Lock()
	bins := r.bins
	r.bins, r.closed = nil, true
	r.binMu.Unlock()
	if r.prefetched != nil {
		<-r.prefetched // at most the binary being inflated
	}
	for _, c := range bins {
		c.unref()
	}
}

// binCacheCap bounds the binaries held in memory for one target.
const binCacheCap = 256 << 20

// warnReader reports a read that fails (a bad checksum, corrupt deflate
// data): the package the file holds would otherwise drop silently.
type warnReader struct {
	rc io.ReadCloser
	r  *treeResolver
	tf treeFile
}

func (w *warnReader) Read(p []byte) (int, error) {
	n, err := w.rc.Read(p)
	if err != nil && err != io.EOF {
		w.r.readFailed(w.tf, err)
	}
	return n, err
}

func (w *warnReader) Close() error { return w.rc.Close() }

// readFailed warns once per file that a cataloger could not read it.
func (r *treeResolver) readFailed(tf treeFile, err error) {
	if r.warn == nil || err == nil || r.ctx.Err() != nil {
		return
	}
	r.binMu.Lock()
	first := !r.failed[tf.entry]
	r.failed[tf.entry] = true
	r.binMu.Unlock()
	if first {
		r.warn(artifact.Warning{Path: tf.virtual(), Message: "not cataloged: " + err.Error(), Unscanned: true})
	}
}

// cachedBinary is one binary's bytes, counted: a buffer outside the heap
// (bigBuffer) is unmapped only when nothing can read it.
type cachedBinary struct {
	once sync.Once
	b    []byte
	err  error
	mu   sync.Mutex
	refs int // the cache's, each caller of cached, each open reader
	free func()
}

func (c *cachedBinary) ref() {
	c.mu.Lock()
	c.refs++
	c.mu.Unlock()
}

func (c *cachedBinary) unref() {
	c.mu.Lock()
	c.refs--
	var free func()
	if c.refs == 0 {
		free, c.free, c.b = c.free, nil, nil
	}
	c.mu.Unlock()
	if free != nil {
		free()
	}
}

// binReader reads a cached binary in place, with ReadAt and Seek, which
// syft's binary catalogers use instead of copying. Reads after Close fail
// rather than touch a buffer that may be gone; one never closed gives its
// reference up when collected.
type binReader struct {
	mu     sync.RWMutex
	r      *bytes.Reader
	hold   *binHold
	closed bool
}

type binHold struct {
	c    *cachedBinary
	done atomic.Bool
}

func (h *binHold) release() {
	if h.done.CompareAndSwap(false, true) {
		h.c.unref()
	}
}

func newBinReader(c *cachedBinary) *binReader {
	br := &binReader{r: bytes.NewReader(c.b), hold: &binHold{c: c}}
	runtime.AddCleanup(br, (*binHold).release, br.hold)
	return br
}

func (b *binReader) Read(p []byte) (int, error) {
	b.mu.Lock() // a Read moves the offset
	defer b.mu.Unlock()
	if b.closed {
		return 0, errClosed
	}
	return b.r.Read(p)
}

func (b *binReader) ReadAt(p []byte, off int64) (int, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return 0, errClosed
	}
	return b.r.ReadAt(p, off)
}

func (b *binReader) Seek(off int64, whence int) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errClosed
	}
	return b.r.Seek(off, whence)
}

func (b *binReader) Size() int64 { return b.r.Size() }

func (b *binReader) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		b.hold.release()
	}
	return nil
}

func isBinaryMIME(m string) bool {
	switch m {
	case "application/x-executable", "application/x-sharedlib", "application/x-mach-binary",
		"application/vnd.microsoft.portable-executable", "application/x-elf", "application/x-object":
		return true
	}
	return false
}

func (r *treeResolver) FileMetadataByLocation(l file.Location) (file.Metadata, error) {
	e, err := r.index.Get(l.Reference())
	if err != nil {
		return file.Metadata{}, fmt.Errorf("location %q: %w", l.RealPath, os.ErrNotExist)
	}
	return e.Metadata, nil
}

func (r *treeResolver) AllLocations(ctx context.Context) <-chan file.Location {
	out := make(chan file.Location)
	go func() {
		defer close(out)
		// From the index, which holds every node of the tree: the tree's
		// own AllFiles lists them all first (8 MB on a 1 GiB image).
		for i := range r.index.recs {
			ref := r.index.recs[i].ref
			select {
			case <-ctx.Done():
				return
			case out <- file.NewLocationFromDirectory(string(ref.RealPath), "", ref):
			}
		}
	}()
	return out
}
