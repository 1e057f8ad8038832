package deploy

import (
	"strconv"
	"strings"
)

// resolver evaluates CloudFormation intrinsic functions over a template:
// parameters resolve to their defaults, pseudo parameters to a placeholder
// that names them (${AWS::AccountId}), conditions on known values to their
// branch. Everything that depends on deploy time (a resource's Ref or
// attribute, an import, a parameter without default) becomes an nUnknown
// node carrying the expression: never "*", never safe.
type resolver struct {
	params     map[string]*node // resolved defaults; nUnknown when none
	mappings   *node
	conditions *node
	condCache  map[string]int8 // 1 true, 0 false, -1 unknown
	resources  map[string]string
	depth      int
}

var pseudoParams = map[string]bool{
	"AWS::AccountId": true, "AWS::Region": true, "AWS::Partition": true, "AWS::URLSuffix": true,
	"AWS::StackName": true, "AWS::StackId": true, "AWS::NotificationARNs": true,
}

func newResolver(root *node) *resolver {
	r := &resolver{
		params:     map[string]*node{},
		mappings:   root.get("Mappings"),
		conditions: root.get("Conditions"),
		condCache:  map[string]int8{},
		resources:  map[string]string{},
	}
	if res := root.get("Resources"); res != nil && res.kind == nMap {
		for i, id := range res.keys {
			typ, _ := res.vals[i].get("Type").scalar()
			r.resources[id] = typ
		}
	}
	if ps := root.get("Parameters"); ps != nil && ps.kind == nMap {
		for i, name := range ps.keys {
			p := ps.vals[i]
			def := p.get("Default")
			typ, _ := p.get("Type").scalar()
			switch {
			case def == nil || def.kind == nNull:
				r.params[name] = &node{kind: nUnknown, str: "!Ref " + name + " (parameter without default)", line: p.line}
			case def.kind == nScalar && (typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<")):
				l := &node{kind: nList, line: def.line}
				for _, s := range strings.Split(def.str, ",") {
					l.vals = append(l.vals, &node{kind: nScalar, str: strings.TrimSpace(s), line: def.line})
				}
				r.params[name] = l
			default:
				r.params[name] = def
			}
		}
	}
	return r
}

func unknown(expr string, line int, ref string) *node {
	return &node{kind: nUnknown, str: expr, line: line, ref: ref}
}

// noValue marks AWS::NoValue: the property is removed.
var noValue = &node{kind: nNull, str: "AWS::NoValue"}

// resolve returns a new tree with intrinsics evaluated.
func (r *resolver) resolve(n *node) *node {
	if n == nil {
		return nil
	}
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxDepth {
		return unknown("(too deep)", n.line, "")
	}
	switch n.kind {
	case nMap:
		if len(n.keys) == 1 && (n.keys[0] == "Ref" || strings.HasPrefix(n.keys[0], "Fn::")) {
			return r.intrinsic(n.keys[0], n.vals[0], n.line)
		}
		out := &node{kind: nMap, line: n.line}
		for i, k := range n.keys {
			v := r.resolve(n.vals[i])
			if v == noValue {
				continue
			}
			out.keys = append(out.keys, k)
			out.vals = append(out.vals, v)
		}
		return out
	case nList:
		out := &node{kind: nList, line: n.line}
		for _, c := range n.vals {
			if v := r.resolve(c); v != noValue {
				out.vals = append(out.vals, v)
			}
		}
		return out
	}
	return n
}

func (r *resolver) intrinsic(fn string, arg *node, line int) *node {
	switch fn {
	case "Ref":
		name, ok := arg.scalar()
		if !ok {
			return unknown("!Ref (not a name)", line, "")
		}
		return r.ref(name, line)
	case "Fn::GetAtt":
		var parts []string
		for _, it := range arg.items() {
			s, ok := r.resolve(it).scalar()
			if !ok {
				return unknown("!GetAtt (unresolved)", line, "")
			}
			parts = append(parts, s)
		}
		if len(parts) == 1 {
			parts = strings.SplitN(parts[0], ".", 2)
		}
		return unknown("!GetAtt "+strings.Join(parts, "."), line, parts[0])
	case "Fn::Sub":
		return r.sub(arg, line)
	case "Fn::Join":
		a := arg.items()
		if len(a) != 2 {
			return unknown("!Join (malformed)", line, "")
		}
		delim, ok := r.resolve(a[0]).scalar()
		list := r.resolve(a[1])
		if !ok || list.kind != nList {
			return unknown("!Join (unresolved)", line, refOf(list))
		}
		var parts []string
		for _, it := range list.vals {
			s, ok := it.scalar()
			if !ok {
				return unknown("!Join "+joinExpr(list, delim), line, refOf(list))
			}
			parts = append(parts, s)
		}
		return &node{kind: nScalar, str: strings.Join(parts, delim), line: line}
	case "Fn::If":
		a := arg.items()
		if len(a) != 3 {
			return unknown("!If (malformed)", line, "")
		}
		name, _ := a[0].scalar()
		switch r.condition(name) {
		case 1:
			return r.resolve(a[1])
		case 0:
			return r.resolve(a[2])
		}
		// Decided at deploy: the literal branches (scalars, statements,
		// lists) are what it may be; AWS::NoValue adds nothing.
		u := unknown("!If "+name, line, "")
		u.addAlts(r.resolve(a[1]), r.resolve(a[2]))
		return u
	case "Fn::Select":
		a := arg.items()
		if len(a) != 2 {
			return unknown("!Select (malformed)", line, "")
		}
		idx, ok := r.resolve(a[0]).scalar()
		list := r.resolve(a[1])
		i, err := strconv.Atoi(idx)
		if !ok || err != nil || list.kind != nList || i < 0 || i >= len(list.vals) {
			return unknown("!Select (unresolved)", line, refOf(list))
		}
		return list.vals[i]
	case "Fn::Split":
		a := arg.items()
		if len(a) != 2 {
			return unknown("!Split (malformed)", line, "")
		}
		delim, ok1 := r.resolve(a[0]).scalar()
		s, ok2 := r.resolve(a[1]).scalar()
		if !ok1 || !ok2 || delim == "" {
			return unknown("!Split (unresolved)", line, "")
		}
		out := &node{kind: nList, line: line}
		for _, p := range strings.Split(s, delim) {
			out.vals = append(out.vals, &node{kind: nScalar, str: p, line: line})
		}
		return out
	case "Fn::FindInMap":
		return r.findInMap(arg.items(), line)
	}
	// Fn::ImportValue, Fn::GetAZs, Fn::Base64, Fn::Cidr, Fn::Transform,
	// Fn::ToJsonString, ...: deploy-time values.
	return unknown("!"+strings.TrimPrefix(fn, "Fn::"), line, "")
}

// findInMap looks a value up in Mappings. A key decided at deploy (a
// pseudo parameter such as ${AWS::Region}, a parameter without default)
// may be any key of its level: the value is Unknown with every value the
// map holds there as its alternatives, judged like Fn::If's branches. The
// LanguageExtensions DefaultValue is what a missing key gives.
func (r *resolver) findInMap(a []*node, line int) *node {
	if len(a) < 3 {
		return unknown("!FindInMap (malformed)", line, "")
	}
	var def *node
	if len(a) > 3 {
		def = a[3].get("DefaultValue")
	}
	cur := []*node{r.mappings}
	var names []string
	decided := true
	for _, k := range a[:3] {
		kn := r.resolve(k)
		var keys []string
		open := false
		for _, c := range kn.choices() {
			s, ok := c.scalar()
			if !ok || strings.Contains(s, "${AWS::") {
				open = true
				break
			}
			keys = append(keys, s)
		}
		if open || len(keys) > 1 {
			decided = false
		}
		if s, ok := kn.scalar(); ok {
			names = append(names, s)
		} else {
			names = append(names, "${"+kn.value().Text+"}")
		}
		var next []*node
		for _, c := range cur {
			if open {
				if c.kind == nMap {
					next = append(next, c.vals...)
				}
				continue
			}
			for _, s := range keys {
				if v := c.get(s); v != nil {
					next = append(next, v)
				}
			}
		}
		cur = next
	}
	expr := "!FindInMap " + strings.Join(names, ".")
	if decided {
		switch {
		case len(cur) == 1:
			return r.resolve(cur[0])
		case def != nil:
			return r.resolve(def)
		}
		return unknown(expr, line, "")
	}
	u := unknown(expr, line, "")
	if def != nil {
		cur = append(cur, def)
	}
	for _, c := range cur {
		u.addAlts(r.resolve(c))
	}
	return u
}

// addAlts adds what each resolved value may be to an unknown's
// alternatives: itself, or an unknown's own alternatives; AWS::NoValue and
// nothing add none.
func (u *node) addAlts(vs ...*node) {
	for _, b := range vs {
		switch {
		case b == nil || b == noValue || b.kind == nNull:
		case b.kind == nUnknown:
			u.alts = append(u.alts, b.alts...)
		default:
			u.alts = append(u.alts, b)
		}
	}
}

func refOf(n *node) string {
	if n == nil {
		return ""
	}
	if n.ref != "" {
		return n.ref
	}
	for _, v := range n.vals {
		if r := refOf(v); r != "" {
			return r
		}
	}
	return ""
}

func joinExpr(list *node, delim string) string {
	var parts []string
	for _, it := range list.vals {
		if s, ok := it.scalar(); ok {
			parts = append(parts, s)
		} else {
			parts = append(parts, "${"+it.str+"}")
		}
	}
	return strings.Join(parts, delim)
}

func (r *resolver) ref(name string, line int) *node {
	switch {
	case name == "AWS::NoValue":
		return noValue
	case pseudoParams[name]:
		return &node{kind: nScalar, str: "${" + name + "}", line: line}
	}
	if p, ok := r.params[name]; ok {
		c := *p
		if c.kind == nScalar || c.kind == nUnknown {
			c.line = line
		}
		return &c
	}
	return unknown("!Ref "+name, line, name)
}

// sub evaluates Fn::Sub. Pseudo parameters stay as ${AWS::...}; a
// variable that cannot be resolved makes the whole string unknown.
func (r *resolver) sub(arg *node, line int) *node {
	var tmpl string
	vars := map[string]*node{}
	switch arg.kind {
	case nScalar:
		tmpl = arg.str
	case nList:
		if len(arg.vals) != 2 {
			return unknown("!Sub (malformed)", line, "")
		}
		s, ok := arg.vals[0].scalar()
		if !ok {
			return unknown("!Sub (malformed)", line, "")
		}
		tmpl = s
		if m := arg.vals[1]; m.kind == nMap {
			for i, k := range m.keys {
				vars[k] = m.vals[i]
			}
		}
	default:
		return unknown("!Sub (malformed)", line, "")
	}
	var b strings.Builder
	known, ref := true, ""
	rest := tmpl
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			b.WriteString(rest[i:])
			break
		}
		name := rest[i+2 : i+j]
		rest = rest[i+j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var v *node
		if vn, ok := vars[name]; ok {
			v = r.resolve(vn)
		} else if res, attr, ok := strings.Cut(name, "."); ok {
			v = unknown("!GetAtt "+res+"."+attr, line, res)
		} else {
			v = r.ref(name, line)
		}
		if s, ok := v.scalar(); ok {
			b.WriteString(s)
			continue
		}
		known = false
		if ref == "" {
			ref = v.ref
		}
		b.WriteString("${" + name + "}")
	}
	if !known {
		return unknown("!Sub "+b.String(), line, ref)
	}
	return &node{kind: nScalar, str: b.String(), line: line}
}

// condition evaluates a named condition: 1 true, 0 false, -1 unknown.
func (r *resolver) condition(name string) int8 {
	if v, ok := r.condCache[name]; ok {
		return v
	}
	r.condCache[name] = -1 // cycle guard
	v := r.condExpr(r.conditions.get(name))
	r.condCache[name] = v
	return v
}

func (r *resolver) condExpr(n *node) int8 {
	if n == nil || n.kind != nMap || len(n.keys) != 1 {
		return -1
	}
	arg := n.vals[0]
	switch n.keys[0] {
	case "Condition":
		s, _ := arg.scalar()
		return r.condition(s)
	case "Fn::Equals":
		a := arg.items()
		if len(a) != 2 {
			return -1
		}
		x, ok1 := r.resolve(a[0]).scalar()
		y, ok2 := r.resolve(a[1]).scalar()
		if !ok1 || !ok2 || strings.Contains(x+y, "${AWS::") {
			return -1
		}
		if x == y {
			return 1
		}
		return 0
	case "Fn::Not":
		a := arg.items()
		if len(a) != 1 {
			return -1
		}
		switch r.condExpr(a[0]) {
		case 1:
			return 0
		case 0:
			return 1
		}
		return -1
	case "Fn::And", "Fn::Or":
		and := n.keys[0] == "Fn::And"
		res := int8(0)
		if and {
			res = 1
		}
		for _, c := range arg.items() {
			v := r.condExpr(c)
			switch {
			case and && v == 0, !and && v == 1:
				return v
			case v == -1:
				res = -1
			}
		}
		return res
	}
	return -1
}
