package deploy

import (
	"sort"
	"strings"
)

// statements reads an IAM policy document (resolved): a map with
// Statement, a single statement map, or a list of statements.
// Statements and documents under Fn::If count with either branch.
func statements(doc *node) ([]Statement, bool) {
	if doc == nil {
		return nil, false
	}
	var out []Statement
	ok := true
	for _, d := range doc.choices() {
		if d.kind == nUnknown {
			ok = false
			continue
		}
		st := d
		if d.kind == nMap && d.get("Statement") != nil {
			st = d.get("Statement")
		}
		for _, s := range st.anyItems() {
			if s.kind != nMap {
				ok = false
				continue
			}
			out = append(out, statement(s))
		}
	}
	return out, ok
}

func statement(s *node) Statement {
	st := Statement{Effect: s.get("Effect").value(), Line: s.line}
	st.Sid, _ = s.get("Sid").scalar()
	acts := s.get("Action")
	if acts == nil {
		if acts = s.get("NotAction"); acts != nil {
			st.NotAction = true
		}
	}
	st.Actions = values(acts)
	res := s.get("Resource")
	if res == nil {
		if res = s.get("NotResource"); res != nil {
			st.NotResource = true
		}
	}
	st.Resources = values(res)
	if c := s.get("Condition"); c != nil {
		for _, op := range c.vals {
			if op.kind == nMap {
				st.Condition = append(st.Condition, op.keys...)
			} else {
				st.Condition = append(st.Condition, "(unresolved)")
			}
		}
		if c.kind != nMap {
			st.Condition = append(st.Condition, "(unresolved)")
		}
		sort.Strings(st.Condition)
	}
	return st
}

// values reads a scalar-or-list property; an unresolved list is one
// Unknown value. Under Fn::If, the literal branches are the values.
func values(n *node) []Value {
	if n == nil || n.kind == nNull {
		return nil
	}
	var out []Value
	for _, it := range n.anyItems() {
		out = append(out, it.value())
	}
	return out
}

// allows reports an Allow statement. An Unknown effect (a condition on a
// parameter) is treated as Allow: the statement is in the template and may
// well be deployed so; the evidence says the effect is conditional.
func (s Statement) allows() bool {
	return s.Effect.IsUnknown() || (s.Effect.IsKnown() && s.Effect.Text == "Allow")
}

// actionMatches reports whether an IAM action pattern (with * and ?) in a
// policy grants the action (case-insensitive, as IAM compares them).
func actionMatches(pattern, action string) bool {
	return wildMatch(strings.ToLower(pattern), strings.ToLower(action))
}

func wildMatch(p, s string) bool {
	// Iterative glob with backtracking on the last star.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
