package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"
	"github.com/anchore/packageurl-go"
	syftart "github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/format"
	"github.com/anchore/syft/syft/format/cyclonedxjson"
	"github.com/anchore/syft/syft/format/cyclonedxxml"
	"github.com/anchore/syft/syft/format/spdxjson"

	"github.com/fnscan/fnscan/artifact"
)

// maxSBOMSize bounds what Read loads: parsing takes up to ~100× the
// file in memory, and real SBOMs are a few MB.
const maxSBOMSize = 64 << 20

// Read loads an existing SBOM (CycloneDX JSON or XML, SPDX JSON), validates
// it and returns it as a Result that can be re-emitted or scanned.
func Read(p string) (*Result, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if fi.Size() > maxSBOMSize {
		return nil, fmt.Errorf("%s: SBOM larger than %d MiB", p, maxSBOMSize>>20)
	}
	// Bounded by bytes read too: a device or FIFO reports no size.
	b, err := artifact.ReadFileBounded(p, maxSBOMSize)
	if errors.Is(err, artifact.ErrTooLarge) {
		return nil, fmt.Errorf("%s: SBOM larger than %d MiB", p, maxSBOMSize>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	sum := sha256.Sum256(b)
	subject := Subject{Name: filepath.Base(p), Kind: "sbom", SHA256: hex.EncodeToString(sum[:]), Size: fi.Size()}
	// A UTF-8 byte order mark (Windows tools write one) is not JSON.
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	isJSON := bytes.HasPrefix(trimmed, []byte("{"))
	var warnings []string
	if isJSON && bytes.Contains(b, []byte(`"bomFormat"`)) {
		if warnings, err = checkInputJSON(b); err != nil {
			return nil, fmt.Errorf("%s: invalid CycloneDX: %w", p, err)
		}
	}
	id, _ := format.Identify(bytes.NewReader(b))
	switch id {
	case cyclonedxjson.ID, cyclonedxxml.ID:
		res, err := readCycloneDX(p, b, id == cyclonedxxml.ID, subject)
		if err != nil {
			return nil, err
		}
		res.Warnings = append(inputWarnings(filepath.Base(p), warnings), res.Warnings...)
		return res, nil
	case spdxjson.ID:
	default:
		if isJSON {
			return nil, fmt.Errorf("%s: not a CycloneDX or SPDX JSON document", p)
		}
		return nil, fmt.Errorf("%s: not a recognised SBOM (want CycloneDX JSON/XML or SPDX JSON)", p)
	}
	s, _, _, err := format.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: invalid SPDX: %w", p, err)
	}
	origin := artifact.Origin{Kind: "sbom", Name: subject.Name}
	res := &Result{Subject: subject, syft: s, origins: map[syftart.ID][]Location{}}
	for pk := range s.Artifacts.Packages.Enumerate() {
		var locs []Location
		for _, l := range pk.Locations.ToSlice() {
			locs = append(locs, Location{Path: l.RealPath, Origin: origin})
		}
		if len(locs) == 0 {
			locs = []Location{{Path: subject.Name, Origin: origin}}
		}
		res.origins[pk.ID()] = locs
	}
	packages := res.syft.Artifacts.Packages.Sorted()
	res.bom = toCycloneDX(res, packages)
	res.Components, res.Applications = components(res, packages)
	for i := range res.Components {
		fillFromPURL(&res.Components[i])
	}
	return res, nil
}

// maxInputWarnings bounds the warnings one input SBOM adds: a tool that
// gets references wrong gets them wrong everywhere.
const maxInputWarnings = 5

// inputWarnings turns what checking an input SBOM found into warnings.
func inputWarnings(file string, msgs []string) []artifact.Warning {
	var out []artifact.Warning
	for i, m := range msgs {
		if i == maxInputWarnings-1 && len(msgs) > maxInputWarnings {
			m = fmt.Sprintf("%d more problems like: %s", len(msgs)-i, m)
			out = append(out, artifact.Warning{Path: file, Message: "invalid CycloneDX, read anyway: " + m})
			break
		}
		out = append(out, artifact.Warning{Path: file, Message: "invalid CycloneDX, read anyway: " + m})
	}
	return out
}

// readCycloneDX keeps the document as written (re-emitting a CycloneDX SBOM
// loses nothing) and takes components, with fnscan's origin properties when
// present, from it directly.
func readCycloneDX(p string, b []byte, xml bool, subject Subject) (*Result, error) {
	f := cyclonedx.BOMFileFormatJSON
	if xml {
		f = cyclonedx.BOMFileFormatXML
	}
	bom := cyclonedx.NewBOM()
	if err := cyclonedx.NewBOMDecoder(bytes.NewReader(b), f).Decode(bom); err != nil {
		if xml {
			return nil, fmt.Errorf("%s: invalid CycloneDX: %w", p, err)
		}
		// Schema-valid JSON that cyclonedx-go cannot model (it lags the
		// spec in places): keep it, read components leniently.
		return readLenient(p, b, subject)
	}
	s, _, _, err := format.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: invalid CycloneDX: %w", p, err)
	}
	if bom.Metadata != nil && bom.Metadata.Component != nil && bom.Metadata.Component.Name != "" {
		subject.Name = bom.Metadata.Component.Name
	}
	res := &Result{Subject: subject, syft: s, bom: bom, inputMeta: bom.Metadata}
	if xml {
		// JSON input had these checked before decoding.
		res.Warnings = inputWarnings(filepath.Base(p), refProblemsBOM(bom))
	}
	if m := bom.Metadata; m != nil && m.Component != nil && m.Component.Components != nil {
		// fnscan puts the function's own package there: not a dependency.
		for _, c := range *m.Component.Components {
			if c.Type == cyclonedx.ComponentTypeApplication {
				res.Applications = append(res.Applications, fromCycloneDX(c, filepath.Base(p)))
			}
		}
	}
	if !xml {
		// JSON in, JSON out: the validated document is re-emitted as
		// written, so nothing a Go model does not know is lost.
		res.raw = b
	}
	res.bom.Metadata = nil
	res.bom.SerialNumber = ""
	if bom.Components != nil {
		var walk func(cs []cyclonedx.Component)
		walk = func(cs []cyclonedx.Component) {
			for _, c := range cs {
				if c.Type != cyclonedx.ComponentTypeFile {
					res.Components = append(res.Components, fromCycloneDX(c, filepath.Base(p)))
				}
				if c.Components != nil {
					walk(*c.Components)
				}
			}
		}
		walk(*bom.Components)
	} else {
		empty := []cyclonedx.Component{}
		res.bom.Components = &empty
	}
	sortComponents(res.Components)
	return res, nil
}

func fromCycloneDX(c cyclonedx.Component, file string) Component {
	out := Component{Ref: c.BOMRef, Name: c.Name, Version: c.Version, PURL: c.PackageURL, Type: string(c.Type)}
	if c.Group != "" && !strings.HasPrefix(c.PackageURL, "pkg:maven/") {
		out.Name = c.Group + "/" + c.Name
	}
	origin := artifact.Origin{Kind: "sbom", Name: file}
	if c.Properties != nil {
		for _, pr := range *c.Properties {
			switch pr.Name {
			case PropOrigin:
				origin.Kind = artifact.OriginKind(pr.Value)
			case PropOriginName:
				origin.Name = pr.Value
			case PropOriginSHA256:
				origin.SHA256 = pr.Value
			case "syft:package:type":
				out.Type = pr.Value
			case "syft:package:foundBy":
				out.FoundBy = pr.Value
			case "syft:metadata:originPackage", "syft:metadata:source", "aquasecurity:trivy:SrcName":
				// apk origin, deb source (syft); Trivy's for both.
				out.Source = pr.Value
			}
		}
	}
	fillFromPURL(&out)
	if c.Licenses != nil {
		for _, l := range *c.Licenses {
			switch {
			case l.Expression != "":
				out.Licenses = append(out.Licenses, l.Expression)
			case l.License != nil && l.License.ID != "":
				out.Licenses = append(out.Licenses, l.License.ID)
			case l.License != nil && l.License.Name != "":
				out.Licenses = append(out.Licenses, l.License.Name)
			}
		}
	}
	if c.Evidence != nil && c.Evidence.Occurrences != nil {
		for _, o := range *c.Evidence.Occurrences {
			out.Locations = append(out.Locations, Location{Path: o.Location, Origin: origin})
		}
	}
	if len(out.Locations) == 0 {
		out.Locations = []Location{{Path: file, Origin: origin}}
	}
	return out
}

// fillFromPURL takes what a component leaves out from its purl: the
// version, and the distro source package distro advisories are filed
// under (syft's upstream qualifier: "openssl" or "openssl@1.1.1k-r0").
func fillFromPURL(c *Component) {
	if c.PURL == "" || (c.Version != "" && c.Source != "") {
		return
	}
	pu, err := packageurl.FromString(c.PURL)
	if err != nil {
		return
	}
	if c.Version == "" {
		c.Version = pu.Version
	}
	if c.Source == "" && (pu.Type == packageurl.TypeApk || pu.Type == packageurl.TypeDebian) {
		c.Source, _, _ = strings.Cut(pu.Qualifiers.Map()["upstream"], "@")
	}
}

// lenientComponent is the part of a CycloneDX component fnscan needs.
type lenientComponent struct {
	BOMRef     string `json:"bom-ref"`
	Type       string `json:"type"`
	Group      string `json:"group"`
	Name       string `json:"name"`
	Version    string `json:"version"`
	PURL       string `json:"purl"`
	Properties []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"properties"`
	Evidence struct {
		Occurrences []struct {
			Location string `json:"location"`
		} `json:"occurrences"`
	} `json:"evidence"`
	Components []lenientComponent `json:"components"`
}

func readLenient(p string, b []byte, subject Subject) (*Result, error) {
	var doc struct {
		Components []lenientComponent `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: invalid CycloneDX: %w", p, err)
	}
	res := &Result{Subject: subject, raw: b}
	var walk func(cs []lenientComponent)
	walk = func(cs []lenientComponent) {
		for _, lc := range cs {
			c := cyclonedx.Component{BOMRef: lc.BOMRef, Type: cyclonedx.ComponentType(lc.Type), Group: lc.Group, Name: lc.Name, Version: lc.Version, PackageURL: lc.PURL}
			var props []cyclonedx.Property
			for _, pr := range lc.Properties {
				props = append(props, cyclonedx.Property{Name: pr.Name, Value: pr.Value})
			}
			c.Properties = &props
			var occ []cyclonedx.EvidenceOccurrence
			for _, o := range lc.Evidence.Occurrences {
				occ = append(occ, cyclonedx.EvidenceOccurrence{Location: o.Location})
			}
			if len(occ) > 0 {
				c.Evidence = &cyclonedx.Evidence{Occurrences: &occ}
			}
			if c.Type != cyclonedx.ComponentTypeFile {
				res.Components = append(res.Components, fromCycloneDX(c, filepath.Base(p)))
			}
			walk(lc.Components)
		}
	}
	walk(doc.Components)
	sortComponents(res.Components)
	return res, nil
}
