package policy

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/secrets"
)

// Suppression says why a finding does not count against the gate.
type Suppression = result.Suppression

// Rules are the ignores and VEX statements a scan applies.
type Rules struct {
	Ignores []Ignore
	VEX     []Statement
	Source  string    // the policy file, for reports
	SHA256  string    // the policy file's digest, for the verdict
	Now     time.Time // for expiry; zero means the current time
	// Targets are the scanned artifact's digests (file sha256, an image's
	// manifest or config digest): a VEX product naming one of them
	// (pkg:oci/fn@sha256:…) covers every package, or its subcomponents.
	Targets []string
	// TargetName is the target's display name, the first part of every
	// virtual path; path globs match what follows it.
	TargetName string
}

// Apply moves the findings that an ignore (checked first: it is the team's
// own word) or a VEX statement takes out of the gate into the Result's
// suppressed lists, each with why. It returns warnings: expired ignores.
func (r Rules) Apply(res *result.Result) []string {
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	var warnings []string
	active := make([]*Ignore, 0, len(r.Ignores))
	for i := range r.Ignores {
		ig := &r.Ignores[i]
		if !ig.until.IsZero() && now.After(ig.until) {
			warnings = append(warnings, fmt.Sprintf("the ignore of %s expired on %s: its findings count again", ig.label(), ig.Expires))
			continue
		}
		active = append(active, ig)
	}
	// Newest statement last, so that it wins; undated ones keep their
	// place before dated ones, and document order breaks ties.
	r.VEX = slices.Clone(r.VEX)
	slices.SortStableFunc(r.VEX, func(a, b Statement) int { return a.Time.Compare(b.Time) })
	kept := res.Vulnerabilities[:0:0]
	for _, v := range res.Vulnerabilities {
		s, ok := r.suppressVuln(active, v)
		if ok {
			v.Suppression = &s
			res.SuppressedVulnerabilities = append(res.SuppressedVulnerabilities, v)
			continue
		}
		if s.Kind == "vex" {
			v.VEX = &s
		}
		kept = append(kept, v)
	}
	res.Vulnerabilities = kept
	result.SortVulnerabilities(res.SuppressedVulnerabilities)
	secs := res.Secrets[:0:0]
	for _, f := range res.Secrets {
		if ig := matchSecret(active, f, r.TargetName); ig != nil {
			f.Reason = Suppression{Kind: "ignore", Reason: ig.Reason, Expires: ig.Expires}.String()
			res.Suppressed = append(res.Suppressed, f)
			continue
		}
		secs = append(secs, f)
	}
	res.Secrets = secs
	mis := res.Misconfigurations[:0:0]
	for _, m := range res.Misconfigurations {
		if ig := matchMisconfig(active, m, r.TargetName); ig != nil {
			m.Suppression = &Suppression{Kind: "ignore", Reason: ig.Reason, Expires: ig.Expires, Source: r.Source}
			res.SuppressedMisconfigurations = append(res.SuppressedMisconfigurations, m)
			continue
		}
		mis = append(mis, m)
	}
	res.Misconfigurations = mis
	return warnings
}

// ruleMatches: an ignore's rule names a misconfiguration rule exactly, or
// by a prefix wildcard ("FNS-CFG-04*"). A bare "*" is the secrets
// wildcard and hides no misconfiguration.
func ruleMatches(rule, id string) bool {
	if prefix, ok := strings.CutSuffix(rule, "*"); ok && prefix != "" {
		return strings.HasPrefix(id, prefix)
	}
	return rule == id
}

// matchMisconfig: a rule ignore naming the rule, narrowed by resource and
// path glob where given.
func matchMisconfig(active []*Ignore, m result.Misconfiguration, targetName string) *Ignore {
	for _, ig := range active {
		if ig.Rule != "" && ruleMatches(ig.Rule, m.RuleID) &&
			(ig.Resource == "" || ig.Resource == m.Resource) &&
			(ig.pathRe == nil || pathMatches(ig.pathRe, m.File, targetName)) {
			return ig
		}
	}
	return nil
}

func (r Rules) suppressVuln(active []*Ignore, f result.Vulnerability) (Suppression, bool) {
	for _, ig := range active {
		if ig.ID != "" && namesVuln(ig.ID, f) && (ig.Package == "" || packageMatches(ig.Package, f.Package)) {
			return Suppression{Kind: "ignore", Reason: ig.Reason, Expires: ig.Expires, Source: r.Source}, true
		}
	}
	// The newest statement about this vulnerability and package decides
	// (r.VEX is in time order, see Apply).
	var last *Statement
	for i := range r.VEX {
		st := &r.VEX[i]
		if (namesVuln(st.Vulnerability, f) || slices.ContainsFunc(st.Aliases, func(a string) bool { return namesVuln(a, f) })) && r.covers(st, f.Package.PURL) {
			last = st
		}
	}
	if last != nil {
		// An affected or under_investigation statement is returned too,
		// not suppressing: the finding keeps what the supplier said.
		return Suppression{Kind: "vex", Status: last.Status, Justification: last.Justification, Reason: last.Detail, Source: last.Source}, last.suppresses()
	}
	return Suppression{}, false
}

// covers reports whether a statement is about the package: a product that
// is the package, or the scanned target itself; or a subcomponent of a
// product that is the target or names no version. A statement without
// products is about nothing.
func (r Rules) covers(st *Statement, purl string) bool {
	for _, p := range st.Products {
		if len(p.Subs) == 0 {
			if productMatches(p.ID, purl) || r.isTarget(p.ID) {
				return true
			}
			continue
		}
		if (r.isTarget(p.ID) || unversioned(p.ID)) && slices.ContainsFunc(p.Subs, func(s string) bool { return productMatches(s, purl) }) {
			return true
		}
	}
	return false
}

func (r Rules) isTarget(product string) bool {
	p := strings.ToLower(unescapePURL(product))
	for _, t := range r.Targets {
		t = strings.ToLower(strings.TrimPrefix(t, "sha256:"))
		if t != "" && strings.Contains(p, "sha256:"+t) {
			return true
		}
	}
	return false
}

// namesVuln: the ID or any alias, ignoring case (cve-2021-1 is CVE-2021-1).
func namesVuln(id string, f result.Vulnerability) bool {
	return strings.EqualFold(id, f.ID) || slices.ContainsFunc(f.Aliases, func(a string) bool { return strings.EqualFold(id, a) })
}

// packageMatches takes a package URL, a name (PyPI's compared as PEP 503
// says) or a Maven group:artifact.
func packageMatches(want string, p result.Package) bool {
	switch {
	case strings.HasPrefix(want, "pkg:"):
		return productMatches(want, p.PURL)
	case want == p.Name:
		return true
	case strings.HasPrefix(p.PURL, "pkg:pypi/"):
		return productMatches("pkg:pypi/"+want, p.PURL)
	case strings.HasPrefix(p.PURL, "pkg:maven/") && strings.Contains(want, ":"):
		return productMatches("pkg:maven/"+strings.Replace(want, ":", "/", 1), p.PURL)
	}
	return false
}

func matchSecret(active []*Ignore, f secrets.Finding, targetName string) *Ignore {
	for _, ig := range active {
		if ig.Resource != "" { // about a misconfiguration
			continue
		}
		switch {
		case ig.Fingerprint != "" && ig.Fingerprint == f.Fingerprint:
			return ig
		case ig.Rule != "" && (ig.Rule == f.RuleID || ig.Rule == "*") && (ig.pathRe == nil || pathMatches(ig.pathRe, f.Path, targetName)):
			return ig
		}
	}
	return nil
}

// pathMatches matches an ignore's path glob against a virtual path, whole
// or from inside the target or layer: "test/**" matches "fn.zip!test/a.js"
// and, scanning a directory named src, "src/test/a.js"; "var/task/**"
// matches "/var/task/a.js". Nested archives count as directories.
func pathMatches(re *regexp.Regexp, virtual, targetName string) bool {
	candidates := []string{virtual}
	if _, inner, ok := strings.Cut(virtual, "!"); ok {
		candidates = append(candidates, inner)
	}
	if targetName != "" {
		if inner, ok := strings.CutPrefix(virtual, strings.TrimSuffix(targetName, "/")+"/"); ok {
			candidates = append(candidates, inner)
		}
	}
	for _, c := range candidates {
		c = strings.TrimPrefix(strings.ReplaceAll(c, "!", "/"), "/")
		if re.MatchString(c) {
			return true
		}
	}
	return false
}

// globRegexp compiles a glob: "**/" is any number of directories, "**"
// anything, "*" and "?" stay within a path segment, [...] is a class.
func globRegexp(glob string) (*regexp.Regexp, error) {
	glob = strings.TrimPrefix(glob, "/")
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; {
		case strings.HasPrefix(glob[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(glob[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			j := strings.IndexByte(glob[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unclosed [ in %q", glob)
			}
			class := glob[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// unescapePURL decodes %40 and the like so both spellings compare equal.
func unescapePURL(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}
