package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// judgeAt is the date the fixtures are judged at: runtime deprecation
// depends on it.
var judgeAt = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func checkFile(t *testing.T, path string) []Finding {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseFile(path, data)
	if err != nil {
		t.Fatalf("ParseFile(%s): %v", path, err)
	}
	if m == nil {
		t.Fatalf("ParseFile(%s): not recognised as deployment configuration", path)
	}
	return CheckAt(m, judgeAt)
}

func ruleIDs(fs []Finding) []string {
	var ids []string
	for _, f := range fs {
		if !slices.Contains(ids, f.RuleID) {
			ids = append(ids, f.RuleID)
		}
	}
	return ids
}

// TestRulesPositiveNegative: every rule fires on each of its positive
// fixtures and stays silent on each negative one (acceptance 1).
func TestRulesPositiveNegative(t *testing.T) {
	for _, r := range Rules() {
		dir := filepath.Join("testdata", "rules", r.ID)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Errorf("%s: no fixtures: %v", r.ID, err)
			continue
		}
		var pos, neg int
		for _, e := range entries {
			name := e.Name()
			path := filepath.Join(dir, name)
			if e.IsDir() {
				// A directory holds a file whose name matters (serverless.yml).
				inner, err := os.ReadDir(path)
				if err != nil || len(inner) != 1 {
					t.Errorf("%s: want one file in %s", r.ID, path)
					continue
				}
				path = filepath.Join(path, inner[0].Name())
			}
			switch {
			case strings.HasPrefix(name, "positive"):
				pos++
				t.Run(r.ID+"/"+name, func(t *testing.T) {
					fs := checkFile(t, path)
					var hit *Finding
					for i := range fs {
						if fs[i].RuleID == r.ID {
							hit = &fs[i]
							break
						}
					}
					if hit == nil {
						t.Fatalf("%s did not fire on %s; got %v", r.ID, path, ruleIDs(fs))
					}
					if hit.Line <= 0 || hit.Resource == "" || hit.Evidence == "" || hit.Severity != r.Severity || hit.Title != r.Title {
						t.Errorf("incomplete finding: %+v", *hit)
					}
				})
			case strings.HasPrefix(name, "negative"):
				neg++
				t.Run(r.ID+"/"+name, func(t *testing.T) {
					for _, f := range checkFile(t, path) {
						if f.RuleID == r.ID {
							t.Errorf("%s fired on negative %s: line %d %s: %s", r.ID, path, f.Line, f.Resource, f.Evidence)
						}
					}
				})
			}
		}
		if pos == 0 || neg == 0 {
			t.Errorf("%s: need at least one positive and one negative fixture (have %d, %d)", r.ID, pos, neg)
		}
	}
}

func TestRulesCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("duplicate rule %s", r.ID)
		}
		seen[r.ID] = true
		if !strings.HasPrefix(r.ID, "FNS-CFG-") || len(r.ID) != len("FNS-CFG-000") {
			t.Errorf("bad id %q", r.ID)
		}
		if !slices.Contains([]string{"CRITICAL", "HIGH", "MEDIUM", "LOW"}, r.Severity) {
			t.Errorf("%s: bad severity %q", r.ID, r.Severity)
		}
		if r.Title == "" || r.Remediation == "" || r.Unknown == "" {
			t.Errorf("%s: title, remediation and unknown-value note are required", r.ID)
		}
	}
}

// A runtime chosen by a condition decided at deploy is reported when either
// branch is deprecated (cfn-lint does too): Unknown is never read as safe.
func TestRuntimeUnderUnknownCondition(t *testing.T) {
	tmpl := func(a, b, stageDefault string) []byte {
		return []byte(`{"Parameters": {"Stage": {"Type": "String"` + stageDefault + `}},
"Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "app.handler", "Role": "arn:aws:iam::123456789012:role/r",
  "Code": {"ZipFile": "x"}, "Runtime": {"Fn::If": ["IsProd", "` + a + `", {"Fn::If": ["IsProd", "` + b + `", "` + b + `"]}]}}}}}`)
	}
	for _, tc := range []struct {
		a, b, stageDefault string
		want               []string
	}{
		{"python3.12", "python3.7", "", []string{"runtime python3.7 where !If IsProd chooses it"}},
		{"nodejs14.x", "python3.12", "", []string{"runtime nodejs14.x where !If IsProd chooses it"}},
		{"python3.12", "python3.13", "", nil},
		{"python3.12", "python3.7", `, "Default": "prod"`, nil}, // the condition is known: python3.12
	} {
		m, err := ParseFile("template.json", tmpl(tc.a, tc.b, tc.stageDefault))
		if err != nil || m == nil {
			t.Fatalf("%v: %v", tc, err)
		}
		var got []string
		for _, f := range CheckAt(m, judgeAt) {
			if f.RuleID == ruleDeprecated {
				got = append(got, f.Evidence[:strings.Index(f.Evidence, ",")])
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s / %s (default %q): %v, want %v", tc.a, tc.b, tc.stageDefault, got, tc.want)
		}
	}
}

// The public permission that comes with a URL without auth is the URL's
// finding; with no such URL in the template it is a finding of its own
// (found probing: it was never reported).
func TestPublicURLPermission(t *testing.T) {
	tmpl := func(url bool) []byte {
		u := ""
		if url {
			u = `, "Url": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": {"Ref": "Fn"}, "AuthType": "NONE"}}`
		}
		return []byte(`{"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "app.handler", "Runtime": "python3.12",
  "Role": "arn:aws:iam::123456789012:role/r", "Code": {"ZipFile": "x"}}},
"Perm": {"Type": "AWS::Lambda::Permission", "Properties": {"Action": "lambda:InvokeFunctionUrl", "FunctionName": {"Ref": "Fn"},
  "Principal": "*", "FunctionUrlAuthType": "NONE"}}` + u + `}}`)
	}
	// The alias pattern: URL and permission on an alias, a function
	// outside what the file defines — one finding, the URL's.
	alias := []byte(`{"Resources": {"Url": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": {"Ref": "LiveAlias"}, "AuthType": "NONE"}},
"Perm": {"Type": "AWS::Lambda::Permission", "Properties": {"Action": "lambda:InvokeFunctionUrl", "FunctionName": {"Ref": "LiveAlias"},
  "Principal": "*", "FunctionUrlAuthType": "NONE"}}}}`)
	m, err := ParseFile("template.json", alias)
	if err != nil || m == nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range CheckAt(m, judgeAt) {
		got[f.RuleID] = true
	}
	if got[rulePublicInvoke] || !got[ruleURLNoAuth] {
		t.Errorf("alias: rules %v; want the URL's finding alone", got)
	}
	for _, url := range []bool{false, true} {
		m, err := ParseFile("template.json", tmpl(url))
		if err != nil || m == nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, f := range CheckAt(m, judgeAt) {
			got[f.RuleID] = true
		}
		if got[rulePublicInvoke] == url || got[ruleURLNoAuth] != url {
			t.Errorf("url %v: rules %v; want the URL's finding or the permission's, not both", url, got)
		}
	}
}

// A secret-named variable that only points at Secrets Manager or SSM for the
// function to fetch holds nothing to encrypt: no customer-key finding for it
// (found probing). A dynamic reference is resolved into the environment.
func TestEnvReferenceNeedsNoKMS(t *testing.T) {
	for value, want := range map[string]bool{
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf": false,
		"{{resolve:secretsmanager:prod/db:SecretString:password}}":            true, // resolved at deploy: the secret is in the environment
		"/prod/orders/db-password":                                            false,
		"Xk3ldP9qWz-hunter2":                                                  true,
	} {
		m, err := ParseFile("template.json", []byte(`{"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "app.handler",
  "Runtime": "python3.12", "Role": "arn:aws:iam::123456789012:role/r", "Code": {"ZipFile": "x"},
  "Environment": {"Variables": {"DB_SECRET": "`+value+`"}}}}}}`))
		if err != nil || m == nil {
			t.Fatal(err)
		}
		got := false
		for _, f := range CheckAt(m, judgeAt) {
			got = got || f.RuleID == ruleEnvNoKMS
		}
		if got != want {
			t.Errorf("DB_SECRET=%s: customer-key finding %v, want %v", value, got, want)
		}
	}
}

// A token of a known format is a literal secret whatever its variable is
// called; the evidence holds it redacted.
func TestEnvSecretByFormat(t *testing.T) {
	fs := checkText(t, "template.yaml", `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/fn
      Code: {ZipFile: x}
      Environment:
        Variables:
          GITHUB: ghp_R2d9kX7mQ4vL8nT1pZ6sW3yB5cF0hJ2eK9aU
          TABLE: orders
`)
	var got []string
	for _, f := range fs {
		if f.RuleID == "FNS-CFG-020" || f.RuleID == "FNS-CFG-021" {
			got = append(got, f.RuleID+" "+f.Evidence)
		}
	}
	want := []string{"FNS-CFG-021 environment has GITHUB; no KmsKeyArn", "FNS-CFG-020 GITHUB = ghp_…(40 chars)"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
