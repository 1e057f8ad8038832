package aws_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/aws/fakelambda"
	"github.com/fnscan/fnscan/result"
)

const allowAll = `{"Version": "2012-10-17", "Statement": [{"Sid": "all of it", "Effect": "Allow", "Action": "*", "Resource": "*"}]}`

func ruleIDs(ms []result.Misconfiguration) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.RuleID)
	}
	return out
}

// The execution role's policies are read from IAM, once per role, and
// judged by the IAM rules: inline, customer managed (default version) and
// AWS managed by name. A role that cannot be read is a warning, not an
// error of the function.
func TestFleetRolePolicies(t *testing.T) {
	s := fakelambda.New()
	defer s.Close()
	s.AddRole(fakelambda.Role{Name: "inline-admin", Inline: map[string]string{"star": allowAll}})
	custom := s.AddManagedPolicy("everything", allowAll)
	s.AddRole(fakelambda.Role{Name: "attached-admin", Attached: []string{custom, "arn:aws:iam::aws:policy/AdministratorAccess"}})
	s.AddRole(fakelambda.Role{Name: "basic", Attached: []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}})
	s.AddRole(fakelambda.Role{Name: "secret", Denied: true})
	add := func(name, role string) {
		s.AddFunction(fakelambda.Function{Name: name, Role: role, Runtime: "nodejs24.x", Handler: "index.handler", Zip: fnZip(t, len(name))})
	}
	add("a-inline-1", "inline-admin")
	add("a-inline-2", "inline-admin")
	add("a-inline-3", "inline-admin")
	add("b-attached", "attached-admin")
	add("c-basic", "basic")
	add("d-denied", "secret")
	add("e-foreign", "arn:aws:iam::210987654321:role/inline-admin") // not the scanner's inline-admin
	cfg := fleetConfig(t, s)
	cfg.Scan.Catalog, cfg.Scan.Vulns = false, false
	cfg.Concurrency = 3
	rep, err := aws.RunFleet(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	fns := map[string]aws.FunctionResult{}
	for _, f := range rep.Functions {
		if f.Result == nil {
			t.Fatalf("%s: %s", f.Name, f.Error)
		}
		fns[f.Name] = f
	}
	for name, want := range map[string][]string{
		"a-inline-1": {"FNS-CFG-001"},
		"a-inline-3": {"FNS-CFG-001"},
		"b-attached": {"FNS-CFG-001", "FNS-CFG-005"},
	} {
		f := fns[name]
		got := ruleIDs(f.Result.Misconfigurations)
		for _, id := range want {
			if !slices.Contains(got, id) {
				t.Errorf("%s: rules %v, want %s", name, got, id)
			}
		}
		if f.Verdict != aws.VerdictFail {
			t.Errorf("%s: verdict %s", name, f.Verdict)
		}
	}
	// Findings name the policy as IAM does, not by its place in a list.
	named := false
	for _, m := range fns["a-inline-1"].Result.Misconfigurations {
		named = named || strings.Contains(m.Evidence+" "+m.Title+" "+m.Resource, "role policy star")
	}
	if !named {
		t.Errorf("no finding names the inline policy star: %+v", fns["a-inline-1"].Result.Misconfigurations)
	}
	for _, name := range []string{"c-basic", "d-denied", "e-foreign"} {
		if got := ruleIDs(fns[name].Result.Misconfigurations); slices.ContainsFunc(got, func(id string) bool { return id <= "FNS-CFG-006" }) {
			t.Errorf("%s: IAM rules %v", name, got)
		}
	}
	if n, m := s.Calls("GetRole"), s.Calls("ListRolePolicies"); n != 5 || m != 3 {
		t.Errorf("GetRole called %d times for 5 roles, ListRolePolicies %d times for the 3 readable", n, m)
	}
	for name, want := range map[string]string{
		"d-denied":  "execution role policies (arn:aws:iam::123456789012:role/secret) not checked: role: GetRole: AccessDenied (HTTP 403)",
		"e-foreign": "execution role policies (arn:aws:iam::210987654321:role/inline-admin) not checked: the role is in another account",
	} {
		var warned []string
		for _, x := range fns[name].Result.Warnings {
			warned = append(warned, x.Message)
		}
		if len(warned) != 1 || !strings.HasPrefix(warned[0], want) {
			t.Errorf("%s: warnings %q, want %q", name, warned, want)
		}
	}
	if len(fns["c-basic"].Result.Warnings) != 0 {
		t.Errorf("c-basic warnings %v", fns["c-basic"].Result.Warnings)
	}
}
