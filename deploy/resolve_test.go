package deploy

import (
	"slices"
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

// A FindInMap key decided at deploy (the region, a parameter without
// default) may give any value of its level: each is judged, like Fn::If's
// branches; a missing key gives the DefaultValue.
func TestFindInMapEitherValue(t *testing.T) {
	fs := checkText(t, "template.yaml", `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::LanguageExtensions
Parameters:
  Tier: {Type: String}
Mappings:
  RegionRuntime:
    us-east-1: {rt: nodejs14.x}
    eu-west-1: {rt: python3.12}
  TierPolicy:
    gold: {arn: arn:aws:iam::aws:policy/AdministratorAccess}
    free: {arn: arn:aws:iam::aws:policy/ReadOnlyAccess}
  TierAuth:
    gold: {auth: AWS_IAM}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      ManagedPolicyArns:
        - !FindInMap [TierPolicy, !Ref Tier, arn]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: x}
      Runtime: !FindInMap [RegionRuntime, !Ref 'AWS::Region', rt]
  Url:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt Fn.Arn
      AuthType: !FindInMap [TierAuth, !Ref Tier, auth, {DefaultValue: NONE}]
  Fixed:
    Type: AWS::Lambda::Function
    Properties:
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: x}
      Runtime: !FindInMap [RegionRuntime, us-east-1, rt]
`)
	var got []string
	for _, f := range fs {
		switch f.RuleID {
		case "FNS-CFG-031", "FNS-CFG-005", "FNS-CFG-012":
			got = append(got, f.RuleID+" "+f.Resource+" "+f.Evidence)
		}
	}
	want := []string{
		"FNS-CFG-005 Fn managed policy AdministratorAccess",
		"FNS-CFG-005 Fixed managed policy AdministratorAccess",
		"FNS-CFG-031 Fn runtime nodejs14.x where !FindInMap RegionRuntime.${AWS::Region}.rt chooses it, deprecated since 2023-12-04",
		"FNS-CFG-031 Fixed runtime nodejs14.x, deprecated since 2023-12-04",
		"FNS-CFG-012 Fn function URL AuthType NONE where !FindInMap TierAuth.${!Ref Tier (parameter without default)}.auth chooses it",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
