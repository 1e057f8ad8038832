package scan

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/policy"
	"github.com/fnscan/fnscan/vuln"
)

// DefaultPlatform is the image Run takes from a multi-platform index.
const DefaultPlatform = artifact.DefaultPlatform

// DefaultFailOn is the gate when neither the options nor a policy file set
// one: a tool whose job is the gate fails by default (--fail-on none for a
// report).
const DefaultFailOn = "high"

// Config is one scan. Start from DefaultConfig.
type Config struct {
	// Target is the spec: a path, or KIND:REF (zip:, dir:, registry:, ...).
	Target string
	// Layers are Lambda layer zips, mounted at /opt, in layer order.
	Layers []string
	Limits artifact.Limits
	// Platform picks the image of a multi-platform index ("os/arch[/variant]").
	Platform string
	// TempDir is the parent of the scan's private work dir; "" is os.TempDir().
	TempDir string

	// The stages to run. Catalog builds the SBOM; Vulns (which needs it)
	// matches it; Secrets reads every file; Deploy checks the deployment
	// configuration (templates in the target, ConfigFiles, and deployed
	// functions' configuration).
	Catalog, Vulns, Secrets, Deploy bool
	// ConfigFiles are deployment config files given apart from the target
	// (--config). With no Target, they are all Run checks.
	ConfigFiles []string

	// DB is the vulnerability database directory; Online queries the OSV
	// API at OnlineURL instead. Matcher, when set, replaces both.
	DB        string
	Online    bool
	OnlineURL string
	Matcher   vuln.Matcher

	// FailOn is the lowest failing severity (low, medium, high, critical,
	// none); "" takes the policy file's, else DefaultFailOn. Unless it is
	// none, any unsuppressed secret fails too.
	FailOn string
	// AnySecretFails fails the gate on any secret whatever the threshold
	// (`fnscan secrets`, as gitleaks does); otherwise secrets fail when a
	// threshold is set.
	AnySecretFails bool
	// PolicyFile is a policy (YAML: failOn, ignores, VEX documents); VEX
	// are more VEX documents.
	PolicyFile string
	VEX        []string
	// FailOnIncomplete fails the gate when a file or archive of the target
	// was left unscanned (by a limit, a refusal or corruption); nil takes
	// the policy file's failOnIncomplete, else false.
	FailOnIncomplete *bool
	// MaxDBAge fails the scan (an error, not a verdict) when the newest
	// record of an ecosystem the target needs is older; 0 takes the policy
	// file's maxDbAge, else no limit.
	MaxDBAge time.Duration
	// Baseline is a previous JSON report whose secret fingerprints are
	// suppressed.
	Baseline string

	// Reproducible fixes the SBOM serial number and timestamp.
	Reproducible bool
	// ToolVersion is fnscan's version, for reports.
	ToolVersion string
	// Handler receives progress and warnings; nil discards them (the
	// Result has the warnings either way).
	Handler Handler
}

// DefaultConfig is a full scan (SBOM, vulnerabilities, secrets) with the
// default limits and database.
func DefaultConfig() Config {
	return Config{
		Limits:      artifact.DefaultLimits(),
		Catalog:     true,
		Vulns:       true,
		Secrets:     true,
		Deploy:      true,
		DB:          vuln.DefaultDir(),
		OnlineURL:   vuln.DefaultAPIURL,
		ToolVersion: "dev",
	}
}

// Validate names the first option that is wrong.
func (c Config) Validate() error {
	if strings.TrimSpace(c.Target) == "" && (len(c.ConfigFiles) == 0 || c.Catalog || c.Secrets) {
		return errors.New("no target given")
	}
	if len(c.ConfigFiles) > 0 && !c.Deploy {
		return errors.New("config files given but the configuration checks (Deploy) are off")
	}
	if err := c.Limits.Validate(); err != nil {
		return err
	}
	if c.Vulns && !c.Catalog {
		return errors.New("matching vulnerabilities needs cataloging (Catalog)")
	}
	if c.Vulns && c.Matcher == nil && !c.Online && c.DB == "" {
		return errors.New("no vulnerability database: set --db or $FNSCAN_DB")
	}
	switch strings.ToUpper(c.FailOn) {
	case "", "NONE", "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL":
	default:
		return fmt.Errorf("--fail-on %q: want none, low, medium, high or critical", c.FailOn)
	}
	return nil
}

// ParseAge reads a maximum age (of the database, of an attestation):
// "30d" or a Go duration ("720h").
func ParseAge(s string) (time.Duration, error) { return policy.ParseAge(s) }
