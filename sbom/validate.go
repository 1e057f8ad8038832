package sbom

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// The CycloneDX specification's own schemas (CycloneDX/specification,
// Apache-2.0), embedded so validation works offline.
//
//go:embed schema/*.json
var schemaFS embed.FS

var (
	schemaOnce sync.Once
	schemas    map[string]*jsonschema.Schema
	schemaErr  error
)

func loadSchemas() {
	c := jsonschema.NewCompiler()
	entries, err := schemaFS.ReadDir("schema")
	if err != nil {
		schemaErr = err
		return
	}
	for _, e := range entries {
		b, _ := schemaFS.ReadFile("schema/" + e.Name())
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			schemaErr = fmt.Errorf("embedded schema %s: %w", e.Name(), err)
			return
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+e.Name(), doc); err != nil {
			schemaErr = err
			return
		}
	}
	schemas = map[string]*jsonschema.Schema{}
	for _, v := range []string{"1.5", "1.6"} {
		s, err := c.Compile("http://cyclonedx.org/schema/bom-" + v + ".schema.json")
		if err != nil {
			schemaErr = fmt.Errorf("compiling CycloneDX %s schema: %w", v, err)
			return
		}
		schemas[v] = s
	}
}

// ValidateCycloneDXJSON checks a CycloneDX JSON document against the schema
// of the spec version it declares (1.5 or 1.6), then checks what the
// schema cannot express: bom-refs are unique and every reference resolves.
func ValidateCycloneDXJSON(b []byte) error {
	schemaOnce.Do(loadSchemas)
	if schemaErr != nil {
		return schemaErr
	}
	var head struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	if head.BOMFormat != "CycloneDX" {
		return fmt.Errorf("bomFormat is %q, want \"CycloneDX\"", head.BOMFormat)
	}
	s, ok := schemas[head.SpecVersion]
	if !ok {
		return fmt.Errorf("CycloneDX specVersion %q is not supported (want 1.5 or 1.6)", head.SpecVersion)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	if err := s.Validate(doc); err != nil {
		return fmt.Errorf("does not validate against the CycloneDX %s schema: %s", head.SpecVersion, firstSchemaError(err))
	}
	return checkRefs(b)
}

// firstSchemaError reduces a validation error tree to its deepest causes on
// one line.
func firstSchemaError(err error) string {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err.Error()
	}
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			leaves = append(leaves, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(printer)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	if len(leaves) > 3 {
		leaves = append(leaves[:3], fmt.Sprintf("and %d more", len(leaves)-3))
	}
	return strings.Join(leaves, "; ")
}

// checkRefs enforces the spec's rule that bom-refs are unique and that
// dependency refs point at declared bom-refs.
func checkRefs(b []byte) error {
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	refs := map[string]bool{}
	var dup string
	var collect func(v any)
	collect = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["bom-ref"].(string); ok {
				if refs[r] && dup == "" {
					dup = r
				}
				refs[r] = true
			}
			for _, c := range x {
				collect(c)
			}
		case []any:
			for _, c := range x {
				collect(c)
			}
		}
	}
	collect(doc)
	if dup != "" {
		return fmt.Errorf("bom-ref %q is used more than once", dup)
	}
	m, _ := doc.(map[string]any)
	deps, _ := m["dependencies"].([]any)
	for _, d := range deps {
		dm, _ := d.(map[string]any)
		if r, _ := dm["ref"].(string); r != "" && !refs[r] {
			return fmt.Errorf("dependency ref %q names no component", r)
		}
		ons, _ := dm["dependsOn"].([]any)
		for _, o := range ons {
			if s, _ := o.(string); s != "" && !refs[s] {
				return fmt.Errorf("dependency %q depends on %q, which names no component", dm["ref"], s)
			}
		}
	}
	return nil
}
