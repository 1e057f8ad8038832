// Package secrets finds credentials in the files of an unpacked serverless
// target: a content pass with gitleaks' default rules on fnscan's own
// matching engine, plus a deployment-config pass that parses SAM,
// CloudFormation, serverless.yml, Lambda configuration JSON, Terraform and
// .env files and reports secret-named variables holding literal values.
//
// Findings carry a fingerprint and a redacted form; the raw secret never
// leaves the package.
//
// Allowed fnscan imports: artifact (types only).
package secrets
