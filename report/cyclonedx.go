package report

import (
	"io"
	"strings"
	"time"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"

	"github.com/fnscan/fnscan/sbom"
)

// cyclonedxFormat writes the SBOM with its vulnerabilities section.
type cyclonedxFormat struct{ xml bool }

func init() {
	register(cyclonedxFormat{})
	register(cyclonedxFormat{xml: true})
}

func (f cyclonedxFormat) Name() string {
	if f.xml {
		return "cyclonedx-xml"
	}
	return "cyclonedx-json"
}

func cdxSeverity(s string) cyclonedx.Severity {
	switch s {
	case "CRITICAL":
		return cyclonedx.SeverityCritical
	case "HIGH":
		return cyclonedx.SeverityHigh
	case "MEDIUM":
		return cyclonedx.SeverityMedium
	case "LOW":
		return cyclonedx.SeverityLow
	case "NONE":
		return cyclonedx.SeverityNone
	}
	return cyclonedx.SeverityUnknown
}

func cdxMethod(version string) cyclonedx.ScoringMethod {
	switch version {
	case "2.0":
		return cyclonedx.ScoringMethodCVSSv2
	case "3.0":
		return cyclonedx.ScoringMethodCVSSv3
	case "3.1":
		return cyclonedx.ScoringMethodCVSSv31
	case "4.0":
		return cyclonedx.ScoringMethodCVSSv4
	}
	return cyclonedx.ScoringMethodOther
}

// Vulnerabilities converts findings to CycloneDX, each affecting the
// bom-refs of every component instance it was found in.
func Vulnerabilities(r *Report) []cyclonedx.Vulnerability {
	refByLoc := map[string]string{}
	if r.SBOM != nil {
		for _, c := range r.SBOM.Components {
			for _, l := range c.Locations {
				refByLoc[c.PURL+"\x00"+l.Path] = c.Ref
			}
		}
	}
	var out []cyclonedx.Vulnerability
	for _, v := range r.Vulnerabilities {
		cv := cyclonedx.Vulnerability{
			BOMRef: v.ID + "/" + v.Package.PURL, ID: v.ID, Description: v.Summary,
			Source: &cyclonedx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + v.ID},
		}
		var ratings []cyclonedx.VulnerabilityRating
		for _, c := range v.CVSS {
			score := c.Score
			ratings = append(ratings, cyclonedx.VulnerabilityRating{Score: &score, Severity: cdxSeverity(v.Severity), Method: cdxMethod(c.Version), Vector: c.Vector})
		}
		if len(ratings) == 0 {
			ratings = append(ratings, cyclonedx.VulnerabilityRating{Severity: cdxSeverity(v.Severity), Method: cyclonedx.ScoringMethodOther})
		}
		cv.Ratings = &ratings
		if len(v.Aliases) > 0 {
			var refs []cyclonedx.VulnerabilityReference
			for _, a := range v.Aliases {
				refs = append(refs, cyclonedx.VulnerabilityReference{ID: a, Source: &cyclonedx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + a}})
			}
			cv.References = &refs
		}
		if len(v.FixedVersions) > 0 {
			cv.Recommendation = "Upgrade " + v.Package.Name + " to " + strings.Join(v.FixedVersions, " or ")
		}
		seen := map[string]bool{}
		var affects []cyclonedx.Affects
		for _, l := range v.Locations {
			ref := refByLoc[v.Package.PURL+"\x00"+l.Path]
			if ref != "" && !seen[ref] {
				seen[ref] = true
				affects = append(affects, cyclonedx.Affects{Ref: ref})
			}
		}
		if len(affects) > 0 {
			cv.Affects = &affects
		}
		out = append(out, cv)
	}
	return out
}

func (f cyclonedxFormat) Write(w io.Writer, r *Report) error {
	m := sbom.Meta{ToolVersion: r.Tool.Version, Reproducible: r.Reproducible}
	if !m.Reproducible {
		m.Timestamp = time.Now().UTC().Format(time.RFC3339)
	}
	bom := r.SBOM.CycloneDX(m)
	if vs := Vulnerabilities(r); len(vs) > 0 {
		bom.Vulnerabilities = &vs
	}
	return sbom.EncodeBOM(w, bom, f.xml)
}
