package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The release build's stamps reach `fnscan version` and its JSON; without
// them the version is read from the build info ("dev" for a test binary).
func TestVersion(t *testing.T) {
	out, _, code := fnscan(t, "version", "--json")
	var v versionInfo
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Version == "" || !strings.HasPrefix(v.GoVersion, "go") || v.Platform == "" {
		t.Fatalf("version --json: exit %d %q", code, out)
	}
	version, commit, date = "1.4.2", "0123abcd", "2026-11-30T12:00:00Z"
	defer func() { version, commit, date = "", "", "" }()
	out, _, _ = fnscan(t, "version")
	for _, want := range []string{"fnscan 1.4.2\n", "commit: 0123abcd", "built:  2026-11-30T12:00:00Z"} {
		if !strings.Contains(out, want) {
			t.Errorf("version: %q lacks %q", out, want)
		}
	}
	// goreleaser stamps all three.
	g, _ := os.ReadFile("../../goreleaser.yaml")
	for _, x := range []string{"main.version=", "main.commit=", "main.date="} {
		if !strings.Contains(string(g), x) {
			t.Errorf("goreleaser.yaml does not set %s", x)
		}
	}
}
