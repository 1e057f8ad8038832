package secrets

import (
	"os"
	"testing"

	"github.com/fnscan/fnscan/artifact"
)

// TestMain lets the test binary serve as the 7z extraction child, as the
// fnscan binary does.
func TestMain(m *testing.M) {
	if code, ok := artifact.ChildMain(os.Args); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}
