package secrets

import (
	"regexp/syntax"
	"strings"
)

// Regex analysis for the keyword windows: if every match of a rule must
// contain one of its keywords, and the match can hold only a few newlines
// before and after that keyword, the regex only needs to run on the lines
// around keyword hits instead of on the whole file.

const unbounded = 1 << 20

// window says how many lines before and after a keyword hit a match can
// reach. ok is false when the rule must run on the whole content.
type window struct {
	ok            bool
	before, after int
}

// maxWindowLines caps the reach; beyond it windowing saves little.
const maxWindowLines = 16

func analyzeWindow(expr string, keywords []string) window {
	if len(keywords) == 0 {
		return window{}
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return window{}
	}
	re = re.Simplify()
	r, ok := required(re, keywords)
	if !ok || r.before > maxWindowLines || r.after > maxWindowLines {
		return window{}
	}
	return window{ok: true, before: r.before, after: r.after}
}

type reach struct{ before, after int }

func addCap(a, b int) int {
	if a+b > unbounded {
		return unbounded
	}
	return a + b
}

// maxNewlines is an upper bound on the newlines in any match of re.
func maxNewlines(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return strings.Count(string(re.Rune), "\n")
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '\n' && '\n' <= re.Rune[i+1] {
				return 1
			}
		}
		return 0
	case syntax.OpAnyChar:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return maxNewlines(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		if maxNewlines(re.Sub[0]) > 0 {
			return unbounded
		}
		return 0
	case syntax.OpRepeat:
		n := maxNewlines(re.Sub[0])
		if n == 0 {
			return 0
		}
		if re.Max < 0 || n*re.Max > unbounded {
			return unbounded
		}
		return n * re.Max
	case syntax.OpConcat:
		total := 0
		for _, s := range re.Sub {
			total = addCap(total, maxNewlines(s))
		}
		return total
	case syntax.OpAlternate:
		m := 0
		for _, s := range re.Sub {
			m = max(m, maxNewlines(s))
		}
		return m
	}
	return 0
}

const maxFinite = 256

// finite lists, lowercased, every string re can match, when that set is
// small.
func finite(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}, true
	case syntax.OpCharClass:
		var out []string
		seen := map[string]bool{}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] > 8 {
				return nil, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				s := strings.ToLower(string(r))
				if !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
		}
		return out, len(out) <= 16
	case syntax.OpCapture:
		return finite(re.Sub[0])
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}, true
	case syntax.OpQuest:
		s, ok := finite(re.Sub[0])
		if !ok {
			return nil, false
		}
		return append(s, ""), true
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			s, ok := finite(sub)
			if !ok {
				return nil, false
			}
			if out = product(out, s); out == nil {
				return nil, false
			}
		}
		return out, true
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			s, ok := finite(sub)
			if !ok {
				return nil, false
			}
			out = append(out, s...)
		}
		return out, len(out) <= maxFinite
	}
	return nil, false
}

// prefixes lists, lowercased, strings one of which starts every match of
// re. Where finite gives up on a wide piece (a class like [A-Z0-9]), the
// prefix simply ends there: "a3t" + anything still starts with "a3t".
func prefixes(re *syntax.Regexp) []string {
	if s, ok := finite(re); ok {
		return s
	}
	switch re.Op {
	case syntax.OpCapture:
		return prefixes(re.Sub[0])
	case syntax.OpPlus:
		return prefixes(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return prefixes(re.Sub[0])
		}
	case syntax.OpConcat:
		acc := []string{""}
		for _, sub := range re.Sub {
			if f, ok := finite(sub); ok {
				if acc = product(acc, f); acc == nil {
					return []string{""}
				}
				continue
			}
			if acc = product(acc, prefixes(sub)); acc == nil {
				return []string{""}
			}
			break
		}
		return acc
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			out = append(out, prefixes(sub)...)
		}
		if len(out) <= maxFinite {
			return out
		}
	}
	return []string{""}
}

func product(a, b []string) []string {
	if len(a)*len(b) > maxFinite {
		return nil
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out
}

func allHaveKeyword(strs []string, keywords []string) bool {
	if len(strs) == 0 {
		return false
	}
	for _, s := range strs {
		found := false
		for _, k := range keywords {
			if strings.Contains(s, k) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func nlIn(strs []string) int {
	n := 0
	for _, s := range strs {
		n = max(n, strings.Count(s, "\n"))
	}
	return n
}

// required reports whether every match of re contains a keyword, and how
// many newlines the match can have before and after it.
func required(re *syntax.Regexp, keywords []string) (reach, bool) {
	if s, ok := finite(re); ok {
		if allHaveKeyword(s, keywords) {
			n := nlIn(s)
			return reach{n, n}, true
		}
		return reach{}, false
	}
	switch re.Op {
	case syntax.OpCapture:
		return required(re.Sub[0], keywords)
	case syntax.OpPlus:
		r, ok := required(re.Sub[0], keywords)
		if !ok {
			return r, false
		}
		if maxNewlines(re.Sub[0]) > 0 {
			r.after = unbounded
		}
		return r, true
	case syntax.OpRepeat:
		if re.Min < 1 {
			return reach{}, false
		}
		r, ok := required(re.Sub[0], keywords)
		if !ok {
			return r, false
		}
		if n := maxNewlines(re.Sub[0]); n > 0 {
			if re.Max < 0 {
				r.after = unbounded
			} else {
				r.after = addCap(r.after, n*(re.Max-1))
			}
		}
		return r, true
	case syntax.OpAlternate:
		var out reach
		for _, sub := range re.Sub {
			r, ok := required(sub, keywords)
			if !ok {
				return reach{}, false
			}
			out.before = max(out.before, r.before)
			out.after = max(out.after, r.after)
		}
		return out, true
	case syntax.OpConcat:
		subs := re.Sub
		nl := make([]int, len(subs))
		for i, s := range subs {
			nl[i] = maxNewlines(s)
		}
		sum := func(from, to int) int {
			t := 0
			for _, n := range nl[from:to] {
				t = addCap(t, n)
			}
			return t
		}
		best, found := reach{}, false
		consider := func(r reach) {
			if !found || r.before+r.after < best.before+best.after {
				best, found = r, true
			}
		}
		for i, s := range subs {
			if r, ok := required(s, keywords); ok {
				consider(reach{addCap(sum(0, i), r.before), addCap(r.after, sum(i+1, len(subs)))})
			}
			// Runs of small finite pieces, e.g. [Aa] followed by "pi".
			acc := []string{""}
			for j := i; j < len(subs); j++ {
				s, ok := finite(subs[j])
				if !ok {
					// A wide piece ends the run; its prefixes may still
					// complete a keyword.
					if p := product(acc, prefixes(subs[j])); p != nil && allHaveKeyword(p, keywords) {
						n := nlIn(p)
						consider(reach{addCap(sum(0, i), n), addCap(n, sum(j, len(subs)))})
					}
					break
				}
				if acc = product(acc, s); acc == nil {
					break
				}
				if allHaveKeyword(acc, keywords) {
					n := nlIn(acc)
					consider(reach{addCap(sum(0, i), n), addCap(n, sum(j+1, len(subs)))})
					break
				}
			}
		}
		return best, found
	}
	return reach{}, false
}
