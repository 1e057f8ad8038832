package deploy

import (
	"slices"
	"strings"
	"testing"
)

// serverless.yml resources are CloudFormation merged into the generated
// stack: roles named by a function's or the provider's role, policies on
// the generated role, and URLs and permissions naming a function by its
// logical id are linked to the serverless.yml functions.
func TestServerlessResources(t *testing.T) {
	fs := checkText(t, "serverless.yml", `service: demo
provider:
  name: aws
  runtime: python3.12
  iam:
    role:
      statements:
        - Effect: Allow
          Action: logs:PutLogEvents
          Resource: arn:aws:logs:*:*:log-group:/aws/lambda/demo-*
functions:
  admin:
    handler: handler.admin
    role: AdminRole
  my-api_v2:
    handler: handler.api
    role: !GetAtt ApiRole.Arn
  plain:
    handler: handler.plain
resources:
  Resources:
    AdminRole:
      Type: AWS::IAM::Role
      Properties:
        AssumeRolePolicyDocument: {}
        ManagedPolicyArns:
          - arn:aws:iam::aws:policy/AdministratorAccess
    ApiRole:
      Type: AWS::IAM::Role
      Properties:
        AssumeRolePolicyDocument: {}
        Policies:
          - PolicyName: all
            PolicyDocument:
              Statement:
                - {Effect: Allow, Action: 's3:*', Resource: !Sub 'arn:${AWS::Partition}:s3:::${self:custom.bucket}/*'}
                - {Effect: Allow, Action: 'dynamodb:*', Resource: '*'}
    ExtraOnDefault:
      Type: AWS::IAM::Policy
      Properties:
        PolicyName: extra
        Roles: [!Ref IamRoleLambdaExecution]
        PolicyDocument:
          Statement: [{Effect: Allow, Action: 'iam:PassRole', Resource: '*'}]
    AdminUrl:
      Type: AWS::Lambda::Url
      Properties:
        TargetFunctionArn: !GetAtt AdminLambdaFunction.Arn
        AuthType: NONE
    PublicInvoke:
      Type: AWS::Lambda::Permission
      Properties:
        FunctionName: !Ref MyDashapiUnderscorev2LambdaFunction
        Action: lambda:InvokeFunction
        Principal: '*'
    Raw:
      Type: AWS::Lambda::Function
      Properties:
        Runtime: nodejs14.x
        Handler: index.handler
        Role: !GetAtt AdminRole.Arn
        Code: {ZipFile: x}
`)
	var got []string
	for _, f := range fs {
		if f.Severity != "LOW" {
			got = append(got, f.RuleID+" "+f.Resource+" "+f.ResourceType+": "+f.Evidence)
		}
	}
	want := []string{
		"FNS-CFG-005 admin serverless.yml function: managed policy AdministratorAccess",
		"FNS-CFG-012 admin serverless.yml function: function URL AuthType NONE",
		"FNS-CFG-002 my-api_v2 serverless.yml function: dynamodb:* on * (inline policy all)",
		"FNS-CFG-002 my-api_v2 serverless.yml function: s3:* on (!Sub arn:${AWS::Partition}:s3:::${self:custom.bucket}/*) (inline policy all)",
		"FNS-CFG-010 PublicInvoke AWS::Lambda::Permission: Principal \"*\" may call lambda:InvokeFunction",
		"FNS-CFG-004 plain serverless.yml function: iam:PassRole on * (inline policy ExtraOnDefault)",
		"FNS-CFG-005 Raw AWS::Lambda::Function: managed policy AdministratorAccess",
		"FNS-CFG-031 Raw AWS::Lambda::Function: runtime nodejs14.x, deprecated since 2023-12-04",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestServerlessLogicalID(t *testing.T) {
	for name, want := range map[string]string{
		"admin":     "AdminLambdaFunction",
		"my-fn":     "MyDashfnLambdaFunction",
		"get_user":  "GetUnderscoreuserLambdaFunction",
		"Already":   "AlreadyLambdaFunction",
		"v2-a_b-C1": "V2DashaUnderscorebDashC1LambdaFunction",
	} {
		if got := slsLogicalID(name); got != want {
			t.Errorf("slsLogicalID(%q) = %q, want %q", name, got, want)
		}
	}
}
