// Package secrets finds credentials in the files of an unpacked serverless
// target: a content pass with gitleaks' default rules on fnscan's own
// matching engine, plus a deployment-config pass that parses SAM,
// CloudFormation, serverless.yml, Lambda configuration JSON, Terraform and
// .env files and reports secret-named variables holding literal values.
// A Redactor runs the specific rules over names (paths, symlink targets,
// warnings): what it finds is a finding and is hidden wherever it is printed.
//
// Findings carry a fingerprint and a redacted form; the raw secret never
// leaves the package.
//
// Allowed fnscan imports: artifact (types only).
package secrets
