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
	for i := range res.Components {
		c := &res.Components[i]
		redactLocations(c.Locations, f)
		// A package's own fields can hold a secret too; the report's
		// findings are redacted by the same f, and are matched to the
		// components by them (CycloneDX affects).
		c.Ref, c.Name, c.Version, c.PURL = f(c.Ref), f(c.Name), f(c.Version), f(c.PURL)
		for j := range c.Licenses {
			c.Licenses[j] = f(c.Licenses[j])
		}
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
