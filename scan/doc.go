// Package scan is fnscan's pipeline as a library: one entry point, Run,
// takes a validated Config and returns one result.Result. It composes the
// stages in data-flow order — open the target (artifact providers), catalog
// (sbom), match (vuln), find secrets (secrets), apply the policy (policy) —
// and reports progress and warnings through one Handler.
//
// Only cmd/fnscan and aws/ import it; it imports every stage.
package scan
