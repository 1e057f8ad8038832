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
	"time"

	"github.com/fnscan/fnscan/artifact"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ggcrlayout "github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/layout"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/signed"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// PredicateCosignSign is the predicate type of an image signature in
// cosign's bundle format (`cosign sign --new-bundle-format`).
const PredicateCosignSign = "https://sigstore.dev/cosign/sign/v1"

// CheckSignature fails when no signature by the key names the image's
// digest.
const CheckSignature = "signature"

// An image is named "registry:host/repo:tag" (or @sha256:…; the prefix
// may be left out) or "oci-dir:PATH", an OCI image layout directory.
func layoutPath(ref string) (string, bool) { return strings.CutPrefix(ref, "oci-dir:") }

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
		return name.Digest{}, fmt.Errorf("%s: %w", ref, artifact.RegistryError(err))
	}
	if !strings.HasPrefix(d.DigestStr(), "sha256:") {
		return name.Digest{}, fmt.Errorf("%s: only sha256 digests are supported", d)
	}
	return d, nil
}

func digestSubject(repo string, h v1.Hash) Subject { return Subject{Name: repo, SHA256: h.Hex} }

// legacySignature is cosign's simple-signing signature of digest d.
func legacySignature(ctx context.Context, key *Key, d name.Digest) (oci.Signature, error) {
	pl, err := (&payload.Cosign{Image: d}).MarshalJSON()
	if err != nil {
		return nil, err
	}
	kp, err := newKeypair(key, false)
	if err != nil {
		return nil, err
	}
	sig, _, err := kp.SignData(ctx, pl)
	if err != nil {
		return nil, err
	}
	return static.NewSignature(pl, base64.StdEncoding.EncodeToString(sig))
}

// legacyAttestation is the DSSE envelope of an attestation bundle, as a
// layer of cosign's .att image.
func legacyAttestation(bundle []byte, predicateType string) (oci.Signature, error) {
	var pb struct {
		DSSEEnvelope json.RawMessage `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(bundle, &pb); err != nil || len(pb.DSSEEnvelope) == 0 {
		return nil, errors.New("attestation bundle without a DSSE envelope")
	}
	return static.NewAttestation(pb.DSSEEnvelope, static.WithLayerMediaType(ctypes.DssePayloadType),
		static.WithAnnotations(map[string]string{"predicateType": predicateType}))
}

// SignImage signs the image ref names now, as cosign does, and returns the
// digest signed. In a registry it writes both of cosign's formats: a
// simple-signing payload under the legacy sha256-<hex>.sig tag, and a
// bundle (an in-toto statement of type PredicateCosignSign about the
// digest) as an OCI 1.1 referrer. In an OCI layout it adds the legacy
// signature as `cosign save` lays it out, which `cosign verify
// --local-image` reads.
func SignImage(ctx context.Context, key *Key, ref string) (string, error) {
	if path, ok := layoutPath(ref); ok {
		return updateLayout(path, func(si oci.SignedImage, d name.Digest) (oci.SignedImage, error) {
			s, err := legacySignature(ctx, key, d)
			if err != nil {
				return nil, err
			}
			return mutate.AttachSignatureToImage(si, s)
		})
	}
	d, err := resolveImage(ctx, ref)
	if err != nil {
		return "", err
	}
	opts := registryOpts(ctx)
	s, err := legacySignature(ctx, key, d)
	if err != nil {
		return "", err
	}
	se, err := ociremote.SignedEntity(d, opts...)
	if err != nil {
		return "", fmt.Errorf("%s: %w", d, artifact.RegistryError(err))
	}
	if se, err = mutate.AttachSignatureToEntity(se, s); err != nil {
		return "", err
	}
	if err := ociremote.WriteSignatures(d.Repository, se, opts...); err != nil {
		return "", fmt.Errorf("writing the signature of %s: %w", d, artifact.RegistryError(err))
	}
	h, _ := v1.NewHash(d.DigestStr())
	b, err := Attest(ctx, key, digestSubject(d.Context().Name(), h), PredicateCosignSign, []byte("{}"), Options{})
	if err != nil {
		return "", err
	}
	if err := ociremote.WriteAttestationNewBundleFormat(d, b, PredicateCosignSign, opts...); err != nil {
		return "", fmt.Errorf("writing the signature bundle of %s: %w", d, artifact.RegistryError(err))
	}
	return d.DigestStr(), nil
}

// AttestImage attests predicate about the image ref names now and returns
// the digest attested: as a bundle referrer and under the legacy
// sha256-<hex>.att tag in a registry, as the .att image in a layout.
func AttestImage(ctx context.Context, key *Key, ref, predicateType string, predicate []byte) (string, error) {
	if path, ok := layoutPath(ref); ok {
		return updateLayout(path, func(si oci.SignedImage, d name.Digest) (oci.SignedImage, error) {
			h, _ := si.Digest()
			b, err := Attest(ctx, key, digestSubject(d.Context().Name(), h), predicateType, predicate, Options{})
			if err != nil {
				return nil, err
			}
			att, err := legacyAttestation(b, predicateType)
			if err != nil {
				return nil, err
			}
			return mutate.AttachAttestationToImage(si, att)
		})
	}
	d, err := resolveImage(ctx, ref)
	if err != nil {
		return "", err
	}
	opts := registryOpts(ctx)
	h, _ := v1.NewHash(d.DigestStr())
	b, err := Attest(ctx, key, digestSubject(d.Context().Name(), h), predicateType, predicate, Options{})
	if err != nil {
		return "", err
	}
	if err := ociremote.WriteAttestationNewBundleFormat(d, b, predicateType, opts...); err != nil {
		return "", fmt.Errorf("writing the attestation bundle of %s: %w", d, artifact.RegistryError(err))
	}
	att, err := legacyAttestation(b, predicateType)
	if err != nil {
		return "", err
	}
	se, err := ociremote.SignedEntity(d, opts...)
	if err != nil {
		return "", fmt.Errorf("%s: %w", d, artifact.RegistryError(err))
	}
	if se, err = mutate.AttachAttestationToEntity(se, att); err != nil {
		return "", err
	}
	if err := ociremote.WriteAttestations(d.Repository, se, opts...); err != nil {
		return "", fmt.Errorf("writing the attestation of %s: %w", d, artifact.RegistryError(err))
	}
	return d.DigestStr(), nil
}

// layoutRepo is the name a layout's image is signed under: cosign's
// simple-signing payload wants a repository; a layout has none.
const layoutRepo = "oci-layout"

// layoutImage finds the image of an OCI layout: the one cosign marked, or
// the only image manifest in index.json. Its signatures and attestations
// already in the layout are carried over.
func layoutImage(path string) (oci.SignedImage, error) {
	sii, err := layout.SignedImageIndex(path)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", path, err)
	}
	si, err := sii.SignedImage(v1.Hash{})
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", path, err)
	}
	if si == nil {
		p, err := ggcrlayout.FromPath(path)
		if err != nil {
			return nil, err
		}
		ii, err := p.ImageIndex()
		if err != nil {
			return nil, err
		}
		im, err := ii.IndexManifest()
		if err != nil {
			return nil, err
		}
		if len(im.Manifests) != 1 || !im.Manifests[0].MediaType.IsImage() {
			return nil, fmt.Errorf("OCI layout %s: want exactly one image manifest in index.json, found %d entries", path, len(im.Manifests))
		}
		img, err := ii.Image(im.Manifests[0].Digest)
		if err != nil {
			return nil, err
		}
		return signed.Image(img), nil
	}
	out := signed.Image(si)
	for _, kind := range []func() (oci.Signatures, error){sii.Signatures, sii.Attestations} {
		ss, err := kind()
		if err != nil || ss == nil {
			continue
		}
		list, err := ss.Get()
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			if mt, _ := s.MediaType(); mt == ctypes.DssePayloadType {
				out, err = mutate.AttachAttestationToImage(out, s)
			} else {
				out, err = mutate.AttachSignatureToImage(out, s)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func layoutDigest(si oci.SignedImage) (name.Digest, error) {
	h, err := si.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	return name.NewDigest(layoutRepo + "@" + h.String())
}

func updateLayout(path string, add func(oci.SignedImage, name.Digest) (oci.SignedImage, error)) (string, error) {
	si, err := layoutImage(path)
	if err != nil {
		return "", err
	}
	d, err := layoutDigest(si)
	if err != nil {
		return "", err
	}
	if si, err = add(si, d); err != nil {
		return "", err
	}
	if err := layout.WriteSignedImage(path, si); err != nil {
		return "", fmt.Errorf("writing OCI layout %s: %w", path, err)
	}
	return d.DigestStr(), nil
}

// imageEvidence is what an image carries: legacy signatures and
// attestations, and bundles (registry referrers).
type imageEvidence struct {
	where   string // for messages
	subject Subject
	sigs    []oci.Signature
	atts    []oci.Signature
	bundles []Evidence
}

func collectRegistry(ctx context.Context, ref string) (*imageEvidence, error) {
	d, err := resolveImage(ctx, ref)
	if err != nil {
		return nil, err
	}
	h, _ := v1.NewHash(d.DigestStr())
	ev := &imageEvidence{where: d.String(), subject: digestSubject(d.Context().Name(), h)}
	opts := registryOpts(ctx)
	se, err := ociremote.SignedEntity(d, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d, artifact.RegistryError(err))
	}
	if ss, err := se.Signatures(); err == nil {
		ev.sigs, _ = ss.Get()
	}
	if ss, err := se.Attestations(); err == nil {
		ev.atts, _ = ss.Get()
	}
	idx, err := ociremote.Referrers(d, "", opts...)
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", d, artifact.RegistryError(err))
	}
	for _, m := range idx.Manifests {
		bb, err := referrerBundle(ctx, d.Context().Digest(m.Digest.String()))
		if err != nil {
			continue // not a Sigstore bundle
		}
		ev.bundles = append(ev.bundles, Evidence{Name: d.Context().Name() + "@" + m.Digest.String(), Data: bb})
	}
	return ev, nil
}

func collectLayout(path string) (*imageEvidence, error) {
	sii, err := layout.SignedImageIndex(path)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", path, err)
	}
	si, err := layoutImage(path)
	if err != nil {
		return nil, err
	}
	h, err := si.Digest()
	if err != nil {
		return nil, err
	}
	ev := &imageEvidence{where: "oci-dir:" + path + "@" + h.String(), subject: digestSubject(layoutRepo, h)}
	if ss, err := sii.Signatures(); err == nil && ss != nil {
		ev.sigs, _ = ss.Get()
	}
	if ss, err := sii.Attestations(); err == nil && ss != nil {
		ev.atts, _ = ss.Get()
	}
	return ev, nil
}

// referrerBundle reads the one bundle layer of a referrer manifest.
func referrerBundle(ctx context.Context, ref name.Digest) ([]byte, error) {
	img, err := remote.Image(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithUserAgent("fnscan"))
	if err != nil {
		return nil, artifact.RegistryError(err)
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

// envelopeBundle wraps a bare DSSE envelope (a legacy .att layer) in a
// key-signed bundle, so one code path verifies both forms.
func envelopeBundle(env []byte) []byte {
	return []byte(`{"mediaType":"` + BundleMediaType + `","verificationMaterial":{"publicKey":{"hint":""}},"dsseEnvelope":` + string(env) + `}`)
}

// VerifyImage checks the image ref names now (see SignImage for the forms
// of ref). It needs at least one signature by p.Key whose signed payload
// names that exact digest: a cosign simple-signing payload, or a bundle
// whose statement has type PredicateCosignSign and the digest as subject.
// An attestation of another type is never taken for a signature (cosign
// 2.6 takes any bundle referrer for one). Attestations of the digest are
// then checked as VerifyFile checks them; ones not signed by p.Key, or of
// types p does not ask about, are ignored.
func VerifyImage(ctx context.Context, ref string, p Policy) (*Verified, error) {
	if p.Key == nil {
		return nil, errors.New("verify: no public key")
	}
	var ev *imageEvidence
	var err error
	if path, ok := layoutPath(ref); ok {
		ev, err = collectLayout(path)
	} else {
		ev, err = collectRegistry(ctx, ref)
	}
	if err != nil {
		return nil, err
	}
	v, err := keyVerifier(p.Key)
	if err != nil {
		return nil, err
	}
	sv, err := signature.LoadDefaultVerifier(p.Key)
	if err != nil {
		return nil, err
	}
	subj := ev.subject
	digest := "sha256:" + subj.SHA256
	signed, seen := false, []string{}
	for _, s := range ev.sigs {
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
		if c.Critical.Image.DockerManifestDigest != digest {
			seen = append(seen, "a .sig payload for "+c.Critical.Image.DockerManifestDigest)
			continue
		}
		signed = true
	}
	candidates := ev.bundles
	for i, a := range ev.atts {
		pl, err := a.Payload()
		if err == nil {
			candidates = append(candidates, Evidence{Name: fmt.Sprintf("%s .att layer %d", ev.where, i), Data: envelopeBundle(pl)})
		}
	}
	out := &Verified{Subject: subj}
	done := map[string]bool{} // the same statement as a referrer and in .att
	for _, e := range candidates {
		b, cerr := parseBundle(e)
		if cerr != nil || b.GetDsseEnvelope() == nil {
			continue
		}
		env := b.GetDsseEnvelope()
		if len(env.GetSignatures()) > 0 {
			id := string(env.GetPayload()) + "\x00" + string(env.GetSignatures()[0].GetSig())
			if done[id] {
				continue
			}
			done[id] = true
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
		seen = append(seen, "an attestation of type "+pt)
		if pt != PredicateCycloneDX && pt != PredicateVerdict && !slices.Contains(p.PredicateTypes, pt) {
			continue
		}
		// Attestations accumulate on an image (every scan adds one, and
		// nothing removes them): the newest of each type is the one the
		// policy holds, so last week's failed or aged verdict does not
		// outvote today's.
		va, err := verifyAttestation(v, e, subj, Policy{Key: p.Key, PredicateTypes: p.PredicateTypes})
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(out.Attestations, func(o VerifiedAttestation) bool { return o.PredicateType == va.PredicateType })
		switch {
		case i < 0:
			out.Attestations = append(out.Attestations, *va)
		case newer(*va, out.Attestations[i], p):
			out.Attestations[i] = *va
		}
	}
	for i := range out.Attestations {
		if err := policyChecks(&out.Attestations[i], p); err != nil {
			return nil, err
		}
	}
	if !signed {
		why := "nothing"
		if len(seen) > 0 {
			why = strings.Join(seen, "; ")
		}
		return nil, &CheckError{CheckSignature, ev.where, "no signature by the key names this digest (found: " + why + ")"}
	}
	if err := checkCoverage(out.Attestations, p, ev.where, "refers to this digest"); err != nil {
		return nil, err
	}
	return out, nil
}

// newer says whether a should stand for its type instead of b. A time in
// the future (a skewed clock) never outranks one that is not: it would
// hide every later verdict. Of two of the same time the one the policy
// fails stands: order in a registry decides nothing.
func newer(a, b VerifiedAttestation, p Policy) bool {
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	limit := now.Add(5 * time.Minute)
	if af, bf := a.Time.After(limit), b.Time.After(limit); af != bf {
		return bf
	}
	if a.Time.Equal(b.Time) {
		return policyChecks(&a, p) != nil && policyChecks(&b, p) == nil
	}
	return a.Time.After(b.Time)
}

func verifyPolicyDigest(subj Subject) verify.PolicyBuilder {
	d, _ := hex.DecodeString(subj.SHA256)
	return verify.NewPolicy(verify.WithArtifactDigest("sha256", d), verify.WithKey())
}
