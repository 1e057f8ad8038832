package deploy

import (
	"errors"
	"fmt"
	"strings"
)

// A reader for the subset of HCL native syntax Terraform configurations of
// functions use: blocks, attributes, strings (with ${} templates),
// heredocs, numbers, bools, null, tuples, objects, references and function
// calls. It builds the same node tree as the YAML reader: a block body is
// a map, repeated nested blocks a list under their type. What it cannot
// evaluate (references, interpolations, operators, for expressions,
// function calls other than jsonencode) becomes an nUnknown node carrying
// the expression text and, for a reference, the resource it names
// ("aws_iam_role.fn").

type hclTok struct {
	kind byte // 'i' ident/number, 's' string, 'h' heredoc, 'n' newline, 'e' end, or punctuation
	text string
	line int
	tmpl bool // a string or heredoc with ${ } interpolation
}

func hclLex(src string) ([]hclTok, error) {
	var toks []hclTok
	line := 1
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			toks = append(toks, hclTok{kind: 'n', line: line})
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#' || (c == '/' && i+1 < len(src) && src[i+1] == '/'):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated comment", line)
			}
			line += strings.Count(src[i:i+2+end], "\n")
			i += end + 4
		case c == '"':
			at := line
			var b strings.Builder
			tmpl := false
			depth := 0
			j := i + 1
			for ; j < len(src); j++ {
				ch := src[j]
				if depth == 0 && ch == '"' {
					break
				}
				if ch == '\n' && depth == 0 {
					return nil, fmt.Errorf("line %d: unterminated string", at)
				}
				if ch == '\\' && j+1 < len(src) && depth == 0 {
					j++
					switch src[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					default:
						b.WriteByte(src[j])
					}
					continue
				}
				if (ch == '$' || ch == '%') && j+1 < len(src) && src[j+1] == '{' {
					if j+2 < len(src) && src[j-1] == ch {
						// $${ is a literal ${
					} else {
						tmpl = true
						depth++
					}
				} else if ch == '}' && depth > 0 {
					depth--
				}
				b.WriteByte(ch)
			}
			if j >= len(src) {
				return nil, fmt.Errorf("line %d: unterminated string", at)
			}
			toks = append(toks, hclTok{kind: 's', text: b.String(), line: at, tmpl: tmpl})
			i = j + 1
		case c == '<' && strings.HasPrefix(src[i:], "<<"):
			j := i + 2
			indent := j < len(src) && src[j] == '-'
			if indent {
				j++
			}
			k := strings.IndexByte(src[j:], '\n')
			if k < 0 {
				return nil, fmt.Errorf("line %d: unterminated heredoc", line)
			}
			marker := strings.TrimSpace(src[j : j+k])
			body := src[j+k+1:]
			var lines []string
			end := -1
			for off := 0; off <= len(body); {
				nl := strings.IndexByte(body[off:], '\n')
				var ln string
				if nl < 0 {
					ln = body[off:]
				} else {
					ln = body[off : off+nl]
				}
				if strings.TrimSpace(ln) == marker {
					end = off + len(ln)
					break
				}
				lines = append(lines, ln)
				if nl < 0 {
					break
				}
				off += nl + 1
			}
			if marker == "" || end < 0 {
				return nil, fmt.Errorf("line %d: unterminated heredoc", line)
			}
			text := strings.Join(lines, "\n")
			toks = append(toks, hclTok{kind: 'h', text: text, line: line + 1, tmpl: strings.Contains(text, "${")})
			line += 1 + len(lines)
			i = j + k + 1 + end
		case strings.IndexByte("{}[]()=,:?!.*+-/%<>&|", c) >= 0:
			toks = append(toks, hclTok{kind: c, text: string(c), line: line})
			i++
		default:
			start := i
			for i < len(src) && !strings.ContainsRune(" \t\r\n{}[]()=,:?!\"#*+/%<>&|", rune(src[i])) {
				if src[i] == '.' && !(i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9' && isNumber(src[start:i])) {
					break
				}
				i++
			}
			if i == start {
				return nil, fmt.Errorf("line %d: unexpected %q", line, c)
			}
			toks = append(toks, hclTok{kind: 'i', text: src[start:i], line: line})
		}
	}
	toks = append(toks, hclTok{kind: 'e', line: line})
	return toks, nil
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

type hclParser struct {
	toks  []hclTok
	pos   int
	depth int
	// inParens: inside (), [] or call arguments, where HCL ignores
	// newlines; in a block body or an object they end an item.
	inParens bool
}

func (p *hclParser) peek() hclTok { return p.toks[p.pos] }
func (p *hclParser) next() hclTok {
	t := p.toks[p.pos]
	if t.kind != 'e' {
		p.pos++
	}
	return t
}
func (p *hclParser) skipNewlines() {
	for p.peek().kind == 'n' {
		p.pos++
	}
}

// parseHCL reads a file into a map: top-level blocks by type, then labels
// ("resource" -> "aws_lambda_function" -> "fn" -> body).
func parseHCL(src string) (*node, error) {
	toks, err := hclLex(src)
	if err != nil {
		return nil, err
	}
	p := &hclParser{toks: toks}
	root, err := p.body('e')
	if err != nil {
		return nil, err
	}
	return root, nil
}

func (p *hclParser) body(end byte) (*node, error) {
	out := &node{kind: nMap, line: p.peek().line}
	for {
		p.skipNewlines()
		t := p.peek()
		if t.kind == end {
			p.next()
			return out, nil
		}
		if t.kind == 'e' {
			return nil, errors.New("unexpected end of file: a block is not closed")
		}
		if t.kind != 'i' {
			return nil, fmt.Errorf("line %d: expected an attribute or block, got %q", t.line, t.text)
		}
		p.next()
		name := t.text
		if p.peek().kind == '=' {
			p.next()
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			out.set(name, v)
			continue
		}
		var labels []string
		for p.peek().kind == 's' || p.peek().kind == 'i' {
			labels = append(labels, p.next().text)
		}
		if p.next().kind != '{' {
			return nil, fmt.Errorf("line %d: expected { after block %s", t.line, name)
		}
		p.depth++
		if p.depth > maxDepth {
			return nil, errors.New("blocks nested too deep")
		}
		b, err := p.body('}')
		p.depth--
		if err != nil {
			if strings.HasPrefix(err.Error(), "unexpected end of file") {
				return nil, fmt.Errorf("line %d: block %s is not closed", t.line, name)
			}
			return nil, err
		}
		b.line = t.line
		if len(labels) == 0 {
			// Nested block: repeated ones form a list.
			l := out.get(name)
			if l == nil {
				l = &node{kind: nList, line: t.line}
				out.set(name, l)
			}
			l.vals = append(l.vals, b)
			continue
		}
		cur := out
		for i, lb := range append([]string{name}, labels...) {
			if i == len(labels) {
				cur.set(lb, b)
				break
			}
			nx := cur.get(lb)
			if nx == nil {
				nx = &node{kind: nMap, line: t.line}
				cur.set(lb, nx)
			}
			cur = nx
		}
	}
}

// expr reads one expression up to the end of the attribute.
func (p *hclParser) expr() (*node, error) {
	start := p.pos
	v, err := p.primary()
	if err != nil {
		return nil, err
	}
	if p.inParens {
		p.skipNewlines()
	}
	// Anything after a primary (operators, conditionals, splats) makes
	// the value computed: skip to the end of the expression.
	if k := p.peek().kind; k != 'n' && k != ',' && k != '}' && k != ']' && k != ')' && k != 'e' {
		if err := p.skipExpr(); err != nil {
			return nil, err
		}
		return unknown(p.text(start, p.pos), p.toks[start].line, refOf(v)), nil
	}
	return v, nil
}

func (p *hclParser) text(from, to int) string {
	var parts []string
	for _, t := range p.toks[from:to] {
		if t.kind == 'n' {
			continue
		}
		s := t.text
		if t.kind == 's' {
			s = `"` + s + `"`
		}
		parts = append(parts, s)
	}
	// Cut at a token, never inside one: a string cut in two could hold a
	// secret that is no longer whole enough to be found and redacted.
	n := 0
	for i, part := range parts {
		if n += len(part) + 1; n > 81 {
			if i == 0 {
				if len(part) > 256 { // a heredoc: too long to quote at all
					return fmt.Sprintf("(expression of %d characters)", len(strings.Join(parts, " ")))
				}
				continue
			}
			return strings.Join(parts[:i], " ") + " …"
		}
	}
	return strings.Join(parts, " ")
}

// skipExpr skips balanced tokens to a comma or closing bracket at depth
// 0, or to a newline where newlines end an item.
func (p *hclParser) skipExpr() error {
	var open []int // lines of the brackets not yet closed
	for {
		t := p.peek()
		switch t.kind {
		case 'e':
			if len(open) > 0 {
				return fmt.Errorf("line %d: bracket not closed", open[len(open)-1])
			}
			return nil
		case '{', '[', '(':
			open = append(open, t.line)
		case '}', ']', ')':
			if len(open) == 0 {
				return nil
			}
			open = open[:len(open)-1]
		case ',':
			if len(open) == 0 {
				return nil
			}
		case 'n':
			if len(open) == 0 && !p.inParens {
				return nil
			}
		}
		p.next()
	}
}

// skipFor skips a for expression ("for k, v in x : k => v if c", whose
// commas, colons and newlines are its own) and the bracket that closes it.
func (p *hclParser) skipFor(open hclTok) error {
	depth := 0
	for {
		t := p.next()
		switch t.kind {
		case 'e':
			return fmt.Errorf("line %d: for expression not closed", open.line)
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			if depth == 0 {
				return nil
			}
			depth--
		}
	}
}

// nested sets whether newlines are insignificant for the expressions read
// until the returned func restores the outer setting.
func (p *hclParser) nested(inParens bool) func() {
	outer := p.inParens
	p.inParens = inParens
	return func() { p.inParens = outer }
}

func (p *hclParser) primary() (*node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errors.New("expression nested too deep")
	}
	t := p.next()
	switch t.kind {
	case 's', 'h':
		if t.tmpl {
			ref := ""
			if i := strings.Index(t.text, "${"); i >= 0 {
				ref = tfRef(strings.TrimSpace(strings.SplitN(t.text[i+2:], "}", 2)[0]))
			}
			u := unknown(t.text, t.line, ref)
			u.tmpl = true
			return u, nil
		}
		n := &node{kind: nScalar, str: t.text, line: t.line}
		if t.kind == 'h' {
			n.str = strings.TrimSpace(t.text)
		}
		return n, nil
	case '-':
		if n := p.peek(); n.kind == 'i' && isNumber(strings.ReplaceAll(n.text, ".", "")) {
			p.next()
			return &node{kind: nScalar, str: "-" + n.text, line: t.line}, nil
		}
		return unknown("-", t.line, ""), nil
	case '[':
		defer p.nested(true)()
		l := &node{kind: nList, line: t.line}
		for {
			p.skipNewlines()
			if p.peek().kind == ']' {
				p.next()
				return l, nil
			}
			if p.peek().kind == 'i' && p.peek().text == "for" {
				start := p.pos
				if err := p.skipFor(t); err != nil {
					return nil, err
				}
				return unknown("["+p.text(start, p.pos), t.line, ""), nil
			}
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			l.vals = append(l.vals, v)
			p.skipNewlines()
			if p.peek().kind == ',' {
				p.next()
			}
			if p.peek().kind == 'e' {
				return nil, fmt.Errorf("line %d: unterminated list", t.line)
			}
		}
	case '{':
		defer p.nested(false)()
		m := &node{kind: nMap, line: t.line}
		for {
			p.skipNewlines()
			k := p.peek()
			if k.kind == '}' {
				p.next()
				return m, nil
			}
			if k.kind == 'i' && k.text == "for" {
				start := p.pos
				if err := p.skipFor(t); err != nil {
					return nil, err
				}
				return unknown("{"+p.text(start, p.pos), t.line, ""), nil
			}
			if k.kind == 'e' {
				return nil, fmt.Errorf("line %d: unterminated object", t.line)
			}
			key, err := p.primary()
			if err != nil {
				return nil, err
			}
			if sep := p.next(); sep.kind != '=' && sep.kind != ':' {
				return nil, fmt.Errorf("line %d: expected = or : in object", sep.line)
			}
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			name := key.str
			if key.kind == nUnknown && !strings.Contains(key.str, ".") {
				name = key.str
			}
			m.set(name, v)
			p.skipNewlines()
			if p.peek().kind == ',' {
				p.next()
			}
		}
	case '(':
		defer p.nested(true)()
		p.skipNewlines()
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.skipNewlines()
		if p.next().kind != ')' {
			return nil, fmt.Errorf("line %d: expected )", t.line)
		}
		return v, nil
	case 'i':
		switch t.text {
		case "true", "false":
			return &node{kind: nScalar, str: t.text, line: t.line}, nil
		case "null":
			return &node{kind: nNull, line: t.line}, nil
		}
		if isNumber(strings.ReplaceAll(t.text, ".", "")) {
			return &node{kind: nScalar, str: t.text, line: t.line}, nil
		}
		if p.peek().kind == '(' {
			return p.call(t)
		}
		// A reference: a.b.c, a[0].b, a.*.b
		parts := []string{t.text}
		for {
			k := p.peek().kind
			if k == '.' {
				p.next()
				if n := p.peek(); n.kind == 'i' || n.kind == '*' {
					parts = append(parts, p.next().text)
				}
				continue
			}
			if k == '[' {
				p.next()
				if err := p.skipExpr(); err != nil {
					return nil, err
				}
				p.next()
				parts = append(parts, "[]")
				continue
			}
			break
		}
		expr := strings.Join(parts, ".")
		// An identifier on its own is an object key or a keyword.
		if len(parts) == 1 {
			return &node{kind: nUnknown, str: expr, line: t.line}, nil
		}
		return unknown(expr, t.line, tfRef(expr)), nil
	}
	return nil, fmt.Errorf("line %d: unexpected %q", t.line, t.text)
}

// call reads a function call; jsonencode(x) is x (the policy documents
// Terraform writes inline), any other call is computed.
func (p *hclParser) call(fn hclTok) (*node, error) {
	defer p.nested(true)()
	start := p.pos - 1
	p.next() // (
	var args []*node
	for {
		p.skipNewlines()
		if p.peek().kind == ')' {
			p.next()
			break
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		args = append(args, v)
		p.skipNewlines()
		switch p.peek().kind {
		case ',':
			p.next()
		case ')':
		default:
			if err := p.skipExpr(); err != nil {
				return nil, err
			}
		}
		if p.peek().kind == 'e' {
			return nil, fmt.Errorf("line %d: unterminated call", fn.line)
		}
	}
	if fn.text == "jsonencode" && len(args) == 1 {
		return args[0], nil
	}
	return unknown(p.text(start, p.pos), fn.line, refOf(&node{kind: nList, vals: args})), nil
}

// tfRef returns the resource a reference names: "aws_iam_role.fn" from
// aws_iam_role.fn.arn, "data.aws_iam_policy_document.x" from its .json.
func tfRef(expr string) string {
	parts := strings.Split(expr, ".")
	switch {
	case len(parts) >= 3 && parts[0] == "data":
		return strings.Join(parts[:3], ".")
	case len(parts) >= 2 && parts[0] != "var" && parts[0] != "local" && parts[0] != "each" && parts[0] != "count" && parts[0] != "module":
		return parts[0] + "." + parts[1]
	}
	return ""
}
