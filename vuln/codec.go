package vuln

import (
	"encoding/binary"
	"errors"
	"time"
)

// A small length-prefixed binary encoding for the index and briefs: JSON
// decoding of these dominated matching time.

type encoder struct{ b []byte }

func (e *encoder) uint(v int) { e.b = binary.AppendUvarint(e.b, uint64(v)) }

func (e *encoder) str(s string) {
	e.uint(len(s))
	e.b = append(e.b, s...)
}

func (e *encoder) strs(list []string) {
	e.uint(len(list))
	for _, s := range list {
		e.str(s)
	}
}

type decoder struct {
	b   []byte
	err error
}

var errCorrupt = errors.New("corrupt index entry")

func (d *decoder) uint() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(len(d.b))+1<<20 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) str() string {
	n := d.uint()
	if d.err != nil || n > len(d.b) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) strs() []string {
	n := d.uint()
	if n == 0 || d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.err = errCorrupt
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

// Event kinds in the encoding.
const (
	evIntroduced = iota
	evFixed
	evLastAffected
	evLimit
)

func encodeAffected(list []compactAffected) []byte {
	var e encoder
	e.uint(len(list))
	for _, a := range list {
		e.uint(a.I)
		e.str(a.E)
		e.uint(len(a.R))
		for _, r := range a.R {
			e.str(r.Type)
			e.uint(len(r.Events))
			for _, ev := range r.Events {
				switch {
				case ev.Introduced != "":
					e.uint(evIntroduced)
					e.str(ev.Introduced)
				case ev.Fixed != "":
					e.uint(evFixed)
					e.str(ev.Fixed)
				case ev.LastAffected != "":
					e.uint(evLastAffected)
					e.str(ev.LastAffected)
				default:
					e.uint(evLimit)
					e.str(ev.Limit)
				}
			}
		}
		e.strs(a.V)
	}
	return e.b
}

func decodeAffected(b []byte) ([]compactAffected, error) {
	d := decoder{b: b}
	n := d.uint()
	if n > len(b) {
		return nil, errCorrupt
	}
	out := make([]compactAffected, 0, n)
	for range n {
		var a compactAffected
		a.I = d.uint()
		a.E = d.str()
		nr := d.uint()
		for range min(nr, len(d.b)) {
			r := Range{Type: d.str()}
			ne := d.uint()
			if ne > len(d.b) {
				return nil, errCorrupt
			}
			r.Events = make([]Event, ne)
			for i := range r.Events {
				kind, v := d.uint(), d.str()
				switch kind {
				case evIntroduced:
					r.Events[i].Introduced = v
				case evFixed:
					r.Events[i].Fixed = v
				case evLastAffected:
					r.Events[i].LastAffected = v
				default:
					r.Events[i].Limit = v
				}
			}
			a.R = append(a.R, r)
		}
		a.V = d.strs()
		if d.err != nil {
			return nil, d.err
		}
		out = append(out, a)
	}
	return out, d.err
}

func encodeSeverities(e *encoder, list []SeverityEntry) {
	e.uint(len(list))
	for _, s := range list {
		e.str(s.Type)
		e.str(s.Score)
	}
}

func decodeSeverities(d *decoder) []SeverityEntry {
	n := d.uint()
	if n == 0 || n > len(d.b) {
		return nil
	}
	out := make([]SeverityEntry, n)
	for i := range out {
		out[i] = SeverityEntry{Type: d.str(), Score: d.str()}
	}
	return out
}

func encodeBrief(b *brief) []byte {
	var e encoder
	e.str(b.ID)
	e.strs(b.Aliases)
	e.str(b.Summary)
	m, _ := b.Modified.MarshalBinary()
	e.str(string(m))
	encodeSeverities(&e, b.Severity)
	e.uint(len(b.AffectedSeverity))
	for _, i := range sortedKeys(b.AffectedSeverity) {
		e.uint(i)
		encodeSeverities(&e, b.AffectedSeverity[i])
	}
	e.str(b.GHSASeverity)
	e.strs(b.References)
	return e.b
}

func decodeBrief(raw []byte) (*brief, error) {
	d := decoder{b: raw}
	b := &brief{ID: d.str(), Aliases: d.strs(), Summary: d.str()}
	var m time.Time
	if err := m.UnmarshalBinary([]byte(d.str())); err == nil {
		b.Modified = m
	}
	b.Severity = decodeSeverities(&d)
	if n := d.uint(); n > 0 && n <= len(d.b) {
		b.AffectedSeverity = make(map[int][]SeverityEntry, n)
		for range n {
			i := d.uint()
			b.AffectedSeverity[i] = decodeSeverities(&d)
		}
	}
	b.GHSASeverity = d.str()
	b.References = d.strs()
	return b, d.err
}

func sortedKeys(m map[int][]SeverityEntry) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
