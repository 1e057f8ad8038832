package secrets

import (
	"bytes"
	"io"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// Lead anchoring. Go's regexp has no literal prefix to skip to when a
// pattern starts with \b or a class run, so an unanchored search steps its
// NFA over every byte of the file. When every match of a rule must begin
// with one of a few literals or with a long class run, the places where a
// match can begin are found with a byte search instead, cheap checks (the
// word boundary) drop most of them, and the regex runs anchored at the
// rest. Taking the first anchored match in position order, then the next
// one at or after its end, is what FindAll does, so the result is the same.

type leadItem struct {
	lit      string // lowercased when fold
	fold     bool
	run      *[256]bool // or: a run of at least min bytes of this class
	min      int
	boundary bool // a \b before it
}

type lead struct {
	items []leadItem
	// pre, when set, is a class repeated up to preMax times before the
	// items: a match then begins within preMax class bytes before an
	// item (generic-api-key's [\w.-]{0,50}?(?:key|token|...)).
	pre    *[256]bool
	preMax int
	// follow, when set, is text every match holds after its start: a
	// start without it nearby is skipped before the regex runs (curl
	// rules need " -u" within a few lines of "curl").
	follow *followReq
	// foldKS: a case-folded literal holds k or s, which Unicode folds to
	// the non-ASCII K (Kelvin) and ſ that a byte search would not see.
	foldKS bool
	// atStart matches at offset 0 of the text; afterOne is given the text
	// from one byte before the start, so that \b and ^ see the real
	// preceding character.
	atStart, afterOne *regexp.Regexp
}

const (
	minLeadLit = 2
	minLeadRun = 8
	// leadBudget bounds the bytes the anchored runs may read, as a
	// multiple of the text length, before the plain search is used: a
	// hostile file cannot make anchoring quadratic.
	leadBudget = 4
	// maxLeadRead bounds one anchored run. Reading further means the
	// pattern spans a huge line (.* in minified code, a source map's
	// JSON), where every start would read to its end: search plainly.
	maxLeadRead = 1 << 20
)

func analyzeLead(expr string) *lead {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	l := &lead{}
	if pre, n, rest, ks, ok := splitPrefix(re); ok {
		re, l.pre, l.preMax, l.foldKS = rest, pre, n, ks
	}
	items, _, ok := leadItems(re)
	if !ok || len(items) == 0 || (l.pre != nil && items[0].run != nil) {
		return nil
	}
	l.items = items
	// Lines are counted from where a match begins; a prefix class that
	// holds \n could put that lines before the lead.
	if l.pre == nil || !l.pre['\n'] {
		l.follow = analyzeFollow(re)
	}
	if l.follow != nil && slices.ContainsFunc(l.follow.lits, func(s string) bool { return strings.ContainsAny(s, "ks") }) {
		l.foldKS = true // a case-folded k or s also matches K (Kelvin) or ſ
	}
	for _, it := range items {
		if it.run == nil && len(it.lit) < minLeadLit {
			return nil // a one-byte literal finds too much
		}
		if it.fold && strings.ContainsAny(it.lit, "ks") {
			l.foldKS = true
		}
	}
	l.atStart, err = regexp.Compile(`\A(?:` + expr + `)`)
	if err != nil {
		return nil
	}
	l.afterOne, err = regexp.Compile(`\A(?s:.)(?:` + expr + `)`)
	if err != nil {
		return nil
	}
	return l
}

// followReq: one of lits (lowercased) occurs in every match, beginning at
// most newlines newlines after the line the match starts on.
type followReq struct {
	lits     []string
	newlines int
}

// analyzeFollow looks, in a top-level concatenation, past the lead for
// pieces every match must hold: the first run of pieces whose prefixes
// are all at least two bytes long.
func analyzeFollow(re *syntax.Regexp) *followReq {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpConcat {
		return nil
	}
	i := 0
	for i < len(re.Sub) && re.Sub[i].Op == syntax.OpWordBoundary {
		i++
	}
	if i == len(re.Sub) {
		return nil
	}
	// The lead itself may span lines (a class run holding \n).
	newlines := maxNewlines(re.Sub[i])
	for j := i + 1; j < len(re.Sub) && newlines <= maxFollowLines; j++ {
		rest := &syntax.Regexp{Op: syntax.OpConcat, Flags: re.Flags, Sub: re.Sub[j:]}
		// Lowercased ASCII only: asciiLower(text) is where they are sought.
		if pre := prefixes(rest); !slices.ContainsFunc(pre, func(p string) bool { return len(p) < 2 || !isASCII(p) }) {
			return &followReq{lits: pre, newlines: newlines + nlIn(pre)}
		}
		if newlines += maxNewlines(re.Sub[j]); newlines > maxFollowLines {
			return nil
		}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// maxFollowLines: beyond it the region to search is no longer small.
const maxFollowLines = 64

// present reports whether one of the literals occurs in the region a
// match starting at p can reach.
func (f *followReq) present(text string, lower []byte, p int) bool {
	end := p
	for range f.newlines + 1 {
		i := strings.IndexByte(text[end:], '\n')
		if i < 0 {
			end = len(text)
			break
		}
		end += i + 1
	}
	longest := 0
	for _, lit := range f.lits {
		longest = max(longest, len(lit))
	}
	region := lower[p:min(len(lower), end+longest)]
	for _, lit := range f.lits {
		if bytes.Contains(region, []byte(lit)) {
			return true
		}
	}
	return false
}

// maxPre bounds the prefix class repeat: walking back over it is per item.
const maxPre = 256

// splitPrefix takes a leading class{0,n} (greedy or not) off re. Under
// (?i) an ASCII class also holds K (Kelvin) and ſ; ks reports that, and the
// class is kept as its ASCII part, exact when the text lacks those two.
func splitPrefix(re *syntax.Regexp) (pre *[256]bool, n int, rest *syntax.Regexp, ks, ok bool) {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return nil, 0, nil, false, false
	}
	first := re.Sub[0]
	if first.Op != syntax.OpRepeat || first.Min != 0 || first.Max < 0 || first.Max > maxPre || first.Sub[0].Op != syntax.OpCharClass {
		return nil, 0, nil, false, false
	}
	var c [256]bool
	cls := first.Sub[0].Rune
	for i := 0; i+1 < len(cls); i += 2 {
		for r := cls[i]; r <= cls[i+1]; r++ {
			switch {
			case r < utf8.RuneSelf:
				c[r] = true
			case r == '\u017f' || r == '\u212a':
				ks = true
			default:
				return nil, 0, nil, false, false
			}
		}
	}
	rest = re.Sub[1]
	if len(re.Sub) > 2 {
		rest = &syntax.Regexp{Op: syntax.OpConcat, Flags: re.Flags, Sub: re.Sub[1:]}
	}
	return &c, first.Max, rest, ks, true
}

// preStart is where a match using the item at h begins at the earliest:
// back over at most preMax class bytes.
func (l *lead) preStart(text string, h int) int {
	i := h
	for i > 0 && h-i < l.preMax && l.pre[text[i-1]] {
		i--
	}
	return i
}

// maxLeadItems bounds the literals a lead is extended to.
const maxLeadItems = 64

// leadItems lists what every match of re begins with. exact means the
// items are literals and re matches nothing but them, so what follows re
// in a concatenation can extend them: the parser factors "pass|pwd|
// private" into p(?:ass|wd|rivate), whose lead "p" alone finds too much.
func leadItems(re *syntax.Regexp) (items []leadItem, exact, ok bool) {
	switch re.Op {
	case syntax.OpCapture:
		return leadItems(re.Sub[0])
	case syntax.OpConcat:
		i, boundary := 0, false
		for i < len(re.Sub) && re.Sub[i].Op == syntax.OpWordBoundary {
			i, boundary = i+1, true
		}
		if i == len(re.Sub) {
			return nil, false, false
		}
		items, exact, ok := leadItems(re.Sub[i])
		for i++; ok && exact && i < len(re.Sub); i++ {
			next, nextExact, nextOK := leadItems(re.Sub[i])
			if !nextOK || next[0].run != nil || len(items)*len(next) > maxLeadItems {
				exact = false
				break
			}
			items, exact = joinLits(items, next), nextExact
		}
		for j := range items {
			items[j].boundary = items[j].boundary || boundary
		}
		return items, exact, ok
	case syntax.OpAlternate:
		var out []leadItem
		exact := true
		for _, s := range re.Sub {
			items, e, ok := leadItems(s)
			if !ok {
				return nil, false, false
			}
			out, exact = append(out, items...), exact && e
		}
		return out, exact, true
	case syntax.OpLiteral:
		// ASCII only: a match start is then a rune boundary, and a byte
		// search finds what the regexp's decoding finds (an invalid byte
		// decodes as U+FFFD, which a search for its encoding would miss).
		for _, r := range re.Rune {
			if r >= utf8.RuneSelf {
				return nil, false, false
			}
		}
		fold := re.Flags&syntax.FoldCase != 0
		s := string(re.Rune)
		if fold {
			s = strings.ToLower(s)
		}
		return []leadItem{{lit: s, fold: fold}}, true, true
	case syntax.OpCharClass:
		// A small ASCII class, such as the parser makes of a|b: each byte
		// is a one-byte literal (too short alone, but it may be extended).
		var out []leadItem
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1] >= utf8.RuneSelf || len(out)+int(re.Rune[i+1]-re.Rune[i]) >= 16 {
				return nil, false, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				out = append(out, leadItem{lit: string(r)})
			}
		}
		return out, true, len(out) > 0
	case syntax.OpRepeat, syntax.OpPlus:
		n := 1
		if re.Op == syntax.OpRepeat {
			n = re.Min
		}
		if n < minLeadRun || re.Sub[0].Op != syntax.OpCharClass {
			return nil, false, false
		}
		c, ok := asciiClass(re.Sub[0])
		if !ok {
			return nil, false, false
		}
		return []leadItem{{run: &c, min: n}}, false, true
	}
	return nil, false, false
}

// joinLits is every a followed by every b. A folded half makes the whole
// folded: its candidates are then a superset, which anchoring checks.
func joinLits(a, b []leadItem) []leadItem {
	out := make([]leadItem, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			fold := x.fold || y.fold
			lit := x.lit + y.lit
			if fold {
				lit = strings.ToLower(lit)
			}
			out = append(out, leadItem{lit: lit, fold: fold, boundary: x.boundary})
		}
	}
	return out
}

// usable reports whether byte searches see every possible start in text.
func (l *lead) usable(text string) bool {
	return !l.foldKS || !(strings.Contains(text, "\u017f") || strings.Contains(text, "\u212a"))
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// boundaryAt is \b at p, as Go's regexp sees it (ASCII word characters).
func boundaryAt(text string, p int) bool {
	before := p > 0 && isWordByte(text[p-1])
	after := p < len(text) && isWordByte(text[p])
	return before != after
}

// starts lists, ascending, every position where an item occurs, outside
// the skip spans (sorted; vendored regions for low-confidence rules). ok is
// false when there are so many that anchoring cannot pay (a long base64
// run for a rule that starts with a class run).
func (l *lead) starts(text string, lower []byte, skip []span) (out []int, ok bool) {
	limit := len(text)/8 + 1024
	for _, seg := range complement(skip, len(text)) {
		for _, it := range l.items {
			if it.run != nil {
				out = appendRunStarts(out, text, it, seg, limit)
			} else {
				out = appendLitStarts(out, text, lower, it, seg, limit)
			}
			if len(out) > limit {
				return nil, false
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), true
}

// complement is [0, n) without the sorted spans.
func complement(skip []span, n int) []span {
	var out []span
	at := 0
	for _, s := range skip {
		if s.start > at {
			out = append(out, span{at, s.start})
		}
		at = max(at, s.end)
	}
	if at < n {
		out = append(out, span{at, n})
	}
	return out
}

// appendLitStarts adds the occurrences of it beginning in seg.
func appendLitStarts(out []int, text string, lower []byte, it leadItem, seg span, limit int) []int {
	to := min(len(text), seg.end+len(it.lit)-1) // an occurrence may run past seg
	for from := seg.start; len(out) <= limit; {
		var i int
		if it.fold {
			i = bytes.Index(lower[from:to], []byte(it.lit))
		} else {
			i = strings.Index(text[from:to], it.lit)
		}
		if i < 0 {
			break
		}
		p := from + i
		if !it.boundary || boundaryAt(text, p) {
			out = append(out, p)
		}
		from = p + 1
	}
	return out
}

// appendRunStarts adds the places in seg where a long enough run begins.
func appendRunStarts(out []int, text string, it leadItem, seg span, limit int) []int {
	for i := seg.start; i < seg.end && len(out) <= limit; {
		if !it.run[text[i]] {
			i++
			continue
		}
		j := i
		for j < len(text) && it.run[text[j]] {
			j++
		}
		for p := i; p+it.min <= j && p < seg.end; p++ {
			if !it.boundary || boundaryAt(text, p) {
				out = append(out, p)
			}
		}
		i = j
	}
	return out
}

// findAll is FindAllStringIndex(text, -1) restricted to starts. ok is false
// when the read budget ran out; the caller then searches the plain way.
func (l *lead) findAll(text string, lower []byte, starts []int) (matches [][]int, ok bool) {
	r := budgetReader{left: leadBudget*len(text) + 4096}
	end, last := 0, -1
	for _, h := range starts {
		if h < end {
			continue
		}
		// With a prefix class the match begins before the item: at the
		// earliest start that can still reach it. Starts only grow with
		// h, and one that failed fails for every item it can reach.
		p := h
		if l.pre != nil {
			if p = max(l.preStart(text, h), end); p == last {
				continue
			}
		}
		last = p
		if l.follow != nil && !l.follow.present(text, lower, p) {
			continue
		}
		re, from := l.atStart, p
		if p > 0 {
			re, from = l.afterOne, p-1
		}
		r.s, r.i = text[from:], 0
		loc := re.FindReaderIndex(&r)
		if r.spent {
			return nil, false
		}
		if loc != nil {
			// Every lead consumes bytes, so a match is never empty.
			matches = append(matches, []int{p, from + loc[1]})
			end = from + loc[1]
		}
	}
	return matches, true
}

// budgetReader feeds a string to the regexp rune by rune, as
// regexp's own string input decodes it, until its shared budget or the
// per-run bound is spent.
type budgetReader struct {
	s     string
	i     int
	left  int
	spent bool
}

func (r *budgetReader) ReadRune() (rune, int, error) {
	if r.i >= len(r.s) {
		return 0, 0, io.EOF
	}
	if r.left <= 0 || r.i >= maxLeadRead {
		r.spent = true
		return 0, 0, io.EOF
	}
	if c := r.s[r.i]; c < utf8.RuneSelf {
		r.i++
		r.left--
		return rune(c), 1, nil
	}
	c, n := utf8.DecodeRuneInString(r.s[r.i:])
	r.i += n
	r.left -= n
	return c, n, nil
}
