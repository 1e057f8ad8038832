package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fnscan/fnscan/internal/fixture"
	"github.com/fnscan/fnscan/sign"
)

// TestSignRegistryImage is acceptance 5: against a real registry, fnscan
// signs and attests an image; cosign verify --key and fnscan verify accept
// it; once another image is pushed under the tag, both reject the tag; and
// an image with only an SBOM attestation is not signed for fnscan verify.
func TestSignRegistryImage(t *testing.T) {
	host := fixture.Registry(t)
	t.Setenv("FNSCAN_PASSWORD", "pw")
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	push := func(ref, content string) string {
		t.Helper()
		archive := p(strings.NewReplacer("/", "_", ":", "_").Replace(ref) + ".tar")
		layer := fixture.Tar(map[string]string{"var/task/index.js": content})
		if err := os.WriteFile(archive, fixture.DockerArchive("fn:1", [][]byte{layer}), 0o644); err != nil {
			t.Fatal(err)
		}
		fixture.Push(t, "docker-archive:"+archive, ref)
		out, err := exec.Command("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://"+ref).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(strings.TrimSpace(string(out)), "sha256:")
	}
	ref := host + "/fn:1"
	digest := push(ref, "exports.handler = async () => 1;\n")

	signRun(t, 0, "keygen", "--output-key-prefix", p("k"))
	signRun(t, 0, "keygen", "--output-key-prefix", p("other"))
	os.WriteFile(p("sbom.json"), []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"timestamp":"`+time.Now().UTC().Format(time.RFC3339)+`"},"components":[]}`), 0o644)
	verdict := func(file string, pass bool, sha string) {
		v, _ := json.Marshal(map[string]any{"pass": pass, "reasons": []string{}, "db": map[string]any{"snapshot": time.Now().UTC().Format(time.RFC3339), "ageSeconds": 0},
			"counts": map[string]int{}, "secrets": 0, "fnscanVersion": "test", "scanTime": time.Now().UTC().Format(time.RFC3339),
			"target": map[string]string{"name": "fn", "sha256": sha}})
		os.WriteFile(p(file), v, 0o644)
	}
	verdict("pass.json", true, digest)

	_, e := signRun(t, 0, "sign", "--key", p("k.key"), "registry:"+ref)
	if !strings.Contains(e, digest) {
		t.Fatalf("sign: %s", e)
	}
	signRun(t, 0, "attest", "--key", p("k.key"), "--type", "cyclonedx", "--predicate", p("sbom.json"), "registry:"+ref)
	signRun(t, 0, "attest", "--key", p("k.key"), "--type", "verdict", "--predicate", p("pass.json"), "registry:"+ref)

	out, _ := signRun(t, 0, "verify", "--key", p("k.pub"), "--require-verdict", "pass", "--type", "cyclonedx", "--max-age", "1h", "registry:"+ref)
	if !strings.Contains(out, digest) || !strings.Contains(out, "verdict: pass") || !strings.Contains(out, "cyclonedx") {
		t.Fatalf("verify: %q", out)
	}
	_, e = signRun(t, 1, "verify", "--key", p("other.pub"), "registry:"+ref)
	if !strings.Contains(e, "signature check failed") {
		t.Fatal(e)
	}

	bin := ""
	if os.Getenv("FNSCAN_COSIGN") != "" || os.Getenv("CI") != "" {
		bin = cosignBin(t)
	} else if p, err := exec.LookPath("cosign"); err == nil {
		bin = p
	}
	emptyRoot := p("empty_root.json")
	os.WriteFile(emptyRoot, []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`), 0o644)
	cosignVerify := func(ok bool, args ...string) {
		t.Helper()
		if bin == "" {
			return
		}
		cosignRun(t, bin, dir, ok, append([]string{"verify", "--key", p("k.pub"), "--allow-http-registry", "--insecure-ignore-tlog",
			"--trusted-root", emptyRoot}, args...)...)
	}
	cosignVerify(true, ref)
	cosignVerify(true, host+"/fn@sha256:"+digest)
	if bin != "" {
		for _, typ := range []string{"cyclonedx", "https://fnscan.dev/verdict/v1"} {
			cosignRun(t, bin, dir, true, "verify-attestation", "--key", p("k.pub"), "--allow-http-registry", "--insecure-ignore-tlog",
				"--trusted-root", emptyRoot, "--type", typ, ref)
		}
	}

	// Another image under the same tag: the tag is no longer signed.
	moved := push(ref, "exports.handler = async () => 2;\n")
	if moved == digest {
		t.Fatal("the second image has the first one's digest")
	}
	_, e = signRun(t, 1, "verify", "--key", p("k.pub"), "registry:"+ref)
	if !strings.Contains(e, "signature check failed") {
		t.Fatal(e)
	}
	cosignVerify(false, ref)
	// The signed digest still verifies by digest.
	signRun(t, 0, "verify", "--key", p("k.pub"), "--require-verdict", "pass", "registry:"+host+"/fn@sha256:"+digest)

	// Only an SBOM attestation: not a signature, whatever cosign 2.6 thinks.
	sbomOnly := host + "/sbomonly:1"
	push(sbomOnly, "exports.handler = async () => 3;\n")
	signRun(t, 0, "attest", "--key", p("k.key"), "--type", "cyclonedx", "--predicate", p("sbom.json"), "registry:"+sbomOnly)
	_, e = signRun(t, 1, "verify", "--key", p("k.pub"), "registry:"+sbomOnly)
	if !strings.Contains(e, "signature check failed") || !strings.Contains(e, "attestation of type https://cyclonedx.org/bom") {
		t.Fatal(e)
	}
	if bin != "" {
		// Recorded, not asserted: cosign 2.6 takes the SBOM referrer for a signature.
		cmd := exec.Command(bin, "verify", "--key", p("k.pub"), "--allow-http-registry", "--insecure-ignore-tlog", "--trusted-root", emptyRoot, sbomOnly)
		cmd.Env = append(os.Environ(), "HOME="+dir, "TUF_ROOT="+p(".sigstore"))
		err := cmd.Run()
		t.Logf("cosign verify of an image with only an SBOM attestation: accepted=%v", err == nil)

		// An image signed by cosign itself (legacy format) verifies with fnscan.
		cosigned := host + "/cosigned:1"
		push(cosigned, "exports.handler = async () => 5;\n")
		cosignRun(t, bin, dir, true, "sign", "--yes", "--key", p("k.key"), "--tlog-upload=false", "--allow-http-registry", cosigned)
		signRun(t, 0, "verify", "--key", p("k.pub"), "registry:"+cosigned)
		signRun(t, 1, "verify", "--key", p("other.pub"), "registry:"+cosigned)
	}

	// A failing verdict on a signed image fails --require-verdict pass.
	failing := host + "/failing:1"
	fd := push(failing, "exports.handler = async () => 4;\n")
	verdict("fail.json", false, fd)
	signRun(t, 0, "sign", "--key", p("k.key"), "registry:"+failing)
	signRun(t, 0, "attest", "--key", p("k.key"), "--type", "verdict", "--predicate", p("fail.json"), "registry:"+failing)
	signRun(t, 0, "verify", "--key", p("k.pub"), "registry:"+failing)
	_, e = signRun(t, 1, "verify", "--key", p("k.pub"), "--require-verdict", "pass", "registry:"+failing)
	if !strings.Contains(e, "verdict check failed") {
		t.Fatal(e)
	}
}

// TestSignOCILayout: an image in an OCI layout directory is signed and
// attested in place, as `cosign save` lays signatures out, so that
// `cosign verify --local-image` accepts it; fnscan verify reads it back.
func TestSignOCILayout(t *testing.T) {
	p, lay := ociLayout(t)
	signRun(t, 0, "keygen", "--output-key-prefix", p("other"))
	_, e := signRun(t, 1, "verify", "--key", p("k.pub"), "oci-dir:"+lay)
	if !strings.Contains(e, "signature check failed") {
		t.Fatal(e)
	}
	_, e = signRun(t, 0, "sign", "--key", p("k.key"), "oci-dir:"+lay)
	digest := signedDigest(t, e)
	os.WriteFile(p("sbom.json"), []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[]}`), 0o644)
	v, _ := json.Marshal(map[string]any{"pass": true, "reasons": []string{}, "db": map[string]any{"snapshot": time.Now().UTC().Format(time.RFC3339), "ageSeconds": 0},
		"counts": map[string]int{}, "secrets": 0, "fnscanVersion": "test", "scanTime": time.Now().UTC().Format(time.RFC3339),
		"target": map[string]string{"name": "img", "sha256": digest}})
	os.WriteFile(p("verdict.json"), v, 0o644)
	signRun(t, 0, "attest", "--key", p("k.key"), "--type", "cyclonedx", "--predicate", p("sbom.json"), "oci-dir:"+lay)
	signRun(t, 0, "attest", "--key", p("k.key"), "--type", "verdict", "--predicate", p("verdict.json"), "oci-dir:"+lay)
	out, _ := signRun(t, 0, "verify", "--key", p("k.pub"), "--require-verdict", "pass", "--type", "cyclonedx", "oci-dir:"+lay)
	if !strings.Contains(out, digest) || strings.Count(out, "cyclonedx") != 1 {
		t.Fatalf("verify: %q", out)
	}
	_, e = signRun(t, 1, "verify", "--key", p("other.pub"), "oci-dir:"+lay)
	if !strings.Contains(e, "signature check failed") {
		t.Fatal(e)
	}
	if os.Getenv("FNSCAN_COSIGN") == "" && os.Getenv("CI") == "" {
		if _, err := exec.LookPath("cosign"); err != nil {
			t.Skip("cosign not found: the layout was checked by fnscan only")
		}
	}
	bin, dir := cosignBin(t), p("")
	cosignRun(t, bin, dir, true, "verify", "--key", p("k.pub"), "--insecure-ignore-tlog", "--local-image", lay)
	cosignRun(t, bin, dir, false, "verify", "--key", p("other.pub"), "--insecure-ignore-tlog", "--local-image", lay)
	cosignRun(t, bin, dir, true, "verify-attestation", "--key", p("k.pub"), "--insecure-ignore-tlog", "--type", "cyclonedx", "--local-image", lay)
}

// Attestations accumulate on an image and nothing removes them: the newest
// of each type decides, so an older failed or aged verdict does not block
// a fresh pass, and a newer failure is not hidden by an older pass.
func TestImageNewestAttestationDecides(t *testing.T) {
	p, lay := ociLayout(t)
	_, e := signRun(t, 0, "sign", "--key", p("k.key"), "oci-dir:"+lay)
	digest := signedDigest(t, e)
	attest := func(name string, pass bool, at time.Time) {
		t.Helper()
		v, _ := json.Marshal(map[string]any{"pass": pass, "reasons": []string{}, "counts": map[string]int{}, "fnscanVersion": "test",
			"scanTime": at.UTC().Format(time.RFC3339), "target": map[string]string{"name": "img", "sha256": digest}})
		os.WriteFile(p(name), v, 0o644)
		signRun(t, 0, "attest", "--key", p("k.key"), "--type", "verdict", "--predicate", p(name), "oci-dir:"+lay)
	}
	verify := func(want int, check string) {
		t.Helper()
		_, e := signRun(t, want, "verify", "--key", p("k.pub"), "--require-verdict", "pass", "--max-age", "7d", "oci-dir:"+lay)
		if !strings.Contains(e, check) {
			t.Errorf("want %q: %s", check, e)
		}
	}
	now := time.Now()
	attest("old-pass.json", true, now.Add(-10*24*time.Hour))
	verify(1, "age check failed")
	attest("pass.json", true, now.Add(-time.Hour))
	verify(0, "")
	attest("older-fail.json", false, now.Add(-2*time.Hour))
	verify(0, "")
	attest("new-fail.json", false, now)
	verify(1, "verdict check failed")
	// A pass of the same time does not outvote the failure, nor does one
	// dated in the future.
	attest("same-pass.json", true, now)
	verify(1, "verdict check failed")
	attest("future-pass.json", true, now.Add(48*time.Hour))
	_, e = signRun(t, 1, "verify", "--key", p("k.pub"), "--require-verdict", "pass", "oci-dir:"+lay)
	if !strings.Contains(e, "verdict check failed") {
		t.Errorf("a future pass outvoted a failure: %s", e)
	}
}

// ociLayout is a copy of the test OCI layout beside key pair k (password
// "pw"), and the path of a file beside them.
func ociLayout(t *testing.T) (func(string) string, string) {
	t.Setenv("FNSCAN_PASSWORD", "pw")
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	lay := p("img.oci")
	if err := os.CopyFS(lay, os.DirFS("../../testdata/images/test.oci")); err != nil {
		t.Fatal(err)
	}
	signRun(t, 0, "keygen", "--output-key-prefix", p("k"))
	return p, lay
}

// signedDigest is the hex digest sign's stderr says it signed.
func signedDigest(t *testing.T, stderr string) string {
	t.Helper()
	i := strings.Index(stderr, "sha256:")
	if i < 0 {
		t.Fatalf("sign: %s", stderr)
	}
	return strings.TrimSuffix(strings.TrimSpace(stderr[i+len("sha256:"):]), ")")
}

// scan --sign-key on a registry image signs the digest it scanned and
// attests its SBOM and verdict there, so that verify on the tag passes; a
// later failing scan attests its failure, which then decides.
func TestScanSignsRegistryImage(t *testing.T) {
	host := fixture.Registry(t)
	t.Setenv("FNSCAN_PASSWORD", "pw")
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	key := "AKIA" + strings.ToUpper("z7wertyuiopasdf3")
	layer := fixture.Tar(map[string]string{"var/task/index.js": "const k = \"" + key + "\";\nexports.handler = async () => k;\n"})
	if err := os.WriteFile(p("img.tar"), fixture.DockerArchive("fn:1", [][]byte{layer}), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := host + "/gated:1"
	fixture.Push(t, "docker-archive:"+p("img.tar"), ref)
	signRun(t, 0, "keygen", "--output-key-prefix", p("k"))
	osv := repoTestdata("osv", "ghsa-npm.zip")

	// Without the secrets stage the gate passes: signed and attested.
	_, e := signRun(t, 0, "scan", "registry:"+ref, "--db", osv, "--no-secrets", "--sign-key", p("k.key"))
	if !strings.Contains(e, "signed "+host+"/gated@sha256:") {
		t.Fatalf("scan --sign-key: %s", e)
	}
	out, _ := signRun(t, 0, "verify", "--key", p("k.pub"), "--require-verdict", "pass", "--type", "cyclonedx", "--max-age", "1h", "registry:"+ref)
	if !strings.Contains(out, "verdict: pass") || !strings.Contains(out, "cyclonedx") {
		t.Fatalf("verify after a pass: %q", out)
	}
	// The full gate finds the key: nothing signed, the failure attested,
	// and it outranks the pass. (Attestation times are in seconds.)
	time.Sleep(1100 * time.Millisecond)
	_, e = signRun(t, 1, "scan", "registry:"+ref, "--db", osv, "--sign-key", p("k.key"))
	if !strings.Contains(e, "its verdict is attested") || strings.Contains(e, key) {
		t.Fatalf("failing scan --sign-key: %s", e)
	}
	_, e = signRun(t, 1, "verify", "--key", p("k.pub"), "--require-verdict", "pass", "registry:"+ref)
	if !strings.Contains(e, "verdict") {
		t.Fatalf("verify after a failure: %s", e)
	}
}

// scan --sign-key on an OCI layout signs and attests the image in place
// when the gate passes, attests a failing verdict when it fails (which
// then decides), and refuses a layout that no longer holds the scanned
// image.
func TestScanSignsOCILayout(t *testing.T) {
	t.Setenv("FNSCAN_PASSWORD", "pw")
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	key := "AKIA" + strings.ToUpper("q4wertyuiopasdf7")
	lay := p("img.oci")
	digest := writeLayout(t, lay, fixture.Tar(map[string]string{"var/task/index.js": "const k = \"" + key + "\";\nexports.handler = async () => k;\n"}))
	signRun(t, 0, "keygen", "--output-key-prefix", p("k"))
	osv := repoTestdata("osv", "ghsa-npm.zip")

	_, e := signRun(t, 0, "scan", "oci-dir:"+lay, "--db", osv, "--no-secrets", "--sign-key", p("k.key"))
	if !strings.Contains(e, "signed "+lay+"@"+digest) {
		t.Fatalf("scan --sign-key: %s", e)
	}
	out, _ := signRun(t, 0, "verify", "--key", p("k.pub"), "--require-verdict", "pass", "--type", "cyclonedx", "--max-age", "1h", "oci-dir:"+lay)
	if !strings.Contains(out, "verdict: pass") || !strings.Contains(out, "cyclonedx") {
		t.Fatalf("verify after a pass: %q", out)
	}
	// The signed layout still scans as the same image: cosign's entries
	// beside it are not taken for it, listed first or not.
	b, err := os.ReadFile(filepath.Join(lay, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx map[string]any
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	ms, _ := idx["manifests"].([]any)
	if len(ms) < 3 {
		t.Fatalf("signed layout index: %s", b)
	}
	slices.Reverse(ms)
	b, _ = json.Marshal(idx)
	if err := os.WriteFile(filepath.Join(lay, "index.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, _ := signRun(t, 0, "scan", "oci-dir:"+lay, "--db", osv, "--no-secrets", "-o", "json")
	var r struct {
		Target struct{ SHA256 string } `json:"target"`
	}
	if err := json.Unmarshal([]byte(rep), &r); err != nil || "sha256:"+r.Target.SHA256 != digest {
		t.Fatalf("rescan of the signed layout: target %q, want %s (%v)", r.Target.SHA256, digest, err)
	}
	time.Sleep(1100 * time.Millisecond) // attestation times are in seconds
	_, e = signRun(t, 1, "scan", "oci-dir:"+lay, "--db", osv, "--sign-key", p("k.key"))
	if !strings.Contains(e, "its verdict is attested") || strings.Contains(e, key) {
		t.Fatalf("failing scan --sign-key: %s", e)
	}
	if _, e = signRun(t, 1, "verify", "--key", p("k.pub"), "--require-verdict", "pass", "oci-dir:"+lay); !strings.Contains(e, "verdict") {
		t.Fatalf("verify after a failure: %s", e)
	}
	// Another image written to the layout after the scan is not signed.
	other := p("other.oci")
	writeLayout(t, other, fixture.Tar(map[string]string{"var/task/index.js": "exports.handler = async () => 1;\n"}))
	k, err := loadKey(t.Context(), p("k.key"))
	if err != nil {
		t.Fatal(err)
	}
	v := sign.VerdictPredicate{Pass: true, ScanTime: time.Now(), Target: sign.VerdictTarget{Name: "img", SHA256: strings.TrimPrefix(digest, "sha256:")}}
	if _, err := sign.SignAndAttestImage(t.Context(), k, "oci-dir:"+other, []byte(`{}`), v); err == nil || !strings.Contains(err.Error(), "not the scanned") {
		t.Fatalf("signing a layout that holds another image: %v", err)
	}
}

// writeLayout writes an OCI layout holding one image of one layer and
// returns its manifest's digest.
func writeLayout(t *testing.T, dir string, layer []byte) string {
	t.Helper()
	blob := func(b []byte) (string, int) {
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", h), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return "sha256:" + h, len(b)
	}
	ld, ln := blob(layer)
	cfg, _ := json.Marshal(map[string]any{"os": "linux", "architecture": "amd64", "rootfs": map[string]any{"type": "layers", "diff_ids": []string{ld}}})
	cd, cn := blob(cfg)
	man, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ln}}})
	md, mn := blob(man)
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []any{map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn}}})
	if err := os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return md
}
