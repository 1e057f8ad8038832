package secrets

// gitleaks' decoder finds encoded runs with one regular expression of four
// alternatives (percent, unicode, hex, base64), run over the whole text by
// Go's NFA at every decoding depth: two thirds of the secrets stage on an
// image, where nearly every text file is searched. The scanner below finds
// the same runs in one pass over the bytes (decoder.go decodes them).
// TestEncodedRunsMatchGitleaks holds it to the expression's matches.

// Encoding kinds in the expression's order; a lower one wins an overlap
// (gitleaks' precedence).
const (
	encPercent = iota
	encUnicode
	encHex
	encBase64
)

type encRun struct {
	kind       int
	start, end int
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isB64 is the base64 alternative's class, [\w/+-].
func isB64(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '/' || c == '+' || c == '-'
}

// isSpace is RE2's \s.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

func hex4(s string, i int) bool {
	return i+4 <= len(s) && isHexDigit(s[i]) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) && isHexDigit(s[i+3])
}

// encodedRuns gives the runs gitleaks' decoder takes from s in one pass:
// the leftmost match at each point, the first alternative that matches
// there, each as long as it goes; then, of two touching runs, the one of
// the later kind is dropped.
func encodedRuns(s string) []encRun {
	var all []encRun
	for i := 0; i < len(s); {
		if r, ok := encodedRunAt(s, i); ok {
			all = append(all, r)
			i = r.end
			continue
		}
		if !isB64(s[i]) {
			i++
			continue
		}
		// A run of the base64 class too short to match: inside it only
		// a "U+" sequence can start a match.
		j := i + 1
		for j < len(s) && isB64(s[j]) && s[j] != 'U' {
			j++
		}
		i = j
	}
	if len(all) < 2 {
		return all
	}
	touch := func(a, b encRun) bool { return b.start <= a.end && b.end >= a.start }
	out := make([]encRun, 0, len(all))
	for i, r := range all {
		if i > 0 && touch(r, all[i-1]) && all[i-1].kind < r.kind {
			continue
		}
		if i+1 < len(all) && touch(r, all[i+1]) && all[i+1].kind < r.kind {
			continue
		}
		out = append(out, r)
	}
	return out
}

// encodedRunAt is the match the expression would make starting at i.
func encodedRunAt(s string, i int) (encRun, bool) {
	c := s[i]
	// %XX, then as far as the last %XX on the line.
	if c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
		end := i + 3
		line := len(s)
		for k := end; k < len(s); k++ {
			if s[k] == '\n' {
				line = k
				break
			}
		}
		for j := line - 3; j >= i+3; j-- {
			if s[j] == '%' && isHexDigit(s[j+1]) && isHexDigit(s[j+2]) {
				end = j + 3
				break
			}
		}
		return encRun{encPercent, i, end}, true
	}
	// U+XXXX followed by a space or the end, repeated.
	if c == 'U' {
		k := i
		for k+1 < len(s) && s[k] == 'U' && s[k+1] == '+' && hex4(s, k+2) {
			if k+6 == len(s) {
				k += 6
				break
			}
			if !isSpace(s[k+6]) {
				break
			}
			k += 7
		}
		if k > i {
			return encRun{encUnicode, i, k}, true
		}
	}
	// \uXXXX or \\uXXXX (either case), repeated.
	if c == '\\' {
		k := i
		for {
			if k+2 < len(s) && s[k] == '\\' && s[k+1] == '\\' && (s[k+2] == 'u' || s[k+2] == 'U') && hex4(s, k+3) {
				k += 7
			} else if k+1 < len(s) && s[k] == '\\' && (s[k+1] == 'u' || s[k+1] == 'U') && hex4(s, k+2) {
				k += 6
			} else {
				break
			}
		}
		if k > i {
			return encRun{encUnicode, i, k}, true
		}
	}
	if !isB64(c) {
		return encRun{}, false
	}
	h := i
	for h < len(s) && isHexDigit(s[h]) {
		h++
	}
	if h-i >= 32 {
		return encRun{encHex, i, h}, true
	}
	b := h
	for b < len(s) && isB64(s[b]) {
		b++
	}
	if b-i < 16 {
		return encRun{}, false
	}
	for n := 0; n < 2 && b < len(s) && s[b] == '='; n++ {
		b++
	}
	return encRun{encBase64, i, b}, true
}
