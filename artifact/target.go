package artifact

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Kind is how a target is opened.
type Kind string

const (
	KindZip           Kind = "zip"
	KindDir           Kind = "dir"
	KindTar           Kind = "tar"
	KindDockerArchive Kind = "docker-archive"
	KindOCIArchive    Kind = "oci-archive"
	KindOCIDir        Kind = "oci-dir"
	KindRegistry      Kind = "registry"
	KindSBOM          Kind = "sbom"
)

var kinds = []Kind{KindZip, KindDir, KindTar, KindDockerArchive, KindOCIArchive, KindOCIDir, KindRegistry, KindSBOM}

// Options configure Open.
type Options struct {
	Layers  []string // Lambda layer zips, mounted at /opt
	Limits  Limits
	TempDir string        // parent of the private work dir; "" means os.TempDir
	Warn    func(Warning) // called for each warning as it happens; may be nil
	Status  func(string)  // progress messages; may be nil
	// Platform ("os/arch[/variant]") picks the image of a multi-platform
	// index; "" means DefaultPlatform.
	Platform string
	// Runtime is the function's Lambda runtime, when known (a deployed
	// function): a Java function's package holding META-INF/MANIFEST.MF is
	// the jar it was uploaded as, whatever its name.
	Runtime string
}

// Target is an opened, unpacked target. Close removes everything it wrote.
type Target struct {
	Input  string // the path given by the user
	Name   string // display name: file or directory base name, or image tag
	Kind   Kind
	SHA256 string // hex sha256 of the target file; empty for directories
	Size   int64
	// CodeSHA256 is base64(sha256) of a zip, the form AWS Lambda reports.
	CodeSHA256 string
	// ImageID is the image config digest, for images.
	ImageID string
	// Platform is os/arch[/variant] of a pulled registry image.
	Platform string
	RepoTags []string
	// ImageConfig is an image's config JSON (Env, history), which the
	// secrets stage reads as the function environment it is for container
	// functions; ImageConfigPath is where the image holds it.
	ImageConfig     []byte
	ImageConfigPath string
	Parts           []Origin // function and layers, or image layers, in order
	Roots           []*Root
	Warnings        []Warning
	// Deployed holds the configuration of deployed functions, as their API
	// returned it, for the configuration checks and the secrets stage; a
	// provider that fetches them fills it (aws/ for lambda: targets).
	Deployed []Deployed

	// work is made on first need: a zip read in place writes nothing.
	workMu     sync.Mutex
	work       string
	workParent string
	closed     bool
	warn       func(Warning)
	// held counts nested archive bytes kept in memory (memCap).
	held    atomic.Int64
	closers []io.Closer // files trees read from

	walkOnce sync.Once
	links    []Link
	walkErr  error
}

// Root is one directory tree of the target on disk: the function, a layer, an
// image layer, the squashed image filesystem or a nested archive.
type Root struct {
	Dir string // on disk; empty for a Tree root
	// Tree is an archive read in place; nil for a root on disk.
	Tree    *Tree
	Virtual string // virtual path of the root itself, e.g. "fn.zip" or "fn.zip!lib/a.jar"
	Sep     string // between Virtual and a path inside: "!" for archives, "/" otherwise
	Origin  Origin
	Depth   int
	Catalog bool // syft catalogs it
	// AppDir is, in an image's filesystem, the directory of the function or
	// application (LAMBDA_TASK_ROOT, else the image's working directory,
	// else /var/task), without a leading slash.
	AppDir string
	Scan   bool // its files are read for secrets and nested archives
	// NotCataloged lists paths inside the root kept from syft's catalogers
	// (a jar whose manifest is a bomb); their files are still scanned.
	NotCataloged map[string]bool
	parent       *Root  // the root a nested archive was found in
	rel          string // its path there
	// owner maps a path in a squashed image to the index of the layer that
	// wrote it, for attribution.
	owner  map[string]int
	layers []Origin
	// whole: the root's one file is the archive Virtual names, for syft's
	// catalogers to read as a file (a jar target); not scanned again.
	whole bool
	// self is the whole root of a tree root's own archive, if any.
	self *Root
	// shadowed: paths of a Lambda layer a later layer also holds, with
	// that layer's index (see shadowLayers).
	shadowed map[string]int
	// diskFiles: a root on disk's regular files, walked once.
	diskFiles []File
}

// Locate gives the virtual path and origin of a slash path inside the root.
func (r *Root) Locate(rel string) (string, Origin) {
	rel = strings.TrimPrefix(filepath.ToSlash(rel), "/")
	o := r.Origin
	if r.owner != nil {
		if i, ok := r.owner[rel]; ok {
			o = r.layers[i]
		}
	}
	if r.whole {
		return r.Virtual, o
	}
	if r.Virtual == "" {
		return "/" + rel, o
	}
	return r.Virtual + r.Sep + rel, o
}

// displayName names a target by its base name; "." and ".." by the
// directory's own (an SBOM of "." names the project, not ".").
func displayName(p string) string {
	name := filepath.Base(filepath.Clean(p))
	if name == "." || name == ".." {
		if abs, err := filepath.Abs(p); err == nil && filepath.Base(abs) != string(filepath.Separator) {
			return filepath.Base(abs)
		}
	}
	return name
}

// ParseSpec splits "kind:path". Without a known prefix the kind is empty and
// is detected from content.
func ParseSpec(spec string) (Kind, string) {
	for _, k := range kinds {
		if p, ok := strings.CutPrefix(spec, string(k)+":"); ok {
			return k, p
		}
	}
	return "", spec
}

// Detect recognises a target from its content.
func Detect(p string) (Kind, error) {
	return detect(p, DefaultLimits().MaxTotalBytes)
}

func detect(p string, max int64) (Kind, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		if _, err := os.Stat(filepath.Join(p, "oci-layout")); err == nil {
			return KindOCIDir, nil
		}
		return KindDir, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return KindZip, nil
	case isTarHeader(head), bytes.HasPrefix(head, []byte{0x1f, 0x8b}), bytes.HasPrefix(head, zstdMagic), bytes.HasPrefix(head, xzMagic):
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", err
		}
		return detectTar(f, max)
	}
	t := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	if bytes.HasPrefix(t, []byte("{")) || bytes.HasPrefix(t, []byte("<")) {
		return KindSBOM, nil
	}
	return "", errors.New("not a recognised target: expected a zip, a tar or image archive, a directory, or a CycloneDX/SPDX SBOM")
}

var (
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	xzMagic   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
)

func isTarHeader(b []byte) bool {
	return len(b) >= 262 && string(b[257:262]) == "ustar"
}

// capReader fails once more than max bytes were read: decompressed streams
// are read through it so that even bytes skipped, not written, are bounded
// (zstd turns a few bytes into gigabytes).
type capReader struct {
	r          io.Reader
	n          int64
	max        int64         // decompressed bytes of this stream
	shared     *atomic.Int64 // decompressed bytes of every stream of the target
	compressed *countReader  // bytes read underneath, for the ratio
	ratio      int64
	ctx        context.Context // Ctrl-C stops a stream mid-entry; nil: never
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.ctx != nil {
		if err := c.ctx.Err(); err != nil {
			return 0, err
		}
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	total := int64(0)
	if c.shared != nil {
		total = c.shared.Add(int64(n))
	}
	if c.n > c.max || total > c.max {
		return n, fmt.Errorf("%w: more than %d bytes decompressed (raise --max-total-size)", ErrLimit, c.max)
	}
	// A whole stream is held to the ratio only past a large floor: layers
	// legitimately hold zero-filled files that compress beyond 1000:1.
	if c.ratio > 0 && c.n > streamRatioFloor && c.compressed.n > 0 && c.n/c.compressed.n > c.ratio {
		return n, fmt.Errorf("%w: compression ratio above %d:1 over %d bytes (decompression bomb? raise --max-ratio)", ErrLimit, c.ratio, c.n)
	}
	return n, err
}

// streamRatioFloor is where a compressed stream starts to be held to
// --max-ratio as a whole.
const streamRatioFloor = 1 << 30

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decompress returns a reader of r's content with gzip, zstd, xz or bzip2
// removed, failing after max decompressed bytes.
func decompress(r io.Reader, max int64) (io.Reader, func(), error) {
	rd, done, err := decompressRaw(r)
	if err != nil {
		return nil, nil, err
	}
	return &capReader{r: rd, max: max}, done, nil
}

// decompress for a target: every stream draws on one shared budget (bytes
// skipped, not written, count too) and a compressed stream is held to the
// ratio limit as a whole, as zip entries are one by one.
func (u *unpacker) decompress(r io.Reader) (io.Reader, func(), error) {
	cr := &countReader{r: r}
	rd, done, err := decompressRaw(cr)
	if err != nil {
		return nil, nil, err
	}
	c := &capReader{r: rd, max: u.b.limits.MaxTotalBytes, shared: &u.b.read, compressed: cr, ctx: u.b.ctx}
	if _, plain := rd.(*bufio.Reader); !plain {
		c.ratio = u.b.limits.MaxRatio
	}
	return c, done, nil
}

func decompressRaw(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(6)
	switch compression(head) {
	case "gzip":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	case "zstd":
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	case "xz":
		zr, err := xz.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() {}, nil
	case "bzip2":
		return bzip2.NewReader(br), func() {}, nil
	}
	return br, func() {}, nil
}

// compression names the compressed stream head begins, or is "".
func compression(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "gzip"
	case bytes.HasPrefix(head, zstdMagic):
		return "zstd"
	case bytes.HasPrefix(head, xzMagic):
		return "xz"
	case bytes.HasPrefix(head, []byte("BZh")):
		return "bzip2"
	}
	return ""
}

// detectTar tells a docker-archive from an OCI archive from a plain tar by
// the names of its top-level entries.
func detectTar(r io.Reader, max int64) (Kind, error) {
	dr, done, err := decompress(r, max)
	if err != nil {
		return "", fmt.Errorf("corrupt compressed stream: %w", err)
	}
	defer done()
	tr := tar.NewReader(dr)
	kind := KindTar
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			return kind, nil
		}
		if err != nil {
			if errors.Is(err, ErrLimit) {
				return "", err
			}
			if i == 0 {
				return "", fmt.Errorf("corrupt tar: %w", err)
			}
			return kind, nil
		}
		switch strings.TrimPrefix(hdr.Name, "./") {
		case "manifest.json":
			return KindDockerArchive, nil
		case "oci-layout":
			kind = KindOCIArchive
		}
	}
}

// Open opens a target: the provider its prefix names, else the first
// provider that recognises it. Files are unpacked into a new private work
// directory that Close removes. An SBOM target comes back with Kind
// KindSBOM and nothing unpacked, for the sbom package to read.
func Open(ctx context.Context, spec string, opts Options) (*Target, error) {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits()
	}
	if err := opts.Limits.Validate(); err != nil {
		return nil, err
	}
	for _, scheme := range []string{"docker:", "podman:", "containerd:"} {
		if strings.HasPrefix(spec, scheme) {
			return nil, fmt.Errorf("%s: %s daemon images are not supported: scan it from its registry (registry:REF), or save it with `docker save` and scan the file", spec, strings.TrimSuffix(scheme, ":"))
		}
	}
	if opts.Platform != "" {
		if parts := strings.Split(opts.Platform, "/"); len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
			return nil, fmt.Errorf("platform %q: want os/arch or os/arch/variant, e.g. linux/arm64", opts.Platform)
		}
	}
	prov, ref := splitSpec(spec)
	if prov == nil {
		if _, err := os.Stat(ref); err != nil {
			if errors.Is(err, fs.ErrNotExist) && looksLikeImageRef(ref) {
				return nil, fmt.Errorf("%s: no such file (an image in a registry? use registry:%s)", ref, ref)
			}
			return nil, fmt.Errorf("%s: %w", ref, unwrapPathErr(err))
		}
		probe := &Probe{Ref: ref, max: opts.Limits.MaxTotalBytes}
		for _, p := range Providers() {
			if d, ok := p.(Detector); ok && d.Detect(probe) {
				prov = p
				break
			}
		}
		if prov == nil {
			_, err := probe.Kind()
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
	}
	return prov.Open(ctx, ref, opts)
}

// open unpacks a target of a built-in kind.
func open(ctx context.Context, kind Kind, p string, opts Options) (t *Target, err error) {
	if kind != KindRegistry {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s: %w", p, unwrapPathErr(err))
		}
	}
	if len(opts.Layers) > 0 && kind != KindZip && kind != KindDir {
		return nil, fmt.Errorf("%s: --layer applies to a function zip or directory, not a %s", p, kind)
	}
	t = &Target{Input: p, Name: displayName(p), Kind: kind, workParent: opts.TempDir}
	// Whatever happens below, a failed Open leaves nothing behind.
	defer func() {
		if r := recover(); r != nil {
			t.Close()
			t, err = nil, fmt.Errorf("%s: unpacking failed: %v", p, r)
		}
	}()
	seen := map[Warning]bool{}
	var mu sync.Mutex // warnings come from parallel extraction
	t.warn = func(w Warning) {
		mu.Lock()
		defer mu.Unlock()
		if seen[w] {
			return
		}
		seen[w] = true
		t.Warnings = append(t.Warnings, w)
		if opts.Warn != nil {
			opts.Warn(w)
		}
	}
	status := opts.Status
	if status == nil {
		status = func(string) {}
	}
	u := &unpacker{b: &budget{limits: opts.Limits, ctx: ctx}, warn: t.warn}
	if err := t.open(ctx, u, p, opts, status); err != nil {
		t.Close()
		return nil, err
	}
	status("opening nested archives")
	if err := t.openNested(ctx, u); err != nil {
		t.Close()
		return nil, err
	}
	for _, r := range t.Roots {
		if r.whole && !r.Catalog {
			// syft would open what fnscan kept from it, inside the jar.
			t.warn(Warning{Path: r.Virtual, Message: "not cataloged: it holds an archive kept from the catalogers (see the warning naming it); its packages are not in the SBOM (still scanned for secrets)", Unscanned: true})
		}
	}
	return t, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (t *Target) open(ctx context.Context, u *unpacker, p string, opts Options, status func(string)) error {
	switch t.Kind {
	case KindZip:
		status("reading " + t.Name)
		tr, src, sum, size, herr, err := t.openZipHashed(ctx, u, p, t.Name)
		if herr != nil {
			return fmt.Errorf("%s: %w", p, herr)
		}
		if err != nil {
			return err
		}
		t.SHA256, t.Size, t.CodeSHA256 = hex.EncodeToString(sum), size, base64.StdEncoding.EncodeToString(sum)
		fn := Origin{Kind: OriginFunction, Name: t.Name, SHA256: t.SHA256}
		t.addZip(u, tr, src, fn, strings.HasPrefix(opts.Runtime, "java"))
	case KindDir:
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return fmt.Errorf("%s: not a directory (drop the dir: prefix to detect the kind)", p)
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		o := Origin{Kind: OriginDirectory, Name: t.Name}
		t.Parts = append(t.Parts, o)
		// The user's own directory is read in place and never written to.
		t.Roots = append(t.Roots, &Root{Dir: abs, Virtual: t.Name, Sep: "/", Origin: o, Catalog: true, Scan: true})
	case KindTar:
		status("reading " + t.Name)
		ix, err := t.indexTarget(ctx, u, p)
		if err != nil {
			return err
		}
		o := Origin{Kind: OriginDirectory, Name: t.Name, SHA256: t.SHA256}
		t.Parts = append(t.Parts, o)
		tr, err := u.tarTree(ix, t.Name, "!", t.Name, false)
		if err != nil {
			return err
		}
		t.Roots = append(t.Roots, &Root{Tree: tr, Virtual: t.Name, Sep: "!", Origin: o, Catalog: true, Scan: true})
	case KindDockerArchive, KindOCIArchive, KindOCIDir:
		status("reading image " + t.Name)
		if err := t.openImage(ctx, u, p, opts.Platform); err != nil {
			return err
		}
	case KindRegistry:
		status("pulling " + p)
		work, err := t.workDir()
		if err != nil {
			return err
		}
		dir := filepath.Join(work, "registry")
		platform := cmp.Or(opts.Platform, DefaultPlatform)
		img, err := pullImage(ctx, p, platform, opts.Platform != "", dir, u.b.limits)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		status("reading image " + p)
		root, err := os.OpenRoot(dir)
		if err != nil {
			return err
		}
		err = t.readImage(ctx, u, p, &dirLayout{root: root}, "")
		root.Close()
		if err != nil {
			return err
		}
		// The image manifest's digest, not an index's: what was scanned.
		t.Name, t.SHA256, t.Platform = p, strings.TrimPrefix(img.digest, "sha256:"), img.platform
		if r, err := name.NewTag(p); err == nil && !strings.Contains(p, "@") {
			t.RepoTags = []string{r.String()}
		}
	}
	for i, l := range opts.Layers {
		name := filepath.Base(l)
		status("reading layer " + name)
		tr, src, sum, _, herr, err := t.openZipHashed(ctx, u, l, name)
		if herr != nil {
			return fmt.Errorf("layer %s: %w", l, unwrapPathErr(herr))
		}
		if err != nil {
			return err
		}
		o := Origin{Kind: OriginLayer, Name: name, SHA256: hex.EncodeToString(sum), Index: i + 1}
		t.addZip(u, tr, src, o, false)
	}
	t.shadowLayers()
	return nil
}

// shadowLayers marks what Lambda does not keep of a layer: the layers are
// extracted into /opt in order, so a path a later layer also holds is that
// layer's. A package in both is installed once, from the later one.
func (t *Target) shadowLayers() {
	var layers []*Root
	for _, r := range t.Roots {
		if r.Origin.Kind == OriginLayer && r.parent == nil && r.Tree != nil && !r.whole {
			layers = append(layers, r)
		}
	}
	for i, r := range layers {
		for _, e := range r.Tree.Entries() {
			if e.Type == EntryDir {
				continue
			}
			for _, later := range layers[i+1:] {
				if later.Origin.Index > r.Origin.Index && later.Tree.Lookup(e.Path) != nil {
					if r.shadowed == nil {
						r.shadowed = map[string]int{}
					}
					r.shadowed[e.Path] = later.Origin.Index
				}
			}
		}
	}
}

// ShadowedBy gives the index of the later Lambda layer that replaces a path
// of the root (a path in a nested archive counts as its archive's), or 0.
func (r *Root) ShadowedBy(p string) int {
	for r.parent != nil {
		p, r = r.rel, r.parent
	}
	return r.shadowed[p]
}

// openFile opens a file trees will read from until the target is closed.
func (t *Target) openFile(p string) (sizedReaderAt, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, unwrapPathErr(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	t.closeLater(f)
	return io.NewSectionReader(f, 0, fi.Size()), nil
}

// indexTarget hashes a tar or image archive target and indexes it in place.
func (t *Target) indexTarget(ctx context.Context, u *unpacker, p string) (*tarIndex, error) {
	if err := t.hashFile(ctx, p); err != nil {
		return nil, err
	}
	src, err := t.openFile(p)
	if err != nil {
		return nil, err
	}
	ix, err := t.indexTar(ctx, u, t.Name, src, false)
	if err != nil && p != t.Name {
		// The archive as a whole is named as it was given ("bad/x.tar",
		// not "x.tar"); its entries keep the target's name.
		if rest, ok := strings.CutPrefix(err.Error(), t.Name+": "); ok {
			err = renamed{msg: p + ": " + rest, err: err}
		}
	}
	return ix, err
}

// renamed is an error said differently, still wrapping what it said.
type renamed struct {
	msg string
	err error
}

func (e renamed) Error() string { return e.msg }
func (e renamed) Unwrap() error { return e.err }

func (t *Target) hashFile(ctx context.Context, p string) error {
	sum, size, err := fileSHA256(ctx, p)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	t.SHA256, t.Size = hex.EncodeToString(sum), size
	return nil
}

// addZip adds a function or layer zip, opened in place, as a top-level
// root. java: the package of a Java runtime, a jar if its root has a
// manifest.
func (t *Target) addZip(u *unpacker, tr *Tree, src sizedReaderAt, o Origin, java bool) {
	t.Parts = append(t.Parts, o)
	root := &Root{Tree: tr, Virtual: o.Name, Sep: "!", Origin: o, Catalog: true, Scan: true}
	t.Roots = append(t.Roots, root)
	if name := baseName(o.Name); nestedKind(name) == "jar" || (java && tr.Lookup("META-INF/MANIFEST.MF") != nil) {
		// A jar is a package, or an uber-jar of them, as a whole (a Java
		// Lambda is often one): syft's Java cataloger reads the jar file
		// itself, as it does a jar inside a zip. Its entries are still
		// scanned, and opened where they are archives.
		root.Catalog = false
		if nestedKind(name) != "jar" {
			name = strings.TrimSuffix(name, path.Ext(name)) + ".jar" // syft's Java cataloger goes by the name
		}
		if !t.jarMetadataTooLarge(root) {
			self := &Tree{archive: o.Name, entries: map[string]*Entry{}}
			self.put(&Entry{Path: name, Type: EntryFile, Mode: 0o644, Size: src.Size(), ra: src})
			self.finish(u, nil)
			root.self = &Root{Tree: self, Virtual: o.Name, Origin: o, Catalog: true, whole: true}
			t.Roots = append(t.Roots, root.self)
		}
	}
}

// openZip indexes a zip file in place; name is its display name.
func (t *Target) openZip(ctx context.Context, u *unpacker, p, name string) (*Tree, sizedReaderAt, error) {
	src, err := t.openFile(p)
	if err != nil {
		return nil, nil, err
	}
	tr, err := u.openTree(ctx, name, src, src.Size())
	if err != nil {
		if errors.Is(err, ErrLimit) || errors.Is(err, ErrMalformed) || errors.Is(err, context.Canceled) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%s: %w", p, err)
	}
	return tr, src, nil
}

// openZipHashed is openZip with the file's SHA-256 and size, read beside
// the indexing. herr is the hashing's error, which callers report first (as
// when the file was hashed before being opened); a zip refused as it is
// indexed is not hashed to its end.
func (t *Target) openZipHashed(ctx context.Context, u *unpacker, p, name string) (tr *Tree, src sizedReaderAt, sum []byte, size int64, herr, err error) {
	hctx, stop := context.WithCancel(ctx)
	defer stop()
	type hashed struct {
		sum  []byte
		size int64
		err  error
	}
	c := make(chan hashed, 1)
	go func() {
		sum, size, err := fileSHA256(hctx, p)
		c <- hashed{sum, size, err}
	}()
	tr, src, err = t.openZip(ctx, u, p, name)
	if err != nil {
		stop()
	}
	h := <-c
	if errors.Is(h.err, context.Canceled) && ctx.Err() == nil {
		h.err = nil // stopped here, the zip refused
	}
	return tr, src, h.sum, h.size, h.err, err
}

// fileSHA256 reads in large blocks: each read is a system call, and a
// 32 KB one per 32 KB made a fifth of hashing a Lambda zip.
func fileSHA256(ctx context.Context, p string) ([]byte, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := f.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if err == io.EOF {
			return h.Sum(nil), n, nil
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

// Close releases the archives read in place and removes the work directory.
func (t *Target) Close() error {
	if t == nil {
		return nil
	}
	t.workMu.Lock()
	defer t.workMu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	for _, c := range t.closers {
		c.Close()
	}
	t.closers = nil
	if t.work == "" {
		return nil
	}
	err := os.RemoveAll(t.work)
	for i := 0; i < 3 && err != nil; i++ {
		// After Ctrl-C a cataloger still running may add a file while the
		// tree is removed (not after: its temp root is gone by then).
		err = os.RemoveAll(t.work)
	}
	t.work = ""
	return err
}

// WorkDir is the target's private directory, made on first call; "" once
// the target is closed or when it cannot be made.
func (t *Target) WorkDir() string {
	d, _ := t.workDir()
	return d
}

func (t *Target) workDir() (string, error) {
	t.workMu.Lock()
	defer t.workMu.Unlock()
	if t.closed {
		return "", errors.New("target closed")
	}
	if t.work == "" {
		w, err := os.MkdirTemp(t.workParent, "fnscan-")
		if err != nil {
			return "", fmt.Errorf("creating work dir: %w", err)
		}
		t.work = w
	}
	return t.work, nil
}

// Files lists every regular file in the scanned roots, nested archives
// included, sorted by virtual path. Symlinks are never followed. The list is
// the caller's: each call makes a new one, since an image's list would be
// among its largest structures if kept (EachFile lists none).
func (t *Target) Files() ([]File, error) {
	var out []File
	err := t.EachFile(func(f File) bool {
		out = append(out, f)
		return true
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Virtual < out[j].Virtual })
	return out, err
}

// EachFile calls fn for each file Files lists, root by root (sorted by path
// within a root), until fn returns false. An archive's files are made from
// its index as they are passed on; a directory's are walked once and kept.
func (t *Target) EachFile(fn func(File) bool) error {
	if err := t.walk(); err != nil {
		return err
	}
	for _, r := range t.Roots {
		if !r.Scan {
			continue
		}
		if r.Tree == nil {
			for _, f := range r.diskFiles {
				if !fn(f) {
					return nil
				}
			}
			continue
		}
		for _, e := range r.Tree.Entries() {
			if e.Type != EntryFile {
				continue
			}
			v, o := r.Locate(e.Path)
			if !fn(File{Virtual: v, Path: e.Path, Size: e.Size, Origin: o, tree: r.Tree, entry: e}) {
				return nil
			}
		}
	}
	return nil
}

// Links lists the symlinks the walk of Files met (refused ones were removed
// and are named by warnings).
func (t *Target) Links() ([]Link, error) {
	err := t.walk()
	return t.links, err
}

// walk lists the symlinks of every scanned root and walks the roots on disk,
// once: cataloging, names and the secrets scan all ask, and a disk walk's
// warnings are given once.
func (t *Target) walk() error {
	t.walkOnce.Do(func() { t.walkErr = t.walkFiles() })
	return t.walkErr
}

func (t *Target) walkFiles() error {
	for _, r := range t.Roots {
		if !r.Scan {
			continue
		}
		if r.Tree != nil {
			for _, e := range r.Tree.Entries() {
				if e.Type == EntrySymlink {
					v, o := r.Locate(e.Path)
					t.links = append(t.links, Link{Virtual: v, Target: e.raw, Origin: o})
				}
			}
			continue
		}
		err := filepath.WalkDir(r.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				// Name it as users see it, never by the temp dir.
				rel, _ := filepath.Rel(r.Dir, p)
				v, _ := r.Locate(filepath.ToSlash(rel))
				msg := err.Error()
				if pe, ok := err.(*fs.PathError); ok {
					msg = "not scanned: " + pe.Err.Error()
				}
				t.warn(Warning{Path: v, Message: msg, Unscanned: true})
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				if target, err := os.Readlink(p); err == nil {
					rel, _ := filepath.Rel(r.Dir, p)
					v, o := r.Locate(filepath.ToSlash(rel))
					t.links = append(t.links, Link{Virtual: v, Target: target, Origin: o})
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(r.Dir, p)
			rel = filepath.ToSlash(rel)
			v, o := r.Locate(rel)
			r.diskFiles = append(r.diskFiles, File{Virtual: v, Path: rel, Real: p, Size: info.Size(), Origin: o})
			return nil
		})
		if err != nil {
			return err
		}
		sort.Slice(r.diskFiles, func(i, j int) bool { return r.diskFiles[i].Path < r.diskFiles[j].Path })
	}
	return nil
}
