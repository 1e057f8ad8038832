package artifact

import (
	"context"
	"errors"
	"fmt"
	"strings"

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

// maxImageLayers: Docker refuses more than 127; a manifest listing
// thousands is hostile.
const maxImageLayers = 1000

// pullImage writes the image ref names (for platform) into dir as an OCI
// layout and returns its manifest digest.
func pullImage(ctx context.Context, ref, platform, dir string, limits Limits) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("not an image reference: %w", err)
	}
	plat, err := v1.ParsePlatform(platform)
	if err != nil {
		return "", fmt.Errorf("--platform %q: %w", platform, err)
	}
	img, err := remote.Image(r,
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithPlatform(*plat),
		remote.WithUserAgent("fnscan"))
	if err != nil {
		return "", registryError(err)
	}
	m, err := img.Manifest()
	if err != nil {
		return "", registryError(err)
	}
	if len(m.Layers) > maxImageLayers {
		return "", fmt.Errorf("the manifest lists %d layers (limit %d)", len(m.Layers), maxImageLayers)
	}
	// Refuse before downloading: compressed sizes are a lower bound of
	// what unpacking will charge to the same budget.
	total := m.Config.Size
	for _, l := range m.Layers {
		if l.Size < 0 {
			return "", fmt.Errorf("layer %s has a negative size", l.Digest)
		}
		total += l.Size
	}
	if total > limits.MaxTotalBytes {
		return "", fmt.Errorf("%w: the image is %d bytes compressed, more than %d in total (raise --max-total-size)", ErrLimit, total, limits.MaxTotalBytes)
	}
	digest, err := img.Digest()
	if err != nil {
		return "", registryError(err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", err
	}
	// Blobs are verified against their digests as they are written.
	err = p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": r.Name(),
	}))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return "", ctxErr
		}
		return "", registryError(err)
	}
	return digest.String(), nil
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

// registryError keeps the registry's own words (MANIFEST_UNKNOWN,
// UNAUTHORIZED) and drops the request dump around them.
func registryError(err error) error {
	var te *transport.Error
	if errors.As(err, &te) && len(te.Errors) > 0 {
		var msgs []string
		for _, d := range te.Errors {
			msgs = append(msgs, fmt.Sprintf("%s: %s", d.Code, d.Message))
		}
		return fmt.Errorf("registry: %s (HTTP %d)", strings.Join(msgs, "; "), te.StatusCode)
	}
	return err
}
