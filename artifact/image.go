package artifact

import (
	"archive/tar"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
)

// image is what the image formats agree on: ordered layer blobs and a config.
type image struct {
	digest     string // the image manifest's, in an OCI layout
	config     []byte
	configID   string
	configPath string   // in the archive or layout
	layers     []string // paths inside the layout root
	repoTags   []string
}

type imageConfig struct {
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	Config struct {
		Env        []string `json:"Env"`
		WorkingDir string   `json:"WorkingDir"`
	} `json:"config"`
}

// appDir is where the image's function or application is: LAMBDA_TASK_ROOT
// (Lambda's base images), else the working directory, else /var/task.
func (c imageConfig) appDir() string {
	dir := c.Config.WorkingDir
	for _, e := range c.Config.Env {
		if v, ok := strings.CutPrefix(e, "LAMBDA_TASK_ROOT="); ok && v != "" {
			dir = v
		}
	}
	dir = strings.Trim(path.Clean("/"+dir), "/")
	if dir == "" {
		return "var/task"
	}
	return dir
}

// openImage reads an image where it lies: a docker or OCI archive is
// indexed in place (a compressed one is first decompressed once into the
// work dir), each layer blob becomes a tree (see indexTar), and the layers
// are squashed in memory into the filesystem a container would see, which
// syft catalogs. Each layer stays a root of its own, so a file a later layer
// deletes is still scanned, with the layer that holds it.
func (t *Target) openImage(ctx context.Context, u *unpacker, p, platform string) error {
	if t.Kind == KindOCIDir {
		root, err := os.OpenRoot(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, unwrapPathErr(err))
		}
		defer root.Close()
		return t.readImage(ctx, u, p, &dirLayout{root: root}, platform)
	}
	ix, err := t.indexTarget(ctx, u, p)
	if err != nil {
		return err
	}
	return t.readImage(ctx, u, p, newTarLayout(ix), platform)
}

// imageFiles is where an image's files are: an OCI layout directory or an
// archive indexed in place.
type imageFiles interface {
	// read reads a small file (manifest, config, index) whole.
	read(name string, max int64) ([]byte, error)
	// blob opens a layer; the closer (nil when nothing to close) ends it.
	blob(name string) (sizedReaderAt, io.Closer, error)
}

type dirLayout struct {
	root *os.Root
	t    *Target
}

func (d *dirLayout) read(name string, max int64) ([]byte, error) {
	return readLimited(d.root, name, max)
}

func (d *dirLayout) blob(name string) (sizedReaderAt, io.Closer, error) {
	f, err := d.root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = errors.New("not a regular file")
		}
		return nil, nil, err
	}
	return io.NewSectionReader(f, 0, fi.Size()), f, nil
}

// tarLayout is an image archive's files, by path, in the archive's index.
type tarLayout struct {
	files map[string]*io.SectionReader
}

func newTarLayout(ix *tarIndex) *tarLayout {
	l := &tarLayout{files: map[string]*io.SectionReader{}}
	for _, it := range ix.items {
		switch it.typ {
		case tar.TypeReg:
			l.files[it.name] = io.NewSectionReader(ix.data, it.off, it.size)
		case tar.TypeLink:
			if old, err := cleanPath(it.link, false); err == nil && l.files[old] != nil && old != it.name {
				l.files[it.name] = l.files[old]
			}
		default:
			delete(l.files, it.name)
		}
	}
	return l
}

func (l *tarLayout) read(name string, max int64) ([]byte, error) {
	f := l.files[name]
	if f == nil {
		return nil, fs.ErrNotExist
	}
	if f.Size() > max {
		return nil, fmt.Errorf("%s larger than %d bytes", name, max)
	}
	b := make([]byte, f.Size())
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, err
	}
	return b, nil
}

func (l *tarLayout) blob(name string) (sizedReaderAt, io.Closer, error) {
	f := l.files[name]
	if f == nil {
		return nil, nil, fs.ErrNotExist
	}
	return f, nil, nil
}

// readImage opens the image in a docker archive or OCI layout.
func (t *Target) readImage(ctx context.Context, u *unpacker, p string, l imageFiles, platform string) error {
	var img *image
	var err error
	if t.Kind == KindDockerArchive {
		img, err = readDockerManifest(l)
	} else {
		img, err = readOCILayout(l, platform)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	t.ImageID, t.RepoTags = img.configID, img.repoTags
	t.ImageConfig, t.ImageConfigPath = img.config, img.configPath
	if sha, ok := strings.CutPrefix(img.digest, "sha256:"); ok && t.Kind == KindOCIDir {
		// A layout is a directory: what was scanned is named by its
		// image manifest's digest, as an image in a registry is.
		t.SHA256 = sha
	}
	if len(img.repoTags) > 0 {
		t.Name = img.repoTags[0]
	}
	var cfg imageConfig
	if err := json.Unmarshal(img.config, &cfg); err != nil {
		return fmt.Errorf("%s: image config: %w", p, err)
	}
	if len(cfg.RootFS.DiffIDs) > 0 && len(cfg.RootFS.DiffIDs) != len(img.layers) {
		return fmt.Errorf("%s: image config lists %d layers, manifest %d", p, len(cfg.RootFS.DiffIDs), len(img.layers))
	}
	if len(img.layers) > maxLayers {
		// Each listed layer is laid over the squashed tree, repeats too.
		return fmt.Errorf("%s: %w: %d layers, more than %d", p, ErrLimit, len(img.layers), maxLayers)
	}
	var whs [][]whiteout
	var trees []*Tree
	var layerRoots []*Root
	// A blob is content-addressed: listed twice, it is read once.
	type indexed struct {
		tree   *Tree
		diffID string
		wh     []whiteout
	}
	done := map[string]indexed{}
	for i, lp := range img.layers {
		prev, ok := done[lp]
		if !ok && len(cfg.RootFS.DiffIDs) > 0 {
			// Another path with the diffID already verified: the same
			// content, as the config declares it.
			prev, ok = done[cfg.RootFS.DiffIDs[i]]
		}
		if !ok {
			display := fmt.Sprintf("%s layer %d", t.Name, i+1)
			src, closer, err := l.blob(lp)
			if err != nil {
				return fmt.Errorf("%s: %s: %s: %w", p, display, lp, unwrapPathErr(err))
			}
			ix, err := t.indexTar(ctx, u, display, src, true)
			if closer != nil {
				if err == nil && ix.data == src {
					t.closeLater(closer) // read in place
				} else {
					closer.Close() // decompressed into the work dir
				}
			}
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			tree, err := u.tarTree(ix, display+":", "/", display, true)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			prev = indexed{tree: tree, diffID: ix.diffID, wh: ix.wh}
			done[lp], done[ix.diffID] = prev, prev
		}
		if len(cfg.RootFS.DiffIDs) > 0 && cfg.RootFS.DiffIDs[i] != prev.diffID {
			return fmt.Errorf("%s: layer %d (%s): content digest %s does not match the config's diffID %s", p, i+1, lp, prev.diffID, cfg.RootFS.DiffIDs[i])
		}
		o := Origin{Kind: OriginImageLayer, Name: prev.diffID, SHA256: strings.TrimPrefix(prev.diffID, "sha256:"), Index: i + 1}
		t.Parts = append(t.Parts, o)
		whs = append(whs, prev.wh)
		trees = append(trees, prev.tree)
		// A repeated layer's files were scanned with its first copy.
		first := true
		for _, r := range layerRoots {
			first = first && r.Tree != prev.tree
		}
		layerRoots = append(layerRoots, &Root{Tree: prev.tree, Sep: "/", Origin: o, Scan: first})
	}
	squashed, owner := u.squashTrees(trees, whs)
	t.Roots = append(t.Roots, &Root{Tree: squashed, Sep: "/", Origin: Origin{Kind: OriginImageLayer, Name: "squashed"}, Catalog: true, owner: owner, layers: t.Parts, AppDir: cfg.appDir()})
	t.Roots = append(t.Roots, layerRoots...)
	return nil
}

// maxLayers bounds the layers an image lists (docker allows 127).
const maxLayers = 512

var digestRe = regexp.MustCompile(`^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$`)

func blobPath(digest string) (string, error) {
	if !digestRe.MatchString(digest) {
		return "", fmt.Errorf("invalid digest %q", digest)
	}
	alg, hexd, _ := strings.Cut(digest, ":")
	return path.Join("blobs", alg, hexd), nil
}

// readVerified reads a blob and checks it against its sha256 digest.
func readVerified(l imageFiles, digest string) ([]byte, error) {
	p, err := blobPath(digest)
	if err != nil {
		return nil, err
	}
	b, err := l.read(p, 16<<20)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", digest, unwrapPathErr(err))
	}
	if alg, want, _ := strings.Cut(digest, ":"); alg == "sha256" {
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != want {
			return nil, fmt.Errorf("blob %s: content does not match its digest", digest)
		}
	}
	return b, nil
}

func readLimited(root *os.Root, name string, max int64) ([]byte, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s larger than %d bytes", name, max)
	}
	return b, nil
}

func readDockerManifest(l imageFiles) (*image, error) {
	b, err := l.read("manifest.json", 16<<20)
	if err != nil {
		return nil, fmt.Errorf("docker archive: manifest.json: %w", unwrapPathErr(err))
	}
	var m []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("docker archive: manifest.json: %w", err)
	}
	if len(m) == 0 {
		return nil, errors.New("docker archive: manifest.json lists no image")
	}
	img := &image{repoTags: m[0].RepoTags}
	cfgPath, err := cleanName(m[0].Config, false)
	if err != nil || cfgPath == "" {
		return nil, fmt.Errorf("docker archive: config path %q: invalid", m[0].Config)
	}
	if img.config, err = l.read(cfgPath, 16<<20); err != nil {
		return nil, fmt.Errorf("docker archive: config %s: %w", m[0].Config, unwrapPathErr(err))
	}
	sum := sha256.Sum256(img.config)
	img.configID, img.configPath = "sha256:"+hex.EncodeToString(sum[:]), cfgPath
	for _, l := range m[0].Layers {
		lp, err := cleanName(l, false)
		if err != nil || lp == "" {
			return nil, fmt.Errorf("docker archive: layer path %q: invalid", l)
		}
		img.layers = append(img.layers, lp)
	}
	return img, nil
}

type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Platform    *ociPlatform      `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type ociPlatform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

type ociIndex struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType"`
	Manifests     []ociDescriptor `json:"manifests"`
	// an image manifest has these instead
	Config *ociDescriptor  `json:"config"`
	Layers []ociDescriptor `json:"layers"`
}

func readOCILayout(l imageFiles, platform string) (*image, error) {
	b, err := l.read("index.json", 16<<20)
	if err != nil {
		return nil, fmt.Errorf("OCI layout: index.json: %w", unwrapPathErr(err))
	}
	var idx ociIndex
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("OCI layout: index.json is not valid JSON: %w", err)
	}
	if idx.SchemaVersion != 2 {
		return nil, fmt.Errorf("OCI layout: index.json: schemaVersion %d, want 2", idx.SchemaVersion)
	}
	w := &manifestWalk{root: l, seen: map[string]bool{}, platform: platform}
	img := w.find(idx.Manifests, 0)
	if img == nil {
		if len(w.problems) == 0 {
			w.problems = append(w.problems, "index.json lists no manifests")
		}
		if len(w.problems) > 3 {
			w.problems = append(w.problems[:3], fmt.Sprintf("and %d more", len(w.problems)-3))
		}
		return nil, fmt.Errorf("OCI layout: no valid image manifest: %s", strings.Join(w.problems, "; "))
	}
	return img, nil
}

// maxDescriptors bounds how many index entries one layout may make fnscan
// read: a hostile index can fan out exponentially through nested indexes.
const maxDescriptors = 1024

type manifestWalk struct {
	root     imageFiles
	seen     map[string]bool
	visited  int
	problems []string
	platform string // "os/arch[/variant]", preferred in indexes
}

// find picks the first usable image manifest, preferring the platform
// asked for in multi-platform indexes.
func (w *manifestWalk) find(descs []ociDescriptor, depth int) *image {
	root, problems := w.root, &w.problems
	if depth > 4 {
		*problems = append(*problems, "indexes nested too deep")
		return nil
	}
	// The platform asked for comes first; asked explicitly, it is the only
	// platform taken (entries without one may be nested indexes).
	want := cmp.Or(w.platform, DefaultPlatform)
	ordered := make([]ociDescriptor, 0, len(descs))
	var offered []string
	for _, d := range descs {
		if d.Platform == nil {
			ordered = append(ordered, d)
			continue
		}
		p := formatPlatform(d.Platform.OS, d.Platform.Architecture, d.Platform.Variant)
		offered = append(offered, p)
		switch {
		case platformMatches(p, want):
			ordered = append([]ociDescriptor{d}, ordered...)
		case w.platform == "":
			ordered = append(ordered, d)
		}
	}
	if len(ordered) == 0 && len(offered) > 0 {
		*problems = append(*problems, fmt.Sprintf("no %s image in the index (it has %s)", want, strings.Join(offered, ", ")))
		return nil
	}
	for _, d := range ordered {
		if k := d.Annotations["kind"]; k == "dev.cosignproject.cosign/sigs" || k == "dev.cosignproject.cosign/atts" {
			continue // cosign's signatures beside the image, not an image
		}
		if w.seen[d.Digest] {
			continue
		}
		w.seen[d.Digest] = true
		if w.visited++; w.visited > maxDescriptors {
			*problems = append(*problems, fmt.Sprintf("more than %d descriptors", maxDescriptors))
			return nil
		}
		b, err := readVerified(root, d.Digest)
		if err != nil {
			*problems = append(*problems, err.Error())
			continue
		}
		var m ociIndex
		if err := json.Unmarshal(b, &m); err != nil {
			*problems = append(*problems, fmt.Sprintf("manifest %s: %v", d.Digest, err))
			continue
		}
		if len(m.Manifests) > 0 {
			if img := w.find(m.Manifests, depth+1); img != nil {
				return img
			}
			continue
		}
		if m.Config == nil || m.SchemaVersion != 2 {
			*problems = append(*problems, fmt.Sprintf("manifest %s: not an image manifest", d.Digest))
			continue
		}
		cfg, err := readVerified(root, m.Config.Digest)
		if err != nil {
			*problems = append(*problems, fmt.Sprintf("manifest %s: config: %v", d.Digest, err))
			continue
		}
		cp, _ := blobPath(m.Config.Digest) // read above: valid
		img := &image{digest: d.Digest, config: cfg, configID: m.Config.Digest, configPath: cp}
		ok := true
		for _, l := range m.Layers {
			bp, err := blobPath(l.Digest)
			if err != nil {
				*problems = append(*problems, fmt.Sprintf("manifest %s: layer: %v", d.Digest, err))
				ok = false
				break
			}
			img.layers = append(img.layers, bp)
		}
		if !ok {
			continue
		}
		if tag := d.Annotations["org.opencontainers.image.ref.name"]; tag != "" {
			img.repoTags = []string{tag}
		}
		return img
	}
	return nil
}
