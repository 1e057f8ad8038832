package artifact

import (
	"path"
	"slices"
	"strings"
)

// Bundled JavaScript. esbuild (CDK's NodejsFunction, SAM's esbuild builder,
// serverless-esbuild) and webpack inline a function's node_modules into one
// file. Unminified, they mark where each module begins with its source path,
// so a bundle can be read like an archive of modules.

// BundleModule is a marker in a bundle: a module's source path (as the
// bundler wrote it) and the offset of the marker line. Path is "" for the
// bundler's own runtime, which ends the module before it.
type BundleModule struct {
	Path  string
	Start int
}

// bundlerMarks are written by the bundlers themselves (esbuild's module
// helpers, webpack's runtime). Without one, path comments are just comments.
var bundlerMarks = []string{"__commonJS(", "__toESM(", "__esm(", "__export(", "__webpack_require__", "webpackBootstrap"}

// IsBundleName reports whether a file name can hold a JavaScript bundle.
func IsBundleName(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".js", ".mjs", ".cjs":
		return true
	}
	return false
}

// BundleModules lists the markers of an unminified esbuild or webpack
// bundle in order; nil when text is not one.
func BundleModules(text string) []BundleModule {
	if !slices.ContainsFunc(bundlerMarks, func(m string) bool { return strings.Contains(text, m) }) {
		return nil
	}
	var out []BundleModule
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '\n')
		end := len(text)
		if j >= 0 {
			end = i + j
		}
		if src, ok := bundleMarker(text[i:end]); ok {
			out = append(out, BundleModule{Path: src, Start: i})
		}
		i = end + 1
	}
	return out
}

// bundleMarker reads a marker line: esbuild's "// path" (paths may hold
// spaces; a file extension ends them), webpack's `/***/ "./path":`, its
// "!*** ./path ***!" banner and its own runtime ("/******/", src empty).
func bundleMarker(line string) (src string, ok bool) {
	line = strings.TrimSuffix(line, "\r")
	switch {
	case strings.HasPrefix(line, "// "):
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

// IsModuleFile: a source path a bundler inlines as code.
func IsModuleFile(s string) bool {
	switch path.Ext(s) {
	case ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".json", ".node":
		return true
	}
	return false
}

// NodeModulesPackage is the npm package a module path lies in — the last
// node_modules/ in it, with an @scope — or "" outside node_modules. A path
// with spaces is a comment, not a module.
func NodeModulesPackage(src string) string {
	if strings.ContainsAny(src, " \t") {
		return ""
	}
	i := strings.LastIndex(src, "node_modules/")
	if i < 0 || (i > 0 && src[i-1] != '/' && src[i-1] != '.') {
		return ""
	}
	parts := strings.SplitN(src[i+len("node_modules/"):], "/", 3)
	if strings.HasPrefix(parts[0], "@") && len(parts) >= 2 {
		return parts[0] + "/" + parts[1]
	}
	if parts[0] == "" || len(parts) < 2 {
		return ""
	}
	return parts[0]
}
