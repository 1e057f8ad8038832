package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// ErrWrongPassword is returned (wrapped) when an encrypted private key does
// not decrypt with the password given.
var ErrWrongPassword = errors.New("wrong password, or the key file is corrupt")

// Key is a private signing key: ECDSA (P-256, P-384, P-521) or RSA.
type Key struct {
	signer crypto.Signer
	hash   crypto.Hash
}

// NewKey wraps a signer (a parsed key, a KMS or hardware key).
func NewKey(s crypto.Signer) (*Key, error) {
	h, err := hashFor(s.Public())
	if err != nil {
		return nil, err
	}
	return &Key{signer: s, hash: h}, nil
}

// hashFor is the digest cosign and sigstore-go pair with each key type.
func hashFor(pub crypto.PublicKey) (crypto.Hash, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return crypto.SHA256, nil
		case elliptic.P384():
			return crypto.SHA384, nil
		case elliptic.P521():
			return crypto.SHA512, nil
		}
		return 0, fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return 0, fmt.Errorf("RSA key of %d bits is too small (want at least 2048)", k.N.BitLen())
		}
		return crypto.SHA256, nil
	}
	return 0, fmt.Errorf("unsupported key type %T (want ECDSA or RSA)", pub)
}

// Public returns the public key.
func (k *Key) Public() crypto.PublicKey { return k.signer.Public() }

// PublicPEM returns the public key as a PEM "PUBLIC KEY" block, as cosign
// writes it.
func (k *Key) PublicPEM() ([]byte, error) { return cryptoutils.MarshalPublicKeyToPEM(k.Public()) }

// GenerateKey makes an ECDSA P-256 key pair: the private key in cosign's
// encrypted format ("ENCRYPTED SIGSTORE PRIVATE KEY", scrypt and secretbox
// over PKCS#8) under password, which may be empty but not nil, and the
// public key as PEM.
func GenerateKey(password []byte) (privPEM, pubPEM []byte, err error) {
	if password == nil {
		return nil, nil, errors.New("generate key: no password (an empty one is allowed)")
	}
	return cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc(password))
}

// ParsePrivateKey reads a private key PEM: cosign's encrypted format (both
// its SIGSTORE and older COSIGN block types) or an unencrypted PKCS#8, EC or
// PKCS#1 key. A password that does not decrypt the key gives an error
// wrapping ErrWrongPassword. Errors never quote the key's bytes.
func ParsePrivateKey(pemBytes, password []byte) (*Key, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("not a PEM private key")
	}
	encrypted := block.Type == string(cryptoutils.EncryptedSigstorePrivateKeyPEMType) || block.Type == "ENCRYPTED COSIGN PRIVATE KEY"
	if encrypted && password == nil {
		return nil, errors.New("the private key is encrypted: give its password")
	}
	if password == nil {
		password = []byte{}
	}
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		if encrypted {
			// The only failure of secretbox.Open is authentication: the password.
			return nil, fmt.Errorf("decrypting private key: %w", ErrWrongPassword)
		}
		return nil, fmt.Errorf("reading private key (PEM type %q): %w", block.Type, err)
	}
	s, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot sign", priv)
	}
	return NewKey(s)
}

// ParsePublicKey reads a PEM "PUBLIC KEY" (PKIX) or "RSA PUBLIC KEY".
func ParsePublicKey(pemBytes []byte) (crypto.PublicKey, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("not a PEM public key: %w", err)
	}
	if _, err := hashFor(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// KeyHint is the key's hint in a bundle, as cosign and sigstore-go write
// it: base64 of the sha256 of the PKIX DER public key.
func KeyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}
