package secrets

import (
	"testing"

	"github.com/zricethezav/gitleaks/v8/config"
)

// The lean copies of gitleaks' allowlists answer exactly as the validated
// originals, including where Validate's joined regex lets a leading (?i)
// reach the patterns after it.
func TestLeanAllowlistsAnswerTheSame(t *testing.T) {
	cfg, err := gitleaksConfig()
	if err != nil {
		t.Fatal(err)
	}
	var lists []*config.Allowlist
	lists = append(lists, cfg.Allowlists...)
	for _, r := range cfg.Rules {
		lists = append(lists, r.Allowlists...)
	}
	probes := []string{
		"${Api_Key}", "${API_KEY}", "${api_key}", "true", "TRUE", "NULL", "changeme", "CHANGEME", "example",
		"PACKAGE-LOCK.JSON", "package-lock.json", "NODE_MODULES/x.js", "node_modules/x.js", "GO.SUM", "go.sum",
		"GRADLEW", "a/PIPFILE.LOCK", "YARN.LOCK", "img.PNG", "x/vendor/y.go", "abcdefABCDEF0123456789", "AKIAIOSFODNN7EXAMPLE",
		"ghp_000000000000000000000000000000000000", "-----BEGIN PRIVATE KEY-----", "p4ssw0rd", "xxxxxxxx", "12345678",
	}
	if len(lists) < 10 {
		t.Fatalf("only %d allowlists in the default config", len(lists))
	}
	lean := leanAllowlists(lists)
	for i, a := range lists {
		l := lean[i]
		for _, p := range probes {
			if got, want := l.RegexAllowed(p), a.RegexAllowed(p); got != want {
				t.Errorf("allowlist %d (%s): RegexAllowed(%q) = %v, gitleaks %v", i, a.Description, p, got, want)
			}
			if got, want := l.PathAllowed(p), a.PathAllowed(p); got != want {
				t.Errorf("allowlist %d (%s): PathAllowed(%q) = %v, gitleaks %v", i, a.Description, p, got, want)
			}
			got, _ := l.ContainsStopWord(p)
			want, _ := a.ContainsStopWord(p)
			if got != want {
				t.Errorf("allowlist %d (%s): ContainsStopWord(%q) = %v, gitleaks %v", i, a.Description, p, got, want)
			}
		}
	}
}
