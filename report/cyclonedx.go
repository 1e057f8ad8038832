package report

import (
	"io"
	"slices"
	"strings"
	"time"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"

	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/vuln"
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

// cdxVulnerabilities converts findings to CycloneDX: one entry per
// (vulnerability, package), affecting the bom-refs of every instance of the
// package. Suppressed findings carry their analysis (VEX).
func cdxVulnerabilities(r *result.Result) []cyclonedx.Vulnerability {
	refByLoc := map[string]string{}
	if r.SBOM != nil {
		for _, c := range r.SBOM.Components {
			for _, l := range c.Locations {
				refByLoc[c.PURL+"\x00"+l.Path] = c.Ref
			}
		}
	}
	var out []cyclonedx.Vulnerability
	index := map[string]int{}
	for _, v := range append(append([]result.Vulnerability{}, r.Vulnerabilities...), r.SuppressedVulnerabilities...) {
		key := v.ID + "/" + v.Package.PURL
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, cdxVulnerability(v))
		}
		for _, l := range v.Locations {
			ref := refByLoc[v.Package.PURL+"\x00"+l.Path]
			if ref == "" {
				continue
			}
			if out[i].Affects == nil {
				out[i].Affects = &[]cyclonedx.Affects{}
			}
			if !slices.ContainsFunc(*out[i].Affects, func(a cyclonedx.Affects) bool { return a.Ref == ref }) {
				*out[i].Affects = append(*out[i].Affects, cyclonedx.Affects{Ref: ref})
			}
		}
	}
	return out
}

// labelled: the severity is a rating's label (GHSA's, Ubuntu's priority),
// not a CVSS score.
func labelled(v result.Vulnerability) bool {
	return v.SeveritySource == "ghsa" || v.SeveritySource == "ubuntu"
}

func cdxVulnerability(v result.Vulnerability) cyclonedx.Vulnerability {
	cv := cyclonedx.Vulnerability{
		BOMRef: v.ID + "/" + v.Package.PURL, ID: v.ID, Description: v.Summary,
		Source: &cyclonedx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + v.ID},
	}
	var ratings []cyclonedx.VulnerabilityRating
	// Each rating's severity is its own score's (CycloneDX: the two agree);
	// the finding's severity, the highest, is the rating it came from.
	for _, c := range v.CVSS {
		score := c.Score
		ratings = append(ratings, cyclonedx.VulnerabilityRating{Score: &score, Severity: cdxSeverity(vuln.Level(c.Version, c.Score)), Method: cdxMethod(c.Version), Vector: c.Vector})
	}
	if len(ratings) == 0 || labelled(v) {
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
	if s := v.Suppression; s != nil {
		cv.Analysis = cdxAnalysis(*s)
	} else if s := v.VEX; s != nil {
		cv.Analysis = cdxAnalysis(*s)
	}
	return cv
}

// cdxAnalysis states a suppression in CycloneDX terms. A VEX statement
// keeps its meaning; an ignore is a known finding the team deferred, which
// is in triage, not "not affected".
func cdxAnalysis(s result.Suppression) *cyclonedx.VulnerabilityAnalysis {
	a := &cyclonedx.VulnerabilityAnalysis{Detail: s.Reason}
	switch {
	case s.Kind == "vex" && s.Status == "fixed":
		a.State = cyclonedx.IASResolved
	case s.Kind == "vex" && s.Status == "affected":
		a.State = cyclonedx.IASExploitable
	case s.Kind == "vex" && s.Status == "under_investigation":
		a.State = cyclonedx.IASInTriage
	case s.Kind == "vex":
		a.State = cyclonedx.IASNotAffected
		a.Justification = cdxJustification(s.Justification)
	default:
		a.State = cyclonedx.IASInTriage
		a.Detail = s.String()
	}
	return a
}

// cdxJustification maps OpenVEX justifications; CycloneDX ones pass.
func cdxJustification(j string) cyclonedx.ImpactAnalysisJustification {
	switch j {
	case "component_not_present", "vulnerable_code_not_present":
		return cyclonedx.IAJCodeNotPresent
	case "vulnerable_code_not_in_execute_path":
		return cyclonedx.IAJCodeNotReachable
	case "vulnerable_code_cannot_be_controlled_by_adversary":
		return cyclonedx.IAJRequiresEnvironment
	case "inline_mitigations_already_exist":
		return cyclonedx.IAJProtectedByMitigatingControl
	case "code_not_present", "code_not_reachable", "requires_configuration", "requires_dependency", "requires_environment",
		"protected_by_compiler", "protected_at_runtime", "protected_at_perimeter", "protected_by_mitigating_control":
		return cyclonedx.ImpactAnalysisJustification(j)
	}
	return ""
}

func (f cyclonedxFormat) Write(w io.Writer, r *result.Result) error {
	m := sbom.Meta{ToolVersion: r.Tool.Version, Reproducible: r.Reproducible}
	if !m.Reproducible {
		m.Timestamp = time.Now().UTC().Format(time.RFC3339)
	}
	bom := r.SBOM.CycloneDX(m)
	if vs := cdxVulnerabilities(r); len(vs) > 0 {
		bom.Vulnerabilities = &vs
	}
	addVerdict(bom, r)
	return sbom.EncodeBOM(w, bom, f.xml)
}

// addVerdict records the gate in the document's metadata, as the other
// formats do: which threshold applied and what it decided.
func addVerdict(bom *cyclonedx.BOM, r *result.Result) {
	v := r.Verdict
	if v == nil || bom.Metadata == nil {
		return
	}
	props := []cyclonedx.Property{
		{Name: "fnscan:verdict", Value: map[bool]string{true: "pass", false: "fail"}[v.Pass]},
		{Name: "fnscan:failOn", Value: v.FailOn},
	}
	for _, reason := range v.Reasons {
		props = append(props, cyclonedx.Property{Name: "fnscan:reason", Value: reason})
	}
	if bom.Metadata.Properties != nil {
		props = append(slices.Clone(*bom.Metadata.Properties), props...)
	}
	bom.Metadata.Properties = &props
}
