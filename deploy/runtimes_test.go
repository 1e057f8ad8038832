package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRuntimeDeprecated(t *testing.T) {
	for _, tc := range []struct {
		runtime string
		now     string
		want    bool
	}{
		{"python3.8", "2024-10-13", false},
		{"python3.8", "2024-10-14", true},
		{"nodejs8.10", "2026-12-01", true},
		{"nodejs22.x", "2026-12-01", false},
		{"python3.13", "2026-12-01", false},
		{"provided.al2023", "2026-12-01", false},
		{"unknownlang1", "2026-12-01", false},
	} {
		now, _ := time.Parse(time.DateOnly, tc.now)
		if _, got := runtimeDeprecated(tc.runtime, now); got != tc.want {
			t.Errorf("runtimeDeprecated(%s, %s) = %v, want %v", tc.runtime, tc.now, got, tc.want)
		}
	}
}

// TestRuntimesAgainstCfnLint: cfn-lint's runtime lifecycle table is a
// second opinion on every runtime it lists: the deprecation dates must
// agree.
func TestRuntimesAgainstCfnLint(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: cfn-lint comparison skipped")
	}
	out, err := exec.Command(py, "-c", "import cfnlint,os;print(os.path.dirname(cfnlint.__file__))").Output()
	if err != nil {
		t.Skip("cfn-lint not installed: comparison skipped")
	}
	data, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "data", "AdditionalSpecs", "LmbdRuntimeLifecycle.json"))
	if err != nil {
		t.Skipf("cfn-lint runtime table not found: %v", err)
	}
	var table map[string]struct {
		Deprecated string `json:"deprecated"`
	}
	if err := json.Unmarshal(data, &table); err != nil {
		t.Fatal(err)
	}
	for rt, v := range table {
		if got := deprecatedRuntimes[rt]; got != v.Deprecated {
			t.Errorf("%s: fnscan deprecates on %q, cfn-lint on %q", rt, got, v.Deprecated)
		}
	}
	t.Logf("%d runtimes agree with cfn-lint", len(table))
}
