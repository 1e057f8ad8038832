package secrets

import (
	"errors"
	"strings"
)

// Terraform: resource "aws_lambda_function" blocks, environment {
// variables = { K = "v" } }. A small tokenizer covers the HCL subset this
// needs; any expression that is not a plain string literal is a reference.

type tfTok struct {
	kind byte // 'i' identifier/number, 's' string, 'h' heredoc, 'n' newline, or the punctuation itself
	text string
	line int
}

func tfLex(src string) ([]tfTok, error) {
	var toks []tfTok
	line := 1
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			toks = append(toks, tfTok{'n', "", line})
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
				return nil, errors.New("unterminated comment")
			}
			line += strings.Count(src[i:i+2+end], "\n")
			i += end + 4
		case c == '"':
			start, at := i, line
			i++
			depth := 0
			for ; i < len(src); i++ {
				if src[i] == '\\' {
					i++
					continue
				}
				if src[i] == '\n' && depth == 0 {
					return nil, errors.New("unterminated string")
				}
				if src[i] == '$' && i+1 < len(src) && src[i+1] == '{' {
					depth++
					i++
					continue
				}
				if depth > 0 && src[i] == '}' {
					depth--
					continue
				}
				if depth == 0 && src[i] == '"' {
					break
				}
			}
			if i >= len(src) {
				return nil, errors.New("unterminated string")
			}
			body := src[start+1 : i]
			line += strings.Count(body, "\n")
			toks = append(toks, tfTok{'s', tfUnquote(body), at})
			i++
		case c == '<' && strings.HasPrefix(src[i:], "<<"):
			// Heredoc: skip to the closing marker.
			j := i + 2
			if j < len(src) && src[j] == '-' {
				j++
			}
			k := j
			for k < len(src) && src[k] != '\n' {
				k++
			}
			marker := strings.TrimSpace(src[j:k])
			at := line
			rest := src[k:]
			end := -1
			for off := 0; off < len(rest); {
				nl := strings.IndexByte(rest[off+1:], '\n')
				var ln string
				if nl < 0 {
					ln = rest[off+1:]
				} else {
					ln = rest[off+1 : off+1+nl]
				}
				if strings.TrimSpace(ln) == marker {
					end = off + 1 + len(ln)
					break
				}
				if nl < 0 {
					break
				}
				off += nl + 1
			}
			if marker == "" || end < 0 {
				return nil, errors.New("unterminated heredoc")
			}
			line += strings.Count(rest[:end], "\n")
			toks = append(toks, tfTok{'h', "", at})
			i = k + end
		case strings.IndexByte("{}[]()=,:?", c) >= 0:
			toks = append(toks, tfTok{c, string(c), line})
			i++
		default:
			start := i
			for i < len(src) && !strings.ContainsRune(" \t\r\n{}[]()=,:?\"#", rune(src[i])) {
				if src[i] == '/' && i+1 < len(src) && (src[i+1] == '/' || src[i+1] == '*') {
					break
				}
				i++
			}
			if i == start {
				i++ // a lone character such as an operator
				continue
			}
			toks = append(toks, tfTok{'i', src[start:i], line})
		}
	}
	return toks, nil
}

func tfUnquote(s string) string {
	return unescapeBackslashes(s)
}

// unescapeBackslashes resolves \n, \t and \x (any other character stands
// for itself), as .env and HCL strings write them.
func unescapeBackslashes(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// tfClose returns the index of the bracket closing the one at open.
func tfClose(toks []tfTok, open int) int {
	depth := 0
	for i := open; i < len(toks); i++ {
		switch toks[i].kind {
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func parseTerraform(content []byte) ([]envVar, error) {
	toks, err := tfLex(string(content))
	if err != nil {
		return nil, err
	}
	var out []envVar
	for i := 0; i+3 < len(toks); i++ {
		if toks[i].kind != 'i' || toks[i].text != "resource" || toks[i+1].kind != 's' || toks[i+1].text != "aws_lambda_function" {
			continue
		}
		open := i + 2
		for open < len(toks) && toks[open].kind != '{' {
			open++
		}
		end := tfClose(toks, open)
		if end < 0 {
			return nil, errors.New("unclosed aws_lambda_function block")
		}
		out = append(out, tfLambdaEnv(toks[open+1:end])...)
		i = end
	}
	return out, nil
}

// tfLambdaEnv finds environment { variables = { ... } } at the top level
// of a resource body.
func tfLambdaEnv(body []tfTok) []envVar {
	var out []envVar
	for i := 0; i < len(body); i++ {
		t := body[i]
		if t.kind == '{' || t.kind == '[' || t.kind == '(' {
			if t.kind == '{' && i > 0 && body[i-1].kind == 'i' && body[i-1].text == "environment" {
				end := tfClose(body, i)
				if end < 0 {
					return out
				}
				env := body[i+1 : end]
				for j := 0; j+2 < len(env); j++ {
					if env[j].kind == 'i' && env[j].text == "variables" && env[j+1].kind == '=' && env[j+2].kind == '{' {
						vend := tfClose(env, j+2)
						if vend < 0 {
							return out
						}
						out = append(out, tfMap(env[j+3:vend])...)
						j = vend
					}
				}
				i = end
				continue
			}
			if end := tfClose(body, i); end > 0 {
				i = end
			}
		}
	}
	return out
}

// tfMap reads `key = value` entries separated by newlines or commas.
func tfMap(toks []tfTok) []envVar {
	var out []envVar
	i := 0
	for i < len(toks) {
		for i < len(toks) && (toks[i].kind == 'n' || toks[i].kind == ',') {
			i++
		}
		if i+2 >= len(toks)+1 || i+1 >= len(toks) {
			break
		}
		key := toks[i]
		if (key.kind != 'i' && key.kind != 's') || (toks[i+1].kind != '=' && toks[i+1].kind != ':') {
			i++
			continue
		}
		// The value runs to a newline or comma outside brackets.
		j, depth := i+2, 0
		for ; j < len(toks); j++ {
			k := toks[j].kind
			if depth == 0 && (k == 'n' || k == ',') {
				break
			}
			switch k {
			case '{', '[', '(':
				depth++
			case '}', ']', ')':
				depth--
			}
		}
		val := toks[i+2 : j]
		v := envVar{name: key.text, line: key.line}
		if len(val) == 1 && val[0].kind == 's' {
			v.value, v.line = val[0].text, val[0].line
			v.literal = !strings.Contains(val[0].text, "${")
		} else if len(val) == 1 && val[0].kind == 'i' {
			// true, 42: literal but never secret; var.x, data.y: references.
			v.value = val[0].text
			v.literal = !strings.Contains(val[0].text, ".") && numberOrBoolRe.MatchString(val[0].text)
		}
		out = append(out, v)
		i = j
	}
	return out
}
