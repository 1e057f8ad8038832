package artifact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// A registry image is pulled into the work dir as an OCI layout and then
// opened like any other layout, so the same limits and checks apply to it.
// Credentials come from the Docker config (~/.docker/config.json and its
// helpers), as for docker, crane and syft. Registries on localhost, loopback
// and private addresses are reached over plain HTTP.

// DefaultPlatform is the image picked from a multi-platform index when
// Options.Platform is empty: what Lambda runs unless told arm64.
const DefaultPlatform = "linux/amd64"

const (
	// maxImageLayers: Docker refuses more than 127; thousands is hostile.
	maxImageLayers = 1000
	// maxConfigSize: an image config is a few KiB; ggcr holds it in memory.
	maxConfigSize = 16 << 20
	// maxIndexDepth: indexes of indexes, as for local layouts.
	maxIndexDepth = 4
	// registryHeaderTimeout: a registry that accepts a request and never
	// answers is an error, not a hang (a stalled body still needs Ctrl-C).
	registryHeaderTimeout = 2 * time.Minute
)

// pulled is what pullImage learned about the image it wrote.
type pulled struct {
	digest   string // the image manifest's
	platform string // os/arch[/variant] from its config
}

// pullImage writes the image ref names into dir as an OCI layout. From a
// multi-platform index it takes platform; explicit says the user asked for
// it, so that an image for another platform is an error.
func pullImage(ctx context.Context, ref, platform string, explicit bool, dir string, limits Limits) (pulled, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return pulled{}, fmt.Errorf("not an image reference: %w", err)
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithUserAgent("fnscan"),
	}
	if tr, ok := remote.DefaultTransport.(*http.Transport); ok {
		tr = tr.Clone()
		tr.ResponseHeaderTimeout = registryHeaderTimeout
		opts = append(opts, remote.WithTransport(tr))
	}
	img, err := resolveImage(r, opts, platform, explicit, 0)
	if err != nil {
		return pulled{}, err
	}
	m, err := img.Manifest()
	if err != nil {
		return pulled{}, RegistryError(err)
	}
	if len(m.Layers) > maxImageLayers {
		return pulled{}, fmt.Errorf("the manifest lists %d layers (limit %d)", len(m.Layers), maxImageLayers)
	}
	if m.Config.Size <= 0 || m.Config.Size > maxConfigSize {
		return pulled{}, fmt.Errorf("the manifest gives the config a size of %d bytes (want 1 to %d)", m.Config.Size, maxConfigSize)
	}
	// Refuse before downloading: compressed sizes are a lower bound of
	// what unpacking charges to the same budget. Summed without overflow.
	total := m.Config.Size
	for _, l := range m.Layers {
		if l.Size < 0 {
			return pulled{}, fmt.Errorf("the manifest gives layer %s a negative size", l.Digest)
		}
		if l.Size > limits.MaxTotalBytes-total {
			return pulled{}, fmt.Errorf("%w: the image is more than %d bytes compressed (raise --max-total-size)", ErrLimit, limits.MaxTotalBytes)
		}
		total += l.Size
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return pulled{}, RegistryError(err)
	}
	var got string // unknown when the config does not say
	if cfg.OS != "" && cfg.Architecture != "" {
		got = formatPlatform(cfg.OS, cfg.Architecture, cfg.Variant)
	}
	if explicit && got != "" && !platformMatches(got, platform) {
		return pulled{}, fmt.Errorf("the image is for %s, not %s (--platform)", got, platform)
	}
	digest, err := img.Digest()
	if err != nil {
		return pulled{}, RegistryError(err)
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return pulled{}, err
	}
	// Each blob is read up to its declared size and checked against its
	// digest as it is written.
	if err := lp.AppendImage(img); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return pulled{}, ctxErr
		}
		return pulled{}, RegistryError(err)
	}
	return pulled{digest: digest.String(), platform: got}, nil
}

// resolveImage follows indexes (at most maxIndexDepth deep) to the image
// for platform.
func resolveImage(r name.Reference, opts []remote.Option, platform string, explicit bool, depth int) (v1.Image, error) {
	d, err := remote.Get(r, opts...)
	if err != nil {
		return nil, RegistryError(err)
	}
	switch {
	case d.MediaType.IsImage():
		return d.Image()
	case !d.MediaType.IsIndex():
		return nil, fmt.Errorf("%s is a %s, not an image", r, d.MediaType)
	case depth >= maxIndexDepth:
		return nil, errors.New("image indexes nested too deep")
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(d.Manifest))
	if err != nil {
		return nil, fmt.Errorf("image index: %w", err)
	}
	if len(idx.Manifests) > maxDescriptors {
		return nil, fmt.Errorf("image index lists %d manifests (limit %d)", len(idx.Manifests), maxDescriptors)
	}
	var offered []string
	var pick, only, unlabeled *v1.Descriptor
	for i, m := range idx.Manifests {
		if m.Platform == nil {
			// A nested index, or an image that does not say.
			if unlabeled == nil {
				unlabeled = &idx.Manifests[i]
			}
			continue
		}
		if m.Platform.OS == "unknown" { // buildx attestations
			continue
		}
		p := formatPlatform(m.Platform.OS, m.Platform.Architecture, m.Platform.Variant)
		offered = append(offered, p)
		if pick == nil && platformMatches(p, platform) {
			pick = &idx.Manifests[i]
		}
		only = &idx.Manifests[i]
	}
	switch {
	case pick != nil:
	case !explicit && len(offered) == 1:
		pick = only // the default platform is absent, but there is no choice to make
	case len(offered) == 0 && unlabeled != nil:
		pick = unlabeled
	}
	if pick == nil {
		return nil, fmt.Errorf("no %s image in the index (it has %s): use --platform", platform, strings.Join(offered, ", "))
	}
	return resolveImage(r.Context().Digest(pick.Digest.String()), opts, platform, explicit, depth+1)
}

func formatPlatform(os, arch, variant string) string {
	if variant != "" {
		return os + "/" + arch + "/" + variant
	}
	return os + "/" + arch
}

// platformMatches compares "os/arch[/variant]" as containerd does: no
// variant asked matches any, and arm64 means arm64/v8.
func platformMatches(have, want string) bool {
	h, w := strings.SplitN(have, "/", 3), strings.SplitN(want, "/", 3)
	if len(h) < 2 || len(w) < 2 || h[0] != w[0] || h[1] != w[1] {
		return false
	}
	if len(w) < 3 {
		return true
	}
	hv := ""
	if len(h) == 3 {
		hv = h[2]
	}
	if h[1] == "arm64" && hv == "" {
		hv = "v8"
	}
	return hv == w[2]
}

// looksLikeImageRef: a missing "file" that is an image reference with an
// explicit tag or digest, such as "myrepo/fn:1".
func looksLikeImageRef(s string) bool {
	last := s[strings.LastIndex(s, "/")+1:]
	if !strings.Contains(last, ":") && !strings.Contains(s, "@") {
		return false
	}
	_, err := name.ParseReference(s)
	return err == nil
}

// maxRegistryMessage bounds what a registry's reply adds to an error.
const maxRegistryMessage = 300

// RegistryError keeps the registry's own words (MANIFEST_UNKNOWN,
// UNAUTHORIZED) and drops the request dump around them. A registry's text
// is not trusted to be one short printable line: control characters
// (terminal escapes) become spaces, the length is capped.
func RegistryError(err error) error {
	var te *transport.Error
	if errors.As(err, &te) && len(te.Errors) > 0 {
		var msgs []string
		for _, d := range te.Errors {
			msgs = append(msgs, fmt.Sprintf("%s: %s", d.Code, d.Message))
		}
		return fmt.Errorf("registry: %s (HTTP %d)", printable(strings.Join(msgs, "; ")), te.StatusCode)
	}
	if errors.As(err, &te) {
		return fmt.Errorf("registry: HTTP %d %s", te.StatusCode, http.StatusText(te.StatusCode))
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errors.New(printable(err.Error()))
}

// printable folds control characters (terminal escapes included) to
// spaces and caps the length.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxRegistryMessage {
		s = strings.ToValidUTF8(s[:maxRegistryMessage], "") + "…"
	}
	return s
}
