package secrets

import (
	"strings"
)

// maxDecodeDepth is how many times an encoded run is decoded in turn (an
// encoding inside an encoding), as gitleaks' --max-decode-depth default.
const maxDecodeDepth = 5

// maxSegments: a file with more encoded-looking runs in one pass (a data
// file of tokens) is not decoded further: each hit is checked against
// every run.
const maxSegments = 2000

// maxDecodeFile bounds the files searched for encoded secrets: the
// function's own code and config, not bundles or data.
const maxDecodeFile = 4 << 20

// scanDecoded finds secrets hidden in base64, hex, percent or unicode
// escaped runs of text, as gitleaks does: gitleaks' decoder replaces each run
// by what it decodes to, the rules run again, and a hit inside a decoded run
// is reported at the run's place in the file, marked with its encoding.
// Only first-party text is decoded: not vendored, test or minified files
// (opt.dropLow), nor a bundle's vendored parts, nor a file past maxDecodeFile.
func (e *engine) scanDecoded(path, text string, opt scanOptions) []hit {
	if opt.dropLow || len(text) > maxDecodeFile || len(opt.vendored) > 0 {
		return nil
	}
	opt.par = 1
	ln := &lines{text: text}
	raw := text
	var segs []*segment
	var out []hit
	for range maxDecodeDepth {
		raw, segs = decodePass(raw, segs)
		if len(segs) == 0 || len(segs) > maxSegments {
			break
		}
		for _, h := range e.scan(path, raw, opt) {
			if h.line == 0 {
				continue // a path rule: reported with the file
			}
			end := h.offset + len(h.secret)
			if i := strings.Index(raw[h.offset:], h.secret); i >= 0 {
				end += i
			}
			// The whole match, as gitleaks: an encoded key makes a
			// match the plain text did not.
			over := decodedOverlap(segs, h.offset, end)
			if len(over) == 0 {
				continue // in the text as it is: found already
			}
			orig := toOriginal(segs, span{h.offset, end})
			h.offset = orig.start
			line := ln.lineOf(orig.start)
			h.line = line + 1
			// An allow comment is on the file's own line.
			h.allow = inlineAllow(strings.TrimRight(text[ln.start(line):ln.end(line)], "\r\n"))
			h.description += " (" + strings.Join(segmentTags(over), ", ") + ")"
			out = append(out, h)
		}
	}
	return out
}
