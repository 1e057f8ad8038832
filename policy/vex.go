package policy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fnscan/fnscan/internal/jsonerr"
)

// VEX documents say a vulnerability does not affect a product, so the
// gate does not fail on it. Two formats are read: OpenVEX (v0.0.x and
// v0.2.x) and CycloneDX VEX (a BOM whose vulnerabilities carry analysis).
// The newest statement about a vulnerability and product wins (statement
// timestamp, else the document's; document order breaks ties). When in
// doubt a statement applies to nothing: a gate fails closed.

// Statement is one VEX statement, in a form common to both formats.
type Statement struct {
	Vulnerability string   // the name
	Aliases       []string // other names of it
	Products      []Product
	Status        string // OpenVEX status: not_affected, affected, fixed, under_investigation
	Justification string
	Detail        string
	Time          time.Time // zero when the document gives none
	Source        string    // the document
}

// Product is what a statement is about: a package (a package URL, with or
// without version), or a product such as an image with the packages in it
// the statement covers.
type Product struct {
	ID   string
	Subs []string
}

// suppresses reports whether the statement takes a finding out of the gate.
func (s Statement) suppresses() bool {
	return s.Status == "not_affected" || s.Status == "fixed"
}

// OpenVEX not_affected justifications (spec v0.2.0).
var openVEXJustifications = []string{
	"component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist",
}

// maxVEXFile bounds a VEX document: a CycloneDX VEX of a whole image is a
// few MB.
const maxVEXFile = 64 << 20

// LoadVEX reads an OpenVEX or CycloneDX VEX document.
func LoadVEX(p string) ([]Statement, error) {
	b, err := readBounded(p, maxVEXFile)
	if err != nil {
		return nil, err
	}
	var probe struct {
		BOMFormat   string          `json:"bomFormat"`
		Timestamp   string          `json:"timestamp"`
		Statements  json.RawMessage `json:"statements"`
		Vulnerables json.RawMessage `json:"vulnerabilities"`
		Components  []cdxComponent  `json:"components"`
		Metadata    struct {
			Timestamp string        `json:"timestamp"`
			Component *cdxComponent `json:"component"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: not a VEX document (OpenVEX or CycloneDX JSON): %w", p, jsonerr.Plain(err, ""))
	}
	var out []Statement
	switch {
	case probe.Statements != nil:
		// OpenVEX requires the document's time: a statement without one
		// of its own would otherwise rank oldest of all.
		if probe.Timestamp == "" {
			return nil, fmt.Errorf("%s: OpenVEX document without its timestamp", p)
		}
		t, terr := parseTime(probe.Timestamp, "OpenVEX timestamp")
		if terr != nil {
			return nil, fmt.Errorf("%s: %w", p, terr)
		}
		out, err = openVEX(probe.Statements, t)
	case probe.BOMFormat == "CycloneDX" && probe.Vulnerables != nil:
		comps := probe.Components
		if probe.Metadata.Component != nil {
			comps = append(comps, *probe.Metadata.Component)
		}
		t, terr := parseTime(probe.Metadata.Timestamp, "metadata.timestamp")
		if terr != nil {
			return nil, fmt.Errorf("%s: %w", p, terr)
		}
		out, err = cyclonedxVEX(probe.Vulnerables, comps, t)
	case probe.BOMFormat == "CycloneDX":
		return nil, fmt.Errorf("%s: a CycloneDX BOM without vulnerabilities is not VEX", p)
	default:
		return nil, fmt.Errorf("%s: not a VEX document: neither OpenVEX statements nor a CycloneDX BOM", p)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	for i := range out {
		out[i].Source = p
	}
	return out, nil
}

// exactKeys refuses, in a list of objects, a key that differs from one the
// reader uses only by case: JSON keys are case-sensitive, Go's decoding is
// not, and a "STATUS" beside "status" would decide the statement.
func exactKeys(raw json.RawMessage, what string, keys ...string) error {
	var objs []map[string]json.RawMessage
	if json.Unmarshal(raw, &objs) != nil {
		return nil // the typed decoding said what is wrong
	}
	for i, o := range objs {
		for k := range o {
			for _, want := range keys {
				if k != want && strings.EqualFold(k, want) {
					return fmt.Errorf("%s %d: key %q is not %q (keys are case-sensitive)", what, i+1, k, want)
				}
			}
		}
		for _, nested := range []string{"analysis"} {
			if v, ok := o[nested]; ok && len(v) > 0 && v[0] == '{' {
				if err := exactKeys(json.RawMessage("["+string(v)+"]"), what+fmt.Sprint(" ", i+1, " ", nested), "state", "justification", "detail", "lastUpdated", "firstIssued", "response"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// parseTime reads a VEX time: which statement is newest decides, so one
// that does not read is an error, not the oldest time there is.
func parseTime(s, what string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 date-time", what, s)
	}
	return t, nil
}

// openVEX reads statements; v0.0.x wrote vulnerability and products as
// plain strings and subcomponents on the statement, v0.2 as objects.
func openVEX(raw json.RawMessage, docTime time.Time) ([]Statement, error) {
	var stmts []struct {
		Vulnerability   json.RawMessage   `json:"vulnerability"`
		Products        []json.RawMessage `json:"products"`
		Subcomponents   []json.RawMessage `json:"subcomponents"` // v0.0.x
		Status          string            `json:"status"`
		Justification   string            `json:"justification"`
		ImpactStatement string            `json:"impact_statement"`
		StatusNotes     string            `json:"status_notes"`
		Timestamp       string            `json:"timestamp"`
	}
	if err := json.Unmarshal(raw, &stmts); err != nil {
		return nil, fmt.Errorf("OpenVEX: %w", jsonerr.Plain(err, "statements"))
	}
	if err := exactKeys(raw, "statement", "vulnerability", "products", "subcomponents", "status", "justification", "impact_statement", "status_notes", "timestamp", "action_statement"); err != nil {
		return nil, fmt.Errorf("OpenVEX: %w", err)
	}
	var out []Statement
	for i, s := range stmts {
		st := Statement{Time: docTime}
		t, err := parseTime(s.Timestamp, fmt.Sprintf("OpenVEX statement %d: timestamp", i+1))
		if err != nil {
			return nil, err
		}
		if !t.IsZero() {
			st.Time = t
		}
		if json.Unmarshal(s.Vulnerability, &st.Vulnerability) != nil {
			var v struct {
				Name    string   `json:"name"`
				Aliases []string `json:"aliases"`
			}
			if err := json.Unmarshal(s.Vulnerability, &v); err != nil {
				return nil, fmt.Errorf("OpenVEX statement %d: %w", i+1, jsonerr.Plain(err, "vulnerability"))
			}
			st.Vulnerability, st.Aliases = v.Name, v.Aliases
		}
		if st.Vulnerability == "" {
			return nil, fmt.Errorf("statement %d: no vulnerability name", i+1)
		}
		where := fmt.Sprintf("statement %d (%s)", i+1, st.Vulnerability)
		var stmtSubs []string
		for _, raw := range s.Subcomponents {
			id, err := openVEXID(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: subcomponent: %w", where, err)
			}
			stmtSubs = append(stmtSubs, id)
		}
		for _, raw := range s.Products {
			p, err := openVEXProduct(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: product: %w", where, err)
			}
			p.Subs = append(p.Subs, stmtSubs...)
			st.Products = append(st.Products, p)
		}
		switch s.Status {
		case "not_affected":
			// The spec requires one of the two; a gate must not take an
			// unexplained claim.
			if s.Justification == "" && s.ImpactStatement == "" {
				return nil, fmt.Errorf("%s: not_affected needs a justification or an impact_statement", where)
			}
			if s.Justification != "" && !slices.Contains(openVEXJustifications, s.Justification) {
				return nil, fmt.Errorf("%s: justification %q is not an OpenVEX justification", where, s.Justification)
			}
		case "affected", "fixed", "under_investigation":
		default:
			return nil, fmt.Errorf("%s: status %q is not an OpenVEX status", where, s.Status)
		}
		st.Status, st.Justification = s.Status, s.Justification
		st.Detail = strings.TrimSpace(s.ImpactStatement + " " + s.StatusNotes)
		out = append(out, st)
	}
	return out, nil
}

// openVEXID reads a component: a string, or an object with @id or
// identifiers.purl.
func openVEXID(raw json.RawMessage) (string, error) {
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id, nil
	}
	var c struct {
		ID          string `json:"@id"`
		Identifiers struct {
			PURL string `json:"purl"`
		} `json:"identifiers"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", err
	}
	if c.Identifiers.PURL != "" && !strings.HasPrefix(c.ID, "pkg:") {
		return c.Identifiers.PURL, nil
	}
	return c.ID, nil
}

func openVEXProduct(raw json.RawMessage) (Product, error) {
	id, err := openVEXID(raw)
	if err != nil {
		return Product{}, err
	}
	p := Product{ID: id}
	var withSubs struct {
		Subcomponents []json.RawMessage `json:"subcomponents"`
	}
	if json.Unmarshal(raw, &withSubs) == nil {
		for _, s := range withSubs.Subcomponents {
			sid, err := openVEXID(s)
			if err != nil {
				return Product{}, fmt.Errorf("subcomponent: %w", err)
			}
			p.Subs = append(p.Subs, sid)
		}
	}
	return p, nil
}

type cdxComponent struct {
	BOMRef     string         `json:"bom-ref"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

// purls maps the document's bom-refs to package URLs.
func purls(comps []cdxComponent, into map[string]string) map[string]string {
	for _, c := range comps {
		if c.BOMRef != "" && c.PURL != "" {
			into[c.BOMRef] = c.PURL
		}
		purls(c.Components, into)
	}
	return into
}

// CycloneDX 1.4-1.7 impact analysis states and justifications.
var (
	// cyclonedxStates maps each state to its OpenVEX status.
	cyclonedxStates = map[string]string{
		"resolved": "fixed", "resolved_with_pedigree": "fixed", "exploitable": "affected",
		"in_triage": "under_investigation", "false_positive": "not_affected", "not_affected": "not_affected",
	}
	cyclonedxJustifications = []string{"code_not_present", "code_not_reachable", "requires_configuration", "requires_dependency",
		"requires_environment", "protected_by_compiler", "protected_at_runtime", "protected_at_perimeter", "protected_by_mitigating_control"}
)

// cyclonedxVEX maps CycloneDX analysis states to OpenVEX statuses. An
// affects ref is a package URL, a bom-ref of the document's components, or
// a BOM-Link to a bom-ref.
func cyclonedxVEX(raw json.RawMessage, comps []cdxComponent, docTime time.Time) ([]Statement, error) {
	byRef := purls(comps, map[string]string{})
	var vulns []struct {
		ID         string `json:"id"`
		References []struct {
			ID string `json:"id"`
		} `json:"references"`
		Analysis *struct {
			State         string `json:"state"`
			Justification string `json:"justification"`
			Detail        string `json:"detail"`
			LastUpdated   string `json:"lastUpdated"`
			FirstIssued   string `json:"firstIssued"`
		} `json:"analysis"`
		Affects []struct {
			Ref      string `json:"ref"`
			Versions []struct {
				Version string `json:"version"`
				Range   string `json:"range"`
				Status  string `json:"status"`
			} `json:"versions"`
		} `json:"affects"`
	}
	if err := json.Unmarshal(raw, &vulns); err != nil {
		return nil, fmt.Errorf("CycloneDX: %w", jsonerr.Plain(err, "vulnerabilities"))
	}
	if err := exactKeys(raw, "vulnerability", "id", "references", "analysis", "affects"); err != nil {
		return nil, fmt.Errorf("CycloneDX: %w", err)
	}
	var out []Statement
	for i, v := range vulns {
		if v.Analysis == nil || v.ID == "" || len(v.Affects) == 0 {
			continue // nothing is said, or about nothing
		}
		// A word the spec does not have is a mistake, not a statement: as
		// with OpenVEX, the document is refused rather than guessed at.
		where := fmt.Sprintf("vulnerability %d (%s)", i+1, v.ID)
		if _, known := cyclonedxStates[v.Analysis.State]; v.Analysis.State != "" && !known {
			return nil, fmt.Errorf("%s: analysis state %q is not a CycloneDX state", where, v.Analysis.State)
		}
		if j := v.Analysis.Justification; j != "" && !slices.Contains(cyclonedxJustifications, j) {
			return nil, fmt.Errorf("%s: justification %q is not a CycloneDX justification", where, j)
		}
		st := Statement{Vulnerability: v.ID, Justification: v.Analysis.Justification, Detail: v.Analysis.Detail, Time: docTime}
		for _, r := range v.References {
			st.Aliases = append(st.Aliases, r.ID)
		}
		for _, f := range []struct{ name, v string }{{"firstIssued", v.Analysis.FirstIssued}, {"lastUpdated", v.Analysis.LastUpdated}} {
			t, err := parseTime(f.v, where+": analysis."+f.name)
			if err != nil {
				return nil, err
			}
			if !t.IsZero() {
				st.Time = t
			}
		}
		st.Status = cmp.Or(cyclonedxStates[v.Analysis.State], "under_investigation") // no state: in triage
		for _, a := range v.Affects {
			ref := a.Ref
			if i := strings.LastIndex(ref, "#"); strings.HasPrefix(ref, "urn:cdx:") && i >= 0 {
				ref, _ = url.PathUnescape(ref[i+1:])
			}
			if p, ok := byRef[ref]; ok {
				ref = p
			}
			// A ref naming a version is the component the analysis is
			// about, whatever versions of it the vulnerability affects in
			// general (the spec's own example). A ref without one covers
			// every version unless versions are listed: then those listed
			// with a status that agrees with the analysis; a vers range is
			// not read here, so it covers nothing (the finding stays in the
			// gate).
			base, version := splitPURL(ref)
			if len(a.Versions) == 0 || version != "" {
				st.Products = append(st.Products, Product{ID: ref})
				continue
			}
			for _, ver := range a.Versions {
				status := cmp.Or(ver.Status, "affected") // the schema's default
				if !slices.Contains([]string{"affected", "unaffected", "unknown"}, status) {
					return nil, fmt.Errorf("%s: version status %q is not a CycloneDX status", where, ver.Status)
				}
				agrees := (status == "unaffected") == st.suppresses()
				if base != "" && ver.Version != "" && agrees {
					st.Products = append(st.Products, Product{ID: base + "@" + ver.Version})
				}
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// productMatches compares a VEX product with a package URL: same type,
// namespace and name (case as the purl type defines it); a product
// without a version covers every version. Qualifiers and subpaths are
// ignored.
func productMatches(product, purl string) bool {
	p, pv := splitPURL(product)
	q, qv := splitPURL(purl)
	if p == "" || p != q {
		return false
	}
	return pv == "" || pv == qv
}

// unversioned: a package URL without a version speaks of every version.
func unversioned(product string) bool {
	base, v := splitPURL(product)
	return base != "" && v == ""
}

var pep503 = regexp.MustCompile(`[-_.]+`)

// splitPURL returns a package URL's type/namespace/name, normalised per
// type (npm and PyPI names are case-insensitive, PyPI's separators too), and
// its version.
func splitPURL(s string) (base, version string) {
	if !strings.HasPrefix(s, "pkg:") {
		return "", ""
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	s = unescapePURL(s)
	slash := strings.LastIndex(s, "/")
	if at := strings.LastIndex(s, "@"); at > slash {
		s, version = s[:at], s[at+1:]
	}
	typ, rest, ok := strings.Cut(strings.TrimPrefix(s, "pkg:"), "/")
	if !ok {
		return "", ""
	}
	typ = strings.ToLower(typ)
	switch typ {
	case "npm", "github", "bitbucket", "composer":
		rest = strings.ToLower(rest)
	case "pypi":
		rest = pep503.ReplaceAllString(strings.ToLower(rest), "-")
	}
	return "pkg:" + typ + "/" + rest, version
}
