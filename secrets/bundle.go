package secrets

import (
	"path"
	"sort"
	"strings"
)

// Bundled JavaScript. A Lambda built with esbuild (CDK's NodejsFunction,
// SAM's esbuild builder, serverless-esbuild) or webpack ships node_modules
// inlined into one file. Unminified, the bundler marks where each module
// begins with its source path; the regions that come from node_modules are
// vendored code and get the vendored treatment, as if the files had stayed
// in node_modules.

type span struct{ start, end int }

// minBundleMarkers: fewer path comments are ordinary comments, not a bundle.
const minBundleMarkers = 2

// bundleVendored returns the vendored regions of a bundle, by offset.
func bundleVendored(p, text string) []span {
	switch strings.ToLower(path.Ext(p)) {
	case ".js", ".mjs", ".cjs":
	default:
		return nil
	}
	var (
		out     []span
		markers int
		open    = -1 // start of the current vendored region
	)
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '\n')
		end := len(text)
		if j >= 0 {
			end = i + j
		}
		src, runtime := bundleMarker(text[i:end])
		if src != "" || runtime {
			markers++
			if open >= 0 {
				out = append(out, span{open, i})
				open = -1
			}
			if src != "" && isVendored(normalizePath(src)) {
				open = i
			}
		}
		i = end + 1
	}
	if open >= 0 {
		out = append(out, span{open, len(text)})
	}
	if markers < minBundleMarkers {
		return nil
	}
	return mergeSpans(out)
}

// bundleMarker reads a module marker line: esbuild's "// path/to/file.js",
// webpack's `/***/ "./path":` and its "!*** ./path ***!" banner. runtime is
// webpack's own bootstrap ("/******/"), which ends a module.
func bundleMarker(line string) (src string, runtime bool) {
	line = strings.TrimSuffix(line, "\r")
	switch {
	case strings.HasPrefix(line, "// "):
		s := line[3:]
		if strings.ContainsAny(s, " \t") || !isModuleFile(s) {
			return "", false
		}
		return s, false
	case strings.HasPrefix(line, `/***/ "`):
		s := line[len(`/***/ "`):]
		if k := strings.Index(s, `":`); k > 0 {
			return s[:k], false
		}
	case strings.HasPrefix(line, "/******/"):
		return "", true
	default:
		t := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(t, "!*** ") && strings.HasSuffix(t, " ***!") {
			return t[len("!*** ") : len(t)-len(" ***!")], false
		}
	}
	return "", false
}

func isModuleFile(s string) bool {
	switch path.Ext(s) {
	case ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".json", ".node":
		return true
	}
	return false
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
