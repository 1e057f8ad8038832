package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cosignBin finds the real cosign CLI: $FNSCAN_COSIGN, else cosign on
// PATH. Locally a missing cosign skips; in CI (.ci/run builds it) it fails.
func cosignBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FNSCAN_COSIGN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("FNSCAN_COSIGN=%s: %v", p, err)
		}
		return p
	}
	if p, err := exec.LookPath("cosign"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("cosign not found: .ci/run builds cosign v2.6.5 and sets FNSCAN_COSIGN")
	}
	t.Skip("cosign not found: set FNSCAN_COSIGN to a cosign v2.6.5 binary (.ci/run builds one)")
	return ""
}

// cosignRun runs cosign offline: TUF and home dirs are the test's, and
// every command is given what it needs to stay off the network.
func cosignRun(t *testing.T, bin, dir string, wantOK bool, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "TUF_ROOT="+filepath.Join(dir, ".sigstore"), "COSIGN_PASSWORD=pw",
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if (err == nil) != wantOK {
		t.Fatalf("cosign %s: err=%v, want ok=%v\n%s", strings.Join(args, " "), err, wantOK, out.String())
	}
	return out.String()
}

// TestCosignInterop is acceptance 2 with the real cosign v2.6.5: cosign
// verifies fnscan's bundles and attestations, fnscan verifies cosign's,
// and keys made by either tool work in the other.
func TestCosignInterop(t *testing.T) {
	bin := cosignBin(t)
	t.Setenv("FNSCAN_PASSWORD", "pw")
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	art := p("fn.zip")
	signCopy(t, "../../testdata/lambda/serverless-goat-convert.zip", art)
	flipped := signRead(t, art)
	flipped[100] ^= 0x40
	os.WriteFile(p("flipped.zip"), flipped, 0o644)
	emptyRoot := p("empty_root.json")
	os.WriteFile(emptyRoot, []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`), 0o644)
	offline := []string{"--new-bundle-format", "--trusted-root", emptyRoot, "--insecure-ignore-tlog"}

	signRun(t, 0, "keygen", "--output-key-prefix", p("fnscan"))
	cosignRun(t, bin, dir, true, "generate-key-pair")
	signRun(t, 0, "sbom", art, "-o", "cyclonedx-json="+p("sbom.json"), "-q")
	sum := sha256.Sum256(signRead(t, art))
	v, _ := json.Marshal(map[string]any{"pass": true, "reasons": []string{}, "db": map[string]any{"snapshot": time.Now().UTC().Format(time.RFC3339), "ageSeconds": 0},
		"counts": map[string]int{}, "secrets": 0, "fnscanVersion": "test", "scanTime": time.Now().UTC().Format(time.RFC3339),
		"target": map[string]string{"name": "fn.zip", "sha256": hex.EncodeToString(sum[:])}})
	os.WriteFile(p("verdict.json"), v, 0o644)

	for _, key := range []string{"fnscan", "cosign"} {
		t.Run("fnscan signs with the "+key+" key, cosign verifies", func(t *testing.T) {
			b, sbom, verdict := p(key+".sig.json"), p(key+".sbom.json"), p(key+".verdict.json")
			signRun(t, 0, "sign", "--key", p(key+".key"), art, "--bundle", b)
			signRun(t, 0, "attest", "--key", p(key+".key"), "--predicate-type", "cyclonedx", "--predicate", p("sbom.json"), art, "--bundle", sbom)
			signRun(t, 0, "attest", "--key", p(key+".key"), "--predicate-type", "verdict", "--predicate", p("verdict.json"), art, "--bundle", verdict)
			for _, pub := range []string{"fnscan.pub", "cosign.pub"} {
				ok := pub == key+".pub"
				cosignRun(t, bin, dir, ok, append(append([]string{"verify-blob", "--key", p(pub), "--bundle", b}, offline...), art)...)
				cosignRun(t, bin, dir, ok, append(append([]string{"verify-blob-attestation", "--key", p(pub), "--bundle", sbom, "--type", "cyclonedx"}, offline...), art)...)
				cosignRun(t, bin, dir, ok, append(append([]string{"verify-blob-attestation", "--key", p(pub), "--bundle", verdict, "--type", "https://fnscan.dev/verdict/v1"}, offline...), art)...)
			}
			// cosign must refuse other bytes, and a type the attestation is not.
			cosignRun(t, bin, dir, false, append(append([]string{"verify-blob", "--key", p(key + ".pub"), "--bundle", b}, offline...), p("flipped.zip"))...)
			cosignRun(t, bin, dir, false, append(append([]string{"verify-blob-attestation", "--key", p(key + ".pub"), "--bundle", sbom}, offline...), p("flipped.zip"))...)
			cosignRun(t, bin, dir, false, append(append([]string{"verify-blob-attestation", "--key", p(key + ".pub"), "--bundle", verdict, "--type", "cyclonedx"}, offline...), art)...)
		})
		t.Run("cosign signs with the "+key+" key, fnscan verifies", func(t *testing.T) {
			b, sbom := p("c-"+key+".sig.json"), p("c-"+key+".sbom.json")
			cosignRun(t, bin, dir, true, "sign-blob", "--yes", "--key", p(key+".key"), "--new-bundle-format", "--tlog-upload=false", "--bundle", b, art)
			cosignRun(t, bin, dir, true, "attest-blob", "--yes", "--key", p(key+".key"), "--new-bundle-format", "--tlog-upload=false",
				"--type", "cyclonedx", "--predicate", p("sbom.json"), "--bundle", sbom, art)
			out, _ := signRun(t, 0, "verify", "--key", p(key+".pub"), "--bundle", b, "--attestation", sbom, "--type", "cyclonedx", art)
			if !strings.Contains(out, "attestations: cyclonedx") {
				t.Fatalf("verify: %q", out)
			}
			other := map[string]string{"fnscan": "cosign", "cosign": "fnscan"}[key]
			_, e := signRun(t, 1, "verify", "--key", p(other+".pub"), "--bundle", b, art)
			if !strings.Contains(e, "key check failed") {
				t.Fatal(e)
			}
			_, e = signRun(t, 1, "verify", "--key", p(key+".pub"), "--bundle", b, p("flipped.zip"))
			if !strings.Contains(e, "bytes check failed") {
				t.Fatal(e)
			}
			_, e = signRun(t, 1, "verify", "--key", p(key+".pub"), "--bundle", b, "--attestation", sbom, "--require-verdict", "pass", art)
			if !strings.Contains(e, "verdict check failed") {
				t.Fatal(e)
			}
		})
	}
}

// TestCosignMessageDigestMismatch: the conformance case cosign v2.6.5 gets
// wrong (sigstore-go #561) is refused by fnscan.
func TestCosignMessageDigestMismatch(t *testing.T) {
	base, _ := filepath.Abs("../../../shared/data/sigstore-conformance")
	dir := filepath.Join(base, "test", "assets", "bundle-verify", "message-digest-mismatch_fail")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no conformance data:", err)
	}
	args := []string{"verify-bundle", "--bundle", filepath.Join(dir, "bundle.sigstore.json"),
		"--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
		"--certificate-oidc-issuer", "https://token.actions.githubusercontent.com",
		"--trusted-root", filepath.Join(base, "production-trusted_root.json"), filepath.Join(dir, "..", "a.txt")}
	_, e := signRun(t, 1, args...)
	if !strings.Contains(e, "verify-bundle failed") {
		t.Fatal(e)
	}
	// Recorded, not asserted: cosign v2.6.5 (sigstore-go v1.1.4) accepts it.
	if bin := os.Getenv("FNSCAN_COSIGN"); bin != "" {
		tmp := t.TempDir()
		cmd := exec.Command(bin, "verify-blob", "--bundle", args[2], "--new-bundle-format", "--certificate-identity", args[4],
			"--certificate-oidc-issuer", args[6], "--trusted-root", args[8], args[9])
		cmd.Env = append(os.Environ(), "HOME="+tmp, "TUF_ROOT="+filepath.Join(tmp, ".sigstore"))
		err := cmd.Run()
		t.Logf("cosign verify-blob of message-digest-mismatch_fail: accepted=%v", err == nil)
	}
}
