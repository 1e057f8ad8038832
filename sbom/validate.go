package sbom

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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

// schemaVersions have an embedded schema; legacyVersions are read without
// one (cyclonedx-go decodes them), with structural checks only.
var (
	schemaVersions = []string{"1.5", "1.6", "1.7"}
	legacyVersions = []string{"1.2", "1.3", "1.4"}
)

// schemaSet is the compiled schemas, by spec version.
type schemaSet struct {
	once    sync.Once
	schemas map[string]*jsonschema.Schema
	err     error
}

// strictSchemas assert every format; lenientSchemas accept any
// iri-reference, which real tools break (npm writes
// git+ssh://git@github.com:org/repo.git, not a URL).
var strictSchemas, lenientSchemas schemaSet

func (s *schemaSet) get(lenient bool) (map[string]*jsonschema.Schema, error) {
	s.once.Do(func() { s.schemas, s.err = compileSchemas(lenient) })
	return s.schemas, s.err
}

func compileSchemas(lenient bool) (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	if lenient {
		c.RegisterFormat(&jsonschema.Format{Name: "iri-reference", Validate: func(any) error { return nil }})
	}
	entries, err := schemaFS.ReadDir("schema")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, _ := schemaFS.ReadFile("schema/" + e.Name())
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("embedded schema %s: %w", e.Name(), err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+e.Name(), doc); err != nil {
			return nil, err
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, v := range schemaVersions {
		s, err := c.Compile("http://cyclonedx.org/schema/bom-" + v + ".schema.json")
		if err != nil {
			return nil, fmt.Errorf("compiling CycloneDX %s schema: %w", v, err)
		}
		out[v] = s
	}
	return out, nil
}

// cdxHead reads bomFormat and specVersion.
func cdxHead(b []byte) (string, error) {
	var head struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return "", fmt.Errorf("not valid JSON: %w", err)
	}
	if head.BOMFormat != "CycloneDX" {
		return "", fmt.Errorf("bomFormat is %q, want \"CycloneDX\"", head.BOMFormat)
	}
	return head.SpecVersion, nil
}

// ValidateCycloneDXJSON checks a CycloneDX JSON document strictly against
// the schema of the spec version it declares (1.5 to 1.7), then checks what
// the schema cannot express: bom-refs are unique and every reference
// resolves. It is for what fnscan writes; SBOMs given as input go through
// checkInputJSON, which forgives what other tools get wrong.
func ValidateCycloneDXJSON(b []byte) error {
	version, err := cdxHead(b)
	if err != nil {
		return err
	}
	schemas, err := strictSchemas.get(false)
	if err != nil {
		return err
	}
	s, ok := schemas[version]
	if !ok {
		return fmt.Errorf("CycloneDX specVersion %q is not supported (want %s)", version, strings.Join(schemaVersions, ", "))
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	if err := s.Validate(doc); err != nil {
		return fmt.Errorf("does not validate against the CycloneDX %s schema: %s", version, firstSchemaError(err))
	}
	if probs := refProblems(doc); len(probs) > 0 {
		return errors.New(probs[0])
	}
	return nil
}

// checkInputJSON validates a CycloneDX JSON SBOM given as input. Faults
// real tools emit that do not keep fnscan from reading the components are
// returned as warnings: URLs that are not IRI references, duplicate
// bom-refs (Trivy, cyclonedx-cli merge) and dependency refs to missing
// components. Other schema violations are errors.
func checkInputJSON(b []byte) (warnings []string, err error) {
	version, err := cdxHead(b)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	switch {
	case slices.Contains(schemaVersions, version):
		lenient, err := lenientSchemas.get(true)
		if err != nil {
			return nil, err
		}
		if err := lenient[version].Validate(doc); err != nil {
			return nil, fmt.Errorf("does not validate against the CycloneDX %s schema: %s", version, firstSchemaError(err))
		}
		strict, err := strictSchemas.get(false)
		if err != nil {
			return nil, err
		}
		if err := strict[version].Validate(doc); err != nil {
			warnings = append(warnings, "does not validate against the CycloneDX "+version+" schema: "+firstSchemaError(err))
		}
	case slices.Contains(legacyVersions, version):
		if err := checkStructure(doc); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("CycloneDX specVersion %q is not supported (want 1.2 to 1.7)", version)
	}
	return append(warnings, refProblems(doc)...), nil
}

// checkStructure checks, without a schema, what reading the components
// needs: components are objects with a type and a name, at every level.
func checkStructure(doc any) error {
	m, ok := doc.(map[string]any)
	if !ok {
		return errors.New("not a JSON object")
	}
	var walk func(v any, at string) error
	walk = func(v any, at string) error {
		if v == nil {
			return nil
		}
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("at %s: want an array of components", at)
		}
		for i, c := range list {
			here := fmt.Sprintf("%s/%d", at, i)
			cm, ok := c.(map[string]any)
			if !ok {
				return fmt.Errorf("at %s: want a component object", here)
			}
			for _, k := range []string{"type", "name"} {
				if s, _ := cm[k].(string); s == "" {
					return fmt.Errorf("at %s: component has no %s", here, k)
				}
			}
			if err := walk(cm["components"], here+"/components"); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(m["components"], "/components"); err != nil {
		return err
	}
	if md, ok := m["metadata"].(map[string]any); ok && md["component"] != nil {
		return walk([]any{md["component"]}, "/metadata/component")
	}
	return nil
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
			leaf := fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(printer))
			// anyOf/oneOf branches repeat the same cause.
			if !slices.Contains(leaves, leaf) {
				leaves = append(leaves, leaf)
			}
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

// refProblems checks the spec's rules that bom-refs are unique and that
// dependency refs point at declared bom-refs; doc is a decoded JSON
// document.
func refProblems(doc any) []string {
	refs := map[string]bool{}
	var dups []string
	var collect func(v any)
	collect = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["bom-ref"].(string); ok {
				if refs[r] && !slices.Contains(dups, r) {
					dups = append(dups, r)
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
	var probs []string
	slices.Sort(dups)
	for _, r := range dups {
		probs = append(probs, fmt.Sprintf("bom-ref %q is used more than once", r))
	}
	m, _ := doc.(map[string]any)
	deps, _ := m["dependencies"].([]any)
	for _, d := range deps {
		dm, _ := d.(map[string]any)
		if r, _ := dm["ref"].(string); r != "" && !refs[r] {
			probs = append(probs, fmt.Sprintf("dependency ref %q names no component", r))
		}
		ons, _ := dm["dependsOn"].([]any)
		for _, o := range ons {
			if s, _ := o.(string); s != "" && !refs[s] {
				probs = append(probs, fmt.Sprintf("dependency %q depends on %q, which names no component", dm["ref"], s))
			}
		}
	}
	return probs
}

// refProblemsBOM is refProblems for a decoded document (XML input).
func refProblemsBOM(bom any) []string {
	b, err := json.Marshal(bom)
	if err != nil {
		return nil
	}
	var doc any
	if json.Unmarshal(b, &doc) != nil {
		return nil
	}
	return refProblems(doc)
}
