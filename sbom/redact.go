package sbom

import (
	"reflect"

	"github.com/fnscan/fnscan/artifact"
)

// Redact passes the names the SBOM holds through f: a path or a warning can
// hold a secret (a file named after a token). Locations and warnings change
// now; the documents written later apply f to every text they hold, which
// also reaches the paths syft recorded.
func (res *Result) Redact(f func(string) string) {
	res.redact = f
	res.Subject.Name = f(res.Subject.Name)
	ws := make([]artifact.Warning, len(res.Warnings))
	for i, w := range res.Warnings {
		ws[i] = w
		ws[i].Path, ws[i].Message = f(w.Path), f(w.Message)
	}
	res.Warnings = ws
	for _, c := range res.Components {
		redactLocations(c.Locations, f)
	}
	for _, locs := range res.origins {
		redactLocations(locs, f)
	}
}

func redactLocations(locs []Location, f func(string) string) {
	for i := range locs {
		locs[i].Path = f(locs[i].Path)
		locs[i].Origin.Name = f(locs[i].Origin.Name)
	}
}

// redactValue applies f to every settable string reachable from v: the
// CycloneDX model is deep, and a field missed here would print a secret.
func redactValue(v reflect.Value, f func(string) string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			if v.Kind() == reflect.Interface && e.Kind() == reflect.String {
				v.Set(reflect.ValueOf(f(e.String())).Convert(e.Type()))
				return
			}
			redactValue(e, f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				redactValue(v.Field(i), f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			redactValue(v.Index(i), f)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			redactValue(e, f)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(f(v.String()))
		}
	}
}
