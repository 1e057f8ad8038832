package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// PredicateCosignSign is the predicate type of an image signature in
// cosign's bundle format (`cosign sign --new-bundle-format`).
const PredicateCosignSign = ctypes.CosignSignPredicateType

func registryOpts(ctx context.Context) []ociremote.Option {
	return []ociremote.Option{ociremote.WithRemoteOptions(
		remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithUserAgent("fnscan"))}
}

func resolveImage(ctx context.Context, ref string) (name.Digest, error) {
	ref = strings.TrimPrefix(ref, "registry:")
	r, err := name.ParseReference(ref)
	if err != nil {
		return name.Digest{}, fmt.Errorf("not an image reference: %q: %w", ref, err)
	}
	d, err := ociremote.ResolveDigest(r, registryOpts(ctx)...)
	if err != nil {
		return name.Digest{}, fmt.Errorf("%s: %w", ref, err)
	}
	return d, nil
}

func imageSubject(d name.Digest) Subject {
	return Subject{Name: d.Context().Name(), SHA256: strings.TrimPrefix(d.DigestStr(), "sha256:")}
}

// SignImage signs the image that ref (host/repo:tag or @sha256:…, with an
// optional registry: prefix) names now, as cosign does, in both of its
// storage formats: a simple-signing payload under the legacy
// sha256-<hex>.sig tag, and a bundle (in-toto statement of type
// PredicateCosignSign) as an OCI 1.1 referrer. It returns the digest
// signed.
func SignImage(ctx context.Context, key *Key, ref string) (string, error) {
	d, err := resolveImage(ctx, ref)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(d.DigestStr(), "sha256:") {
		return "", fmt.Errorf("%s: only sha256 digests are signed", d)
	}
	opts := registryOpts(ctx)
	pl, err := (&payload.Cosign{Image: d}).MarshalJSON()
	if err != nil {
		return "", err
	}
	kp, err := newKeypair(key, false)
	if err != nil {
		return "", err
	}
	sig, _, err := kp.SignData(ctx, pl)
	if err != nil {
		return "", err
	}
	ss, err := static.NewSignature(pl, base64.StdEncoding.EncodeToString(sig))
	if err != nil {
		return "", err
	}
	se, err := ociremote.SignedEntity(d, opts...)
	if err != nil {
		return "", fmt.Errorf("%s: %w", d, err)
	}
	se, err = mutate.AttachSignatureToEntity(se, ss)
	if err != nil {
		return "", err
	}
	if err := ociremote.WriteSignatures(d.Repository, se, opts...); err != nil {
		return "", fmt.Errorf("writing the signature of %s: %w", d, err)
	}
	b, err := Attest(ctx, key, imageSubject(d), PredicateCosignSign, []byte("{}"), Options{})
	if err != nil {
		return "", err
	}
	if err := ociremote.WriteAttestationNewBundleFormat(d, b, PredicateCosignSign, opts...); err != nil {
		return "", fmt.Errorf("writing the signature bundle of %s: %w", d, err)
	}
	return d.DigestStr(), nil
}

// AttestImage attests predicate about the image ref names now, as a
// bundle referrer and under the legacy sha256-<hex>.att tag, as cosign
// attest does. It returns the digest attested.
func AttestImage(ctx context.Context, key *Key, ref, predicateType string, predicate []byte) (string, error) {
	d, err := resolveImage(ctx, ref)
	if err != nil {
		return "", err
	}
	opts := registryOpts(ctx)
	b, err := Attest(ctx, key, imageSubject(d), predicateType, predicate, Options{})
	if err != nil {
		return "", err
	}
	if err := ociremote.WriteAttestationNewBundleFormat(d, b, predicateType, opts...); err != nil {
		return "", fmt.Errorf("writing the attestation bundle of %s: %w", d, err)
	}
	// The legacy form: the DSSE envelope itself, as a layer of the .att image.
	var pb struct {
		DSSEEnvelope json.RawMessage `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(b, &pb); err != nil || len(pb.DSSEEnvelope) == 0 {
		return "", errors.New("attestation bundle without a DSSE envelope")
	}
	att, err := static.NewAttestation(pb.DSSEEnvelope, static.WithLayerMediaType(ctypes.DssePayloadType),
		static.WithAnnotations(map[string]string{"predicateType": predicateType}))
	if err != nil {
		return "", err
	}
	se, err := ociremote.SignedEntity(d, opts...)
	if err != nil {
		return "", fmt.Errorf("%s: %w", d, err)
	}
	if se, err = mutate.AttachAttestationToEntity(se, att); err != nil {
		return "", err
	}
	if err := ociremote.WriteAttestations(d.Repository, se, opts...); err != nil {
		return "", fmt.Errorf("writing the attestation of %s: %w", d, err)
	}
	return d.DigestStr(), nil
}

// CheckSignature fails when no signature by the key names the image's
// digest.
const CheckSignature = "signature"

// VerifyImage checks the image ref names now: at least one signature by
// p.Key whose signed payload names that exact digest (a cosign
// simple-signing payload, or a bundle whose statement has predicate type
// PredicateCosignSign and the digest as subject) — an attestation of
// another type is never taken for a signature. Attestations referring to
// the digest are then checked as VerifyFile checks them; ones not signed
// by p.Key, or of types p does not ask about, are ignored.
func VerifyImage(ctx context.Context, ref string, p Policy) (*Verified, error) {
	if p.Key == nil {
		return nil, errors.New("verify: no public key")
	}
	d, err := resolveImage(ctx, ref)
	if err != nil {
		return nil, err
	}
	subj := imageSubject(d)
	v, err := keyVerifier(p.Key)
	if err != nil {
		return nil, err
	}
	opts := registryOpts(ctx)
	signed, seen := false, []string{}

	// Legacy: simple-signing payloads under the .sig tag.
	sv, err := signature.LoadDefaultVerifier(p.Key)
	if err != nil {
		return nil, err
	}
	if tag, err := ociremote.SignatureTag(d, opts...); err == nil {
		if sigs, err := ociremote.Signatures(tag, opts...); err == nil {
			list, _ := sigs.Get()
			for _, s := range list {
				pl, err1 := s.Payload()
				b64, err2 := s.Base64Signature()
				raw, err3 := base64.StdEncoding.DecodeString(b64)
				if err1 != nil || err2 != nil || err3 != nil {
					continue
				}
				if sv.VerifySignature(bytes.NewReader(raw), bytes.NewReader(pl)) != nil {
					seen = append(seen, "a .sig payload not signed by the key")
					continue
				}
				var c payload.SimpleContainerImage
				if err := json.Unmarshal(pl, &c); err != nil || c.Critical.Type != payload.CosignSignatureType {
					seen = append(seen, "a .sig payload of another type")
					continue
				}
				if c.Critical.Image.DockerManifestDigest != d.DigestStr() {
					seen = append(seen, "a .sig payload for "+c.Critical.Image.DockerManifestDigest)
					continue
				}
				signed = true
			}
		}
	}

	// Bundles referring to the digest: signatures and attestations.
	out := &Verified{Subject: subj}
	idx, err := ociremote.Referrers(d, "", opts...)
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", d, err)
	}
	for _, m := range idx.Manifests {
		rd := d.Context().Digest(m.Digest.String())
		bb, err := referrerBundle(ctx, rd)
		if err != nil {
			continue // not a Sigstore bundle
		}
		e := Evidence{Name: d.Context().Name() + "@" + m.Digest.String(), Data: bb}
		b, cerr := parseBundle(e)
		if cerr != nil || b.GetDsseEnvelope() == nil {
			continue
		}
		res, err := v.Verify(b, verifyPolicyDigest(subj))
		if err != nil {
			seen = append(seen, "a bundle not signed by the key for this digest")
			continue
		}
		pt := res.Statement.GetPredicateType()
		if pt == PredicateCosignSign {
			signed = true
			continue
		}
		if pt != PredicateCycloneDX && pt != PredicateVerdict && !slices.Contains(p.PredicateTypes, pt) {
			continue
		}
		seen = append(seen, "an attestation of type "+pt)
		va, err := verifyAttestation(v, e, subj, p)
		if err != nil {
			return nil, err
		}
		out.Attestations = append(out.Attestations, *va)
	}
	if !signed {
		why := "nothing"
		if len(seen) > 0 {
			why = strings.Join(seen, "; ")
		}
		return nil, &CheckError{CheckSignature, d.String(), "no signature by the key names this digest (found: " + why + ")"}
	}
	for _, t := range p.PredicateTypes {
		if !slices.ContainsFunc(out.Attestations, func(a VerifiedAttestation) bool { return a.PredicateType == t }) {
			return nil, &CheckError{CheckPredicateType, d.String(), "no attestation of type " + t}
		}
	}
	if p.RequireVerdictPass && !slices.ContainsFunc(out.Attestations, func(a VerifiedAttestation) bool { return a.Verdict != nil }) {
		return nil, &CheckError{CheckVerdict, d.String(), "a pass is required and no verdict attestation refers to this digest"}
	}
	return out, nil
}

// referrerBundle reads the one bundle layer of a referrer manifest.
func referrerBundle(ctx context.Context, ref name.Digest) ([]byte, error) {
	img, err := remote.Image(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithUserAgent("fnscan"))
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		return nil, errors.New("not one layer")
	}
	mt, err := layers[0].MediaType()
	if err != nil || !strings.HasPrefix(string(mt), "application/vnd.dev.sigstore.bundle") {
		return nil, errors.New("not a bundle layer")
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 64<<20))
}

func verifyPolicyDigest(subj Subject) verify.PolicyBuilder {
	d, _ := hex.DecodeString(subj.SHA256)
	return verify.NewPolicy(verify.WithArtifactDigest("sha256", d), verify.WithKey())
}
