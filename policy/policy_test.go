package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/fnscan/fnscan/artifact"
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
		{"unrated fails high", vs("UNKNOWN"), 0, Config{FailOn: "high"}, false},
		{"unrated fails critical", vs("UNKNOWN"), 0, Config{FailOn: "critical"}, false},
		{"unrated under none", vs("UNKNOWN"), 0, Config{FailOn: "none"}, true},
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

// failOnIncomplete fails on warnings marked Unscanned, whatever their text,
// and on nothing else.
func TestEvaluateIncomplete(t *testing.T) {
	unscanned := artifact.Warning{Path: "fn.zip!lib/a.zip", Message: "skipped corrupt archive: zip: not a valid zip file", Unscanned: true}
	other := artifact.Warning{Path: "fn.zip!x", Message: "refused: not scanned", Unscanned: false} // text alone decides nothing
	cases := []struct {
		name     string
		warnings []artifact.Warning
		cfg      Config
		pass     bool
		reason   string
	}{
		{"off: unscanned passes", []artifact.Warning{unscanned}, Config{}, true, ""},
		{"on: unscanned fails", []artifact.Warning{unscanned, other}, Config{FailOnIncomplete: true}, false, "1 file or archive not scanned"},
		{"on: counts each", []artifact.Warning{unscanned, unscanned, other}, Config{FailOnIncomplete: true}, false, "2 files or archives not scanned"},
		{"on: other warnings pass", []artifact.Warning{other}, Config{FailOnIncomplete: true}, true, ""},
		{"on: with failOn none", []artifact.Warning{unscanned}, Config{FailOn: "none", FailOnIncomplete: true}, false, "not scanned"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := result.New(&sbom.Result{}, "test")
			res.Warnings = c.warnings
			v := Evaluate(res, c.cfg)
			if v.Pass != c.pass {
				t.Errorf("pass = %v, want %v (%v)", v.Pass, c.pass, v.Reasons)
			}
			if c.reason != "" && !strings.Contains(strings.Join(v.Reasons, "; "), c.reason) {
				t.Errorf("reasons %q, want %q", v.Reasons, c.reason)
			}
		})
	}
}

func TestLoadFileFailOnIncomplete(t *testing.T) {
	for body, want := range map[string]*bool{"": nil, "failOnIncomplete: true\n": ptr(true), "failOnIncomplete: false\n": ptr(false)} {
		f, err := LoadFile(writePolicy(t, body))
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if (f.FailOnIncomplete == nil) != (want == nil) || (want != nil && *f.FailOnIncomplete != *want) {
			t.Errorf("%q: failOnIncomplete = %v, want %v", body, f.FailOnIncomplete, want)
		}
	}
	if _, err := LoadFile(writePolicy(t, "failOnIncomplete: sometimes\n")); err == nil {
		t.Error("failOnIncomplete: sometimes accepted")
	}
}

func ptr[T any](v T) *T { return &v }

// Days past what a time.Duration holds are refused, not wrapped (a negative
// age switched the age checks off).
func TestParseAgeBounds(t *testing.T) {
	if d, err := ParseAge("106751d"); err != nil || d != 106751*24*time.Hour {
		t.Errorf("106751d: %v %v", d, err)
	}
	for _, s := range []string{"106752d", "213504d", "9999999999d", "0d", "-1d", "2562048h", "x"} {
		if d, err := ParseAge(s); err == nil {
			t.Errorf("%s: accepted as %v", s, d)
		}
	}
}
