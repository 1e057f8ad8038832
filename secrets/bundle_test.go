package secrets

import (
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// esbuildBundle is shaped like esbuild's unminified output (the CDK
// NodejsFunction default): helpers, then each module after a "// path"
// line, node_modules first and the handler last. filler pads each module.
func esbuildBundle(vendoredCode, handlerCode, filler string) string {
	return "var __getOwnPropNames = Object.getOwnPropertyNames;\n" +
		"var __commonJS = (cb, mod) => function __require() {\n" +
		"  return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;\n};\n\n" +
		"// node_modules/aws-sdk/lib/json/builder.js\n" +
		"var require_builder = __commonJS({\n" +
		"  \"node_modules/aws-sdk/lib/json/builder.js\"(exports2, module2) {\n" +
		filler + vendoredCode + "  }\n});\n\n" +
		"// ../../lib/node_modules/uuid/dist/esm-node/rng.js\n" +
		"var import_crypto = __toESM(require(\"crypto\"));\n" + filler + "\n" +
		"// src/handler.ts\n" +
		"var handler_exports = {};\n" + handlerCode + filler
}

func TestBundleVendored(t *testing.T) {
	text := esbuildBundle("", "", "")
	got := bundleVendored("dist/index.js", text)
	start := strings.Index(text, "// node_modules/aws-sdk")
	end := strings.Index(text, "// src/handler.ts")
	if want := []span{{start, end}}; !slices.Equal(got, want) {
		t.Errorf("esbuild regions %v, want %v", got, want)
	}
	if bundleVendored("dist/index.py", text) != nil {
		t.Error("only JavaScript files are bundles")
	}
	for name, text := range map[string]string{
		// Path comments without a bundler's helpers are just comments.
		"no bundler": "// config.json\n// node_modules/foo/patched.js\nconst password = 'x';\n",
		// A bundle that ends in vendored code has no handler we can see.
		"ends vendored": "var a = __commonJS({});\n// src/a.js\nx();\n// node_modules/x/index.js\ny();\n",
		// Only vendored modules: nothing is known to be first-party.
		"all vendored": "var a = __commonJS({});\n// node_modules/x/index.js\ny();\n",
	} {
		if got := bundleVendored("dist/index.js", text); got != nil {
			t.Errorf("%s: regions %v, want none", name, got)
		}
	}
	// esbuild marks every file it inlines: text-loaded files (.env, .pem)
	// and paths with spaces end the module before them, and a comment
	// mentioning node_modules opens nothing.
	text = "var a = __commonJS({});\n" +
		"// node_modules/a/index.js\nvendor1();\n" +
		"// src/secrets.env\nvar secrets_default = 'K=v';\n" +
		"// node_modules/b/index.js\nvendor2();\n" +
		"// src/my handler.ts\nhandler();\n" +
		"// copied from node_modules/c/index.js\nmine();\n"
	got = bundleVendored("dist/index.js", text)
	want := []span{
		{strings.Index(text, "// node_modules/a"), strings.Index(text, "// src/secrets.env")},
		{strings.Index(text, "// node_modules/b"), strings.Index(text, "// src/my handler.ts")},
	}
	if !slices.Equal(got, want) {
		t.Errorf("esbuild with text files and spaces: regions %v, want %v", got, want)
	}

	// webpack (development mode, pathinfo on) marks modules twice and
	// ends with its own runtime.
	webpack := "/******/ (() => { // webpackBootstrap\n/******/ \tvar __webpack_modules__ = ({\n\n" +
		"/***/ \"./node_modules/axios/index.js\":\n" +
		"/*!**********************************!*\\\n  !*** ./node_modules/axios/index.js ***!\n  \\**********************************/\n" +
		"/***/ ((module) => { module.exports = 1; }),\n\n" +
		"/***/ \"./src/index.js\":\n" +
		"/*!**********************!*\\\n  !*** ./src/index.js ***!\n  \\**********************/\n" +
		"/***/ ((module) => { module.exports = 2; })\n\n" +
		"/******/ \t});\n"
	got = bundleVendored("main.js", webpack)
	start = strings.Index(webpack, "/***/ \"./node_modules/axios")
	end = strings.Index(webpack, "/***/ \"./src/index.js\"")
	if want := []span{{start, end}}; !slices.Equal(got, want) {
		t.Errorf("webpack regions %v, want %v", got, want)
	}
}

// TestBundleFindings: in a bundled function, code inlined from
// node_modules gets the vendored treatment (only specific rules), while
// the handler's own code keeps every rule. Large enough that one file's
// rules run in parallel, which must not change the result.
func TestBundleFindings(t *testing.T) {
	r := mrand.New(mrand.NewPCG(3, 3))
	awsKey := "AKIA" + randomString(r, upperDigits, 16)
	vendorPassword := "Vp-" + randomString(r, alnum, 18)
	vendorKey := randomString(r, "abcdef0123456789", 32)
	handlerPassword := "Hp-" + randomString(r, alnum, 18)
	vendored := "    const password = \"" + vendorPassword + "\";\n" +
		"    var apiKey = \"" + vendorKey + "\";\n" +
		"    var accessKeyId = \"" + awsKey + "\";\n"
	handler := "const dbPassword = \"" + handlerPassword + "\";\n"
	var filler strings.Builder
	for filler.Len() < 1<<20 {
		filler.WriteString("    if (options.token && this.config.secret) { return callback(null, params.key); }\n")
	}
	text := esbuildBundle(vendored, handler, filler.String())
	if len(text) < parallelMin {
		t.Fatalf("bundle of %d bytes does not exercise the parallel path", len(text))
	}
	files := writeFiles(t, map[string]string{"dist/index.js": text})

	var results [][]Finding
	for _, workers := range []int{1, 2} {
		cfg := DefaultConfig()
		cfg.Workers = workers
		res := scan(t, files, cfg)
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.Redacted)
		}
		slices.Sort(got)
		want := []string{redact(awsKey), redact(handlerPassword)}
		if !slices.Equal(got, want) {
			t.Errorf("workers=%d: findings %q, want %q", workers, got, want)
		}
		results = append(results, res.Findings)
	}
	if !slices.Equal(results[0], results[1]) {
		t.Errorf("parallel rules changed the findings:\n%v\n%v", results[0], results[1])
	}

	// The same code outside a bundle is first-party: the vendored password
	// is then a finding.
	plain := strings.Replace(text, "// node_modules/aws-sdk/lib/json/builder.js\n", "", 1)
	plain = strings.Replace(plain, "// ../../lib/node_modules/uuid/dist/esm-node/rng.js\n", "", 1)
	res := scan(t, writeFiles(t, map[string]string{"dist/index.js": plain}), DefaultConfig())
	found := false
	for _, f := range res.Findings {
		found = found || f.Redacted == redact(vendorPassword)
	}
	if !found {
		t.Errorf("without bundle markers the password is not found: %v", res.Findings)
	}
}
