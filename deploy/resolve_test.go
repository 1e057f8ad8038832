package deploy

import (
	"strings"
	"testing"
)

func TestResolveIntrinsics(t *testing.T) {
	tmpl := `
Parameters:
  Env: {Type: String, Default: prod}
  Secret: {Type: String}
  Zones: {Type: CommaDelimitedList, Default: "a,b"}
Mappings:
  Sizes: {prod: {mem: "1024"}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsSecret: !Equals [!Ref Secret, x]
Resources:
  R:
    Type: AWS::Lambda::Function
    Properties:
      A: !Sub "orders-${Env}-${AWS::Region}"
      B: !Sub ["${x}-${Env}", {x: !Ref Secret}]
      C: !Join ["-", [a, !Ref Env]]
      D: !If [IsProd, big, small]
      E: !If [IsSecret, big, small]
      F: !FindInMap [Sizes, !Ref Env, mem]
      G: !Select [1, !Ref Zones]
      H: !GetAtt Table.Arn
      I: !Ref AWS::NoValue
      J: {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"}
      K: !ImportValue shared-vpc
`
	root, err := parseYAMLTree([]byte(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	r := newResolver(root)
	p := r.resolve(root.path("Resources", "R", "Properties"))
	for _, tc := range []struct {
		key   string
		state ValueState
		text  string
	}{
		{"A", Known, "orders-prod-${AWS::Region}"},
		{"B", Unknown, "!Sub ${x}-prod"},
		{"C", Known, "a-prod"},
		{"D", Known, "big"},
		{"E", Unknown, "!If IsSecret"},
		{"F", Known, "1024"},
		{"G", Known, "b"},
		{"H", Unknown, "!GetAtt Table.Arn"},
		{"I", Absent, ""},
		{"J", Unknown, "!Sub arn:${AWS::Partition}:s3:::${Bucket}/*"},
		{"K", Unknown, "!ImportValue"},
	} {
		v := p.get(tc.key).value()
		if v.State != tc.state || (tc.text != "" && v.Text != tc.text) {
			t.Errorf("%s = %+v, want state %d text %q", tc.key, v, tc.state, tc.text)
		}
	}
	if ref := p.get("H").ref; ref != "Table" {
		t.Errorf("GetAtt ref = %q", ref)
	}
	if ref := p.get("J").ref; ref != "Bucket" {
		t.Errorf("Sub ref = %q", ref)
	}
}

// TestUnknownNeverStar: a policy whose action and resource are unresolved
// gives no IAM finding; the same policy with literals does.
func TestUnknownNeverStar(t *testing.T) {
	src := func(action, resource string) string {
		return `Transform: AWS::Serverless-2016-10-31
Parameters:
  P: {Type: String}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      CodeUri: src/
      Policies:
        - Statement:
            - Effect: Allow
              Action: ` + action + `
              Resource: ` + resource + "\n"
	}
	count := func(s string) int {
		m, err := ParseFile("t.yaml", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range CheckAt(m, judgeAt) {
			if strings.HasPrefix(f.RuleID, "FNS-CFG-00") {
				n++
			}
		}
		return n
	}
	if n := count(src(`"*"`, `"*"`)); n == 0 {
		t.Error("literal * gave no IAM finding")
	}
	if n := count(src(`!Ref P`, `!Ref P`)); n != 0 {
		t.Errorf("unresolved action and resource gave %d IAM findings", n)
	}
	if n := count(src(`s3:PutObject`, `!GetAtt Bucket.Arn`)); n != 0 {
		t.Errorf("a write on an unresolved resource gave %d IAM findings", n)
	}
}

func TestSAMGlobalsMerge(t *testing.T) {
	m, err := ParseFile("g.yaml", []byte(`Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.8
    Layers: [arn:aws:lambda:us-east-1:111111111111:layer:a:1]
    Environment: {Variables: {A: "1"}}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Layers: [arn:aws:lambda:us-east-1:111111111111:layer:b:1]
      Environment: {Variables: {B: "2"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	f := m.Functions[0]
	if f.Runtime.Text != "python3.13" || len(f.Layers) != 2 || len(f.Env) != 2 {
		t.Errorf("globals not merged as SAM does: runtime %q, %d layers, %d variables", f.Runtime.Text, len(f.Layers), len(f.Env))
	}
}

func TestParseFileNotConfig(t *testing.T) {
	for name, data := range map[string]string{
		"package.json": `{"name": "x"}`,
		"docker.yml":   "services: {web: {image: nginx}}",
		"README.md":    "# hi",
		"values.yaml":  "replicas: 2",
	} {
		m, err := ParseFile(name, []byte(data))
		if m != nil || err != nil {
			t.Errorf("ParseFile(%s) = %v, %v; want nil, nil", name, m, err)
		}
	}
	_, err := ParseFile("infra/bad.tf", []byte(`resource "aws_lambda_function" "x" {`))
	if err == nil || !strings.Contains(err.Error(), "infra/bad.tf") {
		t.Errorf("error should name the file: %v", err)
	}
	_, err = ParseFile("template.yaml", []byte("Transform: AWS::Serverless-2016-10-31\nResources: [\n"))
	if err == nil || !strings.Contains(err.Error(), "template.yaml") {
		t.Errorf("error should name the file: %v", err)
	}
}
