package sbom

import (
	"encoding/json"
	"path"
	"sort"
	"strings"

	syftart "github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/pkg"
)

// npmDependencies resolves each installed npm package's declared
// dependencies the way Node does (nearest node_modules up the tree) and
// returns dependency-of relationships. syft does not give these for an
// installed tree, and many deployment zips ship node_modules without a
// usable lockfile.
//
// byDir maps a package directory (slash path inside the root, no leading
// slash) to its package; m reads the files.
func npmDependencies(m *mount, byDir map[string]pkg.Package) []syftart.Relationship {
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	var rels []syftart.Relationship
	for _, d := range dirs {
		b, err := m.read(path.Join("/", d, "package.json"), 4<<20)
		if err != nil {
			continue
		}
		var pj struct {
			Dependencies         map[string]any `json:"dependencies"`
			OptionalDependencies map[string]any `json:"optionalDependencies"`
		}
		if json.Unmarshal(b, &pj) != nil {
			continue
		}
		names := map[string]bool{}
		for n := range pj.Dependencies {
			names[n] = true
		}
		for n := range pj.OptionalDependencies {
			names[n] = true
		}
		sorted := make([]string, 0, len(names))
		for n := range names {
			sorted = append(sorted, n)
		}
		sort.Strings(sorted)
		for _, n := range sorted {
			if dep, ok := resolveNode(d, n, byDir); ok && dep.ID() != byDir[d].ID() {
				rels = append(rels, syftart.Relationship{From: dep, To: byDir[d], Type: syftart.DependencyOfRelationship})
			}
		}
	}
	return rels
}

// resolveNode finds name from package dir d: d/node_modules/name, then each
// ancestor's node_modules.
func resolveNode(d, name string, byDir map[string]pkg.Package) (pkg.Package, bool) {
	if strings.Contains(name, "..") {
		return pkg.Package{}, false
	}
	for cur := d; ; {
		cand := path.Join(cur, "node_modules", name)
		if p, ok := byDir[cand]; ok {
			return p, true
		}
		if cur == "." || cur == "" || cur == "/" {
			return pkg.Package{}, false
		}
		// Step out of ".../node_modules/x" (or "@scope/x") to the dir above.
		parent := path.Dir(cur)
		if strings.HasPrefix(path.Base(parent), "@") {
			parent = path.Dir(parent)
		}
		if path.Base(parent) == "node_modules" {
			parent = path.Dir(parent)
		}
		cur = parent
	}
}
