// Package convention checks the repository's layout rules (see Check). It
// is test support: only its test runs it.
package convention

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Module is fnscan's module path.
const Module = "github.com/fnscan/fnscan"

// Stages rank the packages in data-flow order: target → artifact →
// (sbom, secrets, deploy) → vuln → result → policy → report/sign → scan →
// aws → cmd. A package imports only packages of a lower rank; packages of
// one rank do not import each other. deploy reads secrets' redaction, so it
// ranks after it. internal/jsonerr and internal/redact are leaf helpers any stage may use.
var Stages = map[string]int{
	"internal/jsonerr": -1,
	"internal/redact":  -1,
	"artifact":         0,
	"sbom":             1,
	"secrets":          1,
	"deploy":           2,
	"vuln":             2,
	"result":           3,
	"policy":           4,
	"report":           5,
	"sign":             5,
	"scan":             6,
	"aws":              7,
	"cmd/fnscan":       8,
}

// cmdImports are the packages the CLI may import: it is wiring only, flags
// to a library call to outputs. The pipeline is scan's; sign and aws are
// libraries of their own commands.
var cmdImports = map[string]bool{"scan": true, "report": true, "sign": true, "aws": true}

// testOnly packages may be imported by tests alone.
var testOnly = map[string]bool{"internal/fixture": true, "internal/convention": true, "aws/fakelambda": true}

// Exposed lists exported identifiers allowed to expose a third-party type,
// each for a reason. The CycloneDX document model passes from sbom (which
// builds it) to report (which adds vulnerabilities to it): cyclonedx-go is
// the format's own model, not an implementation detail.
var Exposed = map[string]string{
	"sbom.EncodeBOM":        "the CycloneDX writer report uses",
	"sbom.Result.CycloneDX": "the CycloneDX model report adds vulnerabilities to",
}

// Check parses every non-test Go file under root and returns one line per
// violation: an import against the data flow, a test-only package imported
// by non-test code, an exported API exposing a type from outside the module
// and the standard library, or a library init() reading os.Args.
func Check(root string) ([]string, error) {
	var out []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (n == "testdata" || strings.HasPrefix(n, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		pkg := filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		out = append(out, checkFile(fset, pkg, f)...)
		return nil
	})
	sort.Strings(out)
	return out, err
}

func checkFile(fset *token.FileSet, pkg string, f *ast.File) []string {
	var out []string
	at := func(n ast.Node) string { return fset.Position(n.Pos()).String() }
	rank, staged := Stages[pkg]
	thirdParty := map[string]string{} // local name → import path
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := filepath.Base(path)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if dep, ok := strings.CutPrefix(path, Module+"/"); ok {
			if testOnly[dep] && !testOnly[pkg] {
				out = append(out, fmt.Sprintf("%s: %s imports test-only %s", at(imp), pkg, dep))
			}
			if r, ok := Stages[dep]; ok && staged && r >= rank {
				out = append(out, fmt.Sprintf("%s: %s imports %s, which comes later in the data flow (or beside it)", at(imp), pkg, dep))
			}
			if pkg == "cmd/fnscan" && !cmdImports[dep] {
				out = append(out, fmt.Sprintf("%s: the CLI imports %s: it may import only scan, report, sign and aws", at(imp), dep))
			}
			if _, ok := Stages[dep]; !ok && !testOnly[dep] {
				out = append(out, fmt.Sprintf("%s: %s imports %s, which has no place in the data flow (convention.Stages)", at(imp), pkg, dep))
			}
			continue
		}
		if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
			thirdParty[name] = path
		}
	}
	if _, ok := Stages[pkg]; !ok && !testOnly[pkg] && pkg != "." {
		out = append(out, fmt.Sprintf("%s: package %s has no place in the data flow (convention.Stages)", fset.Position(f.Package), pkg))
	}
	if f.Name.Name == "main" {
		return out
	}
	short := filepath.Base(pkg)
	exposes := func(name string, n ast.Node) {
		if Exposed[short+"."+name] != "" || n == nil {
			return
		}
		ast.Inspect(n, func(x ast.Node) bool {
			sel, ok := x.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && thirdParty[id.Name] != "" {
				out = append(out, fmt.Sprintf("%s: exported %s.%s exposes %s.%s (%s)", at(sel), short, name, id.Name, sel.Sel.Name, thirdParty[id.Name]))
			}
			return true
		})
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Name.Name == "init" && d.Recv == nil {
				ast.Inspect(d.Body, func(x ast.Node) bool {
					if sel, ok := x.(*ast.SelectorExpr); ok && sel.Sel.Name == "Args" {
						if id, ok := sel.X.(*ast.Ident); ok && id.Name == "os" {
							out = append(out, fmt.Sprintf("%s: init() in %s reads os.Args: give the program an explicit entry point instead", at(sel), pkg))
						}
					}
					return true
				})
			}
			if !d.Name.IsExported() {
				continue
			}
			name := d.Name.Name
			if d.Recv != nil && len(d.Recv.List) == 1 {
				recv := typeName(d.Recv.List[0].Type)
				if !ast.IsExported(recv) {
					continue
				}
				name = recv + "." + name
			}
			exposes(name, d.Type)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, fld := range st.Fields.List {
							for _, n := range fld.Names {
								if n.IsExported() {
									exposes(s.Name.Name+"."+n.Name, fld.Type)
								}
							}
							if len(fld.Names) == 0 { // embedded: its methods are exported
								exposes(s.Name.Name, fld.Type)
							}
						}
						continue
					}
					if it, ok := s.Type.(*ast.InterfaceType); ok {
						for _, m := range it.Methods.List {
							exposes(s.Name.Name, m.Type)
						}
						continue
					}
					exposes(s.Name.Name, s.Type)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() {
							exposes(n.Name, s.Type)
						}
					}
				}
			}
		}
	}
	return out
}

func typeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return typeName(t.X)
	case *ast.Ident:
		return t.Name
	case *ast.IndexExpr:
		return typeName(t.X)
	}
	return ""
}
