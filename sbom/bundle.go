package sbom

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fnscan/fnscan/artifact"
)

// A JavaScript bundle (esbuild, webpack) inlines npm packages without the
// package.json files catalogers read, so they are missing from the SBOM
// and their vulnerabilities go unseen: a pass would mean nothing for them.
// The bundle's module markers (or, minified, its source map) name the
// packages, not their versions, so fnscan says so instead of guessing.

// minBundleSize: smaller files are handlers, not bundles of dependencies.
const minBundleSize = 32 << 10

// maxBundleRead bounds what is read of one file to find its markers.
const maxBundleRead = 64 << 20

// bundleWarnings names the bundles whose npm packages the SBOM lacks.
func bundleWarnings(t *artifact.Target, comps []Component) []artifact.Warning {
	have := map[string]bool{}
	for _, c := range comps {
		if strings.HasPrefix(c.PURL, "pkg:npm/") {
			have[c.Name] = true
		}
	}
	var out []artifact.Warning
	warned := map[string]bool{}
	t.EachFile(func(f artifact.File) bool {
		if f.Size < minBundleSize || artifact.NodeModulesPackage(f.Path) != "" {
			return true
		}
		// A bundle's own markers name its modules; a minified bundle has
		// none, but its source map lists them.
		var sources []string
		switch js, isMap := strings.CutSuffix(f.Virtual, ".map"); {
		case isMap && artifact.IsBundleName(js) && !warned[js]:
			sources = sourceMapSources(f)
		case artifact.IsBundleName(f.Path):
			text, err := readHead(f, maxBundleRead)
			if err != nil {
				return true
			}
			for _, m := range artifact.BundleModules(text) {
				sources = append(sources, m.Path)
			}
		}
		var missing []string
		for _, src := range sources {
			if p := artifact.NodeModulesPackage(src); p != "" && !have[p] && !slices.Contains(missing, p) {
				missing = append(missing, p)
			}
		}
		if len(missing) == 0 {
			return true
		}
		warned[f.Virtual] = true
		slices.Sort(missing)
		names := strings.Join(missing[:min(len(missing), 5)], ", ")
		if len(missing) > 5 {
			names += fmt.Sprintf(" and %d more", len(missing)-5)
		}
		out = append(out, artifact.Warning{Path: f.Virtual, Message: fmt.Sprintf(
			"bundles %d npm packages without their versions (%s): they are not in the SBOM and not checked for vulnerabilities; scan the build's node_modules or package-lock.json too", len(missing), names)})
		return true
	})
	return out
}

// sourceMapSources lists a source map's "sources" (webpack://app/./node_modules/...,
// ../node_modules/...).
func sourceMapSources(f artifact.File) []string {
	text, err := readHead(f, maxBundleRead)
	if err != nil {
		return nil
	}
	var m struct {
		Sources []string `json:"sources"`
	}
	if json.Unmarshal([]byte(text), &m) != nil {
		return nil
	}
	return m.Sources
}

func readHead(f artifact.File, n int64) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, n))
	return string(b), err
}
