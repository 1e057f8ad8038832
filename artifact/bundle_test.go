package artifact

import (
	"slices"
	"testing"
)

func TestNodeModulesPackage(t *testing.T) {
	for in, want := range map[string]string{
		"node_modules/uuid/dist/index.js":                                 "uuid",
		"../../proj/node_modules/@aws-sdk/client-s3/index.js":             "@aws-sdk/client-s3",
		"./node_modules/axios/node_modules/form-data/index.js":            "form-data",
		"node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/lodash.js": "lodash",
		"src/handler.ts":                  "",
		"my_node_modules/x/y.js":          "",
		"node_modules/x":                  "",
		"copied from node_modules/x/y.js": "",
	} {
		if got := NodeModulesPackage(in); got != want {
			t.Errorf("NodeModulesPackage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBundleModules(t *testing.T) {
	text := "var a = __commonJS({});\n// node_modules/a/index.js\nx();\n// src/my handler.ts\ny();\n" +
		"/***/ \"./node_modules/b/b.js\":\n  !*** ./src/c.js ***!\n/******/ })();\n// TODO fix\n"
	var got []string
	for _, m := range BundleModules(text) {
		got = append(got, m.Path)
	}
	if want := []string{"node_modules/a/index.js", "src/my handler.ts", "./node_modules/b/b.js", "./src/c.js", ""}; !slices.Equal(got, want) {
		t.Errorf("modules %q, want %q", got, want)
	}
	if BundleModules("// node_modules/a/index.js\n") != nil {
		t.Error("path comments without a bundler's helpers made a bundle")
	}
}
