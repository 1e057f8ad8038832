package sign

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformance runs every sigstore-conformance bundle-verify case, once
// with the artifact and once with its sha256 digest, as the suite's
// harness does (docs/cli_protocol.md), and wants failure exactly for the
// cases named *_fail.
func TestConformance(t *testing.T) {
	base := filepath.Join("..", "..", "shared", "data", "sigstore-conformance")
	cases, _ := filepath.Glob(filepath.Join(base, "test", "assets", "bundle-verify", "*", "bundle.sigstore.json"))
	if len(cases) == 0 {
		// Larger corpora stay in ../shared; without it, skip (testdata/README.md).
		t.Skipf("no conformance cases under %s (../shared is not here)", base)
	}
	prodRoot, err := os.ReadFile(filepath.Join(base, "production-trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	for _, bp := range cases {
		dir := filepath.Dir(bp)
		name := filepath.Base(dir)
		read := func(f, def string) string {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				return def
			}
			return strings.TrimSpace(string(b))
		}
		c := BundleCheck{
			Identity:    read("identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"),
			Issuer:      read("issuer", "https://token.actions.githubusercontent.com"),
			TrustedRoot: prodRoot,
		}
		c.Bundle, _ = os.ReadFile(bp)
		if r, err := os.ReadFile(filepath.Join(dir, "trusted_root.json")); err == nil {
			c.TrustedRoot = r
		}
		// A key that does not parse fails the run, as the CLI would.
		var keyErr error
		if k, err := os.ReadFile(filepath.Join(dir, "key.pub")); err == nil {
			c.Key, keyErr = ParsePublicKey(k)
		}
		art, err := os.ReadFile(filepath.Join(dir, "artifact"))
		if err != nil {
			art, err = os.ReadFile(filepath.Join(dir, "..", "a.txt"))
			if err != nil {
				t.Fatal(err)
			}
		}
		sum := sha256.Sum256(art)
		wantFail := strings.HasSuffix(name, "_fail")
		for _, mode := range []string{"file", "digest"} {
			t.Run(name+"/"+mode, func(t *testing.T) {
				c := c
				if mode == "file" {
					c.Artifact = art
				} else {
					c.ArtifactSHA256 = sum[:]
				}
				err := keyErr
				if err == nil {
					err = VerifyBundle(c)
				}
				runs++
				if wantFail && err == nil {
					t.Errorf("verified, want a failure")
				}
				if !wantFail && err != nil {
					t.Errorf("want success: %v", err)
				}
			})
		}
	}
	t.Logf("%d runs", runs)
}
