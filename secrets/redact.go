package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"unicode/utf8"
)

// FingerprintKeyEnv names the environment variable holding a key for
// fingerprints. Without it a fingerprint is a plain hash, and a weak secret
// (a dictionary password) can be recovered from a published report by
// guessing; with it, fingerprints are HMACs nobody without the key can test
// guesses against. Keep the same key for a baseline to keep matching.
const FingerprintKeyEnv = "FNSCAN_FINGERPRINT_KEY"

// fingerprint identifies a finding across runs without revealing it. The
// line is left out so that edits above a secret keep its baseline entry.
func fingerprint(ruleID, virtualPath, secret string) string {
	h := sha256.New()
	if key := os.Getenv(FingerprintKeyEnv); key != "" {
		h = hmac.New(sha256.New, []byte(key))
	}
	for _, s := range []string{"fnscan-secret-v1", ruleID, virtualPath, secret} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// redact keeps at most a quarter of the secret, up to four characters, so
// a short password is not spelled out.
func redact(secret string) string {
	n := utf8.RuneCountInString(secret)
	keep := min(4, n/4)
	prefix := []rune(secret)[:keep]
	return fmt.Sprintf("%s…(%d chars)", string(prefix), n)
}
