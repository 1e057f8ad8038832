package secrets

import (
	"bytes"
	"io"
	"regexp"

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
	// upper: a match inside a longer run of capitals and digits is part of
	// a packed word table ("…DASIADAVIDDDDHADDHAA…" in libunistring's
	// character names), not a key.
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
	binaryCarry    = 256
	maxBinaryMatch = 128 // github_pat_'s 93 bytes, with room
)

// binaryMatch is a credential found in a binary, with the printable run
// around it, which allowlists judge as its line.
type binaryMatch struct {
	id, secret, run string
}

// scanBinary reads an executable in chunks and searches it for
// binaryRules.
func scanBinary(r io.Reader) ([]binaryMatch, int64, error) {
	buf := make([]byte, binaryCarry+binaryChunk)
	var out []binaryMatch
	var read int64
	keep := 0 // bytes carried from the previous chunk
	seen := map[string]bool{}
	for {
		n, err := io.ReadFull(r, buf[keep:])
		read += int64(n)
		data := buf[:keep+n]
		last := err != nil
		// A match must start in this chunk's own part or the carry's
		// unsearched tail: starts in the carry were searched before,
		// unless the match ran past the cut, which the carry repeats.
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
					if at < keep-maxBinaryMatch {
						continue // judged with the previous chunk
					}
					m := br.re.Find(data[at:])
					if m == nil {
						continue
					}
					// A match reaching the chunk's end may go on in the
					// next one: the carry gives it again, whole.
					if !last && at+len(m) >= len(data)-1 {
						continue
					}
					if br.upper && at > 0 && at+len(m) < len(data) && upperOrDigit(data[at-1]) && upperOrDigit(data[at+len(m)]) {
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

// binaryHits scans an executable and names its hits by their rules.
func (e *engine) binaryHits(f artifact.File, path string) ([]hit, int64, error) {
	fh, err := f.Open()
	if err != nil {
		return nil, 0, err
	}
	defer fh.Close()
	ms, n, err := scanBinary(fh)
	var hits []hit
	for _, m := range ms {
		var r *rule
		for _, x := range e.set.rules {
			if x.id == m.id {
				r = x
				break
			}
		}
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
	return hits, n, err
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

// executable reads a file's head to tell whether it is an executable.
func executable(f artifact.File) bool {
	fh, err := f.Open()
	if err != nil {
		return false
	}
	defer fh.Close()
	var head [4]byte
	n, _ := io.ReadFull(fh, head[:])
	return artifact.ExecutableMagic(head[:n])
}

func upperOrDigit(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
