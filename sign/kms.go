package sign

import (
	"context"
	"crypto"
	"fmt"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// KMSSchemes are the KMS key reference schemes fnscan resolves, as cosign
// does (cosign also has azurekms://, not wired here).
var KMSSchemes = []string{"awskms://", "gcpkms://", "hashivault://"}

// IsKMSRef reports whether ref names a KMS key rather than a file.
func IsKMSRef(ref string) bool {
	for _, s := range KMSSchemes {
		if strings.HasPrefix(ref, s) {
			return true
		}
	}
	return false
}

// LoadKMSKey opens a KMS key through sigstore's KMS providers, as cosign
// does. Only providers whose packages the program imports are available
// (cmd/fnscan imports the AWS, GCP and HashiCorp Vault ones); their
// credentials come from the environment, as for cosign. This reaches the
// network: it is opt-in by the reference itself.
func LoadKMSKey(ctx context.Context, ref string) (*Key, error) {
	sv, err := kms.Get(ctx, ref, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("KMS key %s: %w (providers: %s)", ref, err, strings.Join(kms.SupportedProviders(), ", "))
	}
	// The public key first: CryptoSigner hides a failure to fetch it.
	if _, err := sv.PublicKey(options.WithContext(ctx)); err != nil {
		return nil, fmt.Errorf("KMS key %s: reading its public key: %w", ref, err)
	}
	cs, _, err := sv.CryptoSigner(ctx, func(error) {})
	if err != nil {
		return nil, fmt.Errorf("KMS key %s: %w", ref, err)
	}
	if cs.Public() == nil {
		return nil, fmt.Errorf("KMS key %s: no public key", ref)
	}
	k, err := NewKey(cs)
	if err != nil {
		return nil, fmt.Errorf("KMS key %s: %w", ref, err)
	}
	return k, nil
}
