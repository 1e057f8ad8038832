package secrets

import (
	"os"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/internal/fixture"
)

// logFindings prints findings without secrets (Finding holds none).
func logFindings(t *testing.T, fs []Finding) {
	t.Helper()
	for _, f := range fs {
		t.Logf("  %s:%d %s %s", f.Path, f.Line, f.RuleID, f.Redacted)
	}
}

// TestVendoredPrecision scans a real Serverless Framework Lambda package
// (OWASP DVSA order-api, 58 npm packages) and allows at most 5 findings
// in its node_modules.
func TestVendoredPrecision(t *testing.T) {
	dir := t.TempDir()
	fixture.Unzip(t, sharedData(t, "lambda/dvsa-order-api.zip"), dir)
	res := scan(t, dirFiles(t, dir, "dvsa.zip"), DefaultConfig())
	var vendored []Finding
	for _, f := range res.Findings {
		if strings.Contains(f.Path, "node_modules/") {
			vendored = append(vendored, f)
		}
	}
	t.Logf("%d findings, %d in node_modules, %d bytes scanned", len(res.Findings), len(vendored), res.BytesScanned)
	logFindings(t, res.Findings)
	if len(vendored) > 5 {
		t.Errorf("%d findings in vendored node_modules, want at most 5", len(vendored))
	}
}

// TestVendoredPrecisionNPM does the same on a node_modules tree given by
// FNSCAN_NODE_MODULES (e.g. npm install aws-sdk@2 express webpack
// typescript); it is skipped when the variable is unset.
func TestVendoredPrecisionNPM(t *testing.T) {
	root := os.Getenv("FNSCAN_NODE_MODULES")
	if root == "" {
		t.Skip("FNSCAN_NODE_MODULES not set")
	}
	res := scan(t, dirFiles(t, root, "big.zip"), DefaultConfig())
	t.Logf("%d findings, %d suppressed, %d bytes scanned", len(res.Findings), len(res.Suppressed), res.BytesScanned)
	logFindings(t, res.Findings)
	if len(res.Findings) > 5 {
		t.Errorf("%d findings in vendored code, want at most 5", len(res.Findings))
	}
}
