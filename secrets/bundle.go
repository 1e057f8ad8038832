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

// bundlerMarks are written by the bundlers themselves (esbuild's module
// helpers, webpack's runtime). Without one, path comments are just comments.
var bundlerMarks = []string{"__commonJS(", "__toESM(", "__esm(", "__export(", "__webpack_require__", "webpackBootstrap"}

// bundleVendored returns the vendored regions of a bundle, by offset. A
// region runs from a node_modules module's marker to the next marker of any
// kind; a marker this code does not recognise as a module path still ends
// it, so first-party code is never swallowed by the module before it.
func bundleVendored(p, text string) []span {
	switch strings.ToLower(path.Ext(p)) {
	case ".js", ".mjs", ".cjs":
	default:
		return nil
	}
	marked := false
	for _, m := range bundlerMarks {
		if strings.Contains(text, m) {
			marked = true
			break
		}
	}
	if !marked {
		return nil
	}
	var (
		out        []span
		firstParty bool // a first-party module follows the vendored ones
		open       = -1 // start of the current vendored region
	)
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '\n')
		end := len(text)
		if j >= 0 {
			end = i + j
		}
		if src, ok := bundleMarker(text[i:end]); ok {
			if open >= 0 {
				out = append(out, span{open, i})
				open = -1
			}
			// Only a plain path opens a vendored region: a comment that
			// mentions node_modules must not swallow the code after it.
			if !strings.ContainsAny(src, " \t") && isVendored(normalizePath(src)) && isModuleFile(src) {
				open = i
			} else if len(out) > 0 {
				firstParty = true
			}
		}
		i = end + 1
	}
	// The entry module comes last; a bundle that ends inside vendored code,
	// or has no first-party module after one, is not understood: treat it
	// all as first-party.
	if open >= 0 || !firstParty {
		return nil
	}
	return mergeSpans(out)
}

// bundleMarker reads a marker line: esbuild's "// path" (any path ends a
// module; the caller decides whether it starts a vendored one),
// webpack's `/***/ "./path":`, its "!*** ./path ***!" banner and its own
// runtime ("/******/", src empty).
func bundleMarker(line string) (src string, ok bool) {
	line = strings.TrimSuffix(line, "\r")
	switch {
	case strings.HasPrefix(line, "// "):
		// Paths may hold spaces; a file extension at the end is required.
		s := line[3:]
		ext := path.Ext(s)
		if len(ext) < 2 || len(ext) > 6 || strings.ContainsAny(ext, " \t") || strings.Contains(s, "\t") {
			return "", false
		}
		return s, true
	case strings.HasPrefix(line, `/***/ "`):
		s := line[len(`/***/ "`):]
		if k := strings.Index(s, `":`); k > 0 {
			return s[:k], true
		}
	case strings.HasPrefix(line, "/******/"):
		return "", true
	default:
		t := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(t, "!*** ") && strings.HasSuffix(t, " ***!") {
			return t[len("!*** ") : len(t)-len(" ***!")], true
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
