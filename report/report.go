// Package report renders a scan result. Each output format is one file
// implementing Format; all of them render the same Report, which is also the
// documented JSON protocol (docs/report.md). It imports every earlier stage
// for its types and nothing later.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/policy"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
	"github.com/fnscan/fnscan/vuln"
)

// SchemaVersion of the JSON report; bumped on incompatible change.
const SchemaVersion = "1"

// Report is everything a scan found.
type Report struct {
	SchemaVersion   string          `json:"schemaVersion"`
	Tool            Tool            `json:"tool"`
	Target          Target          `json:"target"`
	Components      []Component     `json:"components"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
	// SuppressedVulnerabilities were taken out of the gate by an ignore or
	// a VEX statement; each says why.
	SuppressedVulnerabilities []Vulnerability    `json:"suppressedVulnerabilities,omitempty"`
	Secrets                   []secrets.Finding  `json:"secrets"`
	Suppressed                []secrets.Finding  `json:"suppressedSecrets,omitempty"`
	Warnings                  []artifact.Warning `json:"warnings"`
	Verdict                   *policy.Verdict    `json:"verdict,omitempty"`

	// SBOM is the cataloged target, for the CycloneDX format.
	SBOM *sbom.Result `json:"-"`
	// Reproducible fixes the CycloneDX serial number and omits its timestamp.
	Reproducible bool `json:"-"`
}

// Tool names the scanner.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Target is the scanned artifact.
type Target struct {
	Name       string            `json:"name"`
	Kind       string            `json:"kind"`
	SHA256     string            `json:"sha256,omitempty"`
	CodeSHA256 string            `json:"codeSha256,omitempty"`
	Platform   string            `json:"platform,omitempty"`
	Parts      []artifact.Origin `json:"parts,omitempty"`
}

// Component is a package found in the target.
type Component struct {
	Name      string          `json:"name"`
	Version   string          `json:"version"`
	PURL      string          `json:"purl,omitempty"`
	Ecosystem string          `json:"ecosystem,omitempty"`
	Locations []sbom.Location `json:"locations"`
}

// Package identifies the affected package of a vulnerability.
type Package struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	PURL      string `json:"purl,omitempty"`
	Ecosystem string `json:"ecosystem,omitempty"`
}

// CVSS is one scored vector.
type CVSS struct {
	Version string  `json:"version"`
	Vector  string  `json:"vector"`
	Score   float64 `json:"score"`
}

// Vulnerability is one (vulnerability, package) finding with every place the
// package was found.
type Vulnerability struct {
	ID             string          `json:"id"`
	Aliases        []string        `json:"aliases"`
	Summary        string          `json:"summary,omitempty"`
	Severity       string          `json:"severity"`
	SeverityScore  float64         `json:"severityScore,omitempty"`
	SeveritySource string          `json:"severitySource,omitempty"`
	CVSS           []CVSS          `json:"cvss"`
	FixedVersions  []string        `json:"fixedVersions"`
	Package        Package         `json:"package"`
	Locations      []sbom.Location `json:"locations"`
	References     []string        `json:"references,omitempty"`
	// Suppression is set on suppressed vulnerabilities only.
	Suppression *policy.Suppression `json:"suppression,omitempty"`
}

// Format writes a Report in one output format.
type Format interface {
	Name() string
	Write(w io.Writer, r *Report) error
}

var formats = map[string]Format{}

func register(f Format) { formats[f.Name()] = f }

// Lookup returns the named format.
func Lookup(name string) (Format, bool) {
	f, ok := formats[name]
	return f, ok
}

// Names lists the formats, sorted.
func Names() []string {
	var out []string
	for n := range formats {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Build assembles a Report from the stages' results.
func Build(res *sbom.Result, vulns []vuln.Finding, suppressed []policy.SuppressedVuln, pkgs []vuln.Package, sec secrets.Result, warnings []artifact.Warning, toolVersion string) *Report {
	r := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "fnscan", Version: toolVersion},
		Target: Target{Name: res.Subject.Name, Kind: res.Subject.Kind, SHA256: res.Subject.SHA256,
			CodeSHA256: res.Subject.CodeSHA256, Platform: res.Subject.Platform, Parts: res.Parts},
		Components:      []Component{},
		Vulnerabilities: []Vulnerability{},
		Secrets:         []secrets.Finding{},
		Warnings:        append([]artifact.Warning{}, warnings...),
		SBOM:            res,
	}
	for i, c := range res.Components {
		eco := ""
		if i < len(pkgs) {
			eco = vuln.EcosystemOf(pkgs[i])
		}
		r.Components = append(r.Components, Component{Name: c.Name, Version: c.Version, PURL: c.PURL, Ecosystem: eco, Locations: c.Locations})
	}
	r.Vulnerabilities = vulnerabilities(res, vulns, nil)
	for _, s := range suppressed {
		r.SuppressedVulnerabilities = append(r.SuppressedVulnerabilities, vulnerabilities(res, []vuln.Finding{s.Finding}, &s.Suppression)...)
	}
	sortVulnerabilities(r.SuppressedVulnerabilities)
	r.Secrets = append(r.Secrets, sec.Findings...)
	r.Suppressed = sec.Suppressed
	r.Warnings = append(r.Warnings, sec.Warnings...)
	return r
}

// vulnerabilities makes one finding per (vulnerability, package, location):
// the same package in two layers is two things to fix.
func vulnerabilities(res *sbom.Result, vulns []vuln.Finding, supp *policy.Suppression) []Vulnerability {
	out := []Vulnerability{}
	for _, f := range vulns {
		v := Vulnerability{
			Suppression: supp,
			ID:          f.ID, Aliases: nonNil(f.Aliases), Summary: f.Summary,
			Severity: f.Severity.Level, SeverityScore: f.Severity.Score, SeveritySource: f.Severity.Source,
			CVSS: []CVSS{}, FixedVersions: nonNil(f.FixedVersions), References: f.References,
			Package: Package{Name: f.Package.Name, Version: f.Package.Version, PURL: f.Package.PURL, Ecosystem: vuln.EcosystemOf(f.Package)},
		}
		for _, c := range f.CVSS {
			v.CVSS = append(v.CVSS, CVSS{Version: c.Version, Vector: c.Vector, Score: c.Score})
		}
		seen := map[string]bool{}
		for _, i := range f.PackageIndex {
			if i >= len(res.Components) {
				continue
			}
			for _, l := range res.Components[i].Locations {
				if seen[l.Path] {
					continue
				}
				seen[l.Path] = true
				one := v
				one.Locations = []sbom.Location{l}
				out = append(out, one)
			}
		}
		if len(seen) == 0 {
			v.Locations = []sbom.Location{}
			out = append(out, v)
		}
	}
	sortVulnerabilities(out)
	return out
}

func sortVulnerabilities(vs []Vulnerability) {
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := vs[i], vs[j]
		if ra, rb := sevRank(a.Severity), sevRank(b.Severity); ra != rb {
			return ra > rb
		}
		if a.Package.Name != b.Package.Name {
			return a.Package.Name < b.Package.Name
		}
		if a.Package.Version != b.Package.Version {
			return a.Package.Version < b.Package.Version
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return where(a.Locations) < where(b.Locations)
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sevRank(s string) int {
	switch s {
	case "CRITICAL":
		return 5
	case "HIGH":
		return 4
	case "MEDIUM":
		return 3
	case "LOW":
		return 2
	case "NONE":
		return 1
	}
	return 0
}

// where renders locations compactly: the first path and a count of others.
func where(locs []sbom.Location) string {
	if len(locs) == 0 {
		return ""
	}
	s := locs[0].Path
	if o := locs[0].Origin; o.Kind == artifact.OriginImageLayer && o.Name != "" {
		s += " (" + short(o.Name) + ")"
	}
	if len(locs) > 1 {
		s += fmt.Sprintf(" (+%d)", len(locs)-1)
	}
	return s
}

func short(digest string) string {
	if len(digest) > 19 && strings.HasPrefix(digest, "sha256:") {
		return digest[:19]
	}
	return digest
}
