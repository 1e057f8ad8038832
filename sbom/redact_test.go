package sbom

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/internal/fixture"
)

// Redact reaches every document: evidence, syft's own location properties,
// SPDX source info and the fnscan:warning properties.
func TestRedactDocuments(t *testing.T) {
	const name = "TOPSECRETNAME"
	p := filepath.Join(t.TempDir(), "fn.zip")
	os.WriteFile(p, fixture.Zip(map[string][]byte{
		name + "/node_modules/lodash/package.json": []byte(`{"name": "lodash", "version": "4.17.4"}`),
	}), 0o644)
	res := catalogSpec(t, p)
	res.Warnings = append(res.Warnings, artifact.Warning{Path: "fn.zip!" + name + ".zip", Message: "skipped corrupt archive"})
	if !strings.Contains(res.Components[0].Locations[0].Path, name) {
		t.Fatalf("location %+v", res.Components[0].Locations)
	}
	res.Redact(func(s string) string { return strings.ReplaceAll(s, name, "[hidden]") }, nil)
	if got := res.Components[0].Locations[0].Path; got != "fn.zip![hidden]/node_modules/lodash/package.json" {
		t.Errorf("location %q", got)
	}
	for _, format := range Formats {
		var buf bytes.Buffer
		if err := res.Encode(&buf, format, Meta{Reproducible: true}); err != nil {
			t.Fatal(err)
		}
		if out := buf.String(); strings.Contains(out, name) || !strings.Contains(out, "[hidden]") {
			t.Errorf("%s: not redacted:\n%s", format, out)
		}
	}
	var buf bytes.Buffer
	if err := res.Encode(&buf, "cyclonedx-json", Meta{Reproducible: true}); err != nil {
		t.Fatal(err)
	}
	if err := ValidateCycloneDXJSON(buf.Bytes()); err != nil {
		t.Errorf("redacted document: %v", err)
	}
}
