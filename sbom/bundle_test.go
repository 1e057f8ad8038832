package sbom

import (
	"strings"
	"testing"

	"github.com/fnscan/fnscan/artifact"
)

// esbuildBundle is shaped like esbuild's unminified output (CDK's
// NodejsFunction default): helpers, each inlined module after a "// path"
// line, the handler last.
func esbuildBundle() []byte {
	var b strings.Builder
	b.WriteString("var __commonJS = (cb, mod) => function __require() { return mod; };\n")
	for _, m := range []string{
		"node_modules/uuid/dist/index.js", "node_modules/@smithy/types/dist-cjs/index.js",
		"../../node_modules/axios/lib/axios.js", "node_modules/axios/lib/core/Axios.js",
	} {
		b.WriteString("\n// " + m + "\nvar require_x = __commonJS({\n  \"" + m + "\"(exports, module) {\n")
		b.WriteString(strings.Repeat("    module.exports = function () { return 1; };\n", 300))
		b.WriteString("  }\n});\n")
	}
	b.WriteString("\n// src/handler.ts\nexports.handler = async () => ({ statusCode: 200 });\n")
	return []byte(b.String())
}

// A bundled function's npm packages are not in the SBOM: a warning names
// them, unless the package also ships what catalogers read.
func TestBundleWarning(t *testing.T) {
	var warned []artifact.Warning
	open := func(files map[string][]byte) *Result {
		t.Helper()
		tg, err := artifact.Open(t.Context(), writeZip(t, "fn.zip", files), artifact.Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer tg.Close()
		cfg := DefaultConfig()
		warned = nil
		cfg.Warn = func(w artifact.Warning) { warned = append(warned, w) }
		res, err := Catalog(t.Context(), tg, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := open(map[string][]byte{"index.js": esbuildBundle()})
	var msg string
	for _, w := range res.Warnings {
		if w.Path == "fn.zip!index.js" {
			msg = w.Message
		}
	}
	if !strings.Contains(msg, "3 npm packages") || !strings.Contains(msg, "@smithy/types, axios, uuid") {
		t.Errorf("bundle warning %q", msg)
	}
	if len(warned) != 1 {
		t.Errorf("%d warnings reported as they happened, want 1", len(warned))
	}

	// The same bundle with the packages installed beside it: covered.
	files := map[string][]byte{"index.js": esbuildBundle()}
	for name, version := range map[string]string{"uuid": "9.0.1", "@smithy/types": "3.0.0", "axios": "1.7.2"} {
		files["node_modules/"+name+"/package.json"] = []byte(`{"name": "` + name + `", "version": "` + version + `"}`)
	}
	if res := open(files); len(warned) != 0 || len(res.Components) != 3 {
		t.Errorf("installed packages: warnings %v, %d components", warned, len(res.Components))
	}
	// A handler that is not a bundle says nothing.
	if open(map[string][]byte{"index.js": []byte(strings.Repeat("// node_modules/x/y.js\n", 4000))}); len(warned) != 0 {
		t.Errorf("not a bundle: %v", warned)
	}
}

// A minified bundle has no markers; its source map names the packages.
// With both, one warning.
func TestBundleWarningSourceMap(t *testing.T) {
	sourceMap := []byte(`{"version": 3, "sources": ["../node_modules/axios/lib/axios.js", "webpack://fn/./node_modules/@smithy/types/dist/index.js", "../src/handler.ts"], "sourcesContent": ["` +
		strings.Repeat("x", 40<<10) + `"], "mappings": "AAAA"}`)
	minified := []byte(strings.Repeat("var a=function(){return 1};", 2000))
	for name, files := range map[string]map[string][]byte{
		"minified":     {"index.js": minified, "index.js.map": sourceMap},
		"with markers": {"index.js": esbuildBundle(), "index.js.map": sourceMap},
	} {
		tg, err := artifact.Open(t.Context(), writeZip(t, "fn.zip", files), artifact.Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Catalog(t.Context(), tg, DefaultConfig())
		tg.Close()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, w := range res.Warnings {
			if strings.Contains(w.Message, "npm packages without their versions") {
				got = append(got, w.Path+": "+w.Message)
			}
		}
		want := "fn.zip!index.js.map: bundles 2 npm packages without their versions (@smithy/types, axios)"
		if name == "with markers" {
			want = "fn.zip!index.js: bundles 3 npm packages"
		}
		if len(got) != 1 || !strings.HasPrefix(got[0], want) {
			t.Errorf("%s: warnings %q, want one starting %q", name, got, want)
		}
	}
}
