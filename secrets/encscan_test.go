package secrets

import (
	_ "unsafe" // go:linkname, to read gitleaks' own expression

	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// gitleaksEncodings is the expression gitleaks' decoder (detect/codec,
// v8.30) finds encoded runs with, alternatives in precedence order: the
// oracle encodedRuns is held to.
var gitleaksEncodings = regexp.MustCompile(`(?P<percent>%[0-9A-Fa-f]{2}(?:.*%[0-9A-Fa-f]{2})?)` +
	`|(?P<unicode>(?:(?:U\+[a-fA-F0-9]{4}(?:\s|$))+|(?i)(?:\\{1,2}u[a-fA-F0-9]{4})+))` +
	`|(?P<hex>[0-9A-Fa-f]{32,})|(?P<base64>[\w\/+-]{16,}={0,2})`)

// realEncodings is the expression gitleaks compiled: the copy above must be
// it, or an upgrade that changes it would leave this test comparing with the
// past.
//
//go:linkname realEncodings github.com/zricethezav/gitleaks/v8/detect/codec.encodingsRe
var realEncodings *regexp.Regexp

func oracleRuns(s string) []encRun {
	var all []encRun
	for _, m := range gitleaksEncodings.FindAllStringSubmatchIndex(s, -1) {
		for k := range 4 {
			if m[2+2*k] >= 0 {
				all = append(all, encRun{k, m[2+2*k], m[3+2*k]})
			}
		}
	}
	if len(all) < 2 {
		return all
	}
	touch := func(a, b encRun) bool { return b.start <= a.end && b.end >= a.start }
	var out []encRun
	for i, r := range all {
		if i > 0 && touch(r, all[i-1]) && all[i-1].kind < r.kind || i+1 < len(all) && touch(r, all[i+1]) && all[i+1].kind < r.kind {
			continue
		}
		out = append(out, r)
	}
	return out
}

// checkRuns compares the runs with the expression's.
func checkRuns(t *testing.T, name, s string) {
	t.Helper()
	if got, want := encodedRuns(s), oracleRuns(s); !slices.Equal(got, want) {
		t.Fatalf("%s: runs %v, the expression's %v (text %q)", name, got, want, clip(s))
	}
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func TestEncodedRunsMatchGitleaks(t *testing.T) {
	t.Parallel()
	if realEncodings == nil || realEncodings.String() != gitleaksEncodings.String() {
		t.Fatalf("gitleaks' decoder expression is not the one encodedRuns follows: %v", realEncodings)
	}
	cases := []string{
		"", "%41", "%4", "a%41b%42c\nd%43", "%41%ZZ%42 x", "100%DE and 50%AB", "%2F%2f%0A",
		"U+0041 U+0042", "U+0041", "U+0041U+0042", "xU+0041\nU+0042\n", "\\u0041\\\\u0042\\U0043", "\\\\\\u0041", "\\u004",
		strings.Repeat("ab", 16), strings.Repeat("ab", 17) + "g", "g" + strings.Repeat("0f", 20), strings.Repeat("a", 15), strings.Repeat("a", 16),
		"c2VjcmV0LXZhbHVlLWhlcmU=", "c2VjcmV0LXZhbHVlLWhlcmU===", "dGhpcyBpcyBhIHRlc3Q", "/usr/lib/x86_64-linux-gnu/libc.so.6",
		"%41" + strings.Repeat("A", 20), strings.Repeat("A", 20) + "%41", "aGVsbG8gd29ybGQh%2541", "abcU+0041 def",
		"key = \"QUtJQUlPU0ZPRE5ON0VYQU1QTEU=\"", "\xff\xfe%41\xc3\xa9U+00e9 " + strings.Repeat("Zm9v", 5),
		strings.Repeat("6", 31) + "x", strings.Repeat("6", 32) + "=", "é" + strings.Repeat("a1", 9),
	}
	for i, c := range cases {
		checkRuns(t, "case "+string(rune('a'+i%26)), c)
	}
	// Random text over the characters the alternatives turn on.
	rng := rand.New(rand.NewPCG(1, 2))
	const alpha = "%%UU++\\\\uu00aAfF9gG==__--//  \n\t\xffé" + "0123456789abcdefABCDEFxyz"
	for i := range 20000 {
		b := make([]byte, rng.IntN(120))
		for j := range b {
			b[j] = alpha[rng.IntN(len(alpha))]
		}
		if i%3 == 0 {
			// Long runs too.
			b = append(b, strings.Repeat(string(alpha[rng.IntN(len(alpha))]), rng.IntN(40))...)
		}
		checkRuns(t, "random", string(b))
	}
	// Real text: Go's own sources and this repository's test data.
	var n int
	for _, root := range []string{filepath.Join(runtime.GOROOT(), "src", "encoding"), filepath.Join(runtime.GOROOT(), "src", "net", "url"), "../testdata"} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || n >= 400 {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil || len(b) > 1<<20 {
				return nil
			}
			n++
			checkRuns(t, p, string(b))
			return nil
		})
	}
	if n < 50 {
		t.Fatalf("only %d real files checked", n)
	}
}
