package sign

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fnscan/fnscan/artifact"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
)

// Names of verification checks, as CheckError reports them.
const (
	CheckBundle        = "bundle"         // the bundle is not a well-formed Sigstore bundle of the right kind
	CheckBytes         = "bytes"          // the artifact's digest is not the one signed
	CheckKey           = "key"            // the signature does not verify with the public key
	CheckSubjectDigest = "subject digest" // the attestation is about other bytes
	CheckPredicateType = "predicate type" // unexpected, missing or malformed predicate
	CheckVerdict       = "verdict"        // the verdict is not a pass under RequireVerdictPass
	CheckAge           = "age"            // the attestation is older than MaxAge
	CheckLayerSet      = "layers"         // a function runs other layers than its verdict's scan
)

// CheckError is a verification check that failed: the evidence was read
// and does not prove what was asked. Any other error from Verify means it
// could not check.
type CheckError struct {
	Check  string // one of the Check constants
	Input  string // the bundle or attestation, as named by the caller
	Reason string
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("%s check failed: %s: %s", e.Check, e.Input, e.Reason)
}

// Evidence is a bundle to verify and the name to report it by.
type Evidence struct {
	Name string
	Data []byte
}

// ReadEvidence reads a bundle file.
func ReadEvidence(path string) (Evidence, error) {
	b, err := artifact.ReadFileBounded(path, MaxEvidence)
	return Evidence{Name: path, Data: b}, err
}

// MaxEvidence bounds a bundle or predicate read from a file: an SBOM of a
// large image is tens of MB.
const MaxEvidence = 256 << 20

// Policy says what VerifyFile and VerifyImage require.
type Policy struct {
	// Key is the public key every signature must verify with.
	Key crypto.PublicKey
	// PredicateTypes must each be the type of a verified attestation.
	// Attestations of other types than these, PredicateCycloneDX and
	// PredicateVerdict fail the predicate type check.
	PredicateTypes []string
	// RequireVerdictPass requires a verdict attestation, and that every
	// verdict attestation says pass.
	RequireVerdictPass bool
	// MaxAge, when positive, fails attestations whose signed time (the
	// verdict's scanTime, the SBOM's metadata.timestamp) is older.
	MaxAge time.Duration
	// Now is the time ages are measured at; zero means time.Now().
	Now time.Time
}

// Verified is what passed.
type Verified struct {
	Subject      Subject // the artifact, as hashed here
	Attestations []VerifiedAttestation
}

// VerifiedAttestation is one attestation that passed every check.
type VerifiedAttestation struct {
	Name          string
	PredicateType string
	Verdict       *VerdictPredicate // for PredicateVerdict
	Time          time.Time         // the predicate's own time, zero if none
}

// VerifyFile checks that sig is a signature over the file at path made
// with p.Key, and that each attestation is signed by p.Key, is about that
// file, and meets p. It hashes the file and checks as VerifyDigest does.
// It fails closed: the first failed check is returned
// as a *CheckError; other errors mean the inputs could not be read.
func VerifyFile(path string, sig Evidence, attestations []Evidence, p Policy) (*Verified, error) {
	return verifyArtifact(artifactDigest{
		name: path,
		digest: func(alg string, h func() hash.Hash) (Subject, []byte, error) {
			sha, digest, err := hashFile(path, h)
			if err != nil {
				return Subject{}, nil, err
			}
			subj := Subject{Name: filepath.Base(path), SHA256: hex.EncodeToString(sha)}
			if isZip(path) {
				subj.CodeSHA256 = codeSHA256(sha)
			}
			return subj, digest, nil
		},
		mismatch: func(alg string, got, signed []byte) string {
			return fmt.Sprintf("%s has %s %x, the bundle signs %x", path, alg, got, signed)
		},
	}, sig, attestations, p)
}

func keyVerifier(pub crypto.PublicKey) (*verify.Verifier, error) {
	if _, err := hashFor(pub); err != nil {
		return nil, err
	}
	sv, err := signature.LoadDefaultVerifier(pub)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	// Every hint maps to the one key given: a hint is unsigned metadata.
	tm := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	return verify.NewVerifier(tm, verify.WithNoObserverTimestamps())
}

func parseBundle(e Evidence) (*sgbundle.Bundle, *CheckError) {
	if len(e.Data) == 0 {
		return nil, &CheckError{CheckBundle, e.Name, "empty file"}
	}
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(e.Data); err != nil {
		return nil, &CheckError{CheckBundle, e.Name, "not a Sigstore bundle: " + err.Error()}
	}
	return &b, nil
}

// keyMaterialCheck refuses certificate bundles where a key is expected,
// before sigstore-go sees them, so the reason is named.
func keyMaterialCheck(b *sgbundle.Bundle, name string) error {
	if b.GetVerificationMaterial().GetPublicKey() == nil {
		return &CheckError{CheckKey, name, "signed with a certificate, not a public key"}
	}
	return nil
}

func digestAlg(a protocommon.HashAlgorithm) (string, func() hash.Hash, error) {
	switch a {
	case protocommon.HashAlgorithm_SHA2_256:
		return "sha256", sha256.New, nil
	case protocommon.HashAlgorithm_SHA2_384:
		return "sha384", sha512.New384, nil
	case protocommon.HashAlgorithm_SHA2_512:
		return "sha512", sha512.New, nil
	}
	return "", nil, fmt.Errorf("unsupported message digest algorithm %v", a)
}

// hashFile returns the file's sha256 and its digest under h, in one read.
func hashFile(path string, h func() hash.Hash) (sha, digest []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	s, d := sha256.New(), h()
	if _, err := io.Copy(io.MultiWriter(s, d), f); err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return s.Sum(nil), d.Sum(nil), nil
}

func isZip(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4)
	_, err = io.ReadFull(f, head)
	return err == nil && string(head) == "PK\x03\x04"
}

func verifyAttestation(v *verify.Verifier, a Evidence, subj Subject, p Policy) (*VerifiedAttestation, error) {
	b, cerr := parseBundle(a)
	if cerr != nil {
		return nil, cerr
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, &CheckError{CheckBundle, a.Name, "not an attestation (no DSSE envelope)"}
	}
	if env.GetPayloadType() != InTotoPayloadType {
		return nil, &CheckError{CheckBundle, a.Name, fmt.Sprintf("DSSE payload type %q is not %s", env.GetPayloadType(), InTotoPayloadType)}
	}
	if err := keyMaterialCheck(b, a.Name); err != nil {
		return nil, err
	}
	// The signature first, alone, so that its failure is named as such.
	res, err := v.Verify(b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithKey()))
	if err != nil {
		return nil, &CheckError{CheckKey, a.Name, "signature does not verify with the public key: " + err.Error()}
	}
	st := res.Statement
	if st == nil {
		return nil, &CheckError{CheckBundle, a.Name, "no in-toto statement"}
	}
	// The subject: one entry must name these bytes by sha256. Other digest
	// algorithms in it are not trusted to mean anything here.
	var names []string
	found := false
	for _, s := range st.GetSubject() {
		d := s.GetDigest()["sha256"]
		names = append(names, s.GetName()+"@sha256:"+d)
		if strings.EqualFold(d, subj.SHA256) {
			found = true
		}
	}
	if !found {
		return nil, &CheckError{CheckSubjectDigest, a.Name, fmt.Sprintf("the artifact has sha256:%s; the attestation is about %s", subj.SHA256, strings.Join(names, ", "))}
	}
	// And sigstore-go's own subject check must agree.
	d, _ := hex.DecodeString(subj.SHA256)
	if _, err := v.Verify(b, verify.NewPolicy(verify.WithArtifactDigest("sha256", d), verify.WithKey())); err != nil {
		return nil, &CheckError{CheckSubjectDigest, a.Name, err.Error()}
	}
	out := &VerifiedAttestation{Name: a.Name, PredicateType: st.GetPredicateType()}
	pred, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		return nil, &CheckError{CheckPredicateType, a.Name, "predicate: " + err.Error()}
	}
	switch out.PredicateType {
	case PredicateVerdict:
		var vp VerdictPredicate
		if err := json.Unmarshal(pred, &vp); err != nil {
			return nil, &CheckError{CheckPredicateType, a.Name, "not a verdict predicate: " + err.Error()}
		}
		if vp.ScanTime.IsZero() || vp.Target.SHA256 == "" {
			return nil, &CheckError{CheckPredicateType, a.Name, "verdict predicate without scanTime or target.sha256"}
		}
		if !strings.EqualFold(vp.Target.SHA256, subj.SHA256) {
			return nil, &CheckError{CheckSubjectDigest, a.Name, fmt.Sprintf("the verdict is about sha256:%s, the artifact has sha256:%s", vp.Target.SHA256, subj.SHA256)}
		}
		out.Verdict, out.Time = &vp, vp.ScanTime
	case PredicateCycloneDX:
		var bom struct {
			BOMFormat string `json:"bomFormat"`
			Metadata  struct {
				Timestamp time.Time `json:"timestamp"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(pred, &bom); err != nil || bom.BOMFormat != "CycloneDX" {
			return nil, &CheckError{CheckPredicateType, a.Name, "the predicate is not a CycloneDX BOM"}
		}
		out.Time = bom.Metadata.Timestamp
	default:
		if !slices.Contains(p.PredicateTypes, out.PredicateType) {
			return nil, &CheckError{CheckPredicateType, a.Name, fmt.Sprintf("unexpected predicate type %q", out.PredicateType)}
		}
	}
	if err := policyChecks(out, p); err != nil {
		return nil, err
	}
	return out, nil
}

// policyChecks are what p asks of one attestation that verified: a pass
// from a verdict, an age from anything.
func policyChecks(a *VerifiedAttestation, p Policy) error {
	if p.RequireVerdictPass && a.Verdict != nil && !a.Verdict.Pass {
		reason := "the gate failed"
		if len(a.Verdict.Reasons) > 0 {
			reason += ": " + strings.Join(a.Verdict.Reasons, "; ")
		}
		return &CheckError{CheckVerdict, a.Name, reason}
	}
	if p.MaxAge > 0 {
		now := p.Now
		if now.IsZero() {
			now = time.Now()
		}
		switch {
		case a.Time.IsZero():
			return &CheckError{CheckAge, a.Name, "the attestation carries no time to measure its age by"}
		case a.Time.After(now.Add(5 * time.Minute)):
			return &CheckError{CheckAge, a.Name, "its time " + a.Time.UTC().Format(time.RFC3339) + " is in the future"}
		case now.Sub(a.Time) > p.MaxAge:
			return &CheckError{CheckAge, a.Name, fmt.Sprintf("made %s, %s ago, older than %s", a.Time.UTC().Format(time.RFC3339), now.Sub(a.Time).Round(time.Second), p.MaxAge)}
		}
	}
	return nil
}

// CheckLayers holds the layers a function runs (in order, hex sha256 and
// name) to those every verified verdict says were scanned with its code:
// the same zips in the same order, since a layer's files overlay those of
// the layers before it in /opt. A signature covers the function's own zip
// only, so layers with no verdict to vouch for them fail too.
func CheckLayers(v *Verified, where string, deployed []VerdictTarget) error {
	shas := func(ls []VerdictTarget) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = l.SHA256
		}
		return out
	}
	show := func(ls []VerdictTarget) string {
		if len(ls) == 0 {
			return "none"
		}
		var parts []string
		for _, l := range ls {
			parts = append(parts, fmt.Sprintf("%s (sha256 %.12s)", l.Name, l.SHA256))
		}
		return strings.Join(parts, ", ")
	}
	verdicts := 0
	for _, a := range v.Attestations {
		if a.Verdict == nil {
			continue
		}
		verdicts++
		if !slices.Equal(shas(a.Verdict.Layers), shas(deployed)) {
			return &CheckError{CheckLayerSet, a.Name, fmt.Sprintf("%s runs layers %s; the verdict's scan had %s", where, show(deployed), show(a.Verdict.Layers))}
		}
	}
	if verdicts == 0 && len(deployed) > 0 {
		return &CheckError{CheckLayerSet, where, fmt.Sprintf("runs layers %s, and no verdict attestation says they were scanned (a signature covers the function's own zip only): give the verdict", show(deployed))}
	}
	return nil
}

func codeSHA256(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

// checkCoverage is what a policy asks of the attestations beyond each one's
// own checks: every required predicate type, a verdict when a pass is
// required, and something dated when an age is. absent ends the message of
// what is missing ("was given", "refers to this digest").
func checkCoverage(atts []VerifiedAttestation, p Policy, where, absent string) error {
	for _, t := range p.PredicateTypes {
		if !slices.ContainsFunc(atts, func(a VerifiedAttestation) bool { return a.PredicateType == t }) {
			return &CheckError{CheckPredicateType, where, "no attestation of type " + t + " " + absent}
		}
	}
	if p.RequireVerdictPass && !slices.ContainsFunc(atts, func(a VerifiedAttestation) bool { return a.Verdict != nil }) {
		return &CheckError{CheckVerdict, where, "a pass is required and no verdict attestation " + absent}
	}
	if p.MaxAge > 0 && len(atts) == 0 {
		// A signature has no signed time: an age limit cannot hold.
		return &CheckError{CheckAge, where, "a maximum age is set, and a signature alone carries no time to measure it by: give an attestation"}
	}
	return nil
}
