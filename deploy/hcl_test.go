package deploy

import (
	"strings"
	"testing"
)

// An expression too long to quote whole is cut between tokens, never inside
// a string: half a secret would no longer be found and redacted.
func TestHCLUnknownTextCutBetweenTokens(t *testing.T) {
	const secret = "ghp_MFLZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNh"
	src := `x = "${var.prefix}" == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" ? "` + secret + `" : var.other` + "\n"
	root, err := parseHCL(src)
	if err != nil {
		t.Fatal(err)
	}
	v := root.get("x")
	if v == nil || v.kind != nUnknown {
		t.Fatalf("x is %+v, want an unknown expression", v)
	}
	if strings.Contains(v.str, secret[:10]) && !strings.Contains(v.str, secret) {
		t.Errorf("evidence %q holds part of the token", v.str)
	}
	if !strings.HasSuffix(v.str, "…") || len(v.str) > 90 {
		t.Errorf("evidence %q: want it cut, short", v.str)
	}
}
