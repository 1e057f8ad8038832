package policy

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// VEX documents say a vulnerability does not affect a product, so the
// gate does not fail on it. Two formats are read: OpenVEX (v0.0.x and
// v0.2.x) and CycloneDX VEX (a BOM whose vulnerabilities carry analysis).
// Statements are applied in document order, so a later one for the same
// vulnerability and product wins, as OpenVEX orders them.

// Statement is one VEX statement, in a form common to both formats.
type Statement struct {
	Vulnerability string   // an ID or alias
	Products      []string // package URLs (with or without version); none means every product
	Status        string   // OpenVEX status: not_affected, affected, fixed, under_investigation
	Justification string
	Detail        string
	Source        string // the document
}

// suppresses reports whether the statement takes a finding out of the gate.
func (s Statement) suppresses() bool {
	return s.Status == "not_affected" || s.Status == "fixed"
}

// LoadVEX reads an OpenVEX or CycloneDX VEX document.
func LoadVEX(p string) ([]Statement, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var probe struct {
		BOMFormat   string          `json:"bomFormat"`
		Statements  json.RawMessage `json:"statements"`
		Vulnerables json.RawMessage `json:"vulnerabilities"`
		Components  []cdxComponent  `json:"components"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: not a VEX document (OpenVEX or CycloneDX JSON): %w", p, err)
	}
	var out []Statement
	switch {
	case probe.Statements != nil:
		out, err = openVEX(probe.Statements)
	case probe.BOMFormat == "CycloneDX":
		out, err = cyclonedxVEX(probe.Vulnerables, probe.Components)
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

// openVEX reads statements; v0.0.x wrote vulnerability and products as
// plain strings, v0.2 as objects.
func openVEX(raw json.RawMessage) ([]Statement, error) {
	var stmts []struct {
		Vulnerability   json.RawMessage   `json:"vulnerability"`
		Products        []json.RawMessage `json:"products"`
		Status          string            `json:"status"`
		Justification   string            `json:"justification"`
		ImpactStatement string            `json:"impact_statement"`
		StatusNotes     string            `json:"status_notes"`
	}
	if err := json.Unmarshal(raw, &stmts); err != nil {
		return nil, fmt.Errorf("OpenVEX statements: %w", err)
	}
	var out []Statement
	for i, s := range stmts {
		var st Statement
		var name string
		if json.Unmarshal(s.Vulnerability, &name) != nil {
			var v struct {
				Name    string   `json:"name"`
				ID      string   `json:"@id"`
				Aliases []string `json:"aliases"`
			}
			if err := json.Unmarshal(s.Vulnerability, &v); err != nil {
				return nil, fmt.Errorf("statement %d: vulnerability: %w", i+1, err)
			}
			name = v.Name
		}
		if name == "" {
			return nil, fmt.Errorf("statement %d: no vulnerability name", i+1)
		}
		st.Vulnerability = name
		for _, p := range s.Products {
			var id string
			if json.Unmarshal(p, &id) == nil {
				st.Products = append(st.Products, id)
				continue
			}
			var prod struct {
				ID            string `json:"@id"`
				Subcomponents []struct {
					ID string `json:"@id"`
				} `json:"subcomponents"`
			}
			if err := json.Unmarshal(p, &prod); err != nil {
				return nil, fmt.Errorf("statement %d: product: %w", i+1, err)
			}
			// A product with subcomponents speaks of those packages in it.
			if len(prod.Subcomponents) == 0 {
				st.Products = append(st.Products, prod.ID)
			}
			for _, sc := range prod.Subcomponents {
				st.Products = append(st.Products, sc.ID)
			}
		}
		switch s.Status {
		case "not_affected", "affected", "fixed", "under_investigation":
		default:
			return nil, fmt.Errorf("statement %d (%s): status %q is not an OpenVEX status", i+1, name, s.Status)
		}
		st.Status, st.Justification = s.Status, s.Justification
		st.Detail = strings.TrimSpace(s.ImpactStatement + " " + s.StatusNotes)
		out = append(out, st)
	}
	return out, nil
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

// cyclonedxVEX maps CycloneDX analysis states to OpenVEX statuses. An
// affects ref is a package URL, a bom-ref of the document's components, or
// a BOM-Link to a bom-ref.
func cyclonedxVEX(raw json.RawMessage, comps []cdxComponent) ([]Statement, error) {
	if raw == nil {
		return nil, nil
	}
	byRef := purls(comps, map[string]string{})
	var vulns []struct {
		ID       string `json:"id"`
		Analysis *struct {
			State         string `json:"state"`
			Justification string `json:"justification"`
			Detail        string `json:"detail"`
		} `json:"analysis"`
		Affects []struct {
			Ref string `json:"ref"`
		} `json:"affects"`
	}
	if err := json.Unmarshal(raw, &vulns); err != nil {
		return nil, fmt.Errorf("CycloneDX vulnerabilities: %w", err)
	}
	var out []Statement
	for _, v := range vulns {
		if v.Analysis == nil || v.ID == "" {
			continue
		}
		st := Statement{Vulnerability: v.ID, Justification: v.Analysis.Justification, Detail: v.Analysis.Detail}
		switch v.Analysis.State {
		case "not_affected", "false_positive":
			st.Status = "not_affected"
		case "resolved", "resolved_with_pedigree":
			st.Status = "fixed"
		case "exploitable":
			st.Status = "affected"
		default:
			st.Status = "under_investigation"
		}
		if len(v.Affects) == 0 {
			continue // CycloneDX requires affects; without it, nothing is said
		}
		for _, a := range v.Affects {
			// A BOM-Link (urn:cdx:serial/version#ref) or a bom-ref; fnscan's
			// and most tools' bom-refs are package URLs.
			ref := a.Ref
			if i := strings.LastIndex(ref, "#"); strings.HasPrefix(ref, "urn:cdx:") && i >= 0 {
				ref, _ = url.PathUnescape(ref[i+1:])
			}
			if p, ok := byRef[ref]; ok {
				ref = p
			}
			st.Products = append(st.Products, ref)
		}
		out = append(out, st)
	}
	return out, nil
}

// productMatches compares a VEX product with a package URL: same type,
// namespace and name; a product without a version covers every version.
// Qualifiers and subpaths are ignored.
func productMatches(product, purl string) bool {
	p, pv := splitPURL(product)
	q, qv := splitPURL(purl)
	if p == "" || !strings.EqualFold(p, q) {
		return false
	}
	return pv == "" || pv == qv
}

func splitPURL(s string) (base, version string) {
	if !strings.HasPrefix(s, "pkg:") {
		return "", ""
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	// The version follows the last "@" after the name (a namespace such as
	// npm's "%40scope" is encoded, but tolerate a raw "@scope/").
	s = unescapePURL(s)
	slash := strings.LastIndex(s, "/")
	if at := strings.LastIndex(s, "@"); at > slash {
		return s[:at], s[at+1:]
	}
	return s, ""
}
