// Package report renders a scan result. Each output format is one file
// implementing Format; all of them render the one result.Result, whose JSON
// encoding is the documented protocol (docs/report.md). It imports every
// earlier stage for its types and nothing later.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
)

// Format writes a Result in one output format.
type Format interface {
	Name() string
	Write(w io.Writer, r *result.Result) error
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

// where renders locations compactly: the first path and a count of others.
func where(locs []sbom.Location) string { return result.Where(locs) }

// summary counts what the stages that ran found: "60 components, 26
// vulnerabilities, 0 secrets, 3 misconfigurations".
func summary(r *result.Result) string {
	var parts []string
	count := func(n int, one, many string) { parts = append(parts, plural(n, one, many)) }
	if r.Ran(result.StageSBOM) {
		count(len(r.Components), "component", "components")
	}
	if r.Ran(result.StageVulns) {
		count(len(r.Vulnerabilities), "vulnerability", "vulnerabilities")
	}
	if r.Ran(result.StageSecrets) {
		count(len(r.Secrets), "secret", "secrets")
	}
	if r.Ran(result.StageConfig) {
		count(len(r.Misconfigurations), "misconfiguration", "misconfigurations")
	}
	if len(parts) == 0 {
		return "nothing scanned"
	}
	return strings.Join(parts, ", ")
}

// plural counts: "1 warning", "2 warnings".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// group is one resource's misconfigurations.
type group struct {
	name  string
	items []result.Misconfiguration
}

// byResource groups misconfigurations by resource, the most severe
// resource first (the input is sorted by severity).
func byResource(ms []result.Misconfiguration) []group {
	var out []group
	index := map[string]int{}
	for _, m := range ms {
		key := m.Resource
		if m.ResourceType != "" {
			key += " (" + m.ResourceType + ")"
		}
		i, ok := index[key+"\x00"+m.File]
		if !ok {
			i = len(out)
			index[key+"\x00"+m.File] = i
			out = append(out, group{name: key})
		}
		out[i].items = append(out[i].items, m)
	}
	return out
}

// secretRule names a secret's rule and what held it: the config variable,
// or a name (a path or a symlink target) rather than a file's content.
func secretRule(s secrets.Finding) string {
	switch {
	case s.Variable != "":
		return s.RuleID + " (" + s.Variable + ")"
	case s.Source == secrets.SourceName:
		return s.RuleID + " (in name)"
	case s.Source == secrets.SourceBinary:
		return s.RuleID + " (in binary)"
	}
	return s.RuleID
}

func lineRef(file string, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", file, line)
	}
	return file
}

// clipText shortens long evidence for a terminal; JSON keeps it whole.
func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// threshold says which gate applied to a pass: " (fail-on HIGH)", or that
// the run only reports.
func threshold(r *result.Result) string {
	v := r.Verdict
	if v == nil || !(r.Ran(result.StageVulns) || r.Ran(result.StageConfig)) {
		return ""
	}
	switch v.FailOn {
	case "", "NONE":
		return " (report only: --fail-on none)"
	}
	return " (fail-on " + v.FailOn + ")"
}

// dbAges is "npm: 85 records, newest 2024-09-10 (812 days old)", one per
// ecosystem the target needs. Age is measured from the scan, or from now.
func dbAges(d *result.Database, at time.Time) string {
	if at.IsZero() {
		at = time.Now()
	}
	var parts []string
	for _, e := range d.Ecosystems {
		days := int(at.Sub(e.NewestModified).Hours() / 24)
		parts = append(parts, fmt.Sprintf("%s: %s, newest %s (%s old)", e.Ecosystem, plural(e.Records, "record", "records"),
			e.NewestModified.Format("2006-01-02"), plural(max(days, 0), "day", "days")))
	}
	return strings.Join(parts, "; ")
}
