// Package report renders a scan result. Each output format is one file
// implementing Format; all of them render the one result.Result, whose JSON
// encoding is the documented protocol (docs/report.md). It imports every
// earlier stage for its types and nothing later.
package report

import (
	"io"
	"sort"

	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
)

// Format writes a Result in one output format.
type Format interface {
	Name() string
	Write(w io.Writer, r *result.Result) error
}

var formats = map[string]Format{}

func register(f Format) { formats[f.Name()] = f }

// Lookup returns the named format.
func Lookup(name string) (Format, bool) {
	f, ok := formats[name]
	return f, ok
}

// Names lists the formats, sorted.
func Names() []string {
	var out []string
	for n := range formats {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// where renders locations compactly: the first path and a count of others.
func where(locs []sbom.Location) string { return result.Where(locs) }
