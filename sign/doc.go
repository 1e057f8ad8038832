// Package sign proves which bytes passed the gate: it signs artifacts into
// Sigstore bundles (v0.3, messageSignature), attests SBOMs and gate verdicts
// as DSSE-wrapped in-toto statements, and verifies both offline against a
// public key, failing closed with the name of the check that failed.
//
// Keys use cosign's encrypted key format, so keys and bundles made by
// cosign work here and the other way round. Nothing here touches the
// network unless a caller opts in (a Rekor URL, keyless signing).
//
// It is the last stage of the pipeline: it may use artifact and sbom for
// types, and must not import scan, report or cmd. Its exported API uses
// only standard-library and fnscan types; sigstore-go stays inside.
package sign
