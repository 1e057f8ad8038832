package policy

import (
	"testing"

	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
	"github.com/fnscan/fnscan/vuln"
)

func TestEvaluate(t *testing.T) {
	vs := func(levels ...string) []vuln.Finding {
		var out []vuln.Finding
		for _, l := range levels {
			out = append(out, vuln.Finding{ID: "X-" + l, Severity: vuln.Severity{Level: l}})
		}
		return out
	}
	cases := []struct {
		name    string
		vulns   []vuln.Finding
		secrets int
		cfg     Config
		pass    bool
	}{
		{"no policy", vs("CRITICAL"), 1, Config{}, true},
		{"below threshold", vs("MEDIUM", "LOW"), 0, Config{FailOn: "high"}, true},
		{"at threshold", vs("MEDIUM", "HIGH"), 0, Config{FailOn: "high"}, false},
		{"above threshold", vs("CRITICAL"), 0, Config{FailOn: "HIGH"}, false},
		{"unknown does not fail high", vs("UNKNOWN"), 0, Config{FailOn: "high"}, true},
		{"none", vs("CRITICAL"), 0, Config{FailOn: "none"}, true},
		{"secret fails", nil, 1, Config{Secrets: true}, false},
		{"no secret passes", nil, 0, Config{Secrets: true}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := result.New(&sbom.Result{}, "test")
			res.AddVulnerabilities(c.vulns, nil)
			res.Secrets = make([]secrets.Finding, c.secrets)
			v := Evaluate(res, c.cfg)
			if v.Pass != c.pass {
				t.Errorf("pass = %v, want %v (%v)", v.Pass, c.pass, v.Reasons)
			}
			if !v.Pass && len(v.Reasons) == 0 {
				t.Error("failed without a reason")
			}
		})
	}
	if err := (Config{FailOn: "severe"}).Validate(); err == nil {
		t.Error("bad fail-on accepted")
	}
}
