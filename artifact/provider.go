package artifact

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
)

// Provider opens one kind of target. The built-in providers cover every kind
// read from files and registries; another package adds its own with
// Register (aws/ adds "lambda:") without this package importing it.
type Provider interface {
	// Name is the kind and its spec prefix: "zip" answers "zip:fn.zip".
	Name() string
	// Open opens ref, the spec without its prefix.
	Open(ctx context.Context, ref string, opts Options) (*Target, error)
}

// Detector is a Provider that recognises an unprefixed spec. Detectors are
// asked in order; the first that claims the spec opens it.
type Detector interface {
	Detect(p *Probe) bool
}

// Probe is an unprefixed spec under detection. Its content is sniffed once
// however many detectors ask.
type Probe struct {
	Ref  string
	max  int64
	once sync.Once
	kind Kind
	err  error
}

// Kind is the built-in kind the content looks like.
func (p *Probe) Kind() (Kind, error) {
	p.once.Do(func() { p.kind, p.err = detect(p.Ref, p.max) })
	return p.kind, p.err
}

var (
	providersMu sync.RWMutex
	providers   []Provider
)

func init() {
	for _, k := range kinds {
		providers = append(providers, builtin{k})
	}
}

// Register adds a provider after the built-in ones. A provider whose name
// is taken replaces the earlier one in its place.
func Register(p Provider) {
	providersMu.Lock()
	defer providersMu.Unlock()
	for i, q := range providers {
		if q.Name() == p.Name() {
			providers[i] = p
			return
		}
	}
	providers = append(providers, p)
}

// Providers lists the providers in the order they are tried.
func Providers() []Provider {
	providersMu.RLock()
	defer providersMu.RUnlock()
	return append([]Provider(nil), providers...)
}

// splitSpec finds the provider a spec's prefix names.
func splitSpec(spec string) (Provider, string) {
	for _, p := range Providers() {
		if ref, ok := strings.CutPrefix(spec, p.Name()+":"); ok {
			return p, ref
		}
	}
	return nil, spec
}

// builtin is one of the kinds this package reads itself.
type builtin struct{ kind Kind }

func (b builtin) Name() string { return string(b.kind) }

func (b builtin) Detect(p *Probe) bool {
	k, err := p.Kind()
	return err == nil && k == b.kind
}

func (b builtin) Open(ctx context.Context, ref string, opts Options) (*Target, error) {
	if b.kind == KindSBOM {
		// Read by the sbom package: nothing to unpack.
		return &Target{Input: ref, Name: filepath.Base(filepath.Clean(ref)), Kind: KindSBOM}, nil
	}
	return open(ctx, b.kind, ref, opts)
}
