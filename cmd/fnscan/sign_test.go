package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fnscan runs the CLI in-process and checks its exit code.
func signRun(t *testing.T, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	if got := run(context.Background(), args, &o, &e); got != want {
		t.Fatalf("fnscan %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, want, clip(o.String()), e.String())
	}
	return o.String(), e.String()
}

func signCopy(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSignVerifyCLI is acceptance 1: keygen, sign, verify, and each
// tampering exits 1 naming its check.
func TestSignVerifyCLI(t *testing.T) {
	t.Setenv("FNSCAN_PASSWORD", "correct horse")
	t.Setenv("COSIGN_PASSWORD", "not this one")
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	art := p("fn.zip")
	signCopy(t, "../../testdata/lambda/serverless-goat-convert.zip", art)
	signCopy(t, "../../testdata/lambda/dvsa-order-api.zip", p("other.zip"))

	_, errOut := signRun(t, 0, "keygen", "--output-key-prefix", p("k"))
	if !strings.Contains(errOut, "k.key") {
		t.Fatalf("keygen: %s", errOut)
	}
	if fi, err := os.Stat(p("k.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", fi, err)
	}
	signRun(t, 0, "keygen", "--output-key-prefix", p("k2"))
	// keygen never overwrites a key.
	signRun(t, 2, "keygen", "--output-key-prefix", p("k"))

	signRun(t, 0, "sign", "--key", p("k.key"), art)
	if _, err := os.Stat(art + ".sigstore.json"); err != nil {
		t.Fatal("default bundle path:", err)
	}
	signRun(t, 0, "sign", "--key", p("k.key"), p("other.zip"), "--bundle", p("other.json"))
	out, _ := signRun(t, 0, "verify", "--key", p("k.pub"), "--bundle", art+".sigstore.json", art)
	sum := sha256.Sum256(signRead(t, art))
	if !strings.Contains(out, "verified fn.zip sha256:"+hex.EncodeToString(sum[:])) {
		t.Fatalf("verify output: %q", out)
	}

	bundle := signRead(t, art+".sigstore.json")
	flipped := signRead(t, art)
	flipped[len(flipped)/2] ^= 0x01
	os.WriteFile(p("flipped.zip"), flipped, 0o644)
	os.WriteFile(p("truncated.json"), bundle[:len(bundle)-20], 0o644)
	var raw map[string]any
	if err := json.Unmarshal(bundle, &raw); err != nil {
		t.Fatal(err)
	}
	other := sha256.Sum256(signRead(t, p("other.zip")))
	raw["messageSignature"].(map[string]any)["messageDigest"].(map[string]any)["digest"] = base64.StdEncoding.EncodeToString(other[:])
	swapped, _ := json.Marshal(raw)
	os.WriteFile(p("digest.json"), swapped, 0o644)

	for _, tc := range []struct {
		name, key, bundle, art, want string
	}{
		{"flipped byte", "k.pub", art + ".sigstore.json", p("flipped.zip"), "bytes check failed"},
		{"another key", "k2.pub", art + ".sigstore.json", art, "key check failed"},
		{"bundle for another file", "k.pub", p("other.json"), art, "bytes check failed"},
		{"truncated bundle", "k.pub", p("truncated.json"), art, "bundle check failed"},
		{"messageDigest does not match", "k.pub", p("digest.json"), art, "bytes check failed"},
		{"messageDigest matches, signature does not", "k.pub", p("digest.json"), p("other.zip"), "key check failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut := signRun(t, 1, "verify", "--key", p(tc.key), "--bundle", tc.bundle, tc.art)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if out != "" || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("want one line naming %q, got stdout %q stderr %q", tc.want, out, errOut)
			}
		})
	}
	// Could not check: exit 2.
	signRun(t, 2, "verify", "--key", p("k.pub"), "--bundle", p("missing.json"), art)
	signRun(t, 2, "verify", "--key", p("k.pub"), "--bundle", art+".sigstore.json", p("missing.zip"))
	signRun(t, 2, "verify", "--key", p("k.key"), "--bundle", art+".sigstore.json", art) // a private key is no public key
	signRun(t, 2, "verify", "--bundle", art+".sigstore.json", art)
}

func signRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKeyPasswordCLI is acceptance 6: a wrong or missing password is a
// clear error, exit 2, and the key file's bytes are never printed.
func TestKeyPasswordCLI(t *testing.T) {
	dir := t.TempDir()
	art := filepath.Join(dir, "fn.zip")
	signCopy(t, "../../testdata/lambda/serverless-goat-convert.zip", art)
	t.Setenv("FNSCAN_PASSWORD", "right")
	signRun(t, 0, "keygen", "--output-key-prefix", filepath.Join(dir, "k"))
	key := string(signRead(t, filepath.Join(dir, "k.key")))
	body := strings.Join(strings.Split(key, "\n")[1:3], "")

	check := func(out, errOut string) {
		t.Helper()
		for _, line := range strings.Split(key, "\n")[1:] {
			if len(line) > 8 && (strings.Contains(out+errOut, line) || strings.Contains(out+errOut, body[:16])) {
				t.Fatalf("output quotes the key file:\n%s%s", out, errOut)
			}
		}
	}
	t.Setenv("FNSCAN_PASSWORD", "wrong")
	out, errOut := signRun(t, 2, "sign", "--key", filepath.Join(dir, "k.key"), art)
	if !strings.Contains(errOut, "wrong password") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("wrong password: %q", errOut)
	}
	check(out, errOut)
	out, errOut = signRun(t, 2, "attest", "--key", filepath.Join(dir, "k.key"), "--predicate-type", "cyclonedx", "--predicate", art, art)
	check(out, errOut)

	// COSIGN_PASSWORD is read when FNSCAN_PASSWORD is unset.
	os.Unsetenv("FNSCAN_PASSWORD")
	t.Setenv("COSIGN_PASSWORD", "right")
	signRun(t, 0, "sign", "--key", filepath.Join(dir, "k.key"), art, "--bundle", filepath.Join(dir, "b.json"))
	os.Unsetenv("COSIGN_PASSWORD")
	_, errOut = signRun(t, 2, "sign", "--key", filepath.Join(dir, "k.key"), art)
	if !strings.Contains(errOut, "FNSCAN_PASSWORD") {
		t.Fatalf("no password: %q", errOut)
	}
	// A corrupt key file: exit 2, its bytes not echoed.
	bad := strings.Replace(key, body[:10], strings.Repeat("A", 10), 1)
	os.WriteFile(filepath.Join(dir, "bad.key"), []byte(bad), 0o600)
	t.Setenv("FNSCAN_PASSWORD", "right")
	out, errOut = signRun(t, 2, "sign", "--key", filepath.Join(dir, "bad.key"), art)
	check(out, errOut)
}

// TestAttestVerifyCLI: attest an SBOM and a verdict, then verify with
// --require-verdict pass and --max-age.
func TestAttestVerifyCLI(t *testing.T) {
	t.Setenv("FNSCAN_PASSWORD", "")
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	art := p("fn.zip")
	signCopy(t, "../../testdata/lambda/serverless-goat-convert.zip", art)
	signRun(t, 0, "keygen", "--output-key-prefix", p("k"))
	signRun(t, 0, "sign", "--key", p("k.key"), art)
	signRun(t, 0, "sbom", art, "-o", "cyclonedx-json="+p("sbom.json"), "-q")
	sum := sha256.Sum256(signRead(t, art))
	verdict := func(name string, pass bool, at time.Time) {
		v := map[string]any{"pass": pass, "reasons": []string{}, "db": map[string]any{"snapshot": at.Format(time.RFC3339), "ageSeconds": 0},
			"counts": map[string]int{}, "secrets": 0, "fnscanVersion": "test", "scanTime": at.Format(time.RFC3339),
			"target": map[string]string{"name": "fn.zip", "sha256": hex.EncodeToString(sum[:])}}
		b, _ := json.Marshal(v)
		os.WriteFile(p(name), b, 0o644)
	}
	now := time.Now().UTC()
	verdict("pass.json", true, now)
	verdict("fail.json", false, now)
	verdict("old.json", true, now.Add(-72*time.Hour))
	signRun(t, 0, "attest", "--key", p("k.key"), "--predicate-type", "cyclonedx", "--predicate", p("sbom.json"), art)
	signRun(t, 0, "attest", "--key", p("k.key"), "--predicate-type", "verdict", "--predicate", p("pass.json"), art)
	signRun(t, 0, "attest", "--key", p("k.key"), "--type", "verdict", "--predicate", p("fail.json"), art, "--bundle", p("fail.att"))
	signRun(t, 0, "attest", "--key", p("k.key"), "--type", "verdict", "--predicate", p("old.json"), art, "--bundle", p("old.att"))
	signRun(t, 2, "attest", "--key", p("k.key"), "--type", "bogus", "--predicate", p("old.json"), art)

	sig, bom, pass := art+".sigstore.json", art+".cyclonedx.sigstore.json", art+".verdict.sigstore.json"
	out, _ := signRun(t, 0, "verify", "--key", p("k.pub"), "--bundle", sig, "--attestation", bom, "--attestation", pass,
		"--require-verdict", "pass", "--max-age", "1d", "--type", "cyclonedx", art)
	if !strings.Contains(out, "attestations: cyclonedx, verdict: pass") {
		t.Fatalf("verify: %q", out)
	}
	// The target as scan names it: zip:fn.zip is the file scan --sign-key signed.
	if out, _ := signRun(t, 0, "verify", "--key", p("k.pub"), "--bundle", sig, "zip:"+art); !strings.Contains(out, "verified") {
		t.Errorf("verify zip:%s: %q", art, out)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"verdict fail", []string{"--attestation", p("fail.att"), "--require-verdict", "pass"}, "verdict check failed"},
		{"no verdict", []string{"--attestation", bom, "--require-verdict", "pass"}, "verdict check failed"},
		{"too old", []string{"--attestation", p("old.att"), "--max-age", "36h"}, "age check failed"},
		{"type missing", []string{"--attestation", pass, "--type", "cyclonedx"}, "predicate type check failed"},
		{"attestation as signature", []string{"--attestation", sig}, "bundle check failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"verify", "--key", p("k.pub"), "--bundle", sig, art}, tc.args...)
			_, errOut := signRun(t, 1, args...)
			if !strings.Contains(errOut, tc.want) {
				t.Fatalf("want %q: %s", tc.want, errOut)
			}
		})
	}
	// Without --require-verdict a failed verdict still verifies as signed.
	signRun(t, 0, "verify", "--key", p("k.pub"), "--bundle", sig, "--attestation", p("fail.att"), art)
	// An age past what a Duration holds wrapped negative and turned the
	// check off: a usage error, like 2562048h.
	for _, age := range []string{"106752d", "9999999999d", "2562048h"} {
		if _, errOut := signRun(t, 2, "verify", "--key", p("k.pub"), "--bundle", sig, "--attestation", p("old.att"), "--max-age", age, art); !strings.Contains(errOut, "--max-age") {
			t.Errorf("--max-age %s: %s", age, errOut)
		}
	}
}

// TestVerifyBundleConformance is acceptance 3: every sigstore-conformance
// bundle-verify case through `fnscan verify-bundle`, with the artifact and
// with its sha256: digest; exit 0 exactly for the cases not named *_fail.
func TestVerifyBundleConformance(t *testing.T) {
	base, _ := filepath.Abs("../../../shared/data/sigstore-conformance")
	assets := filepath.Join(base, "test", "assets", "bundle-verify")
	cases, _ := filepath.Glob(filepath.Join(assets, "*", "bundle.sigstore.json"))
	if len(cases) == 0 {
		// Larger corpora stay in ../shared; without it, skip (testdata/README.md).
		t.Skipf("no conformance cases under %s (../shared is not here)", assets)
	}
	runs, wrong := 0, 0
	for _, bp := range cases {
		dir := filepath.Dir(bp)
		name := filepath.Base(dir)
		args := []string{"verify-bundle", "--bundle", bp}
		if _, err := os.Stat(filepath.Join(dir, "key.pub")); err == nil {
			args = append(args, "--key", filepath.Join(dir, "key.pub"))
		} else {
			id, iss := "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main", "https://token.actions.githubusercontent.com"
			if b, err := os.ReadFile(filepath.Join(dir, "identity")); err == nil {
				id = strings.TrimSpace(string(b))
			}
			if b, err := os.ReadFile(filepath.Join(dir, "issuer")); err == nil {
				iss = strings.TrimSpace(string(b))
			}
			args = append(args, "--certificate-identity", id, "--certificate-oidc-issuer", iss)
		}
		root := filepath.Join(dir, "trusted_root.json")
		if _, err := os.Stat(root); err != nil {
			root = filepath.Join(base, "production-trusted_root.json")
		}
		args = append(args, "--trusted-root", root)
		art := filepath.Join(dir, "artifact")
		if _, err := os.Stat(art); err != nil {
			art = filepath.Join(assets, "a.txt")
		}
		sum := sha256.Sum256(signRead(t, art))
		for _, input := range []string{art, "sha256:" + hex.EncodeToString(sum[:])} {
			var o, e bytes.Buffer
			code := run(context.Background(), append(args, input), &o, &e)
			runs++
			if fail := strings.HasSuffix(name, "_fail"); (code != 0) != fail {
				wrong++
				t.Errorf("%s (%s): exit %d\n%s", name, input, code, e.String())
			}
		}
	}
	if runs != 140 {
		t.Errorf("%d runs, want 140", runs)
	}
	t.Logf("%d runs, %d wrong", runs, wrong)
}

// TestKMSKeyRefCLI: a KMS reference reaches sigstore's provider (here a
// Vault that is not there) and fails as a clear exit 2; no real KMS is
// exercised.
func TestKMSKeyRefCLI(t *testing.T) {
	t.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
	t.Setenv("VAULT_TOKEN", "none")
	_, e := signRun(t, 2, "sign", "--key", "hashivault://fnscan-test", "../../testdata/lambda/serverless-goat-convert.zip", "--bundle", filepath.Join(t.TempDir(), "b.json"))
	if !strings.Contains(e, "KMS key hashivault://fnscan-test") || !strings.Contains(e, "127.0.0.1:1") {
		t.Fatalf("stderr: %s", e)
	}
}

// The gate signs what passed (issue 10, acceptance 4): scan --sign-key on a
// clean package writes the signature and both attestations, and verify
// --require-verdict pass accepts them; a failing package gets nothing.
func TestScanSignKey(t *testing.T) {
	t.Setenv("FNSCAN_PASSWORD", "gate")
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	signRun(t, 0, "keygen", "--output-key-prefix", p("k"))
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	clean := p("clean.zip")
	signCopy(t, zipFile(t, "clean.zip", map[string][]byte{
		"index.js":     []byte("exports.handler = async () => 'ok';\n"),
		"package.json": []byte(`{"name": "clean-fn", "version": "1.0.0"}`),
	}), clean)
	out := p("att")
	os.Mkdir(out, 0o755)

	_, stderr := signRun(t, 0, "scan", clean, "--db", db, "--sign-key", p("k.key"), "--attest-dir", out, "-o", "json="+p("r.json"))
	if !strings.Contains(stderr, "signed clean.zip") {
		t.Errorf("no word of signing: %s", stderr)
	}
	sig, bom, verdict := filepath.Join(out, "clean.zip.sigstore.json"), filepath.Join(out, "clean.zip.cyclonedx.sigstore.json"), filepath.Join(out, "clean.zip.verdict.sigstore.json")
	signRun(t, 0, "verify", "--key", p("k.pub"), "--bundle", sig, "--attestation", bom, "--attestation", verdict, "--require-verdict", "pass", clean)

	// Another file under the same bundles: refused.
	signCopy(t, repoTestdata("lambda", "dvsa-order-api.zip"), p("swapped.zip"))
	signRun(t, 1, "verify", "--key", p("k.pub"), "--bundle", sig, "--attestation", verdict, "--require-verdict", "pass", p("swapped.zip"))

	// A failing package: exit 1, nothing written.
	bad := p("dvsa.zip")
	signCopy(t, repoTestdata("lambda", "dvsa-order-api.zip"), bad)
	badOut := p("bad")
	os.Mkdir(badOut, 0o755)
	_, stderr = signRun(t, 1, "scan", bad, "--db", db, "--no-secrets", "--sign-key", p("k.key"), "--attest-dir", badOut, "-o", "json="+p("bad.json"))
	if !strings.Contains(stderr, "nothing signed") {
		t.Errorf("failing gate: %s", stderr)
	}
	if left, _ := os.ReadDir(badOut); len(left) != 0 {
		t.Errorf("a failing package was signed: %v", left)
	}

	// The signed name, now holding a failing package: the bundles of the
	// earlier pass go, so no deploy step finds a pass beside these bytes.
	signCopy(t, repoTestdata("lambda", "dvsa-order-api.zip"), clean)
	_, stderr = signRun(t, 1, "scan", clean, "--db", db, "--no-secrets", "--sign-key", p("k.key"), "--attest-dir", out, "-o", "json="+p("r2.json"))
	if left, _ := os.ReadDir(out); len(left) != 0 || !strings.Contains(stderr, "removed the bundles of an earlier pass") {
		t.Errorf("after a failing gate the attest dir holds %v; stderr %s", left, stderr)
	}
}

// Signing attests a gate: with the gate off (--fail-on none) nothing is
// signed, and the run says so (exit 2).
func TestScanSignKeyNeedsGate(t *testing.T) {
	t.Setenv("FNSCAN_PASSWORD", "gate")
	dir := t.TempDir()
	signRun(t, 0, "keygen", "--output-key-prefix", filepath.Join(dir, "k"))
	clean := zipFile(t, "clean.zip", map[string][]byte{"index.js": []byte("exports.handler = async () => 1;\n")})
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	// The flag is known before the scan: refused at once, nothing scanned.
	_, stderr := signRun(t, 2, "scan", clean, "--db", db, "--fail-on", "none", "--sign-key", filepath.Join(dir, "k.key"), "--attest-dir", dir, "-o", "json="+filepath.Join(dir, "r.json"))
	if !strings.Contains(stderr, "--sign-key attests a gate, and --fail-on none turns it off") {
		t.Errorf("stderr: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "r.json")); err == nil {
		t.Error("scanned, though the flags could not sign")
	}
	// A policy file's failOn: none is known after it is read.
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte("failOn: none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr = signRun(t, 2, "scan", clean, "--db", db, "--policy", pol, "--sign-key", filepath.Join(dir, "k.key"), "--attest-dir", dir, "-o", "json="+filepath.Join(dir, "r.json"))
	if !strings.Contains(stderr, "nothing signed") {
		t.Errorf("stderr: %s", stderr)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.sigstore.json")); len(m) != 0 {
		t.Errorf("signed with the gate off: %v", m)
	}
}
