package vuln

import (
	"encoding/json"
	"fmt"
	"strings"

	cvss20 "github.com/pandatix/go-cvss/20"
	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"
)

// Severity levels, highest first.
const (
	LevelCritical = "CRITICAL"
	LevelHigh     = "HIGH"
	LevelMedium   = "MEDIUM"
	LevelLow      = "LOW"
	LevelNone     = "NONE"
	LevelUnknown  = "UNKNOWN"
)

// Severity is the overall severity of a finding.
type Severity struct {
	Level  string  // one of the Level constants
	Score  float64 // base score; 0 when Source is "ghsa" or empty
	Source string  // "CVSS:2.0", "CVSS:3.0", "CVSS:3.1", "CVSS:4.0", "ghsa", "ubuntu" or "" for UNKNOWN
}

// CVSS is one scored vector from a record.
type CVSS struct {
	Version string // "2.0", "3.0", "3.1" or "4.0"
	Vector  string
	Score   float64
}

// Rank orders severity levels: UNKNOWN (and anything else) 0, NONE 1, LOW 2,
// MEDIUM 3, HIGH 4, CRITICAL 5. Every stage ranks with it.
func Rank(level string) int {
	switch level {
	case LevelCritical:
		return 5
	case LevelHigh:
		return 4
	case LevelMedium:
		return 3
	case LevelLow:
		return 2
	case LevelNone:
		return 1
	}
	return 0
}

// ScoreCVSS scores a CVSS v2, v3.0, v3.1 or v4.0 vector. v2 vectors carry no
// prefix; a "CVSS:2.0/" prefix or surrounding parentheses are tolerated.
func ScoreCVSS(vector string) (CVSS, error) {
	v := strings.Trim(strings.TrimSpace(vector), "()")
	switch {
	case strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := cvss40.ParseVector(v)
		if err != nil {
			return CVSS{}, fmt.Errorf("cvss vector %q: %w", vector, err)
		}
		return CVSS{Version: "4.0", Vector: v, Score: c.Score()}, nil
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := cvss31.ParseVector(v)
		if err != nil {
			return CVSS{}, fmt.Errorf("cvss vector %q: %w", vector, err)
		}
		return CVSS{Version: "3.1", Vector: v, Score: c.BaseScore()}, nil
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := cvss30.ParseVector(v)
		if err != nil {
			return CVSS{}, fmt.Errorf("cvss vector %q: %w", vector, err)
		}
		return CVSS{Version: "3.0", Vector: v, Score: c.BaseScore()}, nil
	}
	v = strings.TrimPrefix(v, "CVSS:2.0/")
	c, err := cvss20.ParseVector(v)
	if err != nil {
		return CVSS{}, fmt.Errorf("cvss vector %q: %w", vector, err)
	}
	return CVSS{Version: "2.0", Vector: v, Score: c.BaseScore()}, nil
}

// Level gives the qualitative rating of a score: the v3/v4 scale, or the
// NVD v2 scale (LOW < 4, MEDIUM < 7, HIGH) for version "2.0".
func Level(version string, score float64) string {
	if version == "2.0" {
		switch {
		case score < 4:
			return LevelLow
		case score < 7:
			return LevelMedium
		}
		return LevelHigh
	}
	switch {
	case score == 0:
		return LevelNone
	case score < 4:
		return LevelLow
	case score < 7:
		return LevelMedium
	case score < 9:
		return LevelHigh
	}
	return LevelCritical
}

// ghsaLevel maps GitHub's database_specific.severity to a level.
func ghsaLevel(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CRITICAL":
		return LevelCritical
	case "HIGH":
		return LevelHigh
	case "MODERATE", "MEDIUM":
		return LevelMedium
	case "LOW":
		return LevelLow
	}
	return ""
}

// higher reports whether a is more severe than b: by level, then score, then
// a newer CVSS version.
func higher(a, b Severity) bool {
	if ra, rb := Rank(a.Level), Rank(b.Level); ra != rb {
		return ra > rb
	}
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Source > b.Source
}

// recordSeverity scores the record's severity entries (top level and the
// given affected entries) and returns the highest of them and the GHSA
// label, else UNKNOWN.
func recordSeverity(e *brief, affected []int) (Severity, []CVSS) {
	entries := append([]SeverityEntry(nil), e.Severity...)
	for _, i := range affected {
		entries = append(entries, e.AffectedSeverity[i]...)
	}
	best := Severity{Level: LevelUnknown}
	var scored []CVSS
	seen := map[string]bool{}
	for _, s := range entries {
		switch s.Type {
		case SeverityCVSSV2, SeverityCVSSV3, SeverityCVSSV4:
		default:
			continue
		}
		c, err := ScoreCVSS(s.Score)
		if err != nil || seen[c.Vector] {
			continue
		}
		seen[c.Vector] = true
		scored = append(scored, c)
		sev := Severity{Level: Level(c.Version, c.Score), Score: c.Score, Source: "CVSS:" + c.Version}
		if best.Source == "" || higher(sev, best) {
			best = sev
		}
	}
	// GitHub's reviewed rating and Ubuntu's priority count like a score:
	// the highest level wins, and on a tie the CVSS score, which says
	// more, is kept.
	if l := ghsaLevel(e.GHSASeverity); l != "" && Rank(l) > Rank(best.Level) {
		best = Severity{Level: l, Source: "ghsa"}
	}
	for _, s := range entries {
		if l := ubuntuLevel(s); l != "" && Rank(l) > Rank(best.Level) {
			best = Severity{Level: l, Source: "ubuntu"}
		}
	}
	return best, scored
}

// ubuntuLevel reads an Ubuntu priority; "negligible" is LOW, the lowest
// level there is, and "untriaged" no level.
func ubuntuLevel(s SeverityEntry) string {
	if s.Type != SeverityUbuntu {
		return ""
	}
	switch strings.ToLower(strings.TrimSpace(s.Score)) {
	case "critical":
		return LevelCritical
	case "high":
		return LevelHigh
	case "medium":
		return LevelMedium
	case "low", "negligible":
		return LevelLow
	}
	return ""
}

func databaseSeverity(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var ds struct {
		Severity any `json:"severity"`
	}
	if json.Unmarshal(raw, &ds) != nil {
		return ""
	}
	s, _ := ds.Severity.(string)
	return s
}
