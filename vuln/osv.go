package vuln

import (
	"encoding/json"
	"time"
)

// The types below mirror the OSV schema (https://ossf.github.io/osv-schema/)
// field by field, for the parts fnscan reads. They hold no logic.

// Entry is one OSV record.
type Entry struct {
	SchemaVersion    string          `json:"schema_version,omitempty"`
	ID               string          `json:"id"`
	Modified         time.Time       `json:"modified"`
	Published        time.Time       `json:"published,omitzero"`
	Withdrawn        time.Time       `json:"withdrawn,omitzero"`
	Aliases          []string        `json:"aliases,omitempty"`
	Related          []string        `json:"related,omitempty"`
	Upstream         []string        `json:"upstream,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details,omitempty"`
	Severity         []SeverityEntry `json:"severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	References       []Reference     `json:"references,omitempty"`
	Credits          json.RawMessage `json:"credits,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// SeverityEntry is https://ossf.github.io/osv-schema/#severity-field.
type SeverityEntry struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is https://ossf.github.io/osv-schema/#affected-fields.
type Affected struct {
	Package           AffectedPackage `json:"package,omitzero"`
	Severity          []SeverityEntry `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// AffectedPackage is https://ossf.github.io/osv-schema/#affectedpackage-field.
type AffectedPackage struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is https://ossf.github.io/osv-schema/#affectedranges-field.
type Range struct {
	Type             string          `json:"type"`
	Repo             string          `json:"repo,omitempty"`
	Events           []Event         `json:"events"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Event is one entry of affected[].ranges[].events; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is https://ossf.github.io/osv-schema/#references-field.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Range types and severity types used by the matcher.
const (
	RangeSemver    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"

	SeverityCVSSV2 = "CVSS_V2"
	SeverityCVSSV3 = "CVSS_V3"
	SeverityCVSSV4 = "CVSS_V4"
	// SeverityUbuntu is Canonical's priority (negligible, low, medium,
	// high, critical, untriaged), the only severity of many UBUNTU- records.
	SeverityUbuntu = "Ubuntu"
)
