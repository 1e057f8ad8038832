package secrets

import (
	"fmt"
	mrand "math/rand/v2"
	"os/exec"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

func TestLeadItems(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want string // items as lit/fold/boundary or run:min/boundary; "" = no lead
	}{
		{`\b(ey[a-zA-Z0-9]{17,}\.ey)`, "ey b"},
		{`\b((?:hvs\.[\w-]{90,120}|s\.(?i:[a-z0-9]{24})))`, "hvs. b|s. b"},
		{`(?i)\b(\d{15,16}(\||%)[0-9a-z]{27,40})`, "run:15 b"},
		{`(?i)sgp_[a-f0-9]{40}|[a-f0-9]{40}`, "sgp_ fold|run:40"},
		{`\bcurl\b.*-u`, "curl b"},
		{`(?i)(?:pass|pwd|private_?key)=`, "pass fold|pwd fold|private fold"},   // parsed as p(?:ass|wd|rivate_?key)
		{`\b(?:A3T[A-Z0-9]|AKIA|ASIA)[A-Z2-7]{16}`, "A3T b|AKIA b|ASIA b"},      // A3T + a 36-letter class is too many
		{`(?i)[\w.-]{0,50}?(?:key|token)[ \t]*=`, "pre:50 key fold|token fold"}, // begins up to 50 bytes before
		{`(?i)[\w.-]*(?:key)[ \t]*=`, ""},                                       // unbounded prefix
		{`(?i)[\w.-]{0,50}?(?:key)?=`, ""},                                      // nothing required after the prefix
		{`a[0-9]{20}`, ""},                                                      // a one-byte literal finds too much
		{`[a-z]{4}x`, ""},                                                       // a short run finds too much
		{`(?i)[a-z]{20}`, ""},                                                   // (?i)[a-z] holds K and ſ
		{`^abc`, ""},                                                            // only \b is handled before the lead
		{`(?:xy)?zw`, ""},                                                       // optional first piece
		{`ab\x{FFFD}c`, ""},                                                     // U+FFFD also matches an invalid byte
		{`(?i)\bcafé[0-9]`, ""},                                                 // non-ASCII literal
	} {
		l := analyzeLead(tc.expr)
		var got []string
		if l != nil && l.pre != nil {
			got = append(got, fmt.Sprintf("pre:%d", l.preMax))
		}
		if l != nil {
			for _, it := range l.items {
				s := it.lit
				if it.run != nil {
					s = fmt.Sprintf("run:%d", it.min)
				}
				if it.fold {
					s += " fold"
				}
				if it.boundary {
					s += " b"
				}
				got = append(got, s)
			}
		}
		g := strings.Join(got, "|")
		if l != nil && l.pre != nil {
			g = strings.Replace(g, "|", " ", 1)
		}
		if g != tc.want {
			t.Errorf("%s: lead %q, want %q", tc.expr, g, tc.want)
		}
	}
}

// leadCorpus is real text full of true positives: gitleaks' rule sources
// hold each rule's sample secrets, and its testdata holds more.
func leadCorpus(t testing.TB) []string {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/zricethezav/gitleaks/v8").Output()
	if err != nil {
		t.Fatalf("gitleaks module: %v", err)
	}
	var out []string
	for _, rel := range []string{"cmd/generate/config/rules", "testdata"} {
		root := filepath.Join(strings.TrimSpace(string(dir)), rel)
		for _, f := range dirFiles(t, root, "x") {
			b, err := f.ReadBounded(1 << 30)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
	}
	if len(out) < 100 {
		t.Fatalf("gitleaks sources: only %d files", len(out))
	}
	return out
}

// sample writes a random string shaped by re: usually a match, but an
// empty-width assertion is not checked, so sometimes a near miss.
func sample(r *mrand.Rand, re *syntax.Regexp, sb *strings.Builder) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, c := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 && r.IntN(2) == 0 {
				c = []rune(strings.ToUpper(string(c)))[0]
			}
			sb.WriteRune(c)
		}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return
		}
		// Mostly ASCII: (?i) adds K (Kelvin) and ſ to classes, and a text
		// holding them is searched the plain way, which tests nothing here.
		i := 2 * r.IntN(len(re.Rune)/2)
		if re.Rune[0] < 0x80 && r.IntN(20) != 0 {
			for re.Rune[i] >= 0x80 {
				i = 2 * r.IntN(len(re.Rune)/2)
			}
		}
		lo, hi := re.Rune[i], min(re.Rune[i+1], max(re.Rune[i], 0x7f))
		sb.WriteRune(lo + r.Int32N(hi-lo+1))
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		sb.WriteByte("abc XYZ019_-.:/="[r.IntN(16)])
	case syntax.OpCapture:
		sample(r, re.Sub[0], sb)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 3
		switch re.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
			if hi < 0 {
				hi = lo + 3
			}
		}
		for range lo + r.IntN(min(hi, lo+40)-lo+1) {
			sample(r, re.Sub[0], sb)
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			sample(r, sub, sb)
		}
	case syntax.OpAlternate:
		sample(r, re.Sub[r.IntN(len(re.Sub))], sb)
	}
}

// mutate cuts and splices text around lead literals and class runs, where
// anchoring's edge cases are: boundaries, runs cut short, matches that
// abut or overlap, folded letters outside ASCII, invalid UTF-8.
func mutate(r *mrand.Rand, text string, pieces []string) string {
	var sb strings.Builder
	for range 1 + r.IntN(8) {
		switch r.IntN(7) {
		case 0, 1:
			i := r.IntN(len(text) + 1)
			j := min(len(text), i+r.IntN(400))
			sb.WriteString(text[i:j])
		case 2, 6:
			sb.WriteString(pieces[r.IntN(len(pieces))])
		case 3:
			const alphabet = "0123456789abcdefABCDEF_-./+=\"' \n\t|%:;"
			for range r.IntN(50) {
				sb.WriteByte(alphabet[r.IntN(len(alphabet))])
			}
		case 4:
			sb.WriteString([]string{"ſ", "K", "é", "\xff", "\xc5", "\n", "\r\n", "\\n", "`"}[r.IntN(9)])
		case 5:
			sb.WriteString(strings.ToUpper(text[r.IntN(len(text)/2+1):][:min(len(text)/2, 60)]))
		}
	}
	return sb.String()
}

// TestLeadEqualsFindAll: for every rule with a lead, the anchored search
// returns exactly what the plain search returns.
func TestLeadEqualsFindAll(t *testing.T) {
	set, err := defaultRules()
	if err != nil {
		t.Fatal(err)
	}
	corpus := leadCorpus(t)
	var pieces []string
	leads := 0
	for _, ru := range set.rules {
		ru.analyze()
		if ru.lead == nil {
			continue
		}
		leads++
		for _, it := range ru.lead.items {
			if it.run == nil {
				pieces = append(pieces, it.lit, strings.ToUpper(it.lit), " "+it.lit, "x"+it.lit)
			}
		}
	}
	if leads < 20 {
		t.Fatalf("only %d rules have a lead; the analysis regressed", leads)
	}
	rnd := mrand.New(mrand.NewPCG(1, 2))
	for _, ru := range set.rules {
		ru.analyze()
		if ru.lead == nil {
			continue
		}
		re, err := syntax.Parse(ru.re.String(), syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			var sb strings.Builder
			sample(rnd, re, &sb)
			pieces = append(pieces, sb.String(), " "+sb.String()+"\n")
		}
	}
	texts := slices.Clone(corpus)
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		texts = append(texts, mutate(rnd, corpus[rnd.IntN(len(corpus))], pieces))
	}
	matched, anchored, skipped := map[string]int{}, 0, 0
	for _, text := range texts {
		a, s := checkLeads(t, set, text, matched)
		anchored, skipped = anchored+a, skipped+s
	}
	// The corpus must exercise the rules, or equality proves little.
	hit := 0
	for _, ru := range set.rules {
		ru.analyze()
		if ru.lead != nil && matched[ru.id] > 0 {
			hit++
		}
	}
	if hit*10 < leads*8 {
		t.Fatalf("only %d of %d lead rules matched anything", hit, leads)
	}
	// Falling back to the plain search proves nothing about anchoring.
	if skipped*100 > anchored {
		t.Fatalf("anchoring gave up on %d of %d searches", skipped, anchored+skipped)
	}
	t.Logf("%d texts, %d lead rules, %d matched; %d anchored searches, %d fell back", len(texts), leads, hit, anchored, skipped)
}

// A hostile file must not make anchoring quadratic: each anchored run
// here reads six lines (curl-auth-user lets "-u" come five lines later),
// so the read budget runs out and the plain search is used instead.
func TestLeadBudget(t *testing.T) {
	const expr = `\bcurl\b(?:.*|.*(?:[\r\n]{1,2}.*){1,5})[ \t\n\r](?:-u|--user)(?:=|[ \t]{0,5})("(:[^"]{3,}|[^:"]{3,}:|[^:"]{3,}:[^"]{3,})"|'([^:']{3,}:[^']{3,})')`
	l := analyzeLead(expr)
	if l == nil {
		t.Fatal("no lead for curl-auth-user")
	}
	re := regexp.MustCompile(expr)
	text := strings.Repeat("curl -u\n", 20000) + "curl -u \"user:pass\"\n"
	starts, ok := l.starts(text, asciiLower(text), nil)
	if !ok || len(starts) != 20001 {
		t.Fatalf("%d starts, want 20001", len(starts))
	}
	if _, ok := l.findAll(text, asciiLower(text), starts); ok {
		t.Fatal("anchored search read six lines per start without running out of budget")
	}
	// The engine then searches the plain way, with the same result.
	e := newEngine(&ruleSet{})
	ru := &rule{re: newPattern(re.String()), lead: l}
	got := e.matches(ru, text, asciiLower(text), &lines{text: text}, nil, nil)
	if want := re.FindAllStringIndex(text, -1); len(want) != 1 || !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("after the budget ran out: %v, want %v", got, want)
	}
	// One start that would read a 2 MiB line (minified code, a source
	// map's JSON) gives up at once, well within the total budget.
	long := "curl -u " + strings.Repeat("x", 2<<20)
	if _, ok := leadFindAll(l, long, asciiLower(long)); ok {
		t.Fatal("an anchored run read a whole 2 MiB line")
	}
	// Where each start reads about one line, it stays within the budget.
	short := strings.Repeat("curl -u \"user:pass\"\n", 1000)
	got, ok = leadFindAll(l, short, asciiLower(short))
	want := re.FindAllStringIndex(short, -1)
	if !ok || !slices.EqualFunc(got, want, slices.Equal) || len(got) != 1000 {
		t.Fatalf("ok=%v, %d matches, want %d", ok, len(got), len(want))
	}
}

// Too many possible starts (a long run for a rule that begins with a
// class run and no \b) are not collected: the plain search is used.
func TestLeadTooManyStarts(t *testing.T) {
	l := analyzeLead(`[a-f0-9]{40}:x`)
	if l == nil {
		t.Fatal("no lead")
	}
	text := strings.Repeat("0123456789abcdef", 1<<16)
	if _, ok := l.starts(text, asciiLower(text), nil); ok {
		t.Fatal("a 1 MiB hex run gave a start per byte")
	}
}

// checkLeads compares anchored and plain search for every lead rule on
// text, counting matches per rule, searches anchored and fallbacks.
func checkLeads(t *testing.T, set *ruleSet, text string, matched map[string]int) (anchored, skipped int) {
	t.Helper()
	lower := asciiLower(text)
	for _, ru := range set.rules {
		ru.analyze()
		if ru.lead == nil || !ru.lead.usable(text) {
			continue
		}
		got, ok := leadFindAll(ru.lead, text, lower)
		if !ok {
			skipped++
			continue
		}
		anchored++
		want := ru.re.compiled().FindAllStringIndex(text, -1)
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("%s: anchored %v, plain %v on %q", ru.id, got, want, text)
		}
		matched[ru.id] += len(want)
	}
	return anchored, skipped
}

func leadFindAll(l *lead, text string, lower []byte) ([][]int, bool) {
	starts, ok := l.starts(text, lower, nil)
	if !ok {
		return nil, false
	}
	return l.findAll(text, lower, starts)
}

// FuzzLead checks anchored against plain search for every lead rule.
func FuzzLead(f *testing.F) {
	set, err := defaultRules()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijk",
		"curl -u \"admin:hunter22\" https://x\n",
		"1234567890123456|abcdefghijklmnopqrstuvwxyz0123",
		"s.abcdefghijklmnopqrstuvwx ſ.abc K",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkLeads(t, set, text, map[string]int{})
	})
}

// Skipped spans (vendored regions) drop exactly the starts inside them.
func TestLeadStartsSkip(t *testing.T) {
	set, err := defaultRules()
	if err != nil {
		t.Fatal(err)
	}
	rnd := mrand.New(mrand.NewPCG(5, 5))
	for _, text := range leadCorpus(t)[:200] {
		lower := asciiLower(text)
		var skip []span
		for at := rnd.IntN(200); at < len(text); at += rnd.IntN(400) + 1 {
			end := min(len(text), at+rnd.IntN(300)+1)
			skip = append(skip, span{at, end})
			at = end
		}
		for _, ru := range set.rules {
			ru.analyze()
			if ru.lead == nil {
				continue
			}
			all, ok1 := ru.lead.starts(text, lower, nil)
			got, ok2 := ru.lead.starts(text, lower, skip)
			if !ok1 || !ok2 {
				continue
			}
			if want := outsideSpans(skip, all); !slices.Equal(got, want) {
				t.Fatalf("%s: starts %v with spans %v, want %v", ru.id, got, skip, want)
			}
		}
	}
}

func TestAnalyzeFollow(t *testing.T) {
	for _, tc := range []struct {
		expr     string
		want     string // lits, sorted, joined by |
		newlines int
	}{
		// The separator, the flag and what may follow it ("=" or nothing).
		{`\bcurl\b(?:.*|.*(?:[\r\n]{1,2}.*){1,5})[ \t\n\r](?:-u|--user)(?:=|[ \t]{0,1})x`,
			"\t--user|\t--user=|\t-u|\t-u=|\n--user|\n--user=|\n-u|\n-u=|\r--user|\r--user=|\r-u|\r-u=| --user| --user=| -u| -u=", 11},
		{`\bey[a-z]{17,}\.ey`, ".ey", 0},          // after a run, on the same line
		{`(?i)\bapi[ \t]*=[ \t]*"KEY`, `"key`, 0}, // pieces too short to search are passed over
		{`\btoken.{0,10}secret:`, "secret:", 0},   // after a bounded gap
		{`\bcurl\b.*(?:-u)?x`, "", 0},             // an optional piece, then one byte
		{`\btoken(?s:.)*secret:`, "", 0},          // any number of newlines between
		{`(?i)\btoken=\x{130}x`, "", 0},           // non-ASCII: not sought in asciiLower text
		{`\b[a-z\n]{8,}xyzw`, "", 0},              // the lead run itself may span any number of lines
	} {
		re, err := syntax.Parse(tc.expr, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		f := analyzeFollow(re)
		got, n := "", 0
		if f != nil {
			lits := slices.Clone(f.lits)
			slices.Sort(lits)
			got, n = strings.Join(slices.Compact(lits), "|"), f.newlines
		}
		if got != tc.want || n != tc.newlines {
			t.Errorf("%s: follow %q within %d lines, want %q within %d", tc.expr, got, n, tc.want, tc.newlines)
		}
	}
	// A prefix class holding \n moves a match's start lines before its lead.
	if l := analyzeLead(`[\w\n.-]{0,50}?(?:key)[ \t]*=[ \t]*"secret`); l == nil || l.pre == nil || l.follow != nil {
		t.Errorf("prefix class with newlines: lead %+v", l)
	}
	if l := analyzeLead(`[\w.-]{0,50}?(?:key)[ \t]*=[ \t]*"secret`); l == nil || l.follow == nil {
		t.Errorf("prefix class without newlines: lead %+v", l)
	}
}
