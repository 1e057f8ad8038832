// Package jsonerr says what is wrong with a JSON document in the
// document's own terms: encoding/json's type errors name the Go type the
// reader decodes into, which means nothing to whoever wrote the file.
package jsonerr

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Plain rewrites a type error as "FIELD is a JSON array where an object is
// expected (byte N)" and a syntax error as "invalid JSON at byte N: ...";
// other errors are returned as they are. at names what was decoded when it
// is a part of the document ("statements"); "" is the whole document.
func Plain(err error, at string) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := strings.TrimPrefix(at+"."+te.Field, ".")
		field = strings.TrimSuffix(field, ".")
		where := "the document"
		if field != "" {
			where = fmt.Sprintf("%q", field)
		}
		got, _, _ := strings.Cut(te.Value, " ") // "number -5" is a number
		return fmt.Errorf("%s is a JSON %s where %s is expected (byte %d)", where, got, kind(te.Type), te.Offset)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %s", se.Offset, se.Error())
	}
	return err
}

func kind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return kind(t.Elem())
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another value"
}
