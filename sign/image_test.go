package sign

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"
)

// A registry's error text is not trusted: its control characters (a
// terminal escape) never reach the message, whatever call meets it.
func TestRegistryErrorPrintable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"errors":[{"code":"DENIED","message":"no\u001b[2J\u001b]0;pwned\u0007 access\n` + strings.Repeat("x", 2000) + `"}]}`))
	}))
	defer srv.Close()
	key, _ := testKey(t, "")
	ref := "registry:" + strings.TrimPrefix(srv.URL, "http://") + "/fn:1"
	_, err := AttestImage(t.Context(), key, ref, PredicateCycloneDX, []byte(`{}`))
	if err == nil {
		t.Fatal("attesting at a registry that refuses everything succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "DENIED") || len(msg) > 600 {
		t.Errorf("error %q (%d bytes): want the registry's code, capped", msg, len(msg))
	}
	if strings.ContainsFunc(msg, unicode.IsControl) {
		t.Errorf("control characters in %q", msg)
	}
}
