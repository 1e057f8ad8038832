package secrets

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

type kwHit struct {
	start int
	id    int32
}

// naiveHits is the plain definition: every offset where a keyword occurs.
func naiveHits(keywords []string, text string) []kwHit {
	var out []kwHit
	for id, k := range keywords {
		if k == "" {
			continue
		}
		for i := 0; i+len(k) <= len(text); i++ {
			if text[i:i+len(k)] == k {
				out = append(out, kwHit{i, int32(id)})
			}
		}
	}
	return out
}

func dfaHits(d *keywordDFA, text string) []kwHit {
	var out []kwHit
	d.walk(text, func(start int, id int32) {
		out = append(out, kwHit{start, id})
	})
	return out
}

func sortHits(h []kwHit) {
	slices.SortFunc(h, func(a, b kwHit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return int(a.id - b.id)
	})
}

func TestKeywordDFAAgainstNaive(t *testing.T) {
	set, err := defaultRules()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name     string
		keywords []string
	}{
		{"rules", set.keywords},
		{"overlapping", []string{"a", "ab", "bab", "abab", "b", "aa", "aab", "ab"}},
		{"binary", []string{"\x00\xff", "\xff", "\x00\x00\x00"}},
		{"every-byte", everyByte()},
		{"empty-and-one", []string{"", "x"}},
	}
	for _, c := range cases {
		// Texts made of keyword pieces and noise, so that matches overlap
		// and failure links matter.
		for n := range 300 {
			var b strings.Builder
			for b.Len() < n*3 {
				switch r.IntN(3) {
				case 0:
					k := c.keywords[r.IntN(len(c.keywords))]
					if len(k) > 0 {
						k = k[r.IntN(len(k)):]
					}
					b.WriteString(k)
				case 1:
					b.WriteString(c.keywords[r.IntN(len(c.keywords))])
				default:
					b.WriteByte(byte(r.IntN(256)))
				}
			}
			// Case is ignored: the plain definition runs on a lower-cased
			// copy, the automaton on the text with random letters raised.
			lowered := b.String()
			text := []byte(lowered)
			for i, ch := range text {
				if 'a' <= ch && ch <= 'z' && r.IntN(2) == 0 {
					text[i] = ch - 'a' + 'A'
				}
			}
			lowered = string(asciiLower(string(text)))
			d := newKeywordDFA(c.keywords)
			got := dfaHits(d, string(text))
			// walk reports in order of where a match ends.
			for i := 1; i < len(got); i++ {
				prevEnd := got[i-1].start + len(c.keywords[got[i-1].id])
				end := got[i].start + len(c.keywords[got[i].id])
				if end < prevEnd {
					t.Fatalf("%s: hits out of end order: %v then %v", c.name, got[i-1], got[i])
				}
			}
			want := naiveHits(c.keywords, lowered)
			sortHits(got)
			sortHits(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%s: text %q:\n got %v\nwant %v", c.name, text, got, want)
			}
		}
	}
}

// The table stays small: the 256-wide int64 trie it replaced was 12 MB.
func TestKeywordDFASize(t *testing.T) {
	set, err := defaultRules()
	if err != nil {
		t.Fatal(err)
	}
	d := newKeywordDFA(set.keywords)
	if size := len(d.next) * 4; size > 2<<20 {
		t.Errorf("transition table is %d bytes for %d keywords", size, len(set.keywords))
	}
}

func BenchmarkKeywordDFA(b *testing.B) {
	set, err := defaultRules()
	if err != nil {
		b.Fatal(err)
	}
	d := newKeywordDFA(set.keywords)
	text := strings.Repeat("const apiKey = process.env.TOKEN; // some ordinary javascript text\n", 20000)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		d.walk(text, func(int, int32) {})
	}
}

// everyByte is a keyword set using all 256 byte values (lower case only:
// keywords are lower-cased).
func everyByte() []string {
	var out []string
	for b := range 256 {
		if 'A' <= b && b <= 'Z' {
			continue
		}
		out = append(out, string([]byte{byte(b), lowerByte(byte(255 - b))}))
	}
	return out
}
