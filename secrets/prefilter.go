package secrets

import (
	"regexp/syntax"
)

// A run requirement: every match of a rule holds at least min consecutive
// bytes of class. Checking for such a run is one linear byte scan, far
// cheaper than the regex, and when there is none the rule cannot match.
// Only rules that would otherwise run on the whole file use it.
type runReq struct {
	class [256]bool
	min   int
}

// minUsefulRun: shorter runs are everywhere in code and filter nothing.
const minUsefulRun = 12

func analyzeRun(expr string) *runReq {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	// Not simplified: Simplify spells x{15} out as fifteen x.
	req := requiredRun(re)
	if req == nil || req.min < minUsefulRun {
		return nil
	}
	return req
}

// requiredRun finds the longest class run every match must contain.
func requiredRun(re *syntax.Regexp) *runReq {
	switch re.Op {
	case syntax.OpCapture:
		return requiredRun(re.Sub[0])
	case syntax.OpRepeat, syntax.OpPlus:
		min := 1
		if re.Op == syntax.OpRepeat {
			min = re.Min
		}
		if min < 1 {
			return nil
		}
		if re.Sub[0].Op == syntax.OpCharClass {
			if c, ok := asciiClass(re.Sub[0]); ok {
				return &runReq{class: c, min: min}
			}
			return nil
		}
		return requiredRun(re.Sub[0])
	case syntax.OpConcat:
		var best *runReq
		for _, s := range re.Sub {
			if r := requiredRun(s); r != nil && (best == nil || r.min > best.min) {
				best = r
			}
		}
		return best
	case syntax.OpAlternate:
		// Every branch must require a run; the union of their classes with
		// the smallest length is required of any match.
		var out *runReq
		for _, s := range re.Sub {
			r := requiredRun(s)
			if r == nil {
				return nil
			}
			if out == nil {
				c := *r
				out = &c
				continue
			}
			for i := range out.class {
				out.class[i] = out.class[i] || r.class[i]
			}
			out.min = min(out.min, r.min)
		}
		return out
	}
	return nil
}

// asciiClass converts a class to a byte table; a class reaching beyond
// ASCII is refused (its members are not single bytes).
func asciiClass(re *syntax.Regexp) ([256]bool, bool) {
	var c [256]bool
	for i := 0; i+1 < len(re.Rune); i += 2 {
		lo, hi := re.Rune[i], re.Rune[i+1]
		if hi > 0x7f {
			return c, false
		}
		for r := lo; r <= hi; r++ {
			c[r] = true
		}
	}
	return c, true
}

// present reports whether text holds a run of at least min class bytes.
func (r *runReq) present(text string) bool {
	n := 0
	for i := 0; i < len(text); i++ {
		if r.class[text[i]] {
			if n++; n >= r.min {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}
