package artifact

import (
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
	"path/filepath"
	"regexp"
	"strings"
)

// image is what the image formats agree on: ordered layer blobs and a config.
type image struct {
	config   []byte
	configID string
	layers   []string // paths inside the layout root
	repoTags []string
}

type imageConfig struct {
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// openImage unpacks each layer into its own root (so a file a later layer
// deletes is still scanned, with the layer that holds it) and squashes them
// into the filesystem a container would see, which syft catalogs.
func (t *Target) openImage(ctx context.Context, u *unpacker, p, platform string) error {
	layout := p
	if t.Kind != KindOCIDir {
		if err := t.hashFile(p); err != nil {
			return err
		}
		work, err := t.workDir()
		if err != nil {
			return err
		}
		layout = filepath.Join(work, "archive")
		if err := u.untarFile(ctx, t.Name, p, layout); err != nil {
			return err
		}
	}
	return t.readImage(ctx, u, p, layout, platform)
}

// readImage opens the image in an unpacked docker archive or OCI layout.
func (t *Target) readImage(ctx context.Context, u *unpacker, p, layout, platform string) error {
	root, err := os.OpenRoot(layout)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	defer root.Close()
	var img *image
	if t.Kind == KindDockerArchive {
		img, err = readDockerManifest(root)
	} else {
		img, err = readOCILayout(root, platform)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	t.ImageID, t.RepoTags = img.configID, img.repoTags
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
	work, err := t.workDir()
	if err != nil {
		return err
	}
	var whs [][]whiteout
	var layerRoots []*Root
	// A blob is content-addressed: listed twice, it is unpacked once.
	type unpacked struct {
		dir, diffID string
		wh          []whiteout
	}
	done := map[string]unpacked{}
	for i, l := range img.layers {
		prev, ok := done[l]
		if !ok && len(cfg.RootFS.DiffIDs) > 0 {
			// Another path with the diffID already verified: the same
			// content, as the config declares it.
			prev, ok = done[cfg.RootFS.DiffIDs[i]]
		}
		if ok {
			o := Origin{Kind: OriginImageLayer, Name: prev.diffID, SHA256: strings.TrimPrefix(prev.diffID, "sha256:"), Index: i + 1}
			if len(cfg.RootFS.DiffIDs) > 0 && cfg.RootFS.DiffIDs[i] != prev.diffID {
				return fmt.Errorf("%s: layer %d (%s): content digest %s does not match the config's diffID %s", p, i+1, l, prev.diffID, cfg.RootFS.DiffIDs[i])
			}
			t.Parts = append(t.Parts, o)
			whs = append(whs, prev.wh)
			// Its files were scanned with the first copy.
			layerRoots = append(layerRoots, &Root{Dir: prev.dir, Virtual: "", Sep: "/", Origin: o})
			continue
		}
		dir := filepath.Join(work, "layers", fmt.Sprint(i))
		wh, diffID, err := u.untarLayer(ctx, root, l, dir, fmt.Sprintf("%s layer %d", t.Name, i+1))
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		done[l] = unpacked{dir: dir, diffID: diffID, wh: wh}
		done[diffID] = done[l]
		if len(cfg.RootFS.DiffIDs) > 0 && cfg.RootFS.DiffIDs[i] != diffID {
			return fmt.Errorf("%s: layer %d (%s): content digest %s does not match the config's diffID %s", p, i+1, l, diffID, cfg.RootFS.DiffIDs[i])
		}
		// Each layer root is checked alone too: it is kept for the
		// secrets scan, so it must not hold a way out either.
		if err := u.checkLinks(dir, fmt.Sprintf("%s layer %d:", t.Name, i+1), "/"); err != nil {
			return err
		}
		o := Origin{Kind: OriginImageLayer, Name: diffID, SHA256: strings.TrimPrefix(diffID, "sha256:"), Index: i + 1}
		t.Parts = append(t.Parts, o)
		whs = append(whs, wh)
		layerRoots = append(layerRoots, &Root{Dir: dir, Virtual: "", Sep: "/", Origin: o, Scan: true})
	}
	rootfs := filepath.Join(work, "rootfs")
	owner, err := squash(work, layerRoots, whs)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if err := u.checkLinks(rootfs, "", "/"); err != nil {
		return err
	}
	squashed := &Root{Dir: rootfs, Sep: "/", Origin: Origin{Kind: OriginImageLayer, Name: "squashed"}, Catalog: true, owner: owner, layers: t.Parts}
	t.Roots = append(t.Roots, squashed)
	t.Roots = append(t.Roots, layerRoots...)
	return nil
}

var digestRe = regexp.MustCompile(`^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$`)

func blobPath(digest string) (string, error) {
	if !digestRe.MatchString(digest) {
		return "", fmt.Errorf("invalid digest %q", digest)
	}
	alg, hexd, _ := strings.Cut(digest, ":")
	return path.Join("blobs", alg, hexd), nil
}

// readVerified reads a blob and checks it against its sha256 digest.
func readVerified(root *os.Root, digest string) ([]byte, error) {
	p, err := blobPath(digest)
	if err != nil {
		return nil, err
	}
	b, err := readLimited(root, p, 16<<20)
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

func readDockerManifest(root *os.Root) (*image, error) {
	b, err := readLimited(root, "manifest.json", 16<<20)
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
	if img.config, err = readLimited(root, cfgPath, 16<<20); err != nil {
		return nil, fmt.Errorf("docker archive: config %s: %w", m[0].Config, unwrapPathErr(err))
	}
	sum := sha256.Sum256(img.config)
	img.configID = "sha256:" + hex.EncodeToString(sum[:])
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

func readOCILayout(root *os.Root, platform string) (*image, error) {
	b, err := readLimited(root, "index.json", 16<<20)
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
	w := &manifestWalk{root: root, seen: map[string]bool{}, platform: platform}
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
	root     *os.Root
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
		img := &image{config: cfg, configID: m.Config.Digest}
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

// untarLayer unpacks one layer blob and returns its whiteouts and diffID
// (sha256 of the uncompressed tar).
func (u *unpacker) untarLayer(ctx context.Context, layout *os.Root, blob, dir, display string) ([]whiteout, string, error) {
	f, err := layout.Open(blob)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %s: %w", display, blob, unwrapPathErr(err))
	}
	defer f.Close()
	dr, done, err := u.decompress(f)
	if err != nil {
		return nil, "", fmt.Errorf("%s: corrupt compressed layer: %w", display, err)
	}
	defer done()
	h := sha256.New()
	tee := io.TeeReader(dr, h)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, "", err
	}
	defer root.Close()
	wh, err := u.untar(ctx, display, tee, root, true)
	if err != nil {
		return nil, "", err
	}
	// Drain what tar did not read (padding, trailing data) to finish the
	// diffID; capReader bounds it.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return nil, "", fmt.Errorf("%s: %w", display, err)
	}
	return wh, "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// squash builds work/rootfs from the layers with hardlinks (no copying),
// applying whiteouts, and records which layer wrote each path. It works
// through an os.Root on the work dir so nothing a layer holds can lead a
// write outside it.
func squash(work string, layers []*Root, whs [][]whiteout) (map[string]int, error) {
	root, err := os.OpenRoot(work)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if err := root.Mkdir("rootfs", 0o755); err != nil {
		return nil, err
	}
	// Every change to the squashed tree goes through a root on rootfs
	// itself: a symlink an earlier layer left there can lead nowhere else
	// (not even to the other layers' directories).
	fsroot, err := os.OpenRoot(filepath.Join(work, "rootfs"))
	if err != nil {
		return nil, err
	}
	defer fsroot.Close()
	rootfsAbs := filepath.Join(work, "rootfs")
	rels := make([]string, len(layers))
	for i, l := range layers {
		for _, w := range whs[i] {
			if w.opaque {
				entries, err := fs.ReadDir(fsroot.FS(), w.dir)
				if err != nil {
					continue
				}
				for _, e := range entries {
					fsroot.RemoveAll(path.Join(w.dir, e.Name()))
				}
				continue
			}
			fsroot.RemoveAll(path.Join(w.dir, w.name))
		}
		lrel, _ := filepath.Rel(work, l.Dir)
		rels[i] = filepath.ToSlash(lrel)
		err := fs.WalkDir(root.FS(), rels[i], func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == rels[i] {
				return err
			}
			rel := strings.TrimPrefix(p, rels[i]+"/")
			if d.IsDir() {
				if fi, err := fsroot.Lstat(rel); err == nil && !fi.IsDir() {
					fsroot.RemoveAll(rel)
				}
				if err := fsroot.MkdirAll(rel, 0o755); err != nil && !isRootEscape(err) {
					return err
				}
				return nil
			}
			if err := prepare(fsroot, rel); err != nil {
				if isRootEscape(err) {
					return nil // its directory leads out of rootfs: not in the image
				}
				return err
			}
			if d.Type()&fs.ModeSymlink != 0 {
				target, err := root.Readlink(p)
				if err != nil {
					return err
				}
				return fsroot.Symlink(target, rel)
			}
			if d.Type().IsRegular() {
				// A hardlink needs both names in one root; the parent was
				// just resolved inside rootfs, and no absolute symlink exists
				// there (they are rewritten relative), so the absolute path
				// resolves the same way.
				parent, err := fsroot.Lstat(path.Dir(rel))
				if err != nil || !parent.IsDir() {
					return nil
				}
				return os.Link(filepath.Join(work, filepath.FromSlash(p)), filepath.Join(rootfsAbs, filepath.FromSlash(rel)))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("squashing layer %d: %w", i+1, err)
		}
	}
	// The owner of a path still in the squashed filesystem is the highest
	// layer that holds it: a lower copy was either overwritten or deleted
	// and re-added above. One pass, whatever the number of whiteouts.
	owner := map[string]int{}
	for i := len(layers) - 1; i >= 0; i-- {
		fs.WalkDir(root.FS(), rels[i], func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			rel := strings.TrimPrefix(p, rels[i]+"/")
			if _, done := owner[rel]; done {
				return nil
			}
			if _, err := fsroot.Lstat(rel); err == nil {
				owner[rel] = i
			}
			return nil
		})
	}
	return owner, nil
}
