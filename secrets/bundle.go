package secrets

import (
	"sort"
	"strings"

	"github.com/fnscan/fnscan/artifact"
)

// Bundled JavaScript (see artifact.BundleModules): the regions of a bundle
// that come from node_modules are vendored code and get the vendored
// treatment, as if the files had stayed in node_modules.

type span struct{ start, end int }

// bundleVendored returns the vendored regions of a bundle, by offset. A
// region runs from a node_modules module's marker to the next marker of any
// kind; a marker not recognised as a module path still ends it, so
// first-party code is never swallowed by the module before it.
func bundleVendored(p, text string) []span {
	if !artifact.IsBundleName(p) {
		return nil
	}
	var (
		out        []span
		firstParty bool // a first-party module follows the vendored ones
		open       = -1 // start of the current vendored region
	)
	for _, m := range artifact.BundleModules(text) {
		if open >= 0 {
			out = append(out, span{open, m.Start})
			open = -1
		}
		// Only a plain path opens a vendored region: a comment that
		// mentions node_modules must not swallow the code after it.
		if !strings.ContainsAny(m.Path, " \t") && isVendored(normalizePath(m.Path)) && artifact.IsModuleFile(m.Path) {
			open = m.Start
		} else if len(out) > 0 {
			firstParty = true
		}
	}
	// The entry module comes last; a bundle that ends inside vendored code,
	// or has no first-party module after one, is not understood: treat it
	// all as first-party.
	if open >= 0 || !firstParty {
		return nil
	}
	return mergeSpans(out)
}

func mergeSpans(s []span) []span {
	if len(s) == 0 {
		return nil
	}
	sort.Slice(s, func(i, j int) bool { return s[i].start < s[j].start })
	out := s[:1]
	for _, x := range s[1:] {
		last := &out[len(out)-1]
		if x.start <= last.end {
			last.end = max(last.end, x.end)
			continue
		}
		out = append(out, x)
	}
	return out
}

// inSpans reports whether pos lies in one of the sorted spans.
func inSpans(s []span, pos int) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].end > pos })
	return i < len(s) && s[i].start <= pos
}

// outsideSpans keeps the sorted positions that lie outside the spans.
func outsideSpans(s []span, pos []int) []int {
	var out []int
	for _, p := range pos {
		if !inSpans(s, p) {
			out = append(out, p)
		}
	}
	return out
}
