// Package policy turns findings into a gate decision. It is a pure function
// of the Result and the policy; it imports result (and vuln for severity
// ranking) and nothing later in the pipeline.
package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/vuln"
)

// Config is the gate.
type Config struct {
	// FailOn is the lowest severity that fails: LOW, MEDIUM, HIGH,
	// CRITICAL; "" or "none" never fails on vulnerabilities.
	FailOn string
	// Secrets fails the gate on any unsuppressed secret.
	Secrets bool
	// FailOnIncomplete fails the gate when a file or archive of the target
	// was left unscanned (a warning marked Unscanned): a limit, a refused
	// entry, a corrupt or too deeply nested archive.
	FailOnIncomplete bool
}

// Validate checks FailOn.
func (c Config) Validate() error {
	switch strings.ToUpper(c.FailOn) {
	case "", "NONE", "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL":
		return nil
	}
	return fmt.Errorf("--fail-on %q: want none, low, medium, high, critical or unknown", c.FailOn)
}

// Verdict is the decision and why.
type Verdict = result.Verdict

// Evaluate decides the gate on the findings that still count (Apply has
// taken the suppressed ones out). Counts are per vulnerability and package,
// however many places the package was found in.
func Evaluate(res *result.Result, cfg Config) Verdict {
	v := Verdict{Pass: true, Counts: map[string]int{}}
	v.FailOn = strings.ToUpper(cfg.FailOn)
	failing := map[string]int{}
	seen := map[result.Package]map[string]bool{}
	for _, f := range res.Vulnerabilities {
		if seen[f.Package][f.ID] {
			continue
		}
		if seen[f.Package] == nil {
			seen[f.Package] = map[string]bool{}
		}
		seen[f.Package][f.ID] = true
		v.Counts[f.Severity]++
		if Fails(f.Severity, v.FailOn) {
			failing[f.Severity]++
		}
	}
	v.Counts["SECRET"] = len(res.Secrets)
	failingConfig := map[string]int{}
	for _, m := range res.Misconfigurations {
		if v.ConfigCounts == nil {
			v.ConfigCounts = map[string]int{}
		}
		v.ConfigCounts[m.Severity]++
		if Fails(m.Severity, v.FailOn) {
			failingConfig[m.Severity]++
		}
	}
	var levelsFailing []string
	for l := range failing {
		levelsFailing = append(levelsFailing, l)
	}
	sort.Slice(levelsFailing, func(i, j int) bool { return vuln.Rank(levelsFailing[i]) > vuln.Rank(levelsFailing[j]) })
	for _, l := range levelsFailing {
		why := "fail-on " + v.FailOn
		if l == vuln.LevelUnknown && v.FailOn != vuln.LevelUnknown {
			why += ": unrated, not known to be below it"
		}
		v.Reasons = append(v.Reasons, fmt.Sprintf("%s (%s)", plural(failing[l], l+" vulnerability", l+" vulnerabilities"), why))
	}
	levelsFailing = levelsFailing[:0]
	for l := range failingConfig {
		levelsFailing = append(levelsFailing, l)
	}
	sort.Slice(levelsFailing, func(i, j int) bool { return vuln.Rank(levelsFailing[i]) > vuln.Rank(levelsFailing[j]) })
	for _, l := range levelsFailing {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%s (fail-on %s)", plural(failingConfig[l], l+" misconfiguration", l+" misconfigurations"), v.FailOn))
	}
	if cfg.Secrets && len(res.Secrets) > 0 {
		v.Reasons = append(v.Reasons, plural(len(res.Secrets), "hardcoded secret", "hardcoded secrets"))
	}
	if cfg.FailOnIncomplete {
		n := 0
		for _, w := range res.Warnings {
			if w.Unscanned {
				n++
			}
		}
		if n > 0 {
			v.Reasons = append(v.Reasons, plural(n, "file or archive", "files or archives")+" not scanned (failOnIncomplete; see the warnings)")
		}
	}
	v.Pass = len(v.Reasons) == 0
	return v
}

// Fails says whether a finding of this severity fails a gate set to
// failOn: at or above the threshold, and unrated (UNKNOWN: the record has
// no severity, as no Go vulndb record and most PyPI ones do) at any
// threshold, since it is not known to be below it; "" and NONE fail
// nothing. failOn UNKNOWN fails everything.
func Fails(severity, failOn string) bool {
	switch failOn {
	case "", "NONE":
		return false
	case vuln.LevelUnknown:
		return true
	}
	return severity == vuln.LevelUnknown || vuln.Rank(severity) >= vuln.Rank(failOn)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
