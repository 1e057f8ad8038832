package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// hostileRegistry serves whatever manifests and blobs a test gives it, with
// the sizes the test declares, and counts blob downloads. A real registry
// would refuse to store such content, so this one is a fake on purpose.
type hostileRegistry struct {
	manifests map[string]fakeManifest // by tag or digest
	blobs     map[string][]byte
	blobGets  atomic.Int32
	notFound  string // body of every 404
}

type fakeManifest struct {
	mediaType string
	body      []byte
}

const (
	dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	ociIndexType   = "application/vnd.oci.image.index.v1+json"
)

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (h *hostileRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v2/"), "/")
	switch {
	case r.URL.Path == "/v2/":
		return
	case len(parts) == 3 && parts[1] == "manifests":
		if m, ok := h.manifests[parts[2]]; ok {
			w.Header().Set("Content-Type", m.mediaType)
			w.Header().Set("Docker-Content-Digest", digestOf(m.body))
			w.Write(m.body)
			return
		}
	case len(parts) == 3 && parts[1] == "blobs":
		if b, ok := h.blobs[parts[2]]; ok {
			h.blobGets.Add(1)
			w.Write(b)
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(h.notFound))
}

// image adds a manifest under tag with the declared sizes; content is what
// the blobs really hold.
func (h *hostileRegistry) image(tag string, config []byte, configSize int64, layers [][]byte, layerSizes []int64) string {
	if h.manifests == nil {
		h.manifests, h.blobs = map[string]fakeManifest{}, map[string][]byte{}
	}
	type desc struct {
		MediaType string `json:"mediaType"`
		Size      int64  `json:"size"`
		Digest    string `json:"digest"`
	}
	m := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        desc   `json:"config"`
		Layers        []desc `json:"layers"`
	}{2, dockerManifest, desc{"application/vnd.docker.container.image.v1+json", configSize, digestOf(config)}, nil}
	h.blobs[digestOf(config)] = config
	for i, l := range layers {
		m.Layers = append(m.Layers, desc{"application/vnd.docker.image.rootfs.diff.tar.gzip", layerSizes[i], digestOf(l)})
		h.blobs[digestOf(l)] = l
	}
	body, _ := json.Marshal(m)
	h.manifests[tag] = fakeManifest{dockerManifest, body}
	h.manifests[digestOf(body)] = fakeManifest{dockerManifest, body}
	return digestOf(body)
}

// index adds an index under tag listing the given manifest digests.
func (h *hostileRegistry) index(tag string, children map[string]string) string {
	type entry struct {
		MediaType string            `json:"mediaType"`
		Size      int               `json:"size"`
		Digest    string            `json:"digest"`
		Platform  map[string]string `json:"platform,omitempty"`
	}
	idx := struct {
		SchemaVersion int     `json:"schemaVersion"`
		MediaType     string  `json:"mediaType"`
		Manifests     []entry `json:"manifests"`
	}{SchemaVersion: 2, MediaType: ociIndexType}
	for digest, plat := range children {
		m := h.manifests[digest]
		e := entry{MediaType: m.mediaType, Size: len(m.body), Digest: digest}
		if plat != "" {
			os, arch, _ := strings.Cut(plat, "/")
			e.Platform = map[string]string{"os": os, "architecture": arch}
		}
		idx.Manifests = append(idx.Manifests, e)
	}
	body, _ := json.Marshal(idx)
	h.manifests[tag] = fakeManifest{ociIndexType, body}
	h.manifests[digestOf(body)] = fakeManifest{ociIndexType, body}
	return digestOf(body)
}

func serveHostile(t *testing.T, h *hostileRegistry) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// Lying manifests are refused before any blob is downloaded, and a blob
// larger than declared never lands outside the work dir.
func TestHostileRegistry(t *testing.T) {
	h := &hostileRegistry{notFound: "<html>\n<b>nope</b>\x1b]0;pwned\a\x1b[2J" + strings.Repeat("x", 5000)}
	config := []byte(`{"os":"linux","architecture":"arm64","rootfs":{"type":"layers","diff_ids":[]}}`)
	layer := []byte("0123456789")
	h.image("negative-config", config, -(1 << 40), [][]byte{layer}, []int64{10})
	h.image("huge-config", config, 100<<20, [][]byte{layer}, []int64{10})
	h.image("overflow", config, int64(len(config)), [][]byte{layer, layer}, []int64{math.MaxInt64 - 100, 1000})
	h.image("negative-layer", config, int64(len(config)), [][]byte{layer}, []int64{-5})
	big := []byte(strings.Repeat("A", 1<<20))
	h.blobs[digestOf(layer)] = big // served in place of the 10 declared bytes
	h.image("oversized-blob", config, int64(len(config)), [][]byte{layer}, []int64{10})
	h.blobs[digestOf(layer)] = big
	arm := h.image("arm", config, int64(len(config)), nil, nil)
	h.index("arm-only", map[string]string{arm: "linux/arm64"})
	// An index chain deeper than any real one.
	next := arm
	for i := range 6 {
		next = h.index(fmt.Sprintf("chain%d", i), map[string]string{next: ""})
	}
	h.manifests["deep"] = h.manifests[next]
	host := serveHostile(t, h)

	for tag, want := range map[string]string{
		"negative-config": "config a size of -1099511627776",
		"huge-config":     "config a size of 104857600",
		"overflow":        "more than",
		"negative-layer":  "negative size",
		"oversized-blob":  "",
		"deep":            "nested too deep",
		"missing":         "HTTP 404",
	} {
		h.blobGets.Store(0)
		_, parent, err := openIn(t, "registry:"+host+"/fn:"+tag, Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", tag, err, want)
			continue
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\n\x1b\a") || len(msg) > 600 {
			t.Errorf("%s: error is not one short printable line: %q", tag, msg)
		}
		if tag == "overflow" && !errors.Is(err, ErrLimit) {
			t.Errorf("overflow: not a limit error: %v", err)
		}
		if tag != "oversized-blob" && h.blobGets.Load() > 1 { // the config, at most
			t.Errorf("%s: %d blobs downloaded before refusing", tag, h.blobGets.Load())
		}
		if left, _ := os.ReadDir(parent); len(left) != 0 {
			t.Errorf("%s: %d entries left in the work dir's parent", tag, len(left))
		}
	}

	// The default platform is absent from an index with a single image:
	// that image is taken. Asked for explicitly, it is an error naming
	// what the index has.
	tg, _, err := openIn(t, "registry:"+host+"/fn:arm-only", Options{})
	if err != nil {
		t.Fatalf("arm64-only index, default platform: %v", err)
	}
	if tg.Platform != "linux/arm64" {
		t.Errorf("platform %q, want linux/arm64", tg.Platform)
	}
	tg.Close()
	if _, _, err := openIn(t, "registry:"+host+"/fn:arm-only", Options{Platform: "linux/amd64"}); err == nil || !strings.Contains(err.Error(), "it has linux/arm64") {
		t.Errorf("explicit amd64 on an arm64-only index: %v", err)
	}
	if _, _, err := openIn(t, "registry:"+host+"/fn:arm-only", Options{Platform: "linux/arm64/v8"}); err != nil {
		t.Errorf("arm64/v8 is arm64: %v", err)
	}
}
