package report

import (
	"encoding/json"
	"io"

	"github.com/fnscan/fnscan/result"
)

type jsonFormat struct{}

func init() { register(jsonFormat{}) }

func (jsonFormat) Name() string { return "json" }

func (jsonFormat) Write(w io.Writer, r *result.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
