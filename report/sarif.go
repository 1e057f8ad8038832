package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
)

type sarifFormat struct{}

func init() { register(sarifFormat{}) }

func (sarifFormat) Name() string { return "sarif" }

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
	// Properties say which threshold the gate applied and what it
	// decided, as every other format does.
	Properties map[string]any `json:"properties,omitempty"`
}

// sarifInvocation carries warnings (what was skipped or refused) as tool
// execution notifications: code scanning shows them beside the results.
type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	ShortDescription sarifText      `json:"shortDescription"`
	Help             *sarifText     `json:"help,omitempty"`
	HelpURI          string         `json:"helpUri,omitempty"`
	Properties       map[string]any `json:"properties,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
}

// sarifSuppression marks a result that does not count: code scanning
// shows it as dismissed, with the justification.
type sarifSuppression struct {
	Kind          string `json:"kind"` // inSource (fnscan:allow) or external
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

func sarifLevel(sev string) string {
	switch sev {
	case "CRITICAL", "HIGH":
		return "error"
	case "MEDIUM":
		return "warning"
	}
	return "note"
}

// sarifPaths turns the report's paths into artifact URIs as code scanning
// resolves them: relative to the repository root, which is where CI runs.
// A file on disk (in a directory target, or a config file given by path)
// is named relative to the working directory, or as a file:// URI outside
// it; a path inside an archive or image is a relative reference of its own
// ("fn.zip!index.js": no file to annotate, still one location per file).
type sarifPaths struct {
	image    bool   // absolute paths are the image's, not this machine's
	dirName  string // a directory target's name, first in its virtual paths
	dir, cwd string
}

func newSarifPaths(r *result.Result) sarifPaths {
	sp := sarifPaths{dir: r.Target.Dir}
	switch r.Target.Kind {
	case "docker-archive", "oci-archive", "oci-dir", "registry", "sbom":
		// An SBOM's locations are paths of the system it describes.
		sp.image = true
	}
	if sp.dir != "" {
		sp.dirName = r.Target.Name
	}
	sp.cwd, _ = os.Getwd()
	return sp
}

func (sp sarifPaths) uri(p string) string {
	if sp.dir != "" {
		if rest, ok := strings.CutPrefix(p, sp.dirName+"/"); ok && !strings.Contains(rest, "!") {
			return sp.local(filepath.Join(sp.dir, filepath.FromSlash(rest)))
		}
	}
	if !sp.image && filepath.IsAbs(p) && !strings.Contains(p, "!") {
		return sp.local(p)
	}
	return escapePath(strings.TrimPrefix(p, "/"))
}

func (sp sarifPaths) local(p string) string {
	if sp.cwd != "" {
		if rel, err := filepath.Rel(sp.cwd, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return escapePath(filepath.ToSlash(rel))
		}
	}
	return "file://" + escapePath(filepath.ToSlash(p))
}

// escapePath percent-encodes what RFC 3986 does not allow in a URI path:
// unreserved characters, sub-delims ("!" among them), ":", "@" and "/" stay.
func escapePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// fingerprint is a result's identity across runs (code scanning's
// partialFingerprints): rule, where and what, not the wording.
func fingerprint(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

func (sarifFormat) Write(w io.Writer, r *result.Result) error {
	sp := newSarifPaths(r)
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "fnscan", Version: r.Tool.Version, InformationURI: "https://github.com/fnscan/fnscan", Rules: []sarifRule{}}}, Results: []sarifResult{}}
	rules := map[string]sarifRule{}
	for _, v := range append(append([]result.Vulnerability{}, r.Vulnerabilities...), r.SuppressedVulnerabilities...) {
		if _, ok := rules[v.ID]; !ok {
			desc := v.Summary
			if desc == "" {
				desc = v.ID
			}
			rules[v.ID] = sarifRule{ID: v.ID, ShortDescription: sarifText{desc}, HelpURI: "https://osv.dev/vulnerability/" + v.ID,
				Properties: map[string]any{"security-severity": vulnScore(v), "tags": []string{"security", "vulnerability"}}}
		}
		res := sarifResult{RuleID: v.ID, Level: sarifLevel(v.Severity),
			Message:             sarifText{fmt.Sprintf("%s %s is affected by %s (%s)%s", v.Package.Name, v.Package.Version, v.ID, v.Severity, fixedText(v.FixedVersions))},
			PartialFingerprints: map[string]string{"fnscan/v1": fingerprint(v.ID, v.Package.PURL, v.Package.Name, v.Package.Version, locationsKey(v.Locations))}}
		for _, l := range v.Locations {
			res.Locations = append(res.Locations, sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sp.uri(l.Path)}}})
		}
		if len(res.Locations) == 0 {
			res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sp.uri(r.Target.Name)}}}}
		}
		if v.Suppression != nil {
			res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: v.Suppression.String()}}
		}
		run.Results = append(run.Results, res)
	}
	for _, s := range append(append([]secrets.Finding{}, r.Secrets...), r.Suppressed...) {
		id := "secret/" + s.RuleID
		if _, ok := rules[id]; !ok {
			rules[id] = sarifRule{ID: id, ShortDescription: sarifText{s.Description}, Properties: map[string]any{"security-severity": "9.0", "tags": []string{"security", "secret"}}}
		}
		res := sarifResult{RuleID: id, Level: "error",
			Message: sarifText{fmt.Sprintf("%s: %s", s.Description, s.Redacted)},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sp.uri(s.Path)},
				Region: &sarifRegion{StartLine: max(s.Line, 1)}}}},
			PartialFingerprints: map[string]string{"fnscan/v1": s.Fingerprint}}
		if s.Reason != "" {
			kind := "external"
			if strings.HasPrefix(s.Reason, "fnscan:allow") || strings.HasPrefix(s.Reason, "gitleaks:allow") {
				kind = "inSource"
			}
			res.Suppressions = []sarifSuppression{{Kind: kind, Status: "accepted", Justification: s.Reason}}
		}
		run.Results = append(run.Results, res)
	}
	for _, m := range append(append([]result.Misconfiguration{}, r.Misconfigurations...), r.SuppressedMisconfigurations...) {
		if _, ok := rules[m.RuleID]; !ok {
			tags := []string{"security", "misconfiguration"}
			if m.CheckovID != "" {
				tags = append(tags, m.CheckovID)
			}
			rules[m.RuleID] = sarifRule{ID: m.RuleID, ShortDescription: sarifText{m.Title}, Help: &sarifText{m.Remediation},
				HelpURI:    "https://github.com/fnscan/fnscan/blob/main/docs/config-checks.md",
				Properties: map[string]any{"security-severity": configScore(m.Severity), "tags": tags}}
		}
		msg := fmt.Sprintf("%s: %s", m.Resource, m.Title)
		if m.Evidence != "" {
			msg += " (" + m.Evidence + ")"
		}
		res := sarifResult{RuleID: m.RuleID, Level: sarifLevel(m.Severity), Message: sarifText{msg},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sp.uri(m.File)},
				Region: &sarifRegion{StartLine: max(m.Line, 1)}}}},
			PartialFingerprints: map[string]string{"fnscan/v1": fingerprint(m.RuleID, m.File, m.Resource, m.Evidence)}}
		if m.Suppression != nil {
			res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: m.Suppression.String()}}
		}
		run.Results = append(run.Results, res)
	}
	if v := r.Verdict; v != nil {
		run.Properties = map[string]any{"fnscan:verdict": map[bool]string{true: "pass", false: "fail"}[v.Pass], "fnscan:failOn": v.FailOn}
		if len(v.Reasons) > 0 {
			run.Properties["fnscan:reasons"] = v.Reasons
		}
	}
	if len(r.Warnings) > 0 {
		inv := sarifInvocation{ExecutionSuccessful: true}
		for _, wn := range r.Warnings {
			inv.Notifications = append(inv.Notifications, sarifNotification{Level: "warning", Message: sarifText{wn.String()},
				Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sp.uri(wn.Path)}}}}})
		}
		run.Invocations = []sarifInvocation{inv}
	}
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rules[id])
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

// vulnScore is the CVSS score behind the severity, or, for a severity
// from a label alone (GHSA, Ubuntu), its level's score (0.0 would read as
// low).
func vulnScore(v result.Vulnerability) string {
	if v.SeverityScore > 0 && !labelled(v) {
		return fmt.Sprintf("%.1f", v.SeverityScore)
	}
	return configScore(v.Severity)
}

func locationsKey(ls []sbom.Location) string {
	var ps []string
	for _, l := range ls {
		ps = append(ps, l.Path)
	}
	return strings.Join(ps, "\n")
}

// configScore is GitHub's security-severity for a rule's level (its
// bands: critical ≥ 9, high ≥ 7, medium ≥ 4).
func configScore(sev string) string {
	switch sev {
	case "CRITICAL":
		return "9.0"
	case "HIGH":
		return "7.5"
	case "MEDIUM":
		return "5.0"
	}
	return "2.0"
}

func fixedText(fixed []string) string {
	if len(fixed) == 0 {
		return ""
	}
	return "; fixed in " + strings.Join(fixed, ", ")
}
