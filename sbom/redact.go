package sbom

import (
	"github.com/fnscan/fnscan/artifact"
)

// Redact passes the names the SBOM holds through f: a path or a warning can
// hold a secret (a file named after a token). Locations and warnings change
// now; the documents written later give learn every text they hold (a
// package's description or author can hold a token too), then apply f to
// each, which also reaches the paths syft recorded.
func (res *Result) Redact(f func(string) string, learn func([]string)) {
	res.redact, res.learn = f, learn
	res.Subject.Name = f(res.Subject.Name)
	ws := make([]artifact.Warning, len(res.Warnings))
	for i, w := range res.Warnings {
		ws[i] = w
		ws[i].Path, ws[i].Message = f(w.Path), f(w.Message)
	}
	res.Warnings = ws
	for _, c := range res.Components {
		redactLocations(c.Locations, f)
	}
	for _, locs := range res.origins {
		redactLocations(locs, f)
	}
}

func redactLocations(locs []Location, f func(string) string) {
	for i := range locs {
		locs[i].Path = f(locs[i].Path)
		locs[i].Origin.Name = f(locs[i].Origin.Name)
	}
}
