package scan

import (
	"reflect"

	"github.com/fnscan/fnscan/internal/redact"
	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
)

// redactResult hides, in every text of res, the secrets found: those of the
// target's names in every text that names a place (a path is printed in
// every format, beside the redacted value it would otherwise give away),
// and every secret known in every text.
func redactResult(res *Result, red *secrets.Redactor) {
	f := red.Redact
	res.Target.Name = f(res.Target.Name)
	for i := range res.Target.Parts {
		res.Target.Parts[i].Name = f(res.Target.Parts[i].Name)
	}
	// Locations are paths of the target, whose names were all scanned:
	// the known secrets are enough, and there can be many.
	locs := func(ls []sbom.Location) {
		for i := range ls {
			ls[i].Path = red.RedactKnown(ls[i].Path)
			ls[i].Origin.Name = red.RedactKnown(ls[i].Origin.Name)
		}
	}
	for _, c := range res.Components {
		locs(c.Locations)
	}
	for _, vs := range [][]result.Vulnerability{res.Vulnerabilities, res.SuppressedVulnerabilities} {
		for _, v := range vs {
			locs(v.Locations)
		}
	}
	for _, fs := range [][]secrets.Finding{res.Secrets, res.Suppressed} {
		for i := range fs {
			fs[i].Path = f(fs[i].Path)
			fs[i].Origin.Name = f(fs[i].Origin.Name)
		}
	}
	for _, ms := range [][]result.Misconfiguration{res.Misconfigurations, res.SuppressedMisconfigurations} {
		for i := range ms {
			ms[i].File = f(ms[i].File)
			ms[i].Resource = f(ms[i].Resource)
			// Evidence quotes the template: an ARN, a path or a policy
			// can hold a secret the checks do not look for.
			ms[i].Evidence = f(ms[i].Evidence)
			ms[i].Remediation = f(ms[i].Remediation)
		}
	}
	// Then every other text of the result, with every secret known by now
	// (names, file contents) and those the rules for names find in the
	// texts themselves: a component's name, version or purl, an allow
	// comment's reason, a directory target's path. The SBOM is redacted as
	// it is written.
	sb := res.SBOM
	res.SBOM = nil
	red.LearnTexts(redact.Strings(reflect.ValueOf(res)))
	redact.Value(reflect.ValueOf(res), red.RedactKnown)
	res.SBOM = sb
	if res.SBOM != nil {
		// Same function as the locations above, so the SBOM's components
		// still match the result's (CycloneDX vulnerabilities refer to them).
		res.SBOM.Redact(red.RedactKnown, red.LearnTexts)
	}
}
