package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"time"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"
	syftart "github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/format/spdxjson"
	"github.com/anchore/syft/syft/sbom"
	"github.com/fnscan/fnscan/internal/redact"
)

// Formats lists the SBOM formats fnscan writes.
var Formats = []string{"cyclonedx-json", "cyclonedx-xml", "spdx-json"}

// IsFormat reports whether name is an SBOM format.
func IsFormat(name string) bool {
	for _, f := range Formats {
		if f == name {
			return true
		}
	}
	return false
}

// EncodeBOM writes a CycloneDX document as JSON or XML, spec 1.6.
func EncodeBOM(w io.Writer, bom *cyclonedx.BOM, xml bool) error {
	f := cyclonedx.BOMFileFormatJSON
	if xml {
		f = cyclonedx.BOMFileFormatXML
	}
	return cyclonedx.NewBOMEncoder(w, f).SetPretty(true).SetEscapeHTML(false).EncodeVersion(bom, cyclonedx.SpecVersion1_6)
}

// Encode writes res in one of Formats.
func (res *Result) Encode(w io.Writer, format string, m Meta) error {
	if m.Timestamp == "" && !m.Reproducible {
		m.Timestamp = time.Now().UTC().Format(time.RFC3339)
	}
	if res.raw != nil && format == "cyclonedx-json" {
		var buf bytes.Buffer
		if err := json.Indent(&buf, res.raw, "", "  "); err != nil {
			return err
		}
		buf.WriteByte('\n')
		_, err := w.Write(buf.Bytes())
		return err
	}
	if res.bom == nil || res.syft == nil {
		return fmt.Errorf("cannot convert %s to %s: its CycloneDX content is not supported by the converter", res.Subject.Name, format)
	}
	switch format {
	case "cyclonedx-json", "cyclonedx-xml":
		return EncodeBOM(w, res.CycloneDX(m), format == "cyclonedx-xml")
	case "spdx-json":
		cfg := spdxjson.DefaultEncoderConfig()
		cfg.Pretty = true
		enc, err := spdxjson.NewFormatEncoderWithConfig(cfg)
		if err != nil {
			return err
		}
		s := *res.syft
		s.Descriptor.Version = m.ToolVersion
		return encodeSPDX(w, enc, s, res, m)
	}
	return fmt.Errorf("unknown SBOM format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// Dependencies returns the dependency graph as bom-ref → bom-refs it depends on.
func (res *Result) Dependencies() map[string][]string {
	out := map[string][]string{}
	if res.bom == nil || res.bom.Dependencies == nil {
		return out
	}
	for _, d := range *res.bom.Dependencies {
		if d.Dependencies != nil {
			deps := append([]string(nil), (*d.Dependencies)...)
			sort.Strings(deps)
			out[d.Ref] = deps
		}
	}
	return out
}

// encodeSPDX writes syft's SPDX with fnscan's own document namespace (syft
// names its own site); reproducible output also fixes the creation time
// and derives the namespace from the content.
func encodeSPDX(w io.Writer, enc sbom.FormatEncoder, s sbom.SBOM, res *Result, m Meta) error {
	var buf bytes.Buffer
	if err := enc.Encode(&buf, s); err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		return err
	}
	// The function's own package: syft's SPDXIDs end in the package ID.
	if pkgs, ok := doc["packages"].([]any); ok && len(res.apps) > 0 {
		for _, p := range pkgs {
			if m, ok := p.(map[string]any); ok {
				id, _ := m["SPDXID"].(string)
				if i := strings.LastIndex(id, "-"); i >= 0 && res.apps[syftart.ID(id[i+1:])] {
					m["primaryPackagePurpose"] = "APPLICATION"
				}
			}
		}
	}
	// An image archive's root has no manifest digest to take a checksum
	// from: it gets the archive's, as the CycloneDX subject does.
	if pkgs, ok := doc["packages"].([]any); ok && res.Subject.SHA256 != "" && (res.Subject.Kind == "docker-archive" || res.Subject.Kind == "oci-archive") {
		for _, p := range pkgs {
			if m, ok := p.(map[string]any); ok {
				id, _ := m["SPDXID"].(string)
				if strings.HasPrefix(id, "SPDXRef-DocumentRoot-") && m["checksums"] == nil {
					m["checksums"] = []any{map[string]any{"algorithm": "SHA256", "checksumValue": res.Subject.SHA256}}
				}
			}
		}
	}
	if res.redact != nil {
		if res.learn != nil {
			res.learn(redact.Strings(reflect.ValueOf(doc)))
		}
		redact.Value(reflect.ValueOf(doc), res.redact)
	}
	doc["documentNamespace"] = "https://github.com/fnscan/fnscan/spdx/" + strings.TrimPrefix(serial(res, m.Reproducible), "urn:uuid:")
	if ci, ok := doc["creationInfo"].(map[string]any); ok && m.Reproducible {
		ci["created"] = "1970-01-01T00:00:00Z"
	}
	out := json.NewEncoder(w)
	out.SetIndent("", " ")
	out.SetEscapeHTML(false)
	return out.Encode(doc)
}
