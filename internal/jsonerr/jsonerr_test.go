package jsonerr

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestPlain(t *testing.T) {
	var doc struct {
		Statements []struct {
			Status string `json:"status"`
		} `json:"statements"`
		Version int `json:"version"`
	}
	for _, c := range []struct{ in, want string }{
		{`[]`, `the document is a JSON array where an object is expected (byte 1)`},
		{`{"statements": {}}`, `"statements" is a JSON object where an array is expected`},
		{`{"statements": [{"status": 3}]}`, `"statements.status" is a JSON number where a string is expected`},
		{`{"version": "1"}`, `"version" is a JSON string where a whole number is expected`},
		{`{"version": 1.5}`, `"version" is a JSON number where a whole number is expected`},
		{`{"statements": [}`, `invalid JSON at byte 17: invalid character '}'`},
	} {
		err := Plain(json.Unmarshal([]byte(c.in), &doc), "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.in, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "struct") {
			t.Errorf("%s: %v names a Go type", c.in, err)
		}
	}
	var parts []struct{ Status string }
	if err := Plain(json.Unmarshal([]byte(`{}`), &parts), "statements"); err == nil || !strings.HasPrefix(err.Error(), `"statements" is a JSON object where an array`) {
		t.Errorf("a part: %v", err)
	}
	if err := Plain(json.Unmarshal([]byte(`[{"Status": 1}]`), &parts), "statements"); err == nil || !strings.HasPrefix(err.Error(), `"statements.Status" is a JSON number`) {
		t.Errorf("a field of a part: %v", err)
	}
	other := errors.New("other")
	if Plain(other, "") != other {
		t.Error("an error that is not JSON's changed")
	}
}
