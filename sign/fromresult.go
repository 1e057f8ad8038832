package sign

import (
	"strings"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/result"
)

// VerdictOf is the verdict predicate of a scan's Result.
func VerdictOf(r *result.Result) VerdictPredicate {
	p := VerdictPredicate{
		Reasons:       []string{},
		Counts:        map[string]int{},
		FnscanVersion: r.Tool.Version,
		ScanTime:      r.ScanTime.UTC(),
		Target:        VerdictTarget{Name: r.Target.Name, SHA256: r.Target.SHA256, CodeSHA256: r.Target.CodeSHA256},
		Secrets:       len(r.Secrets),
	}
	if v := r.Verdict; v != nil {
		p.Pass, p.Threshold, p.PolicySHA256 = v.Pass, strings.ToLower(v.FailOn), v.PolicySHA256
		p.Reasons = append(p.Reasons, v.Reasons...)
		for level, n := range v.Counts {
			if level != "SECRET" { // secrets have their own field
				p.Counts[strings.ToLower(level)] = n
			}
		}
	}
	if d := r.Database; d != nil {
		if newest := d.Newest(); !newest.IsZero() {
			p.DB = VerdictDB{Snapshot: newest.UTC(), AgeSeconds: int64(r.ScanTime.Sub(newest).Seconds())}
		}
	}
	for _, part := range r.Target.Parts {
		if part.Kind == artifact.OriginLayer {
			p.Layers = append(p.Layers, VerdictTarget{Name: part.Name, SHA256: part.SHA256})
		}
	}
	return p
}
