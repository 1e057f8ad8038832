package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The differential oracle: aws-sam-translator itself expands every SAM
// policy template (offline: a region in the environment and a stub
// managed-policy loader), and fnscan's expansion must grant the same
// actions on the same resources (acceptance 2).
const samOracle = `
import json, os, sys
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
from samtranslator.translator.transform import transform

class StubLoader:
    def load(self):
        return {}

req = json.load(sys.stdin)
resources = {}
ids = {}
for i, (name, params) in enumerate(sorted(req.items())):
    lid = "Fn%d" % i
    ids[lid] = name
    resources[lid] = {"Type": "AWS::Serverless::Function", "Properties": {
        "Runtime": "python3.12", "Handler": "app.handler", "CodeUri": "s3://bucket/key",
        "Policies": [{name: params}]}}
out = transform({"Transform": "AWS::Serverless-2016-10-31", "Resources": resources}, {}, StubLoader())

def sub(v):
    if isinstance(v, str):
        return v
    if isinstance(v, dict) and "Fn::Sub" in v:
        a = v["Fn::Sub"]
        if isinstance(a, str):
            return a
        s, vs = a
        for k, x in vs.items():
            s = s.replace("${%s}" % k, sub(x))
        return s
    if isinstance(v, dict) and "Ref" in v:
        return "${%s}" % v["Ref"]
    return json.dumps(v, sort_keys=True)

def lst(v):
    return v if isinstance(v, list) else [v]

res = {}
for lid, name in ids.items():
    stmts = []
    for pol in out["Resources"][lid + "Role"]["Properties"].get("Policies", []):
        for st in lst(pol["PolicyDocument"]["Statement"]):
            stmts.append({"effect": st["Effect"], "actions": lst(st["Action"]),
                          "resources": [sub(r) for r in lst(st["Resource"])],
                          "condition": sorted(k for op in st.get("Condition", {}).values() for k in op)})
    res[name] = stmts
json.dump(res, sys.stdout, indent=1, sort_keys=True)
`

type oracleStmt struct {
	Effect    string   `json:"effect"`
	Actions   []string `json:"actions"`
	Resources []string `json:"resources"`
	Condition []string `json:"condition"`
}

func TestSAMPolicyTemplatesAgainstTranslator(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: the aws-sam-translator differential test needs it")
	}
	if err := exec.Command(py, "-c", "import samtranslator").Run(); err != nil {
		t.Skip("python module samtranslator (aws-sam-translator) not installed: differential test skipped")
	}
	// Each parameter gets a distinct literal value.
	req := map[string]map[string]string{}
	names := SAMPolicyTemplates()
	for _, name := range names {
		params := map[string]string{}
		if ps := samTemplate(name).get("Parameters"); ps != nil {
			for _, k := range ps.keys {
				params[k] = "p-" + strings.ToLower(k)
			}
		}
		req[name] = params
	}
	body, _ := json.Marshal(req)
	script := filepath.Join(t.TempDir(), "oracle.py")
	if err := os.WriteFile(script, []byte(samOracle), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script)
	cmd.Stdin = bytes.NewReader(body)
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws-sam-translator oracle failed: %v\n%s", err, stderr.String())
	}
	var want map[string][]oracleStmt
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(names) || len(names) < 80 {
		t.Fatalf("oracle expanded %d templates, fnscan knows %d", len(want), len(names))
	}
	for _, name := range names {
		params := &node{kind: nMap}
		for k, v := range req[name] {
			params.set(k, &node{kind: nScalar, str: v, line: 1})
		}
		p := expandTemplate(name, params, 1)
		if !p.Expanded {
			t.Errorf("%s: not expanded", name)
			continue
		}
		var got []oracleStmt
		for _, st := range p.Statements {
			o := oracleStmt{Effect: st.Effect.Text, Condition: st.Condition}
			if o.Condition == nil {
				o.Condition = []string{}
			}
			for _, a := range st.Actions {
				if !a.IsKnown() {
					t.Errorf("%s: unresolved action %q", name, a.Text)
				}
				o.Actions = append(o.Actions, a.Text)
			}
			for _, r := range st.Resources {
				if !r.IsKnown() {
					t.Errorf("%s: unresolved resource %q", name, r.Text)
				}
				o.Resources = append(o.Resources, r.Text)
			}
			got = append(got, o)
		}
		for i := range want[name] {
			if want[name][i].Condition == nil {
				want[name][i].Condition = []string{}
			}
		}
		if !reflect.DeepEqual(got, want[name]) {
			g, _ := json.MarshalIndent(got, "", " ")
			w, _ := json.MarshalIndent(want[name], "", " ")
			t.Errorf("%s: fnscan expands to\n%s\naws-sam-translator to\n%s", name, g, w)
		}
	}
	t.Logf("%d SAM policy templates expand as aws-sam-translator expands them", len(names))
}
