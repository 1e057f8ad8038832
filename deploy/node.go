package deploy

import (
	"errors"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// node is the generic tree every format is read into: YAML and JSON
// through yaml.v3 (so every element keeps its line), Terraform through the
// HCL subset reader. Intrinsic functions in short form (!Ref x) are
// rewritten into their long form ({"Ref": "x"}) so that one resolver
// handles both.
type node struct {
	kind nodeKind
	str  string // scalar text; for nUnknown the unresolved expression
	keys []string
	vals []*node // map values (parallel to keys) or list items
	line int
	// ref is the logical id an unknown value refers to (Ref / GetAtt /
	// Sub of a resource), for linking roles, functions and layers.
	ref string
	// alts are the literal values an unknown may take: the branches of a
	// condition decided at deploy.
	alts []*node
	// tmpl marks an unknown that is an HCL template string: str is its
	// text, ${...} interpolations and all.
	tmpl bool
}

type nodeKind uint8

const (
	nNull nodeKind = iota
	nScalar
	nMap
	nList
	nUnknown
)

func (n *node) get(key string) *node {
	if n == nil || n.kind != nMap {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// path walks map keys; nil when a step is missing.
func (n *node) path(keys ...string) *node {
	for _, k := range keys {
		n = n.get(k)
	}
	return n
}

// mapVals is a copy of a map or list node with f applied to each value.
func (n *node) mapVals(f func(*node) *node) *node {
	c := *n
	c.vals = make([]*node, len(n.vals))
	for i, v := range n.vals {
		c.vals[i] = f(v)
	}
	return &c
}

// refName is what an unresolved reference names, "" for anything else,
// a missing node included.
func (n *node) refName() string {
	if n == nil {
		return ""
	}
	return n.ref
}

func (n *node) scalar() (string, bool) {
	if n == nil || n.kind != nScalar {
		return "", false
	}
	return n.str, true
}

// items returns list items, or the node itself for a single value (CFN
// accepts a string where a list is expected in many places).
func (n *node) items() []*node {
	switch {
	case n == nil || n.kind == nNull:
		return nil
	case n.kind == nList:
		return n.vals
	}
	return []*node{n}
}

// choices returns what a resolved value may be: the literal branches of
// a condition decided at deploy, else the value itself.
func (n *node) choices() []*node {
	if n != nil && n.kind == nUnknown && len(n.alts) > 0 {
		return n.alts
	}
	return []*node{n}
}

// anyItems is items over every choice of the list and of each item: a
// grant under Fn::If counts whichever branch the deploy takes.
func (n *node) anyItems() []*node {
	var out []*node
	for _, l := range n.choices() {
		for _, it := range l.items() {
			out = append(out, it.choices()...)
		}
	}
	return out
}

// value turns a resolved node into a model Value.
func (n *node) value() Value {
	switch {
	case n == nil || n.kind == nNull:
		return Value{}
	case n.kind == nScalar:
		return Value{Text: n.str, State: Known, Line: n.line}
	case n.kind == nUnknown:
		v := Value{Text: n.str, State: Unknown, Line: n.line}
		for _, a := range n.alts {
			if a.kind == nScalar && !slices.Contains(v.Alternatives, a.str) {
				v.Alternatives = append(v.Alternatives, a.str)
			}
		}
		return v
	}
	return Value{Text: "(structure)", State: Unknown, Line: n.line}
}

func (n *node) set(key string, v *node) {
	for i, k := range n.keys {
		if k == key {
			n.vals[i] = v
			return
		}
	}
	n.keys = append(n.keys, key)
	n.vals = append(n.vals, v)
}

// parseYAMLTree reads YAML or JSON into a node tree.
func parseYAMLTree(data []byte) (*node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, errors.New("empty document")
	}
	c := &yamlConv{budget: maxNodes}
	root := c.fromYAML(doc.Content[0], 0)
	if c.budget < 0 {
		return nil, errors.New("document expands to too many nodes (alias bomb?)")
	}
	if root.kind != nMap {
		return nil, errors.New("top level is not a mapping")
	}
	return root, nil
}

const (
	maxDepth = 200
	// maxNodes bounds the tree a document may expand to: YAML aliases
	// are followed, and nested aliases grow exponentially.
	maxNodes = 2_000_000
)

type yamlConv struct{ budget int }

func (c *yamlConv) fromYAML(y *yaml.Node, depth int) *node {
	c.budget--
	if y == nil || depth > maxDepth || c.budget < 0 {
		return &node{kind: nNull}
	}
	for y.Kind == yaml.AliasNode {
		y = y.Alias
		depth++
		if y == nil || depth > maxDepth {
			return &node{kind: nNull}
		}
	}
	n := &node{line: y.Line}
	switch y.Kind {
	case yaml.MappingNode:
		n.kind = nMap
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			if k.Value == "<<" && k.Tag == "!!merge" {
				m := c.fromYAML(v, depth+1)
				for _, src := range m.items() {
					for j, mk := range src.keys {
						if n.get(mk) == nil {
							n.set(mk, src.vals[j])
						}
					}
				}
				continue
			}
			n.set(k.Value, c.fromYAML(v, depth+1))
		}
	case yaml.SequenceNode:
		n.kind = nList
		for _, ch := range y.Content {
			n.vals = append(n.vals, c.fromYAML(ch, depth+1))
		}
	case yaml.ScalarNode:
		if y.Tag == "!!null" {
			n.kind = nNull
			break
		}
		n.kind = nScalar
		n.str = y.Value
	default:
		n.kind = nNull
	}
	if tag := y.Tag; strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		return shortForm(tag[1:], n, y)
	}
	return n
}

// shortForm rewrites "!Fn arg" into {"Fn::Fn": arg}.
func shortForm(fn string, arg *node, y *yaml.Node) *node {
	name := "Fn::" + fn
	switch fn {
	case "Ref", "Condition":
		name = fn
	case "GetAtt":
		if arg.kind == nScalar {
			// !GetAtt Res.Attr.With.Dots: split at the first dot.
			res, attr, _ := strings.Cut(arg.str, ".")
			arg = &node{kind: nList, line: arg.line, vals: []*node{
				{kind: nScalar, str: res, line: arg.line},
				{kind: nScalar, str: attr, line: arg.line},
			}}
		}
	}
	if arg.kind == nNull && y.Kind == yaml.ScalarNode {
		arg = &node{kind: nScalar, str: y.Value, line: y.Line}
	}
	return &node{kind: nMap, line: y.Line, keys: []string{name}, vals: []*node{arg}}
}
