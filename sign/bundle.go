package sign

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"time"

	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
)

// BundleCheck is a full Sigstore verification of one bundle, as the
// sigstore-conformance suite's verify-bundle asks: against a trusted root,
// with either a public key or a certificate identity.
type BundleCheck struct {
	Bundle []byte
	// The artifact: its bytes, or (when Artifact is nil) its sha256.
	Artifact       []byte
	ArtifactSHA256 []byte
	// Key, when set, is the only key the bundle may be signed with.
	Key crypto.PublicKey
	// Otherwise the signing certificate must name Identity (a SAN) and
	// Issuer (the OIDC issuer).
	Identity, Issuer string
	// TrustedRoot is a trusted_root.json: Fulcio CAs, Rekor and CT logs,
	// timestamp authorities. Nothing is fetched.
	TrustedRoot []byte
}

// VerifyBundle verifies c, returning nil only when every check passed.
// Transparency-log entries are required when the trusted root has logs;
// certificates need an observer timestamp (a log's or a TSA's) and an SCT;
// RFC 3161 timestamps are verified when the root has TSAs.
func VerifyBundle(c BundleCheck) error {
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(c.Bundle); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	tr, err := root.NewTrustedRootFromJSON(c.TrustedRoot)
	if err != nil {
		return fmt.Errorf("trusted root: %w", err)
	}
	var tm root.TrustedMaterial = tr
	var vopts []verify.VerifierOption
	var popts []verify.PolicyOption
	hasLogs := len(tr.RekorLogs()) > 0
	if hasLogs {
		vopts = append(vopts, verify.WithTransparencyLog(1))
	}
	ts, _ := b.Timestamps()
	if len(tr.TimestampingAuthorities()) > 0 && len(ts) > 0 {
		vopts = append(vopts, verify.WithSignedTimestamps(1))
	}
	if c.Key != nil {
		sv, err := signature.LoadDefaultVerifier(c.Key)
		if err != nil {
			return fmt.Errorf("public key: %w", err)
		}
		keyMat := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
			return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
		})
		tm = root.TrustedMaterialCollection{keyMat, tr}
		popts = append(popts, verify.WithKey())
		if !hasLogs && len(ts) == 0 {
			vopts = append(vopts, verify.WithNoObserverTimestamps())
		} else {
			vopts = append(vopts, verify.WithObserverTimestamps(1))
		}
	} else {
		if c.Identity == "" || c.Issuer == "" {
			return errors.New("no key, and no certificate identity and issuer")
		}
		id, err := verify.NewShortCertificateIdentity(c.Issuer, "", c.Identity, "")
		if err != nil {
			return err
		}
		popts = append(popts, verify.WithCertificateIdentity(id))
		vopts = append(vopts, verify.WithObserverTimestamps(1), verify.WithSignedCertificateTimestamps(1))
	}
	v, err := verify.NewVerifier(tm, vopts...)
	if err != nil {
		return err
	}
	var art verify.ArtifactPolicyOption
	switch {
	case c.Artifact != nil:
		art = verify.WithArtifact(bytes.NewReader(c.Artifact))
	case len(c.ArtifactSHA256) == 32:
		art = verify.WithArtifactDigest("sha256", c.ArtifactSHA256)
	default:
		return errors.New("no artifact or sha256 digest")
	}
	_, err = v.Verify(&b, verify.NewPolicy(art, popts...))
	return err
}
