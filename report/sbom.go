package report

import (
	"io"

	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
)

// SBOMFormats are the formats `fnscan sbom` writes.
var SBOMFormats = sbom.Formats

// IsSBOMFormat reports whether name is one of SBOMFormats.
func IsSBOMFormat(name string) bool { return sbom.IsFormat(name) }

// WriteSBOM writes the Result's SBOM alone (no vulnerabilities) in one of
// SBOMFormats.
func WriteSBOM(w io.Writer, r *result.Result, format string) error {
	return r.SBOM.Encode(w, format, sbom.Meta{Reproducible: r.Reproducible, ToolVersion: r.Tool.Version})
}
