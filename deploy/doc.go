// Package deploy judges the deployment configuration that ships beside a
// function's code: SAM/CloudFormation templates, serverless.yml, Terraform
// and a deployed function's configuration from the Lambda API. Its one job
// is to read them into a typed model (functions with runtime, environment,
// role and policies, permissions, URL, layers, code signing, KMS key,
// tracing and log retention; APIs with routes and stages), every element
// with its file and line, and to check that model against the FNS-CFG
// rules (Rules), giving Findings.
//
// Intrinsic functions are resolved where the template decides them and
// are otherwise explicit Unknown values, which no rule reads as "*" or as
// safe. SAM policy templates are expanded from aws-sam-translator's own
// table (samdata/), AWS managed policies from a reduced table.
//
// The API: ParseFile, ParseDeployed, Check (CheckAt for a fixed date) and
// Rules. Output order is deterministic. Evidence never holds a secret in
// full: environment values are redacted by package secrets.
//
// Allowed fnscan imports: artifact, secrets. Not sbom, vuln, policy,
// report, scan or cmd: those consume deploy's Findings.
package deploy
