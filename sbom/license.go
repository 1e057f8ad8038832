package sbom

import (
	"context"
	"sync"

	"github.com/anchore/syft/syft"
)

// syft's licence scanner costs about a second of CPU and 100 MB of
// transient memory to build, whatever the target: more than cataloging a
// whole Lambda zip. It is built once per process, and WarmUp starts it
// early so that it overlaps opening the target.
var license struct {
	once sync.Once
	ctx  context.Context // holds only the scanner
	err  error
}

// WarmUp starts building what cataloging needs, in the background.
func WarmUp() { go buildLicense() }

func buildLicense() {
	license.once.Do(func() {
		license.ctx, license.err = syft.SetContextLicenseScanner(context.Background(), syft.DefaultCreateSBOMConfig().Licenses)
	})
}

// licenseContext waits for the scanner, or for ctx to end (Ctrl-C must not
// wait for a second of DFA building).
func licenseContext(ctx context.Context) (context.Context, error) {
	done := make(chan struct{})
	go func() {
		buildLicense()
		close(done)
	}()
	select {
	case <-done:
		return license.ctx, license.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// withValuesOf is a context that also answers with the values of another:
// syft keeps the scanner under a key of its own, which only a context
// syft made can hold.
type withValuesOf struct {
	context.Context
	values context.Context
}

func (c withValuesOf) Value(key any) any {
	if v := c.Context.Value(key); v != nil {
		return v
	}
	return c.values.Value(key)
}
