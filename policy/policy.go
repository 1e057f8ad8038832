// Package policy turns findings into a gate decision. It is a pure function
// of the findings and the policy; it imports vuln and secrets for their
// finding types and nothing later in the pipeline.
package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fnscan/fnscan/secrets"
	"github.com/fnscan/fnscan/vuln"
)

// Levels from lowest to highest; "" fails on nothing.
var levels = []string{"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

func rank(level string) int {
	for i, l := range levels {
		if l == level {
			return i
		}
	}
	return 0
}

// Config is the gate.
type Config struct {
	// FailOn is the lowest severity that fails: LOW, MEDIUM, HIGH,
	// CRITICAL; "" or "none" never fails on vulnerabilities.
	FailOn string
	// Secrets fails the gate on any unsuppressed secret.
	Secrets bool
}

// Validate checks FailOn.
func (c Config) Validate() error {
	switch strings.ToUpper(c.FailOn) {
	case "", "NONE", "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL":
		return nil
	}
	return fmt.Errorf("--fail-on %q: want none, low, medium, high or critical", c.FailOn)
}

// Verdict is the decision and why.
type Verdict struct {
	Pass    bool           `json:"pass"`
	FailOn  string         `json:"failOn,omitempty"`
	Reasons []string       `json:"reasons,omitempty"`
	Counts  map[string]int `json:"counts"`
}

// Evaluate applies the policy.
func Evaluate(vulns []vuln.Finding, found []secrets.Finding, cfg Config) Verdict {
	v := Verdict{Pass: true, Counts: map[string]int{}}
	failOn := strings.ToUpper(cfg.FailOn)
	if failOn != "" && failOn != "NONE" {
		v.FailOn = failOn
	}
	failing := map[string]int{}
	for _, f := range vulns {
		v.Counts[f.Severity.Level]++
		if v.FailOn != "" && rank(f.Severity.Level) >= rank(v.FailOn) && f.Severity.Level != "UNKNOWN" || v.FailOn == "UNKNOWN" {
			failing[f.Severity.Level]++
		}
	}
	v.Counts["SECRET"] = len(found)
	var levelsFailing []string
	for l := range failing {
		levelsFailing = append(levelsFailing, l)
	}
	sort.Slice(levelsFailing, func(i, j int) bool { return rank(levelsFailing[i]) > rank(levelsFailing[j]) })
	for _, l := range levelsFailing {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d %s vulnerabilities (fail-on %s)", failing[l], l, v.FailOn))
	}
	if cfg.Secrets && len(found) > 0 {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d hardcoded secrets", len(found)))
	}
	v.Pass = len(v.Reasons) == 0
	return v
}
