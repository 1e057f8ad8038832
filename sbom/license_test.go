package sbom

import (
	"slices"
	"sync"
	"testing"

	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/cataloging"
)

const mitText = `MIT License

Copyright (c) 2020 Someone

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`

// The licence scanner handed to syft is syft's (the linked constructor
// still has the signature mirrored here), it identifies a licence file's
// text as syft's default scanner does, and its DFA is built only when a
// package's licence has to be read from a file. Not parallel: it resets
// the process's one scanner.
func TestLicenseScannerLazy(t *testing.T) {
	checker.once = sync.Once{}
	checker.s = nil
	if got, want := cataloging.DefaultLicenseConfig().Coverage, syft.DefaultCreateSBOMConfig().Licenses.Coverage; got != want {
		t.Errorf("licence coverage %v, syft's default %v", got, want)
	}

	declared := writeZip(t, "declared.zip", map[string][]byte{
		"package.json":                    []byte(`{"name":"fn","version":"1.0.0"}`),
		"index.js":                        []byte("module.exports = 1\n"),
		"node_modules/a/package.json":     []byte(`{"name":"a","version":"1.0.0","license":"ISC"}`),
		"node_modules/a/LICENSE":          []byte(mitText),
		"node_modules/.package-lock.json": []byte(`{"name":"fn","lockfileVersion":3,"packages":{"node_modules/a":{"version":"1.0.0"}}}`),
	})
	res := catalogSpec(t, declared)
	if got := names(res.Components); !slices.Equal(got, []string{"a@1.0.0"}) {
		t.Fatalf("components %v", got)
	}
	if lic := res.Components[0].Licenses; !slices.Equal(lic, []string{"ISC"}) {
		t.Errorf("a's licences %v, want its declared ISC", lic)
	}
	if checker.s != nil {
		t.Error("licence DFA built for a target whose packages all declare their licence")
	}

	fromFile := writeZip(t, "from-file.zip", map[string][]byte{
		"node_modules/b/package.json": []byte(`{"name":"b","version":"2.0.0"}`),
		"node_modules/b/LICENSE":      []byte(mitText),
	})
	res = catalogSpec(t, fromFile)
	if got := names(res.Components); !slices.Equal(got, []string{"b@2.0.0"}) {
		t.Fatalf("components %v", got)
	}
	if lic := res.Components[0].Licenses; !slices.Equal(lic, []string{"MIT"}) {
		t.Errorf("b's licences %v, want MIT read from its LICENSE file", lic)
	}
	if checker.s == nil {
		t.Error("licence DFA not built, yet a licence was read from a file")
	}
}
