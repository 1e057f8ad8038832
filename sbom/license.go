package sbom

import (
	"context"
	"sync"
	"unsafe"

	"github.com/anchore/syft/syft/cataloging"
	"github.com/google/licensecheck"
)

// syft builds its licence scanner (licensecheck's DFA: about a second of
// CPU and 100 MB of transient memory) before cataloging anything, though
// most functions never need it: npm packages declare their licence, and the
// scanner only reads licence files of packages that do not. The scanner
// fnscan hands syft is syft's own, made by its internal licenses.NewScanner
// (linked by name, like the temp dir in tmpdir.go), over a licensecheck
// scanner built on first use. TestLicenseScannerLazy fails if a syft
// upgrade changes them.

// syftScannerConfig mirrors licenses.ScannerConfig.
type syftScannerConfig struct {
	CoverageThreshold float64
	Scanner           func([]byte) licensecheck.Coverage
}

// syftScanner holds a licenses.Scanner: an interface value's two words.
type syftScanner struct{ tab, data unsafe.Pointer }

//go:linkname syftNewLicenseScanner github.com/anchore/syft/internal/licenses.NewScanner
func syftNewLicenseScanner(c *syftScannerConfig) (syftScanner, error)

//go:linkname syftSetLicenseScanner github.com/anchore/syft/internal/licenses.SetContextLicenseScanner
func syftSetLicenseScanner(ctx context.Context, s syftScanner) context.Context

var license struct {
	once sync.Once
	ctx  context.Context // holds only the scanner
	err  error
}

// licenseContext is a context holding the process's one licence scanner.
func licenseContext() (context.Context, error) {
	license.once.Do(func() {
		s, err := syftNewLicenseScanner(&syftScannerConfig{
			// Not syft.DefaultCreateSBOMConfig's: that compiles every
			// binary classifier's expressions first.
			CoverageThreshold: cataloging.DefaultLicenseConfig().Coverage,
			Scanner:           checkLicense,
		})
		if err != nil {
			license.err = err
			return
		}
		license.ctx = syftSetLicenseScanner(context.Background(), s)
	})
	return license.ctx, license.err
}

var checker struct {
	once sync.Once
	s    *licensecheck.Scanner
}

// checkLicense is syft's default scanner's check, built on first use.
func checkLicense(text []byte) licensecheck.Coverage {
	checker.once.Do(func() {
		// The built-in licences always compile (licensecheck's own
		// package-level scanner panics otherwise); syft's default
		// scanner finds nothing if they did not.
		checker.s, _ = licensecheck.NewScanner(licensecheck.BuiltinLicenses())
	})
	if checker.s == nil {
		return licensecheck.Coverage{}
	}
	return checker.s.Scan(text)
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
