package secrets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"unicode/utf8"
)

// fingerprint identifies a finding across runs without revealing it. The
// line is left out so that edits above a secret keep its baseline entry.
func fingerprint(ruleID, virtualPath, secret string) string {
	h := sha256.New()
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
