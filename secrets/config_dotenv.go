package secrets

import (
	"regexp"
	"strings"
)

var dotenvLine = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$`)

// parseDotenv reads KEY=value lines: optional export prefix, single or
// double quotes (double quotes may span lines), comments.
func parseDotenv(content []byte) ([]envVar, error) {
	lines := strings.Split(string(content), "\n")
	var out []envVar
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		m := dotenvLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name, raw, at := m[1], strings.TrimSpace(m[2]), i+1
		var value string
		switch {
		case strings.HasPrefix(raw, `"`):
			body := raw[1:]
			for !closedDouble(body) && i+1 < len(lines) {
				i++
				body += "\n" + strings.TrimRight(lines[i], "\r")
			}
			value = unescapeDouble(body)
		case strings.HasPrefix(raw, `'`):
			if j := strings.IndexByte(raw[1:], '\''); j >= 0 {
				value = raw[1 : 1+j]
			} else {
				value = raw[1:]
			}
		default:
			if j := strings.Index(raw, " #"); j >= 0 {
				raw = raw[:j]
			}
			value = strings.TrimSpace(raw)
		}
		out = append(out, envVar{name: name, value: value, line: at, literal: true})
	}
	return out, nil
}

func closedDouble(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return true
		}
	}
	return false
}

// unescapeDouble returns the text up to the closing quote, unescaped.
func unescapeDouble(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return unescapeBackslashes(s[:i])
		}
	}
	return unescapeBackslashes(s)
}
