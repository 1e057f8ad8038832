package secrets

import "testing"

// An image config is recognised by its parsed shape, not by two words in
// any JSON; one without an environment has nothing to check and is no
// parse error.
func TestImageConfigDetection(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"config":{"Env":["A=b"]}}`: true,
		`{"rootfs":{"diff_ids":[]}}`: true,
		`{"note":"a fixture that mentions \"rootfs\" and \"diff_ids\" in text"}`: false,
		`{"rootfs":"x","diff_ids":[]}`:                                           false,
	} {
		if got := isImageConfig([]byte(doc)); got != want {
			t.Errorf("isImageConfig(%s) = %v", doc, got)
		}
	}
	vars, err := parseImageConfig([]byte(`{"rootfs":{"diff_ids":[]},"config":{"Env":null}}`))
	if err != nil || len(vars) != 0 {
		t.Errorf("no environment: %v %v", vars, err)
	}
}
