package report

import (
	"io"
	"time"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"

	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
)

// vexFormat writes a CycloneDX VEX document: every vulnerability found,
// with the analysis of those an ignore or VEX statement suppressed, and the
// components they affect (so the document stands alone, and `--vex` reads
// it back).
type vexFormat struct{}

func init() { register(vexFormat{}) }

func (vexFormat) Name() string { return "cyclonedx-vex" }

func (vexFormat) Write(w io.Writer, r *result.Result) error {
	m := sbom.Meta{ToolVersion: r.Tool.Version, Reproducible: r.Reproducible, SerialNumber: r.SBOM.VEXSerial(r.Reproducible)}
	if !m.Reproducible {
		m.Timestamp = time.Now().UTC().Format(time.RFC3339)
	}
	bom := r.SBOM.CycloneDX(m)
	vs := cdxVulnerabilities(r)
	affected := map[string]bool{}
	for _, v := range vs {
		if v.Affects != nil {
			for _, a := range *v.Affects {
				affected[a.Ref] = true
			}
		}
	}
	var comps []cyclonedx.Component
	if bom.Components != nil {
		for _, c := range *bom.Components {
			if affected[c.BOMRef] {
				c.Evidence, c.Properties = nil, nil
				comps = append(comps, c)
			}
		}
	}
	bom.Components, bom.Dependencies = &comps, nil
	bom.Vulnerabilities = &vs
	addVerdict(bom, r)
	return sbom.EncodeBOM(w, bom, false)
}
