package deploy

import (
	"fmt"
	"strings"
)

// Fn::ForEach (the AWS::LanguageExtensions transform) in Resources:
//
//	Fn::ForEach::UniqueLoopName: [Identifier, Collection, {OutputKey: OutputValue}]
//
// is replaced by one copy of the fragment per collection item, as the
// transform does before CloudFormation sees the template: ${Identifier}
// in keys and strings (!Sub ones included) becomes the item, &{Identifier}
// the item with every non-alphanumeric character removed (for logical
// ids), and a Ref to the identifier the item. Loops nest, and inner ones
// see the outer identifiers; a loop inside a resource's properties is
// expanded the same way. A collection must resolve to a list of strings
// (literal, or a CommaDelimitedList parameter's Default); otherwise the
// loop is dropped with a warning, its resources unchecked.

const forEachPrefix = "Fn::ForEach::"

type loopExpander struct {
	r        *resolver
	budget   int
	keys     int // keys the loops made
	warnings []string
}

// maxLoopKeys bounds the keys loops make (CloudFormation processes at most
// 500 resources), and maxLoopNodes the nodes they copy.
const (
	maxLoopKeys  = 2000
	maxLoopNodes = 200_000
)

// expandLoops expands the loops of a template's Resources in place and
// returns what could not be expanded.
func expandLoops(root *node) []string {
	res := root.get("Resources")
	if res == nil || res.kind != nMap || !hasLoop(res) {
		return nil
	}
	e := &loopExpander{r: newResolver(root), budget: maxLoopNodes}
	root.set("Resources", e.expand(res, nil))
	if e.budget < 0 {
		e.warn(res.line, "Fn::ForEach loops expand to too many nodes: resources past the limit were not checked")
	}
	return e.warnings
}

func hasLoop(n *node) bool {
	if n == nil {
		return false
	}
	for _, k := range n.keys {
		if strings.HasPrefix(k, forEachPrefix) {
			return true
		}
	}
	for _, v := range n.vals {
		if hasLoop(v) {
			return true
		}
	}
	return false
}

func (e *loopExpander) warn(line int, format string, args ...any) {
	e.warnings = append(e.warnings, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
}

// expand copies n with the loop variables substituted and loops expanded.
func (e *loopExpander) expand(n *node, vars map[string]string) *node {
	if n == nil {
		return nil
	}
	if e.budget--; e.budget < 0 {
		return &node{kind: nNull, line: n.line}
	}
	c := *n
	c.keys, c.vals = nil, nil
	switch n.kind {
	case nScalar:
		c.str = substLoopVars(n.str, vars)
	case nList:
		for _, v := range n.vals {
			c.vals = append(c.vals, e.expand(v, vars))
		}
	case nMap:
		if len(n.keys) == 1 && n.keys[0] == "Ref" {
			if name, ok := n.vals[0].scalar(); ok {
				if v, ok := vars[name]; ok {
					return &node{kind: nScalar, str: v, line: n.line}
				}
			}
		}
		for i, k := range n.keys {
			if strings.HasPrefix(k, forEachPrefix) {
				for _, kv := range e.loop(k, n.vals[i], vars) {
					// A template holds at most 500 resources once
					// processed: far past that a loop is a bomb.
					if e.keys++; e.keys > maxLoopKeys {
						e.budget = -1
						break
					}
					c.set(kv.key, kv.val)
				}
				continue
			}
			c.set(substLoopVars(k, vars), e.expand(n.vals[i], vars))
		}
	}
	return &c
}

type keyVal struct {
	key string
	val *node
}

// loop expands one Fn::ForEach into the keys and values it stands for.
func (e *loopExpander) loop(name string, arg *node, vars map[string]string) []keyVal {
	a := arg.items()
	id, ok := a0(a).scalar()
	if arg.kind != nList || len(a) != 3 || !ok || a[2].kind != nMap {
		e.warn(arg.line, "%s is not [Identifier, Collection, {OutputKey: OutputValue}]: its resources were not checked", name)
		return nil
	}
	coll := e.r.resolve(e.expand(a[1], vars))
	var items []string
	for _, l := range coll.choices() {
		if l == nil || l.kind != nList {
			e.warn(arg.line, "%s: collection %s is decided at deploy: its resources were not checked", name, coll.value().Text)
			return nil
		}
		for _, it := range l.vals {
			s, ok := it.scalar()
			if !ok {
				e.warn(arg.line, "%s: collection item %s is decided at deploy: the loop's resources were not checked", name, it.value().Text)
				return nil
			}
			items = append(items, s)
		}
	}
	var out []keyVal
	for _, it := range items {
		inner := map[string]string{id: it}
		for k, v := range vars {
			if k != id {
				inner[k] = v
			}
		}
		body := e.expand(a[2], inner)
		for i, k := range body.keys {
			out = append(out, keyVal{k, body.vals[i]})
		}
	}
	return out
}

func a0(a []*node) *node {
	if len(a) == 0 {
		return nil
	}
	return a[0]
}

// substLoopVars replaces ${id} and &{id} of the loop variables in s;
// other ${...} (a !Sub's own variables) stay.
func substLoopVars(s string, vars map[string]string) string {
	if len(vars) == 0 || !strings.Contains(s, "{") {
		return s
	}
	for id, v := range vars {
		s = strings.ReplaceAll(s, "${"+id+"}", v)
		s = strings.ReplaceAll(s, "&{"+id+"}", alnum(v))
	}
	return s
}

func alnum(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}
