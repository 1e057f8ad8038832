package policy

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fnscan/fnscan/secrets"
	"github.com/fnscan/fnscan/vuln"
)

// Suppression says why a finding does not count against the gate.
type Suppression struct {
	Kind          string `json:"kind"`                    // "ignore" or "vex"
	Reason        string `json:"reason,omitempty"`        // the ignore's reason, or the VEX detail
	Expires       string `json:"expires,omitempty"`       // the ignore's expiry, as written
	Status        string `json:"status,omitempty"`        // VEX: not_affected or fixed
	Justification string `json:"justification,omitempty"` // VEX justification
	Source        string `json:"source,omitempty"`        // the policy file or VEX document
}

func (s Suppression) String() string {
	switch {
	case s.Kind == "vex" && s.Justification != "":
		return fmt.Sprintf("VEX %s: %s", s.Status, s.Justification)
	case s.Kind == "vex":
		return "VEX " + s.Status
	case s.Expires != "":
		return fmt.Sprintf("ignored until %s: %s", s.Expires, s.Reason)
	}
	return "ignored: " + s.Reason
}

// SuppressedVuln is a vulnerability finding taken out of the gate.
type SuppressedVuln struct {
	Finding     vuln.Finding
	Suppression Suppression
}

// Rules are the ignores and VEX statements a scan applies.
type Rules struct {
	Ignores []Ignore
	VEX     []Statement
	Source  string    // the policy file, for reports
	Now     time.Time // for expiry; zero means the current time
	// Target is the scanned artifact's sha256 (an image's manifest digest):
	// a VEX product naming it (pkg:oci/fn@sha256:…) covers every package.
	Target string
}

// Outcome is what counts and what does not.
type Outcome struct {
	Vulns             []vuln.Finding
	SuppressedVulns   []SuppressedVuln
	Secrets           []secrets.Finding
	SuppressedSecrets []secrets.Finding // with Reason set
	Warnings          []string          // expired ignores
}

// Apply sorts findings into those that count and those suppressed by an
// ignore (checked first: it is the team's own word) or a VEX statement.
func (r Rules) Apply(vulns []vuln.Finding, found []secrets.Finding) Outcome {
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	var out Outcome
	active := make([]*Ignore, 0, len(r.Ignores))
	for i := range r.Ignores {
		ig := &r.Ignores[i]
		if !ig.until.IsZero() && now.After(ig.until) {
			out.Warnings = append(out.Warnings, fmt.Sprintf("the ignore of %s expired on %s: its findings count again", ig.label(), ig.Expires))
			continue
		}
		active = append(active, ig)
	}
	for _, f := range vulns {
		if s, ok := r.suppressVuln(active, f); ok {
			out.SuppressedVulns = append(out.SuppressedVulns, SuppressedVuln{Finding: f, Suppression: s})
			continue
		}
		out.Vulns = append(out.Vulns, f)
	}
	for _, f := range found {
		if ig := matchSecret(active, f); ig != nil {
			f.Reason = Suppression{Kind: "ignore", Reason: ig.Reason, Expires: ig.Expires}.String()
			out.SuppressedSecrets = append(out.SuppressedSecrets, f)
			continue
		}
		out.Secrets = append(out.Secrets, f)
	}
	return out
}

func (r Rules) suppressVuln(active []*Ignore, f vuln.Finding) (Suppression, bool) {
	for _, ig := range active {
		if ig.ID != "" && namesVuln(ig.ID, f) && (ig.Package == "" || packageMatches(ig.Package, f.Package)) {
			return Suppression{Kind: "ignore", Reason: ig.Reason, Expires: ig.Expires, Source: r.Source}, true
		}
	}
	// The last statement about this vulnerability and package decides.
	var last *Statement
	for i := range r.VEX {
		st := &r.VEX[i]
		if !namesVuln(st.Vulnerability, f) {
			continue
		}
		if len(st.Products) == 0 || slices.ContainsFunc(st.Products, func(p string) bool { return productMatches(p, f.Package.PURL) || r.isTarget(p) }) {
			last = st
		}
	}
	if last != nil && last.suppresses() {
		return Suppression{Kind: "vex", Status: last.Status, Justification: last.Justification, Reason: last.Detail, Source: last.Source}, true
	}
	return Suppression{}, false
}

func (r Rules) isTarget(product string) bool {
	if r.Target == "" {
		return false
	}
	p := strings.ToLower(unescapePURL(product))
	return strings.Contains(p, "sha256:"+strings.ToLower(r.Target))
}

// namesVuln: the ID or any alias, ignoring case (cve-2021-1 is CVE-2021-1).
func namesVuln(id string, f vuln.Finding) bool {
	return strings.EqualFold(id, f.ID) || slices.ContainsFunc(f.Aliases, func(a string) bool { return strings.EqualFold(id, a) })
}

// packageMatches takes a package name or a package URL.
func packageMatches(want string, p vuln.Package) bool {
	if strings.HasPrefix(want, "pkg:") {
		return productMatches(want, p.PURL)
	}
	return want == p.Name
}

func matchSecret(active []*Ignore, f secrets.Finding) *Ignore {
	for _, ig := range active {
		switch {
		case ig.Fingerprint != "" && ig.Fingerprint == f.Fingerprint:
			return ig
		case ig.Rule != "" && (ig.Rule == f.RuleID || ig.Rule == "*") && (ig.pathRe == nil || pathMatches(ig.pathRe, f.Path)):
			return ig
		}
	}
	return nil
}

// pathMatches matches an ignore's path glob against a virtual path, whole
// or from inside the target: "test/**" matches "fn.zip!test/a.js", and
// "var/task/**" matches "/var/task/a.js". Nested archives count as
// directories.
func pathMatches(re *regexp.Regexp, virtual string) bool {
	candidates := []string{virtual}
	if _, inner, ok := strings.Cut(virtual, "!"); ok {
		candidates = append(candidates, inner)
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
