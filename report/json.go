package report

import (
	"encoding/json"
	"io"
)

type jsonFormat struct{}

func init() { register(jsonFormat{}) }

func (jsonFormat) Name() string { return "json" }

func (jsonFormat) Write(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
