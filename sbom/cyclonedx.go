package sbom

import (
	"crypto/sha256"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"
	syftart "github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/format/common/cyclonedxhelpers"
	"github.com/anchore/syft/syft/pkg"
	"github.com/fnscan/fnscan/internal/redact"
)

// Property names fnscan adds to components.
const (
	PropOrigin       = "fnscan:origin"        // function, layer, image-layer, directory
	PropOriginName   = "fnscan:origin:name"   // layer zip file name or image layer diffID
	PropOriginSHA256 = "fnscan:origin:sha256" // sha256 of the layer zip, or diffID hex
	PropMount        = "fnscan:mount"         // where the Lambda runtime mounts it
	PropCodeSHA256   = "aws:lambda:codeSha256"
)

// toCycloneDX converts the merged syft document and adds what syft cannot
// know: each component's origin and its virtual-path occurrences.
// packages are res.syft's, sorted: ToFormatModel lists them in that order.
func toCycloneDX(res *Result, packages []pkg.Package) *cyclonedx.BOM {
	bom := cyclonedxhelpers.ToFormatModel(*res.syft)
	bom.SerialNumber = ""
	bom.Metadata = nil
	res.refs = map[syftart.ID]string{}
	comps := *bom.Components
	for i, p := range packages {
		c := &comps[i]
		res.refs[p.ID()] = c.BOMRef
		locs := res.origins[p.ID()]
		if len(locs) == 0 {
			continue
		}
		var occ []cyclonedx.EvidenceOccurrence
		for _, l := range locs {
			occ = append(occ, cyclonedx.EvidenceOccurrence{Location: l.Path})
		}
		if c.Evidence == nil {
			c.Evidence = &cyclonedx.Evidence{}
		}
		c.Evidence.Occurrences = &occ
		o := locs[0].Origin
		props := []cyclonedx.Property{{Name: PropOrigin, Value: string(o.Kind)}}
		if o.Name != "" {
			props = append(props, cyclonedx.Property{Name: PropOriginName, Value: o.Name})
		}
		if o.SHA256 != "" {
			props = append(props, cyclonedx.Property{Name: PropOriginSHA256, Value: o.SHA256})
		}
		if o.Kind == "layer" {
			props = append(props, cyclonedx.Property{Name: PropMount, Value: "/opt"})
		}
		if c.Properties != nil {
			props = append(props, *c.Properties...)
		}
		c.Properties = &props
	}
	// The function's own package is what the document describes: it goes
	// under metadata.component, typed application, and without the purl,
	// CPEs or syft package type from which consumers (grype through syft's
	// decoder, Dependency-Track) would match it as a registry package.
	res.appComps = nil
	deps := make([]cyclonedx.Component, 0, len(comps))
	for i, p := range packages {
		c := comps[i]
		if !res.apps[p.ID()] {
			deps = append(deps, c)
			continue
		}
		c.Type = cyclonedx.ComponentTypeApplication
		c.PackageURL, c.CPE = "", ""
		if c.Properties != nil {
			props := slices.DeleteFunc(slices.Clone(*c.Properties), func(pr cyclonedx.Property) bool {
				return pr.Name == "syft:package:type" || pr.Name == "syft:package:language" || pr.Name == "syft:cpe23"
			})
			c.Properties = &props
		}
		res.appComps = append(res.appComps, c)
	}
	// After the packages syft puts the image's distribution, as a component
	// of type operating-system (what Dependency-Track and grype read it from).
	deps = append(deps, comps[len(packages):]...)
	sort.SliceStable(deps, func(i, j int) bool { return deps[i].BOMRef < deps[j].BOMRef })
	sort.SliceStable(res.appComps, func(i, j int) bool { return res.appComps[i].BOMRef < res.appComps[j].BOMRef })
	bom.Components = &deps
	return bom
}

// Meta is the document-level data that varies per run unless fixed.
type Meta struct {
	SerialNumber string // "urn:uuid:..."; empty means random, or derived when Reproducible
	Timestamp    string // RFC 3339; empty means now, unless Reproducible
	Reproducible bool   // derive the serial number from content and omit the timestamp
	ToolVersion  string
}

// CycloneDX returns the document for res with metadata filled in. Callers
// may add sections (vulnerabilities) before encoding.
func (res *Result) CycloneDX(m Meta) *cyclonedx.BOM {
	if res.bom == nil {
		res.bom = cyclonedx.NewBOM()
	}
	bom := *res.bom
	var comps []cyclonedx.Component
	if res.bom.Components != nil {
		comps = append(comps, (*res.bom.Components)...)
	}
	bom.Components = &comps
	bom.SpecVersion = cyclonedx.SpecVersion1_6
	bom.JSONSchema = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	bom.Version = 1
	bom.SerialNumber = m.SerialNumber
	if bom.SerialNumber == "" {
		bom.SerialNumber = serial(res, m.Reproducible)
	}
	subject := cyclonedx.Component{
		BOMRef: "fnscan:target",
		Type:   cyclonedx.ComponentTypeApplication,
		Name:   res.Subject.Name,
	}
	switch res.Subject.Kind {
	case "docker-archive", "oci-archive", "oci-dir", "registry":
		subject.Type = cyclonedx.ComponentTypeContainer
	}
	var props []cyclonedx.Property
	props = append(props, cyclonedx.Property{Name: "fnscan:target:kind", Value: res.Subject.Kind})
	if res.Subject.SHA256 != "" {
		subject.Hashes = &[]cyclonedx.Hash{{Algorithm: cyclonedx.HashAlgoSHA256, Value: res.Subject.SHA256}}
	}
	if res.Subject.CodeSHA256 != "" {
		props = append(props, cyclonedx.Property{Name: PropCodeSHA256, Value: res.Subject.CodeSHA256})
	}
	if res.Subject.ImageID != "" {
		props = append(props, cyclonedx.Property{Name: "fnscan:image:id", Value: res.Subject.ImageID})
	}
	if res.Subject.Platform != "" {
		props = append(props, cyclonedx.Property{Name: "fnscan:image:platform", Value: res.Subject.Platform})
	}
	for i, p := range res.Parts {
		prefix := "fnscan:part:" + strconv.Itoa(i)
		props = append(props, cyclonedx.Property{Name: prefix + ":kind", Value: string(p.Kind)},
			cyclonedx.Property{Name: prefix + ":name", Value: p.Name})
		if p.SHA256 != "" {
			props = append(props, cyclonedx.Property{Name: prefix + ":sha256", Value: p.SHA256})
		}
	}
	subject.Properties = &props
	if len(res.appComps) > 0 {
		apps := slices.Clone(res.appComps)
		subject.Components = &apps
	}
	tv := m.ToolVersion
	if tv == "" {
		tv = "dev"
	}
	bom.Metadata = &cyclonedx.Metadata{
		Component: &subject,
		Tools: &cyclonedx.ToolsChoice{Components: &[]cyclonedx.Component{{
			Type: cyclonedx.ComponentTypeApplication, Name: "fnscan", Version: tv,
		}}},
	}
	if !m.Reproducible {
		bom.Metadata.Timestamp = m.Timestamp
	}
	// Warnings (refused entries, skipped corrupt archives) travel with the
	// SBOM, so a reader knows what it may not cover.
	if len(res.Warnings) > 0 {
		var wp []cyclonedx.Property
		for _, w := range res.Warnings {
			wp = append(wp, cyclonedx.Property{Name: "fnscan:warning", Value: w.String()})
		}
		bom.Metadata.Properties = &wp
	}
	if res.inputMeta != nil {
		// An SBOM read back keeps its own subject, which its dependencies name.
		meta := *res.inputMeta
		meta.Timestamp = bom.Metadata.Timestamp
		bom.Metadata = &meta
	}
	if res.redact != nil {
		if res.learn != nil {
			res.learn(redact.Strings(reflect.ValueOf(&bom)))
		}
		redact.Value(reflect.ValueOf(&bom), res.redact)
	}
	return &bom
}

// serial is the result's serial number, one for every document written of
// it (a JSON and an XML BOM of one run are one BOM). Reproducible, it is
// derived from what the SBOM says: the target's and every part's digest
// (a layer replaced by another of the same name is another SBOM), and each
// component with where it was found and in which part.
func serial(res *Result, reproducible bool) string { return res.serial("bom", reproducible) }

// VEXSerial is the serial number of a VEX document of the result: another
// document than its BOM, so another number.
func (res *Result) VEXSerial(reproducible bool) string { return res.serial("vex", reproducible) }

func (res *Result) serial(kind string, reproducible bool) string {
	res.serialMu.Lock()
	defer res.serialMu.Unlock()
	key := serialKey{kind, reproducible}
	if s := res.serials[key]; s != "" {
		return s
	}
	if res.serials == nil {
		res.serials = map[serialKey]string{}
	}
	if !reproducible {
		res.serials[key] = "urn:uuid:" + randomUUID()
		return res.serials[key]
	}
	h := sha256.New()
	if kind != "bom" {
		fmt.Fprintln(h, kind)
	}
	fmt.Fprintln(h, res.Subject.Name, res.Subject.SHA256)
	for _, p := range res.Parts {
		fmt.Fprintln(h, p.Kind, p.Name, p.SHA256, p.Index)
	}
	for _, c := range res.Components {
		fmt.Fprintln(h, c.Ref)
		for _, l := range c.Locations {
			fmt.Fprintln(h, " ", l.Path, l.Origin.SHA256)
		}
	}
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50 // version 5 style: name-based
	b[8] = b[8]&0x3f | 0x80
	res.serials[key] = fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	return res.serials[key]
}

type serialKey struct {
	kind         string
	reproducible bool
}
