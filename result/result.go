// Package result holds the one Result of a scan: what was scanned, what was
// found, what was suppressed and why, and the verdict. Every later stage
// (policy, report, sign) and every output format reads it; the JSON report
// is this type encoded (docs/report.md). It imports the stages that produce
// findings (artifact, sbom, secrets, vuln) for their types and nothing later.
//
// A new kind of finding is a new field here plus its handling in policy and
// report; no function signature changes.
package result

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
	"github.com/fnscan/fnscan/vuln"
)

// SchemaVersion of the JSON report; bumped on incompatible change.
const SchemaVersion = "1"

// Result is everything a scan found.
type Result struct {
	SchemaVersion string `json:"schemaVersion"`
	Tool          Tool   `json:"tool"`
	Target        Target `json:"target"`
	// Stages are the stages that ran: "sbom", "vulnerabilities",
	// "secrets", "config". An empty list for a stage that did not run
	// means nothing was looked for, not that nothing was found.
	Stages          []string        `json:"stages"`
	Components      []Component     `json:"components"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
	// SuppressedVulnerabilities were taken out of the gate by an ignore or
	// a VEX statement; each says why.
	SuppressedVulnerabilities []Vulnerability   `json:"suppressedVulnerabilities,omitempty"`
	Secrets                   []secrets.Finding `json:"secrets"`
	Suppressed                []secrets.Finding `json:"suppressedSecrets,omitempty"`
	// Misconfigurations are deployment configuration findings (FNS-CFG
	// rules, see docs/config-checks.md).
	Misconfigurations           []Misconfiguration `json:"misconfigurations"`
	SuppressedMisconfigurations []Misconfiguration `json:"suppressedMisconfigurations,omitempty"`
	Warnings                    []artifact.Warning `json:"warnings"`
	// Database is the vulnerability data matched against, for the
	// ecosystems the target needs; nil when no matching ran.
	Database *Database `json:"database,omitempty"`
	Verdict  *Verdict  `json:"verdict,omitempty"`

	// ScanTime is when the scan ran (not in the JSON report, which stays
	// the same for the same input; attestations carry it).
	ScanTime time.Time `json:"-"`
	// SBOM is the cataloged target, for the CycloneDX formats.
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
	// ImageID is an image's config digest: VEX products may name it.
	ImageID string `json:"-"`
	// Dir is a directory target's absolute path: its files' virtual paths
	// ("NAME/src/x.js") are files there, which SARIF names for code scanning.
	Dir string `json:"-"`
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

// Vulnerability is one (vulnerability, package, location) finding: the same
// package in two layers is two things to fix.
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
	Suppression *Suppression `json:"suppression,omitempty"`
	// VEX is a VEX statement that keeps the finding in the gate (affected,
	// under_investigation): what the supplier said of it, for outputs that
	// carry an analysis (CycloneDX).
	VEX *Suppression `json:"vex,omitempty"`
}

// Misconfiguration is one deployment configuration finding: a rule that a
// resource of a template, or a deployed function, breaks.
type Misconfiguration struct {
	RuleID   string `json:"ruleId"` // FNS-CFG-NNN
	Title    string `json:"title"`
	Severity string `json:"severity"`
	// Resource is the logical id, Terraform address, serverless.yml
	// function key or deployed function name.
	Resource     string `json:"resource"`
	ResourceType string `json:"resourceType,omitempty"`
	// File and Line locate the offending element: a path (virtual inside
	// the target) or "lambda:NAME" for a deployed function.
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	// Evidence is the offending value, short; secrets are redacted.
	Evidence    string `json:"evidence,omitempty"`
	Remediation string `json:"remediation,omitempty"`
	CheckovID   string `json:"checkovId,omitempty"`
	// Suppression is set on suppressed findings only.
	Suppression *Suppression `json:"suppression,omitempty"`
}

// Stage names, in pipeline order.
const (
	StageSBOM    = "sbom"
	StageVulns   = "vulnerabilities"
	StageSecrets = "secrets"
	StageConfig  = "config"
)

// Ran reports whether a stage ran.
func (r *Result) Ran(stage string) bool {
	for _, s := range r.Stages {
		if s == stage {
			return true
		}
	}
	return false
}

// SortMisconfigurations orders by severity (highest first), resource,
// rule and place: misconfigurations are read per resource.
func SortMisconfigurations(ms []Misconfiguration) {
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if ra, rb := vuln.Rank(a.Severity), vuln.Rank(b.Severity); ra != rb {
			return ra > rb
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}

// Suppression says why a finding does not count against the gate.
type Suppression struct {
	Kind          string `json:"kind"`                    // "ignore" or "vex"
	Reason        string `json:"reason,omitempty"`        // the ignore's reason, or the VEX detail
	Expires       string `json:"expires,omitempty"`       // the ignore's expiry, as written
	Status        string `json:"status,omitempty"`        // VEX: not_affected or fixed
	Justification string `json:"justification,omitempty"` // VEX justification
	Source        string `json:"source,omitempty"`        // the policy file or VEX document
}

func (s Suppression) String() string {
	switch {
	case s.Kind == "vex" && s.Justification != "":
		return fmt.Sprintf("VEX %s: %s", s.Status, s.Justification)
	case s.Kind == "vex":
		return "VEX " + s.Status
	case s.Expires != "":
		return fmt.Sprintf("ignored until %s: %s", s.Expires, s.Reason)
	}
	return "ignored: " + s.Reason
}

// Database describes the vulnerability data a scan matched against.
type Database struct {
	// Source is the local database directory, or the OSV API's URL.
	Source string `json:"source"`
	// Ecosystems are those of the target's components that the database
	// holds, each with the modification time of its newest record: how
	// fresh the data is (a database that is not updated grows old).
	Ecosystems []DatabaseEcosystem `json:"ecosystems,omitempty"`
}

// DatabaseEcosystem is one ecosystem's records in the database.
type DatabaseEcosystem struct {
	Ecosystem      string    `json:"ecosystem"`
	Records        int       `json:"records"`
	NewestModified time.Time `json:"newestModified"`
}

// Newest is the newest record's time over the ecosystems (zero if none).
func (d *Database) Newest() time.Time {
	var t time.Time
	for _, e := range d.Ecosystems {
		if e.NewestModified.After(t) {
			t = e.NewestModified
		}
	}
	return t
}

// Verdict is the gate's decision and why.
type Verdict struct {
	Pass    bool     `json:"pass"`
	FailOn  string   `json:"failOn,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
	// Counts are vulnerabilities (per vulnerability and package) by
	// severity, and secrets under "SECRET".
	Counts map[string]int `json:"counts"`
	// ConfigCounts are misconfigurations by severity.
	ConfigCounts map[string]int `json:"configCounts,omitempty"`
	// PolicySHA256 is the hex sha256 of the policy file's bytes; "" when
	// no file was given.
	PolicySHA256 string `json:"policySha256,omitempty"`
}

// New starts the Result of a cataloged (or only described) target.
func New(res *sbom.Result, toolVersion string) *Result {
	r := &Result{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "fnscan", Version: toolVersion},
		Target: Target{Name: res.Subject.Name, Kind: res.Subject.Kind, SHA256: res.Subject.SHA256,
			CodeSHA256: res.Subject.CodeSHA256, Platform: res.Subject.Platform, Parts: res.Parts, ImageID: res.Subject.ImageID},
		Components:        []Component{},
		Vulnerabilities:   []Vulnerability{},
		Secrets:           []secrets.Finding{},
		Misconfigurations: []Misconfiguration{},
		Warnings:          []artifact.Warning{},
		Stages:            []string{},
		SBOM:              res,
	}
	for _, c := range res.Components {
		r.Components = append(r.Components, Component{Name: c.Name, Version: c.Version, PURL: c.PURL,
			Ecosystem: vuln.EcosystemOf(Match(c)), Locations: c.Locations})
	}
	return r
}

// Match is the vulnerability matcher's view of a component.
func Match(c sbom.Component) vuln.Package {
	return vuln.Package{Name: c.Name, Version: c.Version, PURL: c.PURL, Source: c.Source}
}

// AddVulnerabilities adds the matcher's findings, each resolved to every
// place its package was found. comps is the matcher's input, in order.
func (r *Result) AddVulnerabilities(found []vuln.Finding, comps []sbom.Component) {
	for _, f := range found {
		v := Vulnerability{
			ID: f.ID, Aliases: nonNil(f.Aliases), Summary: f.Summary,
			Severity: f.Severity.Level, SeverityScore: f.Severity.Score, SeveritySource: f.Severity.Source,
			CVSS: []CVSS{}, FixedVersions: nonNil(f.FixedVersions), References: f.References,
			Package: Package{Name: f.Package.Name, Version: f.Package.Version, PURL: f.Package.PURL, Ecosystem: vuln.EcosystemOf(f.Package)},
		}
		for _, c := range f.CVSS {
			v.CVSS = append(v.CVSS, CVSS{Version: c.Version, Vector: c.Vector, Score: c.Score})
		}
		seen := map[string]bool{}
		for _, i := range f.PackageIndex {
			if i >= len(comps) {
				continue
			}
			for _, l := range comps[i].Locations {
				if seen[l.Path] {
					continue
				}
				seen[l.Path] = true
				one := v
				one.Locations = []sbom.Location{l}
				r.Vulnerabilities = append(r.Vulnerabilities, one)
			}
		}
		if len(seen) == 0 {
			v.Locations = []sbom.Location{}
			r.Vulnerabilities = append(r.Vulnerabilities, v)
		}
	}
	SortVulnerabilities(r.Vulnerabilities)
}

// SortVulnerabilities orders by severity (highest first), package, ID and
// place: the order of every report.
func SortVulnerabilities(vs []Vulnerability) {
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := vs[i], vs[j]
		if ra, rb := vuln.Rank(a.Severity), vuln.Rank(b.Severity); ra != rb {
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
		return Where(a.Locations) < Where(b.Locations)
	})
}

// Where renders locations compactly: the first path and a count of others.
func Where(locs []sbom.Location) string {
	if len(locs) == 0 {
		return ""
	}
	s := locs[0].Path
	if o := locs[0].Origin; o.Kind == artifact.OriginImageLayer && o.Name != "" {
		s += " (" + shortDigest(o.Name) + ")"
	}
	if len(locs) > 1 {
		s += fmt.Sprintf(" (+%d)", len(locs)-1)
	}
	return s
}

func shortDigest(digest string) string {
	if len(digest) > 19 && strings.HasPrefix(digest, "sha256:") {
		return digest[:19]
	}
	return digest
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
