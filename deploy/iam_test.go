package deploy

import (
	"slices"
	"strings"
	"testing"
)

func checkText(t *testing.T, file, src string) []Finding {
	t.Helper()
	m, err := ParseFile(file, []byte(src))
	if err != nil || m == nil {
		t.Fatalf("ParseFile(%s): %v, %v", file, m, err)
	}
	return CheckAt(m, judgeAt)
}

// findings lists "rule resource evidence" of the IAM rules, one a line.
func iamFindings(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		if strings.HasPrefix(f.RuleID, "FNS-CFG-00") {
			b.WriteString(f.RuleID + " " + f.Resource + " " + f.Evidence + "\n")
		}
	}
	return b.String()
}

// Actions that take no narrower resource than "*" (metrics, traces, a VPC
// function's network interfaces) are not unscoped writes on "*", in a SAM
// policy template, an explicit statement or a managed policy alike; real
// writes on "*" beside them still are.
func TestStarOnlyActionsNotUnscoped(t *testing.T) {
	fs := checkText(t, "template.yaml", `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Policies:
        - CloudWatchPutMetricPolicy: {}
        - VPCAccessPolicy: {}
        - AWSLambdaVPCAccessExecutionRole
        - arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess
        - Statement:
            - Effect: Allow
              Action: [xray:PutTraceSegments, xray:PutTelemetryRecords, ec2:AssignPrivateIpAddresses]
              Resource: '*'
  Wide:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Policies:
        - Statement:
            - Effect: Allow
              Action: [xray:PutTraceSegments, s3:PutObject]
              Resource: '*'
            - Effect: Allow
              Action: dynamodb:*
              Resource: '*'
`)
	got := iamFindings(fs)
	want := "FNS-CFG-003 Wide s3:PutObject on * (inline policy)\n" +
		"FNS-CFG-002 Wide dynamodb:* on * (inline policy)\n"
	if got != want {
		t.Errorf("IAM findings:\n%s\nwant:\n%s", got, want)
	}
}

// A grant under Fn::If on a condition decided at deploy counts with
// either branch (AWS::NoValue grants nothing), as runtimes do: a managed
// policy, a statement, a role's ManagedPolicyArns, a URL's AuthType and a
// permission's Principal. A condition over a parameter with a default is
// decided by the default.
func TestFnIfEitherBranch(t *testing.T) {
	fs := checkText(t, "template.yaml", `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    AllowedValues: [dev, prod]
  EnablePublic:
    Type: String
    Default: 'false'
Conditions:
  IsDev: !Equals [!Ref Stage, dev]
  Public: !Equals [!Ref EnablePublic, 'true']
Resources:
  AdminIfFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Policies:
        - !If [IsDev, AdministratorAccess, !Ref AWS::NoValue]
  StmtIfFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Policies:
        - Statement:
            - !If
              - IsDev
              - {Effect: Allow, Action: '*', Resource: '*'}
              - !Ref AWS::NoValue
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      ManagedPolicyArns:
        - !If [IsDev, !Sub 'arn:${AWS::Partition}:iam::aws:policy/AmazonS3FullAccess', !Ref AWS::NoValue]
  RoleFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
  DevUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !Ref RoleFn
      AuthType: !If [IsDev, NONE, AWS_IAM]
  DevPerm:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref RoleFn
      Action: lambda:InvokeFunction
      Principal: !If [IsDev, '*', apigateway.amazonaws.com]
  DefaultPrivateUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: arn:aws:lambda:us-east-1:123456789012:function:other
      AuthType: !If [Public, NONE, AWS_IAM]
`)
	var got []string
	for _, f := range fs {
		switch f.RuleID {
		case ruleAdminPolicy, ruleAdminAction, ruleServiceWildcard, ruleURLNoAuth, rulePublicInvoke, ruleServiceNoSource:
			got = append(got, f.RuleID+" "+f.Resource+" "+f.Evidence)
		}
	}
	want := []string{
		ruleAdminPolicy + " AdminIfFn managed policy AdministratorAccess",
		ruleAdminAction + ` StmtIfFn Action "*" on * (inline policy)`,
		ruleServiceWildcard + " RoleFn s3:*, s3-object-lambda:* on * (managed policy AmazonS3FullAccess)",
		ruleURLNoAuth + " RoleFn function URL AuthType NONE where !If IsDev chooses it",
		rulePublicInvoke + ` DevPerm Principal "*" where !If IsDev chooses it may call lambda:InvokeFunction`,
		ruleServiceNoSource + " DevPerm Principal apigateway.amazonaws.com where !If IsDev chooses it without SourceArn or SourceAccount",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A Terraform policy with interpolations is judged on its literal text:
// a heredoc or JSON string no longer drops whole, an interpolation
// outside a JSON string is a value, and in an ARN each ${...} is opaque
// as CloudFormation's ${AWS::Partition} is: the partition varies, the
// rest of the ARN decides (every bucket, AdministratorAccess).
func TestTerraformInterpolatedPolicies(t *testing.T) {
	fs := checkText(t, "main.tf", `data "aws_partition" "current" {}

resource "aws_s3_bucket" "b" {
  bucket = "my-bucket"
}

resource "aws_iam_role" "fn" {
  name               = "fn-role"
  assume_role_policy = "{}"
  inline_policy {
    name   = "json-string"
    policy = "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"sqs:*\", \"Resource\": \"arn:${data.aws_partition.current.partition}:sqs:*:*:${var.queue}\"}]}"
  }
}

resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.fn.id
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "${aws_s3_bucket.b.arn}/*"},
    {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": ${jsonencode(var.arns)}},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/$${aws:username}/*"},
    {"Effect": "Allow", "Action": "*", "Resource": "*"}
  ]
}
EOF
}

resource "aws_iam_role_policy" "enc" {
  role = aws_iam_role.fn.id
  policy = jsonencode({
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:PutObject"]
      Resource = "arn:${data.aws_partition.current.partition}:s3:::*"
    }, {
      Effect   = "Allow"
      Action   = ["dynamodb:PutItem"]
      Resource = "arn:aws:dynamodb:${var.region}:${var.account}:${var.kind}/*"
    }]
  })
}

data "aws_iam_policy_document" "doc" {
  statement {
    actions   = ["sns:Publish"]
    resources = ["arn:${data.aws_partition.current.partition}:sns:${var.region}:${var.account}:*"]
  }
}

resource "aws_iam_role_policy" "doc" {
  role   = aws_iam_role.fn.id
  policy = data.aws_iam_policy_document.doc.json
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.fn.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AdministratorAccess"
}

resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = aws_iam_role.fn.arn
  handler       = "index.handler"
  runtime       = "python3.12"
  filename      = "fn.zip"
}
`)
	want := "FNS-CFG-002 aws_lambda_function.fn sqs:* on arn:${data.aws_partition.current.partition}:sqs:*:*:${var.queue} (inline policy json-string)\n" +
		"FNS-CFG-001 aws_lambda_function.fn Action \"*\" on * (inline policy aws_iam_role_policy.p)\n" +
		"FNS-CFG-003 aws_lambda_function.fn s3:PutObject on arn:${data.aws_partition.current.partition}:s3:::* (inline policy aws_iam_role_policy.enc)\n" +
		"FNS-CFG-003 aws_lambda_function.fn sns:Publish on arn:${data.aws_partition.current.partition}:sns:${var.region}:${var.account}:* (inline policy aws_iam_role_policy.doc)\n" +
		"FNS-CFG-005 aws_lambda_function.fn managed policy AdministratorAccess\n"
	if got := iamFindings(fs); got != want {
		t.Errorf("IAM findings:\n%s\nwant:\n%s", got, want)
	}
}

// Policy resources attach to the role SAM generates for a function
// (logical id <function>Role) and to a role named by its literal RoleName.
func TestPolicyResourcesAttachByGeneratedRoleAndName(t *testing.T) {
	fs := checkText(t, "template.yaml", `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
  FnExtraPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref FnRole]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: '*'
            Resource: '*'
  FnRolePolicy:
    Type: AWS::IAM::RolePolicy
    Properties:
      PolicyName: more
      RoleName: !Ref FnRole
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: s3:*
            Resource: '*'
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: my-fn-role
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
  ExtraPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [my-fn-role]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: '*'
            Resource: '*'
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
`)
	want := "FNS-CFG-001 Fn Action \"*\" on * (inline policy FnExtraPolicy)\n" +
		"FNS-CFG-002 Fn s3:* on * (inline policy FnRolePolicy)\n" +
		"FNS-CFG-001 Plain Action \"*\" on * (inline policy ExtraPolicy)\n"
	if got := iamFindings(fs); got != want {
		t.Errorf("IAM findings:\n%s\nwant:\n%s", got, want)
	}
}

// A Terraform policy document merges its source_policy_documents and
// override_policy_documents (a statement of the same Sid replaced), and
// aws_iam_policy_attachment and aws_iam_role_policy_attachments_exclusive
// attach to a role as aws_iam_role_policy_attachment does.
func TestTerraformMergedDocumentsAndAttachments(t *testing.T) {
	fs := checkText(t, "main.tf", `
data "aws_iam_policy_document" "base" {
  statement {
    actions   = ["s3:*"]
    resources = ["*"]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:*"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "combined" {
  source_policy_documents = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [<<JSON
{"Statement": [
  {"Sid": "Tables", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/t"},
  {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
]}
JSON
  ]
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*"]
  }
  statement {
    sid       = "Tables"
    actions   = ["dynamodb:*"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "fn" {
  name               = "fn-role"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.fn.id
  policy = data.aws_iam_policy_document.combined.json
}

resource "aws_iam_policy_attachment" "admin" {
  name       = "admin"
  roles      = [aws_iam_role.fn.name]
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_role_policy_attachments_exclusive" "x" {
  role_name   = "fn-role"
  policy_arns = ["arn:aws:iam::aws:policy/PowerUserAccess"]
}

resource "aws_iam_policy_attachment" "other" {
  name       = "other"
  roles      = ["someone-else"]
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = aws_iam_role.fn.arn
  handler       = "index.handler"
  runtime       = "python3.12"
  filename      = "fn.zip"
}
`)
	got := iamFindings(fs)
	for _, want := range []string{
		"FNS-CFG-002 aws_lambda_function.fn s3:* on * (inline policy aws_iam_role_policy.p)",
		"FNS-CFG-004 aws_lambda_function.fn iam:PassRole on * (inline policy aws_iam_role_policy.p)",
		"FNS-CFG-005 aws_lambda_function.fn managed policy AdministratorAccess",
		"FNS-CFG-005 aws_lambda_function.fn managed policy PowerUserAccess",
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	// The source's logs:* and the document's dynamodb:* are replaced by
	// statements of their Sid.
	for _, not := range []string{"logs:*", "dynamodb:*"} {
		if strings.Contains(got, not) {
			t.Errorf("%s replaced by its Sid still reported:\n%s", not, got)
		}
	}
	if n := strings.Count(got, "AdministratorAccess"); n != 1 {
		t.Errorf("AdministratorAccess %d times (the other role's attachment counted?):\n%s", n, got)
	}
}
