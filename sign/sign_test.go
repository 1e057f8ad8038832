package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testKey makes a key pair in cosign's encrypted format and reads it back.
func testKey(t *testing.T, password string) (*Key, []byte) {
	t.Helper()
	priv, pub, err := GenerateKey([]byte(password))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(priv, []byte("ENCRYPTED SIGSTORE PRIVATE KEY")) {
		t.Fatalf("private key is not in cosign's encrypted format:\n%.60s", priv)
	}
	k, err := ParsePrivateKey(priv, []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	return k, pub
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustPub(t *testing.T, pemBytes []byte) any {
	t.Helper()
	p, err := ParsePublicKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// wantCheck asserts err is a *CheckError for check.
func wantCheck(t *testing.T, err error, check string) {
	t.Helper()
	var ce *CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("want a %q check failure, got %v", check, err)
	}
	if ce.Check != check {
		t.Fatalf("want the %q check to fail, got %q: %v", check, ce.Check, err)
	}
}

func TestKeyPassword(t *testing.T) {
	priv, _, err := GenerateKey([]byte("right"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParsePrivateKey(priv, []byte("wrong"))
	if !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: got %v, want ErrWrongPassword", err)
	}
	if strings.Contains(err.Error(), string(priv[40:80])) {
		t.Fatal("error quotes the key")
	}
	if _, err := ParsePrivateKey(priv, nil); err == nil {
		t.Fatal("no password accepted for an encrypted key")
	}
	if _, err := ParsePrivateKey(priv, []byte("right")); err != nil {
		t.Fatal(err)
	}
	// An empty password is a password (cosign's COSIGN_PASSWORD="").
	priv, _, err = GenerateKey([]byte{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey(priv, []byte{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey(priv, []byte("x")); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("got %v", err)
	}
}

func TestSignVerifyBlob(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key, pubPEM := testKey(t, "pw")
	_, otherPEM := testKey(t, "pw")
	pub, other := mustPub(t, pubPEM), mustPub(t, otherPEM)
	art := writeFile(t, dir, "fn.zip", []byte("PK\x03\x04 a lambda package"))
	otherArt := writeFile(t, dir, "other.zip", []byte("PK\x03\x04 another package"))

	bundle, err := SignFile(ctx, key, art, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		MediaType            string `json:"mediaType"`
		VerificationMaterial struct {
			PublicKey struct{ Hint string } `json:"publicKey"`
		} `json:"verificationMaterial"`
		MessageSignature struct {
			MessageDigest struct{ Algorithm, Digest string } `json:"messageDigest"`
		} `json:"messageSignature"`
	}
	if err := json.Unmarshal(bundle, &doc); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("PK\x03\x04 a lambda package"))
	hint, _ := KeyHint(pub)
	if doc.MediaType != BundleMediaType || doc.MessageSignature.MessageDigest.Algorithm != "SHA2_256" ||
		doc.MessageSignature.MessageDigest.Digest != base64.StdEncoding.EncodeToString(sum[:]) ||
		doc.VerificationMaterial.PublicKey.Hint != hint {
		t.Fatalf("bundle is not a v0.3 key-hinted messageSignature over the file:\n%s", bundle)
	}

	sig := Evidence{Name: "fn.zip.sigstore.json", Data: bundle}
	got, err := VerifyFile(art, sig, nil, Policy{Key: pub})
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject.SHA256 != hex.EncodeToString(sum[:]) || got.Subject.CodeSHA256 != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("subject %+v", got.Subject)
	}

	flipped := []byte("PK\x03\x04 a lambda package")
	flipped[10] ^= 1
	flippedArt := writeFile(t, dir, "flipped.zip", flipped)
	otherBundle, err := SignFile(ctx, key, otherArt, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The messageDigest says otherArt's digest; the signature is fn.zip's.
	var raw map[string]any
	json.Unmarshal(bundle, &raw)
	osum := sha256.Sum256([]byte("PK\x03\x04 another package"))
	raw["messageSignature"].(map[string]any)["messageDigest"].(map[string]any)["digest"] = base64.StdEncoding.EncodeToString(osum[:])
	digestSwapped, _ := json.Marshal(raw)

	for _, tc := range []struct {
		name  string
		art   string
		sig   []byte
		key   any
		check string
	}{
		{"flipped byte", flippedArt, bundle, pub, CheckBytes},
		{"other key", art, bundle, other, CheckKey},
		{"bundle for another file", art, otherBundle, pub, CheckBytes},
		{"truncated bundle", art, bundle[:len(bundle)/2], pub, CheckBundle},
		{"empty bundle", art, nil, pub, CheckBundle},
		{"messageDigest of another file", art, digestSwapped, pub, CheckBytes},
		{"messageDigest matches, signature does not", otherArt, digestSwapped, pub, CheckKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyFile(tc.art, Evidence{Name: "b.json", Data: tc.sig}, nil, Policy{Key: tc.key})
			wantCheck(t, err, tc.check)
		})
	}
	// A missing artifact is not a failed check: it could not check.
	_, err = VerifyFile(filepath.Join(dir, "missing"), sig, nil, Policy{Key: pub})
	var ce *CheckError
	if err == nil || errors.As(err, &ce) {
		t.Fatalf("missing artifact: got %v, want a plain error", err)
	}
}

func testVerdict(subj Subject, pass bool, at time.Time) VerdictPredicate {
	v := VerdictPredicate{
		Pass: pass, Threshold: "high", Counts: map[string]int{"critical": 0, "high": 0, "low": 2},
		FnscanVersion: "test", ScanTime: at,
		DB:     VerdictDB{Snapshot: at.Add(-time.Hour), AgeSeconds: 3600},
		Target: VerdictTarget{Name: subj.Name, SHA256: subj.SHA256, CodeSHA256: subj.CodeSHA256},
	}
	if !pass {
		v.Reasons = []string{"CVE-2024-0001 (critical) in lodash 4.17.20"}
	}
	return v
}

const testBOM = `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"timestamp":"%s"},"components":[]}`

func TestAttestations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key, pubPEM := testKey(t, "pw")
	otherKey, _ := testKey(t, "pw")
	pub := mustPub(t, pubPEM)
	art := writeFile(t, dir, "fn.zip", []byte("PK\x03\x04 package"))
	otherArt := writeFile(t, dir, "other.zip", []byte("PK\x03\x04 other"))
	subj, err := SubjectOf(art)
	if err != nil {
		t.Fatal(err)
	}
	otherSubj, _ := SubjectOf(otherArt)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	sigB, err := SignFile(ctx, key, art, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sig := Evidence{Name: "sig", Data: sigB}

	attest := func(k *Key, s Subject, typ string, pred any) Evidence {
		t.Helper()
		var b []byte
		switch p := pred.(type) {
		case string:
			b = []byte(p)
		default:
			b, _ = json.Marshal(p)
		}
		out, err := attestUnchecked(ctx, k, s, typ, b, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return Evidence{Name: typ, Data: out}
	}
	// What verify refuses, Attest does not sign.
	for _, bad := range []struct {
		typ  string
		pred any
		want string
	}{
		{PredicateVerdict, `{"hello":1}`, "needs scanTime and target.sha256"},
		{PredicateVerdict, `[]`, "predicate is not a JSON object: the document is a JSON array"},
		{PredicateVerdict, testVerdict(otherSubj, true, now), "the verdict is about sha256:" + otherSubj.SHA256},
		{PredicateCycloneDX, `{"spdxVersion":"SPDX-2.3"}`, "not a CycloneDX BOM"},
	} {
		b, ok := bad.pred.(string)
		if !ok {
			j, _ := json.Marshal(bad.pred)
			b = string(j)
		}
		if _, err := Attest(ctx, key, subj, bad.typ, []byte(b), Options{}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Attest %s %s: %v, want %q", bad.typ, b, err, bad.want)
		}
	}
	bom := attest(key, subj, PredicateCycloneDX, strings.Replace(testBOM, "%s", now.Add(-time.Hour).Format(time.RFC3339), 1))
	pass := attest(key, subj, PredicateVerdict, testVerdict(subj, true, now.Add(-time.Hour)))

	got, err := VerifyFile(art, sig, []Evidence{bom, pass}, Policy{Key: pub, RequireVerdictPass: true, MaxAge: 2 * time.Hour, Now: now,
		PredicateTypes: []string{PredicateCycloneDX, PredicateVerdict}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Attestations) != 2 || got.Attestations[1].Verdict == nil || !got.Attestations[1].Verdict.Pass {
		t.Fatalf("%+v", got)
	}

	// The statement: in-toto, subject by name and sha256, codeSha256 too.
	var b struct {
		DSSEEnvelope struct{ Payload, PayloadType string } `json:"dsseEnvelope"`
	}
	json.Unmarshal(pass.Data, &b)
	payload, _ := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Payload)
	var st statement
	if err := json.Unmarshal(payload, &st); err != nil || b.DSSEEnvelope.PayloadType != InTotoPayloadType {
		t.Fatalf("payload %q: %v", payload, err)
	}
	if st.Type != StatementType || len(st.Subject) != 1 || st.Subject[0].Name != "fn.zip" || st.Subject[0].Digest["sha256"] != subj.SHA256 ||
		st.Subject[0].Annotations["codeSha256"] != subj.CodeSHA256 || st.PredicateType != PredicateVerdict {
		t.Fatalf("statement %s", payload)
	}

	fail := attest(key, subj, PredicateVerdict, testVerdict(subj, false, now))
	foreign := attest(otherKey, subj, PredicateVerdict, testVerdict(subj, true, now))
	otherFile := attest(key, otherSubj, PredicateVerdict, testVerdict(otherSubj, true, now))
	// Signed about fn.zip, but the verdict inside names other bytes.
	mismatch := attest(key, subj, PredicateVerdict, testVerdict(otherSubj, true, now))
	unknown := attest(key, subj, "https://example.com/other/v1", `{"x":1}`)
	notBOM := attest(key, subj, PredicateCycloneDX, `{"spdxVersion":"SPDX-2.3"}`)
	old := attest(key, subj, PredicateVerdict, testVerdict(subj, true, now.Add(-48*time.Hour)))
	var tampered Evidence
	{
		var raw map[string]any
		json.Unmarshal(pass.Data, &raw)
		env := raw["dsseEnvelope"].(map[string]any)
		p, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
		p = bytes.Replace(p, []byte(`"pass":true`), []byte(`"pass":false`), 1)
		env["payload"] = base64.StdEncoding.EncodeToString(p)
		d, _ := json.Marshal(raw)
		tampered = Evidence{Name: "tampered", Data: d}
	}

	for _, tc := range []struct {
		name  string
		sig   Evidence
		atts  []Evidence
		pol   Policy
		check string
	}{
		{"verdict fail", sig, []Evidence{bom, fail}, Policy{RequireVerdictPass: true}, CheckVerdict},
		{"no verdict given", sig, []Evidence{bom}, Policy{RequireVerdictPass: true}, CheckVerdict},
		{"another key", sig, []Evidence{foreign}, Policy{}, CheckKey},
		{"about another file", sig, []Evidence{otherFile}, Policy{}, CheckSubjectDigest},
		{"verdict names other bytes", sig, []Evidence{mismatch}, Policy{}, CheckSubjectDigest},
		{"unknown predicate type", sig, []Evidence{unknown}, Policy{}, CheckPredicateType},
		{"cyclonedx type, not a BOM", sig, []Evidence{notBOM}, Policy{}, CheckPredicateType},
		{"required type missing", sig, []Evidence{pass}, Policy{PredicateTypes: []string{PredicateCycloneDX}}, CheckPredicateType},
		{"too old", sig, []Evidence{bom, old}, Policy{MaxAge: 24 * time.Hour}, CheckAge},
		{"an age limit, a signature alone", sig, nil, Policy{MaxAge: 24 * time.Hour}, CheckAge},
		{"tampered payload", sig, []Evidence{tampered}, Policy{}, CheckKey},
		{"attestation as signature", pass, nil, Policy{}, CheckBundle},
		{"signature as attestation", sig, []Evidence{sig}, Policy{}, CheckBundle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.pol.Key, tc.pol.Now = pub, now
			_, err := VerifyFile(art, tc.sig, tc.atts, tc.pol)
			wantCheck(t, err, tc.check)
		})
	}
	// An unknown type is fine when asked for by name.
	if _, err := VerifyFile(art, sig, []Evidence{unknown}, Policy{Key: pub, PredicateTypes: []string{"https://example.com/other/v1"}}); err != nil {
		t.Fatal(err)
	}
}
