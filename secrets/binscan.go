package secrets

import (
	"bytes"
	"encoding/binary"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/fnscan/fnscan/artifact"
)

// Compiled programs hold their string literals packed end to end (a Go
// binary's "...maxheadersAKIA…7Zfloating point error..."), where the content
// rules' boundaries (\b, quotes, line ends) never match; gitleaks and Trivy
// skip binaries altogether. A custom runtime's bootstrap is where a key
// hardcoded in a compiled function ends up. Executables and libraries are
// searched for the credentials whose shape is exact on its own, a fixed
// prefix and length, reported under the gitleaks rule of that kind.
// Private keys are not: libraries carry their self-tests' PEM keys
// (libgnutls holds ten).
var binaryRules = []struct {
	id       string
	prefixes []string
	re       *regexp.Regexp // anchored at a prefix
	entropy  float64
	// upper: a match without digits inside a longer run of capitals and
	// digits is part of a packed word table ("…DASIADAVIDDDDHADDHAA…" in
	// libunistring's character names), not a key.
	upper bool
}{
	{"aws-access-token", []string{"AKIA", "ASIA", "ABIA", "ACCA", "A3T"}, regexp.MustCompile(`\A(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}`), 3, true},
	{"github-pat", []string{"ghp_"}, regexp.MustCompile(`\Aghp_[0-9a-zA-Z]{36}`), 3, false},
	{"github-oauth", []string{"gho_"}, regexp.MustCompile(`\Agho_[0-9a-zA-Z]{36}`), 3, false},
	{"github-app-token", []string{"ghu_", "ghs_"}, regexp.MustCompile(`\A(?:ghu|ghs)_[0-9a-zA-Z]{36}`), 3, false},
	{"github-refresh-token", []string{"ghr_"}, regexp.MustCompile(`\Aghr_[0-9a-zA-Z]{36}`), 3, false},
	{"github-fine-grained-pat", []string{"github_pat_"}, regexp.MustCompile(`\Agithub_pat_\w{82}`), 3, false},
	{"gitlab-pat", []string{"glpat-"}, regexp.MustCompile(`\Aglpat-[\w-]{20}`), 3, false},
	{"gcp-api-key", []string{"AIza"}, regexp.MustCompile(`\AAIza[\w-]{35}`), 4, false},
	{"npm-access-token", []string{"npm_"}, regexp.MustCompile(`\Anpm_[a-zA-Z0-9]{36}`), 2, false},
}

const (
	binaryChunk = 4 << 20
	// binaryCarry is kept from one chunk to the next so that a match
	// across the cut is seen whole, with the bytes on either side: starts
	// in the carry's first part were judged with the previous chunk.
	binaryCarry    = 640
	maxBinaryMatch = 128 // github_pat_'s 93 bytes, with room
	// binaryContext is what inBase64 looks at either side: 48 bytes, and
	// four times that for a long run.
	binaryContext = 48
)

// binaryMatch is a credential found in a binary, with the printable run
// around it, which allowlists judge as its line.
type binaryMatch struct {
	id, secret, run string
}

// scanBinary reads an executable in chunks and searches it for
// binaryRules. size, when known (else -1), keeps a small library's buffer
// small: an image holds thousands.
func scanBinary(r io.Reader, size int64) ([]binaryMatch, int64, error) {
	chunk := int64(binaryChunk)
	if size >= 0 && size < chunk {
		// One read and its EOF; not less than 64 KiB, should the size
		// be wrong (a file that grew).
		chunk = max(size+1, 64<<10)
	}
	buf := make([]byte, binaryCarry+int(chunk))
	var out []binaryMatch
	var read int64
	keep := 0 // bytes carried from the previous chunk
	seen := map[string]bool{}
	for {
		n, err := io.ReadFull(r, buf[keep:])
		read += int64(n)
		data := buf[:keep+n]
		last := err != nil
		for _, br := range binaryRules {
			for _, p := range br.prefixes {
				from := 0
				for {
					i := bytes.Index(data[from:], []byte(p))
					if i < 0 {
						break
					}
					at := from + i
					from = at + 1
					if at < keep-maxBinaryMatch-4*binaryContext {
						continue // judged with the previous chunk
					}
					m := br.re.Find(data[at:])
					if m == nil {
						continue
					}
					// A match reaching the chunk's end, or its context, may
					// go on in the next one: the carry gives it again, whole.
					if !last && at+len(m)+4*binaryContext >= len(data)-1 {
						continue
					}
					// Keys packed between other capitals (a Go binary's
					// literals end to end: key after key) have digits.
					if br.upper && at > 0 && at+len(m) < len(data) && upperOrDigit(data[at-1]) && upperOrDigit(data[at+len(m)]) && !hasDigit(string(m[4:])) {
						continue
					}
					if inBase64(data, at, at+len(m)) {
						continue
					}
					s := string(m)
					if seen[br.id+"\x00"+s] || br.entropy > 0 && shannonEntropy(s) <= br.entropy {
						continue
					}
					seen[br.id+"\x00"+s] = true
					out = append(out, binaryMatch{id: br.id, secret: s, run: printableRun(data, at, at+len(m))})
				}
			}
		}
		if last {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = nil
			}
			return out, read, err
		}
		keep = min(binaryCarry, len(data))
		copy(buf, data[len(data)-keep:])
	}
}

// SourceBinary marks a hit found in an executable.
const SourceBinary = "binary"

// binaryHits reads a file once: its head says whether it is an executable
// (ok), and if so the rest streams through scanBinary. Hits are named by
// their rules.
func (e *engine) binaryHits(f artifact.File, path string) (hits []hit, n int64, ok bool, err error) {
	fh, err := f.Open()
	if err != nil {
		return nil, 0, false, err
	}
	defer fh.Close()
	head := make([]byte, 4096)
	k, err := io.ReadFull(fh, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, 0, false, err
	}
	if !executableHead(head[:k]) {
		return nil, 0, false, nil
	}
	ms, n, err := scanBinary(io.MultiReader(bytes.NewReader(head[:k]), fh), f.Size)
	for _, m := range ms {
		r := e.set.byID[m.id]
		if r == nil {
			continue
		}
		// gitleaks' allowlists hold the public example keys that SDKs
		// and tools (fnscan itself) carry.
		if findingAllowed(e.set.global, path, m.secret, m.secret, m.run) || findingAllowed(r.allowlists, path, m.secret, m.secret, m.run) {
			continue
		}
		hits = append(hits, hit{ruleID: r.id, description: r.description, secret: m.secret, source: SourceBinary})
	}
	return hits, n, true, err
}

// printableRun widens [from, to) to the printable text around it, up to
// 256 bytes each way.
func printableRun(b []byte, from, to int) string {
	printable := func(c byte) bool { return c >= 0x20 && c < 0x7f || c == '\t' }
	for lo := max(0, from-256); from > lo && printable(b[from-1]); {
		from--
	}
	for hi := min(len(b), to+256); to < hi && printable(b[to]); {
		to++
	}
	return string(b[from:to])
}

// executableHead says whether a file's head is an executable's. A PE
// file's "MZ" must lead to its "PE" header: text may begin with MZ.
func executableHead(head []byte) bool {
	if !artifact.ExecutableMagic(head) {
		return false
	}
	if head[0] == 'M' {
		if len(head) < 0x40 {
			return false
		}
		at := int(binary.LittleEndian.Uint32(head[0x3c:]))
		return at >= 0x40 && at+4 <= len(head) && string(head[at:at+4]) == "PE\x00\x00"
	}
	return true
}

func upperOrDigit(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

// executableName: names the text rules skip (gitleaks' global allowlist,
// binaryExt) that executables take.
func executableName(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".exe", ".bin":
		return true
	}
	return false
}

// inBase64 says whether the match lies inside a run of base64 (an
// embedded WASM module or certificate bundle in node's binary holds
// "…CyABIARHBEADQCABLQAAQYA+ai0…"): on either side 48 bytes of its alphabet,
// each side a fifth capitals and a fifth small letters at least, mixed as
// random bytes encode. Packed literals have spaces and punctuation, or runs
// of words and keys: "…multipartmaxheadersAKIA…".
func inBase64(b []byte, from, to int) bool {
	return mixedBase64(b, from, to) || longBase64(b, from, to)
}

// longBase64: a run of the base64 alphabet around the match, 64 bytes on
// either side at least and 200 in all with a +, / or = in it, or all 384
// looked at; a fifth of it capitals and a tenth small letters (node embeds
// WASM modules so: "…AAAAcAAAANQAA…"; a Go binary's packed names are small
// letters, with punctuation between; a key just after a blob is a key).
func longBase64(b []byte, from, to int) bool {
	n, sym, upper, lower := 0, false, 0, 0
	count := func(c byte) bool {
		switch {
		case c >= 'a' && c <= 'z':
			lower++
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= '0' && c <= '9':
		case c == '+' || c == '/' || c == '=':
			sym = true
		default:
			return false
		}
		n++
		return true
	}
	for i := from - 1; i >= max(0, from-binaryContext*4) && count(b[i]); i-- {
	}
	left := n
	for i := to; i < min(len(b), to+binaryContext*4) && count(b[i]); i++ {
	}
	if left < 64 || n-left < 64 {
		return false
	}
	return (n >= 200 && sym || n >= binaryContext*8) && upper*5 >= n && lower*10 >= n
}

func mixedBase64(b []byte, from, to int) bool {
	const span = binaryContext
	if from < span || to+span > len(b) {
		return false
	}
	for _, side := range [][]byte{b[from-span : from], b[to : to+span]} {
		lower, upper := 0, 0
		lowRun, capRun := 0, 0 // current runs: small letters; capitals and digits
		for _, c := range side {
			switch {
			case c >= 'a' && c <= 'z':
				lower++
				lowRun, capRun = lowRun+1, 0
			case c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
				if c >= 'A' {
					upper++
				}
				lowRun, capRun = 0, capRun+1
			case c == '+', c == '/', c == '=':
				lowRun, capRun = 0, 0
			default:
				return false
			}
			// A word ("multipartmaxheaders") or a key beside it: random
			// base64 holds such a run once in a few hundred bytes.
			if lowRun >= 8 || capRun >= 12 {
				return false
			}
		}
		if lower*5 < span || upper*5 < span {
			return false
		}
	}
	return true
}

// hasDigit says whether s holds a digit: a key ID's 16 random base32
// characters lack one in 3.6% of keys, a word table's letters nearly always.
func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }
