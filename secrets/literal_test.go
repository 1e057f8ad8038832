package secrets

import "testing"

// A rule whose alternatives all start with a keyword (after syntax.Parse
// factors out their common "A") is windowed; one whose match need not
// contain its keyword is not.
func TestAnalyzeWindow(t *testing.T) {
	cases := []struct {
		expr     string
		keywords []string
		ok       bool
	}{
		{`\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b`, []string{"a3t", "akia", "asia", "abia", "acca"}, true},
		{`\b(dapi[a-f0-9]{32}(?:-\d)?)(?:[\x60'"\s;]|\\[nr]|$)`, []string{"dapi"}, true},
		{`(?i)\b(\d{15,16}(\||%)[0-9a-z\-_]{27,40})`, []string{"facebook"}, false},
		{`[a-f0-9]{40}`, []string{"sgp_"}, false},
		{`(?:AKIA|x)[A-Z]{16}`, []string{"akia"}, false},
	}
	for _, c := range cases {
		if got := analyzeWindow(c.expr, c.keywords); got.ok != c.ok {
			t.Errorf("%s: window ok = %v, want %v", c.expr, got.ok, c.ok)
		}
	}
}
