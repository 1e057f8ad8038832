package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// VerifyDigest checks a digest as VerifyFile checks the file it is the
// sha256 of: the same result on a pass, the same named checks on a failure.
func TestVerifyDigest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key, pubPEM := testKey(t, "pw")
	pub := mustPub(t, pubPEM)
	zip, err := os.ReadFile(filepath.Join("..", "testdata", "lambda", "serverless-goat-convert.zip"))
	if err != nil {
		t.Fatal(err)
	}
	art := writeFile(t, dir, "fn.zip", zip)
	now := time.Now().UTC().Truncate(time.Second)
	bom := []byte(strings.Replace(testBOM, "%s", now.Format(time.RFC3339), 1))
	subj, _ := SubjectOf(art)
	if err := SignAndAttest(ctx, key, art, bom, testVerdict(subj, true, now), filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	o := OutputsFor(filepath.Join(dir, "out"), art)
	var ev []Evidence
	for _, p := range []string{o.Signature, o.SBOM, o.Verdict} {
		e, err := ReadEvidence(p)
		if err != nil {
			t.Fatal(err)
		}
		ev = append(ev, e)
	}
	pol := Policy{Key: pub, RequireVerdictPass: true, MaxAge: time.Hour, PredicateTypes: []string{PredicateCycloneDX, PredicateVerdict}}
	sum := sha256.Sum256(zip)

	got, err := VerifyDigest("lambda:fn", sum[:], ev[0], ev[1:], pol)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject.Name != "lambda:fn" || got.Subject.SHA256 != subj.SHA256 || got.Subject.CodeSHA256 != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("subject %+v, want the sha256 %s", got.Subject, subj.SHA256)
	}
	if len(got.Attestations) != 2 || got.Attestations[1].Verdict == nil || !got.Attestations[1].Verdict.Pass {
		t.Errorf("attestations %+v", got.Attestations)
	}
	file, err := VerifyFile(art, ev[0], ev[1:], pol)
	if err != nil {
		t.Fatal(err)
	}
	if file.Subject.SHA256 != got.Subject.SHA256 || len(file.Attestations) != len(got.Attestations) {
		t.Errorf("VerifyFile %+v, VerifyDigest %+v", file, got)
	}

	// Other code under the same bundles.
	other := sha256.Sum256(append(zip, 0))
	_, err = VerifyDigest("lambda:fn", other[:], ev[0], ev[1:], pol)
	wantCheck(t, err, CheckBytes)
	if !strings.Contains(err.Error(), "lambda:fn") || !strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(other[:])) {
		t.Errorf("the bytes failure names neither the function nor its CodeSha256: %v", err)
	}
	// A right signature, an attestation about other bytes.
	otherArt := writeFile(t, dir, "other.zip", append(zip, 0))
	otherSubj, _ := SubjectOf(otherArt)
	otherAtt, err := Attest(ctx, key, otherSubj, PredicateVerdict, mustJSON(t, testVerdict(otherSubj, true, now)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = VerifyDigest("lambda:fn", sum[:], ev[0], []Evidence{{Name: "other.json", Data: otherAtt}}, Policy{Key: pub})
	wantCheck(t, err, CheckSubjectDigest)
	// Another key.
	_, pub2 := testKey(t, "pw")
	_, err = VerifyDigest("lambda:fn", sum[:], ev[0], nil, Policy{Key: mustPub(t, pub2)})
	wantCheck(t, err, CheckKey)
	// The attestation given as the signature.
	_, err = VerifyDigest("lambda:fn", sum[:], ev[2], nil, Policy{Key: pub})
	wantCheck(t, err, CheckBundle)
	// A pass required, no verdict given.
	_, err = VerifyDigest("lambda:fn", sum[:], ev[0], ev[1:2], Policy{Key: pub, RequireVerdictPass: true})
	wantCheck(t, err, CheckVerdict)

	// Could not check: not a sha256; no key.
	var ce *CheckError
	if _, err := VerifyDigest("lambda:fn", sum[:20], ev[0], nil, Policy{Key: pub}); err == nil || errors.As(err, &ce) {
		t.Errorf("a 20-byte digest: %v", err)
	}
	if _, err := VerifyDigest("lambda:fn", sum[:], ev[0], nil, Policy{}); err == nil || errors.As(err, &ce) {
		t.Errorf("no key: %v", err)
	}
}

// A P-384 key signs a sha384 digest: its bundle cannot be checked against
// a sha256 (could not check), and VerifyFile still checks the file.
func TestVerifyDigestOtherAlgorithm(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := NewKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := []byte("PK\x03\x04 not really a zip")
	art := writeFile(t, dir, "fn.zip", data)
	b, err := SignFile(context.Background(), key, art, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sig := Evidence{Name: "b.json", Data: b}
	if _, err := VerifyFile(art, sig, nil, Policy{Key: ec.Public()}); err != nil {
		t.Fatalf("VerifyFile of a sha384 signature: %v", err)
	}
	sum := sha256.Sum256(data)
	_, err = VerifyDigest("lambda:fn", sum[:], sig, nil, Policy{Key: ec.Public()})
	var ce *CheckError
	if err == nil || errors.As(err, &ce) || !strings.Contains(err.Error(), "sha384") {
		t.Fatalf("want could not check naming sha384, got %v", err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
