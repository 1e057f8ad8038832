package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fnscan/fnscan/internal/jsonerr"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"
)

// Media types of what this package writes.
const (
	// BundleMediaType is the Sigstore bundle v0.3 media type.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// InTotoPayloadType is the DSSE payload type of an in-toto statement.
	InTotoPayloadType = "application/vnd.in-toto+json"
	// StatementType is the in-toto statement version written.
	StatementType = "https://in-toto.io/Statement/v1"
)

// Options are the opt-in online services. The zero value signs offline
// with the key alone: no transparency log, no certificate, no network.
type Options struct {
	// RekorURL, when set, uploads each signature to that Rekor v1 log
	// (e.g. https://rekor.sigstore.dev) and embeds the entry in the bundle.
	RekorURL string
	// FulcioURL and IdentityToken, when both set, sign keylessly: an
	// ephemeral key certified by Fulcio for the token's identity. The Key
	// argument is then ignored and may be nil.
	FulcioURL     string
	IdentityToken string
}

func (o Options) keyless() bool { return o.FulcioURL != "" && o.IdentityToken != "" }

// SignBlob signs the bytes read from r into a Sigstore bundle v0.3 with a
// messageSignature content, as `cosign sign-blob --new-bundle-format`
// writes it. The bytes are hashed while streaming.
func SignBlob(ctx context.Context, key *Key, r io.Reader, opts Options) ([]byte, error) {
	if opts.keyless() {
		// sigstore-go's ephemeral key hashes what it signs: give it the bytes.
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("reading artifact: %w", err)
		}
		kp, err := keypairFor(nil, opts, false)
		if err != nil {
			return nil, err
		}
		return bundleJSON(ctx, &sgsign.PlainData{Data: data}, kp, opts)
	}
	kp, err := keypairFor(key, opts, true)
	if err != nil {
		return nil, err
	}
	h := kp.hashNew()
	if _, err := io.Copy(h, r); err != nil {
		return nil, fmt.Errorf("reading artifact: %w", err)
	}
	return bundleJSON(ctx, &sgsign.PlainData{Data: h.Sum(nil)}, kp, opts)
}

// SignFile is SignBlob for a file.
func SignFile(ctx context.Context, key *Key, path string, opts Options) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := SignBlob(ctx, key, f, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Subject names the artifact an attestation is about.
type Subject struct {
	Name   string // the artifact's base name
	SHA256 string // hex sha256 of its bytes
	// CodeSHA256 is base64 of the same sha256, as AWS Lambda reports a
	// function's CodeSha256; set for zip files.
	CodeSHA256 string
}

// SubjectOf hashes the file at path.
func SubjectOf(path string) (Subject, error) {
	sum, _, err := hashFile(path, sha256.New)
	if err != nil {
		return Subject{}, err
	}
	s := Subject{Name: filepath.Base(path), SHA256: hex.EncodeToString(sum)}
	if isZip(path) {
		s.CodeSHA256 = codeSHA256(sum)
	}
	return s, nil
}

// statement is an in-toto v1 statement.
type statement struct {
	Type          string          `json:"_type"`
	Subject       []subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type subject struct {
	Name        string            `json:"name"`
	Digest      map[string]string `json:"digest"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Attest signs an in-toto statement about subj with the given predicate
// type and predicate (a JSON object) into a DSSE envelope in a Sigstore
// bundle v0.3, as `cosign attest-blob --new-bundle-format` does.
func Attest(ctx context.Context, key *Key, subj Subject, predicateType string, predicate []byte, opts Options) ([]byte, error) {
	if predicateType == "" {
		return nil, errors.New("attest: no predicate type")
	}
	if b, err := hex.DecodeString(subj.SHA256); err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("attest: subject digest %q is not a hex sha256", subj.SHA256)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(predicate, &obj); err != nil {
		return nil, fmt.Errorf("attest: the %s predicate is not a JSON object: %w", predicateType, jsonerr.Plain(err, ""))
	}
	if err := checkKnownPredicate(predicateType, predicate, subj.SHA256); err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	return attestUnchecked(ctx, key, subj, predicateType, predicate, opts)
}

// attestUnchecked is Attest without checkKnownPredicate: tests make with it
// the attestations verify must refuse.
func attestUnchecked(ctx context.Context, key *Key, subj Subject, predicateType string, predicate []byte, opts Options) ([]byte, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, predicate); err != nil {
		return nil, err
	}
	s := subject{Name: subj.Name, Digest: map[string]string{"sha256": subj.SHA256}}
	if subj.CodeSHA256 != "" {
		s.Annotations = map[string]string{"codeSha256": subj.CodeSHA256}
	}
	payload, err := json.Marshal(statement{Type: StatementType, Subject: []subject{s}, PredicateType: predicateType, Predicate: compact.Bytes()})
	if err != nil {
		return nil, err
	}
	kp, err := keypairFor(key, opts, false)
	if err != nil {
		return nil, err
	}
	return bundleJSON(ctx, &sgsign.DSSEData{Data: payload, PayloadType: InTotoPayloadType}, kp, opts)
}

// signingKeypair is a sigstore-go keypair that can also start a digest.
type signingKeypair interface {
	sgsign.Keypair
	hashNew() hashWriter
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

func (p *keypair) hashNew() hashWriter { return p.key.hash.New() }

// ephemeral is sigstore-go's ephemeral keypair for keyless signing.
type ephemeral struct{ *sgsign.EphemeralKeypair }

func (e ephemeral) hashNew() hashWriter { return sha256.New() }

func keypairFor(key *Key, opts Options, prehashed bool) (signingKeypair, error) {
	if opts.keyless() {
		kp, err := sgsign.NewEphemeralKeypair(nil)
		if err != nil {
			return nil, err
		}
		return ephemeral{kp}, nil
	}
	if key == nil {
		return nil, errors.New("no signing key")
	}
	return newKeypair(key, prehashed)
}

func bundleJSON(ctx context.Context, content sgsign.Content, kp signingKeypair, opts Options) ([]byte, error) {
	bo := sgsign.BundleOptions{Context: ctx}
	if opts.keyless() {
		bo.CertificateProvider = sgsign.NewFulcio(&sgsign.FulcioOptions{BaseURL: opts.FulcioURL})
		bo.CertificateProviderOptions = &sgsign.CertificateProviderOptions{IDToken: opts.IdentityToken}
	}
	if opts.RekorURL != "" {
		bo.TransparencyLogs = []sgsign.Transparency{sgsign.NewRekor(&sgsign.RekorOptions{BaseURL: opts.RekorURL})}
	}
	b, err := sgsign.Bundle(content, kp, bo)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return marshalBundle(b)
}

func marshalBundle(b *protobundle.Bundle) ([]byte, error) {
	if b.MediaType == "" {
		b.MediaType = BundleMediaType
	}
	out, err := protojson.Marshal(b)
	if err != nil {
		return nil, err
	}
	// protojson's output is deliberately unstable in whitespace; normalize.
	var buf bytes.Buffer
	if err := json.Compact(&buf, out); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// checkKnownPredicate refuses to sign a verdict or CycloneDX predicate that
// verify would refuse: a signed attestation no deploy stage can accept only
// turns up as a failure there.
func checkKnownPredicate(predicateType string, predicate []byte, subjectSHA256 string) error {
	switch predicateType {
	case PredicateVerdict:
		var vp VerdictPredicate
		if err := json.Unmarshal(predicate, &vp); err != nil {
			return fmt.Errorf("not a verdict predicate: %w", jsonerr.Plain(err, ""))
		}
		if vp.ScanTime.IsZero() || vp.Target.SHA256 == "" {
			return errors.New("a verdict predicate needs scanTime and target.sha256 (the JSON report's verdict is not one: fnscan scan --sign-key attests the verdict of a file target)")
		}
		if !strings.EqualFold(vp.Target.SHA256, subjectSHA256) {
			return fmt.Errorf("the verdict is about sha256:%s, the artifact has sha256:%s", vp.Target.SHA256, subjectSHA256)
		}
	case PredicateCycloneDX:
		var bom struct {
			BOMFormat string `json:"bomFormat"`
		}
		if json.Unmarshal(predicate, &bom) != nil || bom.BOMFormat != "CycloneDX" {
			return errors.New("the cyclonedx predicate is not a CycloneDX BOM (bomFormat)")
		}
	}
	return nil
}
