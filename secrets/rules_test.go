package secrets

import (
	"testing"
)

// Every rule's expression compiles (they are compiled on first use, in the
// middle of a scan), is the one gitleaks' own translation compiles, and has
// the secret group it names.
func TestRulesCompile(t *testing.T) {
	set, err := defaultRules()
	if err != nil {
		t.Fatal(err)
	}
	ref := gitleaksTranslation(t)
	gitleaks := 0
	for _, r := range set.rules {
		if r.re == nil {
			if g, ok := ref.Rules[r.id]; ok && !r.extra && g.Regex != nil {
				t.Errorf("%s: no expression, gitleaks has %q", r.id, g.Regex)
			}
			continue
		}
		re := r.re.compiled()
		if r.secretGroup > re.NumSubexp() {
			t.Errorf("%s: secret group %d of %d", r.id, r.secretGroup, re.NumSubexp())
		}
		if r.extra {
			continue
		}
		gitleaks++
		if g := ref.Rules[r.id]; g.Regex == nil || g.Regex.String() != r.re.String() {
			t.Errorf("%s: expression %q, gitleaks %v", r.id, r.re, g.Regex)
		}
	}
	if gitleaks < 150 {
		t.Fatalf("only %d of gitleaks' rules", gitleaks)
	}
}
