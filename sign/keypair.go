package sign

import (
	"context"
	"crypto"
	"crypto/rand"
	"fmt"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// keypair adapts a Key to sigstore-go's sign.Keypair, which has no
// implementation for a long-lived key. With prehashed set, SignData takes
// the digest itself, so a large artifact is hashed once while streaming
// and never held in memory.
type keypair struct {
	key       *Key
	alg       signature.AlgorithmDetails
	hint      []byte
	prehashed bool
}

var _ sgsign.Keypair = (*keypair)(nil)

func newKeypair(k *Key, prehashed bool) (*keypair, error) {
	alg, err := signature.GetDefaultAlgorithmDetails(k.Public())
	if err != nil {
		return nil, fmt.Errorf("key algorithm: %w", err)
	}
	if alg.GetHashType() != k.hash {
		return nil, fmt.Errorf("key algorithm %v does not hash with %v", alg.GetSignatureAlgorithm(), k.hash)
	}
	hint, err := KeyHint(k.Public())
	if err != nil {
		return nil, err
	}
	return &keypair{key: k, alg: alg, hint: []byte(hint), prehashed: prehashed}, nil
}

func (p *keypair) GetHashAlgorithm() protocommon.HashAlgorithm { return p.alg.GetProtoHashType() }

func (p *keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return p.alg.GetSignatureAlgorithm()
}

func (p *keypair) GetHint() []byte { return p.hint }

func (p *keypair) GetKeyAlgorithm() string {
	switch p.alg.GetKeyType() {
	case signature.ECDSA:
		return "ECDSA"
	case signature.RSA:
		return "RSA"
	}
	return ""
}

func (p *keypair) GetPublicKey() crypto.PublicKey { return p.key.Public() }

func (p *keypair) GetPublicKeyPem() (string, error) {
	b, err := cryptoutils.MarshalPublicKeyToPEM(p.key.Public())
	return string(b), err
}

// SignData returns the signature and the digest it signs.
func (p *keypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	digest := data
	if !p.prehashed {
		h := p.key.hash.New()
		h.Write(data)
		digest = h.Sum(nil)
	} else if len(digest) != p.key.hash.Size() {
		return nil, nil, fmt.Errorf("digest of %d bytes for %v", len(digest), p.key.hash)
	}
	sig, err := p.key.signer.Sign(rand.Reader, digest, p.key.hash)
	if err != nil {
		return nil, nil, fmt.Errorf("signing: %w", err)
	}
	return sig, digest, nil
}
