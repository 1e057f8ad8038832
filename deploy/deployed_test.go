package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "deployed", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeployedMatchesTemplate: the deployed configuration of a function
// (GetFunction, GetPolicy, GetFunctionUrlConfig,
// GetFunctionCodeSigningConfig and its role's policy) is judged by the
// same rules as its template (acceptance 4).
func TestDeployedMatchesTemplate(t *testing.T) {
	tmpl := checkFile(t, filepath.Join("testdata", "deployed", "template.yaml"))
	m, err := ParseDeployed(readFixture(t, "get-function.json"), DeployedExtras{
		Policy:       string(readFixture(t, "policy.json")),
		URLConfig:    readFixture(t, "url-config.json"),
		CodeSigning:  readFixture(t, "code-signing.json"),
		RolePolicies: []string{string(readFixture(t, "role-policy.json"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	dep := CheckAt(m, judgeAt)
	ids := func(fs []Finding, skip ...string) []string {
		var out []string
		for _, f := range fs {
			if !slices.Contains(skip, f.RuleID) && !slices.Contains(out, f.RuleID) {
				out = append(out, f.RuleID)
			}
		}
		slices.Sort(out)
		return out
	}
	// The log group's retention is not in a function's configuration.
	want := ids(tmpl, ruleNoRetention)
	got := ids(dep)
	if !slices.Equal(got, want) {
		t.Fatalf("deployed rules %v, template rules %v", got, want)
	}
	for _, id := range []string{ruleDeprecated, ruleEnvSecret, ruleEnvNoKMS, ruleForeignLayer, ruleURLNoAuth, ruleURLCorsAny,
		ruleServiceNoSource, ruleNoCodeSigning, ruleNoTracing, ruleWriteOnAll} {
		if !slices.Contains(got, id) {
			t.Errorf("%s missing from the deployed findings %v", id, got)
		}
	}
	for _, f := range dep {
		if f.File != "lambda:reports" || f.Resource == "" || f.Line <= 0 {
			t.Errorf("badly located finding: %+v", f)
		}
		if strings.Contains(f.Evidence, "q8Zr-Pw9x-Lk2m-Vb7n") {
			t.Errorf("evidence leaks the secret: %q", f.Evidence)
		}
		if f.RuleID == rulePublicInvoke {
			t.Errorf("the function URL's own public permission is reported by %s, not %s: %+v", ruleURLNoAuth, rulePublicInvoke, f)
		}
	}
}

// TestDeployedUnfetched: without the extra responses, the rules that need
// them stay silent rather than guessing.
func TestDeployedUnfetched(t *testing.T) {
	m, err := ParseDeployed(readFixture(t, "get-function.json"), DeployedExtras{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range CheckAt(m, judgeAt) {
		switch f.RuleID {
		case ruleNoCodeSigning, ruleURLNoAuth, ruleServiceNoSource, ruleWriteOnAll, ruleNoRetention:
			t.Errorf("%s fired without the response it needs: %s", f.RuleID, f.Evidence)
		}
	}
	// ParseFile recognises a saved GetFunction response.
	m2, err := ParseFile("get-function.json", readFixture(t, "get-function.json"))
	if err != nil || m2 == nil || len(m2.Functions) != 1 || m2.Functions[0].Runtime.Text != "python3.8" {
		t.Fatalf("ParseFile(get-function.json) = %+v, %v", m2, err)
	}
	if _, err := ParseDeployed([]byte(`{"Code": {}}`), DeployedExtras{}); err == nil {
		t.Error("a response without FunctionName must be an error")
	}
}
