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
)

func analyzeLead(expr string) *lead {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	items, _, ok := leadItems(re)
	if !ok || len(items) == 0 {
		return nil
	}
	l := &lead{items: items}
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

// starts lists, ascending, every position where a match can begin. ok is
// false when there are so many that anchoring cannot pay (a long base64
// run for a rule that starts with a class run).
func (l *lead) starts(text string, lower []byte) (out []int, ok bool) {
	limit := len(text)/8 + 1024
	for _, it := range l.items {
		if len(out) > limit {
			return nil, false
		}
		if it.run != nil {
			out = appendRunStarts(out, text, it, limit)
			continue
		}
		var from int
		for {
			var i int
			if it.fold {
				i = bytes.Index(lower[from:], []byte(it.lit))
			} else {
				i = strings.Index(text[from:], it.lit)
			}
			if i < 0 {
				break
			}
			p := from + i
			if !it.boundary || boundaryAt(text, p) {
				if out = append(out, p); len(out) > limit {
					return nil, false
				}
			}
			from = p + 1
		}
	}
	if len(out) > limit {
		return nil, false
	}
	slices.Sort(out)
	return slices.Compact(out), true
}

func appendRunStarts(out []int, text string, it leadItem, limit int) []int {
	for i := 0; i < len(text) && len(out) <= limit; {
		if !it.run[text[i]] {
			i++
			continue
		}
		j := i
		for j < len(text) && it.run[text[j]] {
			j++
		}
		for p := i; p+it.min <= j; p++ {
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
func (l *lead) findAll(text string, starts []int) (matches [][]int, ok bool) {
	r := budgetReader{left: leadBudget*len(text) + 4096}
	end := 0
	for _, p := range starts {
		if p < end {
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
// regexp's own string input decodes it, until its shared budget is spent.
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
	if r.left <= 0 {
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
