package artifact

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/internal/fixture"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// gunzipped writes the uncompressed form of a .gz test file (skopeo's
// docker-archive transport reads plain tars only).
func gunzipped(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(p), ".gz"))
	w, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := io.Copy(w, zr); err != nil {
		t.Fatal(err)
	}
	return out
}

// An image pushed to a real registry with skopeo opens exactly like the
// `docker save` archive it came from: same layers, same files, and the
// manifest digest the registry serves.
func TestRegistryImage(t *testing.T) {
	host := fixture.Registry(t)
	archive := gunzipped(t, testdata("images", "alpine-3.10-docker-archive.tar.gz"))
	ref := host + "/lambda/alpine:3.10"
	fixture.Push(t, "docker-archive:"+archive, ref)

	want, _, err := openIn(t, archive, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	got, parent, err := openIn(t, "registry:"+ref, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != KindRegistry || got.Name != ref {
		t.Errorf("kind %s name %q, want registry %q", got.Kind, got.Name, ref)
	}
	if !slices.Equal(got.Parts, want.Parts) || got.ImageID != want.ImageID {
		t.Errorf("layers %v (config %s), want %v (%s)", got.Parts, got.ImageID, want.Parts, want.ImageID)
	}
	gf, _ := got.Files()
	wf, _ := want.Files()
	if g, w := virtuals(gf), virtuals(wf); !slices.Equal(g, w) || len(g) < 50 {
		t.Errorf("%d files from the registry, %d from the archive", len(g), len(w))
	}
	out, err := exec.Command("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://"+ref).Output()
	if err != nil {
		t.Fatal(err)
	}
	if d := strings.TrimSpace(string(out)); "sha256:"+got.SHA256 != d {
		t.Errorf("target digest sha256:%s, registry says %s", got.SHA256, d)
	}
	assertContained(t, got.WorkDir())
	got.Close()
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("work dir left behind: %d entries", len(left))
	}
}

// A multi-platform index: the platform asked for is the one opened.
func TestRegistryPlatform(t *testing.T) {
	host := fixture.Registry(t)
	ref, err := name.ParseReference(host + "/fn:multi")
	if err != nil {
		t.Fatal(err)
	}
	idx := v1.ImageIndex(empty.Index)
	for _, arch := range []string{"arm64", "amd64"} {
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(string(fixture.Tar(map[string]string{"arch.txt": arch})))), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		plat := v1.Platform{OS: "linux", Architecture: arch}
		img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{OS: "linux", Architecture: arch, RootFS: v1.RootFS{Type: "layers"}})
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &plat}})
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ platform, want string }{{"", "amd64"}, {"linux/amd64", "amd64"}, {"linux/arm64", "arm64"}} {
		tg, _, err := openIn(t, "registry:"+ref.String(), Options{Platform: tc.platform})
		if err != nil {
			t.Fatalf("platform %q: %v", tc.platform, err)
		}
		files, _ := tg.Files()
		var arch string
		for _, f := range files {
			if f.Virtual == "/arch.txt" {
				b, _ := f.ReadBounded(1 << 30)
				arch = string(b)
			}
		}
		tg.Close()
		if arch != tc.want {
			t.Errorf("platform %q opened the %q image, want %q", tc.platform, arch, tc.want)
		}
	}
	if _, _, err := openIn(t, "registry:"+ref.String(), Options{Platform: "linux/s390x"}); err == nil || !strings.Contains(err.Error(), "s390x") {
		t.Errorf("a platform the index lacks: %v", err)
	}
}

// Refused before download when the manifest says it is too big; unknown
// images and dead registries are one clear error naming the image.
func TestRegistryErrors(t *testing.T) {
	host := fixture.Registry(t)
	archive := gunzipped(t, testdata("images", "alpine-3.10-docker-archive.tar.gz"))
	ref := host + "/alpine:3.10"
	fixture.Push(t, "docker-archive:"+archive, ref)

	l := DefaultLimits()
	l.MaxTotalBytes = 1 << 20 // the image is ~2.7 MB compressed
	_, parent, err := openIn(t, "registry:"+ref, Options{Limits: l})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), ref) {
		t.Errorf("over the total limit: %v", err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("refused pull left %d entries", len(left))
	}

	for spec, want := range map[string]string{
		"registry:" + host + "/nope:1":   "MANIFEST_UNKNOWN",
		"registry:127.0.0.1:1/x:1":       "connection refused",
		"registry:Not A Reference":       "not an image reference",
		"docker:alpine:3.10":             "registry:REF",
		"myorg/fn:1":                     "use registry:myorg/fn:1",
		"registry:" + ref + "@sha256:00": "not an image reference",
	} {
		_, _, err := openIn(t, spec, Options{})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with %q", spec, err, want)
		}
	}
}
