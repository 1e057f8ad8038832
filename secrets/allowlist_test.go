package secrets

import (
	"reflect"
	"slices"
	"testing"

	"github.com/zricethezav/gitleaks/v8/config"
)

// The allowlists translated with their stop words held back answer exactly
// as gitleaks' own translation, stop words included, and hold no trie.
func TestAllowlistsAnswerAsGitleaks(t *testing.T) {
	ref := gitleaksTranslation(t)
	cfg, _, err := gitleaksConfig()
	if err != nil {
		t.Fatal(err)
	}
	pairs := [][2][]*config.Allowlist{{cfg.Allowlists, ref.Allowlists}}
	for id, r := range ref.Rules {
		pairs = append(pairs, [2][]*config.Allowlist{cfg.Rules[id].Allowlists, r.Allowlists})
	}
	probes := []string{
		"${Api_Key}", "${API_KEY}", "${api_key}", "true", "TRUE", "NULL", "changeme", "CHANGEME", "example",
		"PACKAGE-LOCK.JSON", "package-lock.json", "NODE_MODULES/x.js", "node_modules/x.js", "GO.SUM", "go.sum",
		"GRADLEW", "a/PIPFILE.LOCK", "YARN.LOCK", "img.PNG", "x/vendor/y.go", "abcdefABCDEF0123456789", "AKIAIOSFODNN7EXAMPLE",
		"ghp_000000000000000000000000000000000000", "-----BEGIN PRIVATE KEY-----", "p4ssw0rd", "xxxxxxxx", "12345678",
		"my_PASSWORD_is", "Secret", "tokenizer", "xAbCdEfGhIjKlMnOpQrStUvWxYz",
	}
	lists, words := 0, 0
	for _, p := range pairs {
		if len(p[0]) != len(p[1]) {
			t.Fatalf("%d allowlists, gitleaks %d", len(p[0]), len(p[1]))
		}
		for i, a := range p[1] {
			l := p[0][i]
			lists++
			words += len(a.StopWords)
			if l.Description != a.Description {
				t.Errorf("allowlist %q, gitleaks %q", l.Description, a.Description)
			}
			if want := slices.Sorted(slices.Values(a.StopWords)); !slices.Equal(l.StopWords, want) {
				t.Errorf("allowlist %q: %d stop words, gitleaks %d", a.Description, len(l.StopWords), len(want))
			}
			if trie := reflect.ValueOf(l).Elem().FieldByName("stopwordTrie"); !trie.IsValid() || (len(l.Commits)+len(l.Paths)+len(l.Regexes) > 0 && !trie.IsNil()) {
				t.Errorf("allowlist %q: a stop-word trie was built", a.Description)
			}
			for _, w := range append(probes, a.StopWords...) {
				if got, want := l.RegexAllowed(w), a.RegexAllowed(w); got != want {
					t.Errorf("allowlist %q: RegexAllowed(%q) = %v, gitleaks %v", a.Description, w, got, want)
				}
				if got, want := l.PathAllowed(w), a.PathAllowed(w); got != want {
					t.Errorf("allowlist %q: PathAllowed(%q) = %v, gitleaks %v", a.Description, w, got, want)
				}
				got, _ := l.ContainsStopWord(w)
				want, _ := a.ContainsStopWord(w)
				if got != want {
					t.Errorf("allowlist %q: ContainsStopWord(%q) = %v, gitleaks %v", a.Description, w, got, want)
				}
			}
		}
	}
	if lists < 10 || words < 1000 {
		t.Fatalf("only %d allowlists, %d stop words in the default config", lists, words)
	}
}

// gitleaksTranslation is gitleaks' own translation of its default config.
func gitleaksTranslation(t *testing.T) config.Config {
	t.Helper()
	vc, err := gitleaksViperConfig()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := vc.Translate()
	if err != nil {
		t.Fatal(err)
	}
	return ref
}
