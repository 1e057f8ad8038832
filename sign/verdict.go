package sign

import "time"

// Predicate types this package attests.
const (
	// PredicateCycloneDX is a CycloneDX SBOM, as `cosign attest-blob --type
	// cyclonedx` names it.
	PredicateCycloneDX = "https://cyclonedx.org/bom"
	// PredicateVerdict is fnscan's gate verdict, VerdictPredicate;
	// docs/verdict.schema.json is its schema.
	PredicateVerdict = "https://fnscan.dev/verdict/v1"
)

// PredicateTypes maps the short names the CLI accepts to predicate types.
var PredicateTypes = map[string]string{
	"cyclonedx": PredicateCycloneDX,
	"verdict":   PredicateVerdict,
}

// VerdictPredicate is what the gate decided about one artifact, signed so
// that a deploy stage can require a pass.
type VerdictPredicate struct {
	// Pass is the gate's decision: true lets the artifact deploy.
	Pass bool `json:"pass"`
	// Reasons are the policy's reasons for the decision, one line each;
	// empty for a pass without exceptions.
	Reasons []string `json:"reasons"`
	// Threshold is the --fail-on severity in force ("" when the policy
	// file decides).
	Threshold string `json:"threshold,omitempty"`
	// PolicySHA256 is the hex sha256 of the policy file's bytes, "" for the
	// built-in policy.
	PolicySHA256 string `json:"policySha256,omitempty"`
	// DB is the vulnerability database the scan used.
	DB VerdictDB `json:"db"`
	// Counts are vulnerabilities found, by severity (critical, high,
	// medium, low, unknown); severities with none may be left out.
	Counts map[string]int `json:"counts"`
	// Secrets is the number of secrets found (after the baseline).
	Secrets int `json:"secrets"`
	// FnscanVersion is the version of fnscan that decided.
	FnscanVersion string `json:"fnscanVersion"`
	// ScanTime is when the scan ran; --max-age measures from it.
	ScanTime time.Time `json:"scanTime"`
	// Target is the artifact decided on; Layers are Lambda layers scanned
	// with it, in order.
	Target VerdictTarget   `json:"target"`
	Layers []VerdictTarget `json:"layers,omitempty"`
}

// VerdictDB describes the vulnerability database snapshot.
type VerdictDB struct {
	// Snapshot is the newest modification time of any record in it.
	Snapshot time.Time `json:"snapshot"`
	// AgeSeconds is ScanTime minus Snapshot, in whole seconds.
	AgeSeconds int64 `json:"ageSeconds"`
}

// VerdictTarget names one scanned artifact by its digests.
type VerdictTarget struct {
	Name string `json:"name"`
	// SHA256 is the hex sha256 of the artifact's bytes (for an image, of
	// its manifest).
	SHA256 string `json:"sha256"`
	// CodeSHA256 is base64 of the same sha256, as AWS Lambda reports it
	// (zip packages only).
	CodeSHA256 string `json:"codeSha256,omitempty"`
}
