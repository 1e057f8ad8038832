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

// The run prefilter: facebook's token needs 15 digits in a row,
// sourcegraph's 40 hex characters in every branch; a rule with no long
// required run gets none.
func TestAnalyzeRun(t *testing.T) {
	fb := analyzeRun(`(?i)\b(\d{15,16}(\||%)[0-9a-z\-_]{27,40})(?:[\x60'"\s;]|\\[nr]|$)`)
	if fb == nil || fb.min < 15 {
		t.Fatalf("facebook: %+v", fb)
	}
	if fb.present("id=12345678901234 short") || !fb.present("x 123456789012345|abc") {
		t.Error("facebook run check wrong")
	}
	sg := analyzeRun(`(?i)\b(\b(sgp_(?:[a-fA-F0-9]{16}|local)_[a-fA-F0-9]{40}|sgp_[a-fA-F0-9]{40}|[a-fA-F0-9]{40})\b)`)
	if sg == nil || sg.min != 40 || !sg.class['A'] || sg.class['g'] {
		t.Fatalf("sourcegraph: %+v", sg)
	}
	if r := analyzeRun(`\bcurl\b.*(?:-u|--user)`); r != nil {
		t.Errorf("curl rule got a run requirement %+v", r)
	}
}
