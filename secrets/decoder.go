package secrets

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/zricethezav/gitleaks/v8/detect/codec"
)

// decoder is gitleaks' decoder (detect/codec) with its runs found by
// encodedRuns: the same decoded text, segments and tags, without its
// expression run over every text again at each depth.
// TestDecoderMatchesGitleaks holds it to gitleaks' answers.

// span (bundle.go) compared as gitleaks compares its ranges: touching
// counts as overlapping.
func (s span) overlaps(o span) bool { return o.start <= s.end && o.end >= s.start }
func (s span) contains(o span) bool { return s.start <= o.start && o.end <= s.end }
func (s span) merge(o span) span    { return span{min(s.start, o.start), max(s.end, o.end)} }
func (s span) add(o span) span      { return span{s.start + o.start, s.end + o.end} }

// overflow is how far o reaches past s at each end.
func (s span) overflow(o span) span {
	m := s.merge(o)
	return span{m.start - s.start, m.end - s.end}
}

// segment is one decoded run of one pass.
type segment struct {
	preds    []*segment // the previous pass's segments
	original span       // in the file
	encoded  span       // in this pass's input
	decoded  span       // in this pass's output
	value    string
	kinds    int // bits: 1 << encPercent ...
	depth    int
}

// decodePass replaces each run of data that decodes by what it decodes to.
func decodePass(data string, preds []*segment) (string, []*segment) {
	var segs []*segment
	shift := 0
	for _, r := range encodedRuns(data) {
		enc := data[r.start:r.end]
		val := decodeRun(r.kind, enc)
		if val == "" {
			continue
		}
		s := &segment{
			preds:    preds,
			original: toOriginal(preds, span{r.start, r.end}),
			encoded:  span{r.start, r.end},
			decoded:  span{r.start + shift, r.start + shift + len(val)},
			value:    val,
			kinds:    1 << r.kind,
			depth:    1,
		}
		shift += len(val) - len(enc)
		if len(preds) > 0 {
			s.depth = 1 + preds[0].depth
			for _, p := range preds {
				if s.encoded.overlaps(p.decoded) {
					s.kinds |= p.kinds
				}
			}
		}
		segs = append(segs, s)
	}
	if len(segs) == 0 {
		return data, nil
	}
	var b strings.Builder
	b.Grow(len(data) + shift)
	at := 0
	for _, s := range segs {
		b.WriteString(data[at:s.encoded.start])
		b.WriteString(s.value)
		at = s.encoded.end
	}
	b.WriteString(data[at:])
	return b.String(), segs
}

// decodeRun is what gitleaks decodes a run to ("" when nothing).
func decodeRun(kind int, v string) string {
	switch kind {
	case encPercent:
		return decodePercent(v)
	case encHex:
		// An even run holding a digit, whose bytes are all printable.
		if len(v)%2 != 0 || !strings.ContainsAny(v, "0123456789") {
			return ""
		}
		b := make([]byte, len(v)/2)
		for i := range b {
			b[i] = unhex(v[2*i])<<4 | unhex(v[2*i+1])
		}
		if !allPrintable(b) {
			return ""
		}
		return string(b)
	case encBase64:
		if !strings.ContainsAny(v, "0123456789+/-_") {
			return ""
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(v); err == nil && allPrintable(b) {
				return string(b)
			}
		}
		return ""
	}
	// A unicode run alone is one run of gitleaks' own (what matched from
	// its start matches the same alone): its decoder gives the value.
	out, segs := codec.NewDecoder().Decode(v, nil)
	if len(segs) != 1 {
		return ""
	}
	return out
}

// decodePercent replaces each %XX (XX hex) by its byte; "" if one is not
// printable.
func decodePercent(v string) string {
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && i+2 < len(v) && isHexDigit(v[i+1]) && isHexDigit(v[i+2]) {
			c := unhex(v[i+1])<<4 | unhex(v[i+2])
			if !printable(c) {
				return ""
			}
			b = append(b, c)
			i += 2
			continue
		}
		b = append(b, v[i])
	}
	return string(b)
}

// toOriginal maps a range of a pass's output back to the file.
func toOriginal(preds []*segment, dec span) span {
	if len(preds) == 0 {
		return dec
	}
	var enc span
	for _, p := range preds {
		if !p.decoded.overlaps(dec) {
			continue
		}
		if p.decoded.contains(dec) {
			return p.original
		}
		if e := p.encoded.add(p.decoded.overflow(dec)); enc.end == 0 {
			enc = e
		} else {
			enc = enc.merge(e)
		}
	}
	if enc.end == 0 {
		return dec
	}
	return toOriginal(preds[0].preds, enc)
}

// decodedOverlap lists the segments whose output touches [start, end).
func decodedOverlap(segs []*segment, start, end int) []*segment {
	var out []*segment
	for _, s := range segs {
		if s.decoded.overlaps(span{start, end}) {
			out = append(out, s)
		}
	}
	return out
}

var encodingNames = [...]string{"percent", "unicode", "hex", "base64"}

// segmentTags are gitleaks' tags of a hit's segments: each encoding, then
// the depth.
func segmentTags(segs []*segment) []string {
	if len(segs) == 0 {
		return nil
	}
	kinds := 0
	for _, s := range segs {
		kinds |= s.kinds
	}
	var tags []string
	for k, name := range encodingNames {
		if kinds&(1<<k) != 0 {
			tags = append(tags, "decoded:"+name)
		}
	}
	return append(tags, fmt.Sprintf("decode-depth:%d", segs[0].depth))
}

// printable is gitleaks' printable ASCII: tab to tilde.
func printable(c byte) bool { return c > 0x08 && c < 0x7f }

func allPrintable(b []byte) bool {
	for _, c := range b {
		if !printable(c) {
			return false
		}
	}
	return true
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
