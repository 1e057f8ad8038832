// Package redact passes every string of a value through a function: how
// fnscan keeps a secret it found out of everything it writes.
package redact

import "reflect"

// Value applies f to every settable string reachable from v (a pointer):
// reports and SBOM models are deep, and a field missed by a list of fields
// would print a secret.
func Value(v reflect.Value, f func(string) string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			if v.Kind() == reflect.Interface && e.Kind() == reflect.String {
				v.Set(reflect.ValueOf(f(e.String())).Convert(e.Type()))
				return
			}
			Value(e, f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				Value(v.Field(i), f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			Value(v.Index(i), f)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			Value(e, f)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(f(v.String()))
		}
	}
}

// Strings lists the strings Value would pass to f, for a scan of them all
// at once before they are replaced.
func Strings(v reflect.Value) []string {
	var out []string
	Value(v, func(s string) string {
		if s != "" {
			out = append(out, s)
		}
		return s
	})
	return out
}
