package sign

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	"github.com/sigstore/sigstore-go/pkg/verify"
)

// VerifyDigest is VerifyFile for an artifact known only by its sha256,
// such as a deployed Lambda function's CodeSha256 (base64-decoded): the
// same checks, failing closed with the same CheckError names. name is
// what the artifact is called in messages and in Verified.Subject.Name.
//
// A signature bundle whose messageDigest is not SHA2_256 cannot be
// checked against a sha256 alone: that is an error (could not check),
// not a CheckError.
func VerifyDigest(name string, sha256sum []byte, sig Evidence, attestations []Evidence, p Policy) (*Verified, error) {
	if len(sha256sum) != sha256.Size {
		return nil, fmt.Errorf("verify %s: a sha256 digest is %d bytes, got %d", name, sha256.Size, len(sha256sum))
	}
	sum := bytes.Clone(sha256sum)
	subj := Subject{Name: name, SHA256: hex.EncodeToString(sum), CodeSHA256: codeSHA256(sum)}
	return verifyArtifact(artifactDigest{
		name: name,
		digest: func(alg string, _ func() hash.Hash) (Subject, []byte, error) {
			if alg != "sha256" {
				return Subject{}, nil, fmt.Errorf("%s: the bundle signs a %s digest and only the artifact's sha256 is known: verify its bytes instead", name, alg)
			}
			return subj, sum, nil
		},
		mismatch: func(alg string, got, signed []byte) string {
			return fmt.Sprintf("%s: the code with sha256 %x (CodeSha256 %s) is not what the bundle signed (%s %x)", name, got, subj.CodeSHA256, alg, signed)
		},
	}, sig, attestations, p)
}

// artifactDigest is how verifyArtifact learns the artifact's digests: a
// file is hashed once the bundle names its algorithm; a known digest is
// looked up.
type artifactDigest struct {
	name string // the artifact in messages
	// digest returns the artifact's subject (its sha256) and its digest
	// under the signature's algorithm alg, whose hash is h.
	digest func(alg string, h func() hash.Hash) (Subject, []byte, error)
	// mismatch is the bytes check's reason.
	mismatch func(alg string, got, signed []byte) string
}

// verifyArtifact is the one implementation behind VerifyFile and
// VerifyDigest.
func verifyArtifact(art artifactDigest, sig Evidence, attestations []Evidence, p Policy) (*Verified, error) {
	if p.Key == nil {
		return nil, errors.New("verify: no public key")
	}
	v, err := keyVerifier(p.Key)
	if err != nil {
		return nil, err
	}
	b, cerr := parseBundle(sig)
	if cerr != nil {
		return nil, cerr
	}
	ms := b.GetMessageSignature()
	if ms == nil {
		return nil, &CheckError{CheckBundle, sig.Name, "not a signature of bytes (messageSignature): an attestation is not a signature"}
	}
	alg, h, err := digestAlg(ms.GetMessageDigest().GetAlgorithm())
	if err != nil {
		return nil, &CheckError{CheckBundle, sig.Name, err.Error()}
	}
	subj, digest, err := art.digest(alg, h)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(ms.GetMessageDigest().GetDigest(), digest) {
		return nil, &CheckError{CheckBytes, sig.Name, art.mismatch(alg, digest, ms.GetMessageDigest().GetDigest())}
	}
	if err := keyMaterialCheck(b, sig.Name); err != nil {
		return nil, err
	}
	if _, err := v.Verify(b, verify.NewPolicy(verify.WithArtifactDigest(alg, digest), verify.WithKey())); err != nil {
		return nil, &CheckError{CheckKey, sig.Name, "signature does not verify with the public key: " + err.Error()}
	}
	out := &Verified{Subject: subj}
	for _, a := range attestations {
		va, err := verifyAttestation(v, a, subj, p)
		if err != nil {
			return nil, err
		}
		out.Attestations = append(out.Attestations, *va)
	}
	if err := checkCoverage(out.Attestations, p, art.name, "was given"); err != nil {
		return nil, err
	}
	return out, nil
}
