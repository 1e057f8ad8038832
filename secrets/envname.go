package secrets

// Exported views of the deployment-config heuristics, for the deploy
// package, which judges the same environment variables as part of a
// function's configuration. Neither returns a secret in full.

// EnvSecret reports whether the environment variable name=value holds a
// literal secret (a secret-looking name with a value that is not a
// reference, placeholder, number or example), and returns the redacted
// secret, e.g. "hunt…(12 chars)".
func EnvSecret(name, value string) (redacted string, ok bool) {
	s, ok := configSecret(envVar{name: name, value: value, literal: true})
	if !ok {
		return "", false
	}
	return redact(s), true
}

// SecretName reports whether a variable name says it holds a secret
// (DB_PASSWORD, apiKey, JWT_SECRET). Connection strings (DATABASE_URL)
// are not: only their value can tell (see EnvSecret).
func SecretName(name string) bool {
	return nameKind(name) == nameSecret
}

// EnvReference reports whether a variable's value only says where a secret
// is kept for the function to fetch (a Secrets Manager, SSM or KMS ARN, an
// SSM path), so the environment holds no secret to encrypt. A dynamic
// reference ({{resolve:...}}, ${ssm:...}) is not one: it is resolved at
// deploy, and the environment holds the secret itself.
func EnvReference(value string) bool {
	return fetchedRefRe.MatchString(value) || ssmPathRe.MatchString(value)
}
