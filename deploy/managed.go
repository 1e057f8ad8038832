package deploy

import (
	_ "embed"
	"strings"
	"sync"
)

// SAM policy templates: samdata/policy_templates.json is
// aws-sam-translator 1.110.0's samtranslator/policy_templates_data/
// policy_templates.json, unchanged (Apache-2.0, see samdata/LICENSE and
// samdata/NOTICE). Each template's Definition is a policy document with
// Ref and Fn::Sub over its Parameters; the resolver evaluates it with the
// values the function passes.

//go:embed samdata/policy_templates.json
var samTemplatesJSON []byte

var (
	samOnce      sync.Once
	samTemplates *node
)

func samTemplate(name string) *node {
	samOnce.Do(func() {
		root, err := parseYAMLTree(samTemplatesJSON)
		if err != nil {
			panic("deploy: embedded SAM policy templates: " + err.Error())
		}
		samTemplates = root.get("Templates")
	})
	return samTemplates.get(name)
}

// SAMPolicyTemplates lists the names of the SAM policy templates fnscan
// expands.
func SAMPolicyTemplates() []string {
	samTemplate("")
	return append([]string(nil), samTemplates.keys...)
}

// expandTemplate evaluates a SAM policy template with the parameters a
// function gives (already resolved). A missing parameter is Unknown.
func expandTemplate(name string, params *node, line int) *Policy {
	p := &Policy{Kind: "template", Name: name, Line: line}
	t := samTemplate(name)
	if t == nil {
		return p
	}
	r := &resolver{params: map[string]*node{}, condCache: map[string]int8{}}
	if ps := t.get("Parameters"); ps != nil {
		for _, k := range ps.keys {
			v := params.get(k)
			if v == nil {
				v = unknown("(parameter "+k+" not given)", line, "")
			}
			r.params[k] = v
		}
	}
	doc := r.resolve(t.get("Definition"))
	sts, ok := statements(doc)
	for i := range sts {
		sts[i].Line = line
	}
	p.Statements, p.Expanded = sts, ok
	return p
}

// AWS managed policies. The statements below are transcribed from the AWS
// Managed Policy Reference (docs.aws.amazon.com/aws-managed-policy/latest/
// reference/), current versions as of 2026, reduced to the statements
// fnscan's rules read: read-only and narrowly scoped statements are left
// out. A policy not in this table is not expanded (no finding from it).
type managedStmt struct {
	actions   []string
	notAction bool
	resources []string
	condition []string
}

var managedPolicies = map[string][]managedStmt{
	"AdministratorAccess": {{actions: []string{"*"}, resources: []string{"*"}}},
	"PowerUserAccess": {
		{actions: []string{"iam:*", "organizations:*", "account:*"}, notAction: true, resources: []string{"*"}},
		{actions: []string{"iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization", "account:ListRegions", "account:GetAccountInformation"}, resources: []string{"*"}},
	},
	"IAMFullAccess":      {{actions: []string{"iam:*"}, resources: []string{"*"}}},
	"AmazonS3FullAccess": {{actions: []string{"s3:*", "s3-object-lambda:*"}, resources: []string{"*"}}},
	"AmazonDynamoDBFullAccess": {
		{actions: []string{"dynamodb:*", "dax:*"}, resources: []string{"*"}},
	},
	"AWSLambda_FullAccess": {
		{actions: []string{"lambda:*"}, resources: []string{"*"}},
		{actions: []string{"iam:PassRole"}, resources: []string{"*"}, condition: []string{"iam:PassedToService"}},
	},
	"AWSLambdaFullAccess": { // deprecated; still attachable
		{actions: []string{"cloudwatch:*", "dynamodb:*", "events:*", "iot:*", "lambda:*", "logs:*", "s3:*", "iam:PassRole"}, resources: []string{"*"}},
	},
	"AmazonSESFullAccess":      {{actions: []string{"ses:*"}, resources: []string{"*"}}},
	"CloudWatchLogsFullAccess": {{actions: []string{"logs:*"}, resources: []string{"*"}}},
	"AmazonCognitoPowerUser": {
		{actions: []string{"cognito-identity:*", "cognito-idp:*", "cognito-sync:*", "iam:ListRoles", "iam:ListOpenIdConnectProviders", "iam:GetRole", "iam:ListSAMLProviders", "iam:GetSAMLProvider", "kinesis:ListStreams", "lambda:GetPolicy", "lambda:ListFunctions", "sns:GetSMSSandboxAccountStatus", "sns:ListPlatformApplications", "ses:ListIdentities", "ses:GetIdentityVerificationAttributes", "mobiletargeting:GetApp", "acm:ListCertificates"}, resources: []string{"*"}},
		{actions: []string{"iam:CreateServiceLinkedRole"}, resources: []string{"*"}, condition: []string{"iam:AWSServiceName"}},
	},
	"AWSLambdaRole":                 {{actions: []string{"lambda:InvokeFunction"}, resources: []string{"*"}}},
	"AWSLambdaExecute":              {{actions: []string{"logs:*"}, resources: []string{"arn:aws:logs:*:*:*"}}, {actions: []string{"s3:GetObject", "s3:PutObject"}, resources: []string{"arn:aws:s3:::*"}}},
	"AmazonSQSFullAccess":           {{actions: []string{"sqs:*"}, resources: []string{"*"}}},
	"AmazonSNSFullAccess":           {{actions: []string{"sns:*"}, resources: []string{"*"}}},
	"AmazonKinesisFullAccess":       {{actions: []string{"kinesis:*"}, resources: []string{"*"}}},
	"AmazonAPIGatewayAdministrator": {{actions: []string{"apigateway:*"}, resources: []string{"arn:aws:apigateway:*::/*"}}},
	// The VPC and X-Ray execution roles grant only actions that take no
	// narrower resource than "*" (starOnlyActions), beside the basic
	// role's log writes.
	"AWSLambdaVPCAccessExecutionRole": {{actions: []string{"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}, resources: []string{"*"}}},
	"AWSXRayDaemonWriteAccess":        {{actions: []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"}, resources: []string{"*"}}},
	// The execution roles Lambda's own documentation prescribes: the log
	// writes and event-source reads every such function needs. Known, but
	// judged as the baseline: no statements.
	"AWSLambdaBasicExecutionRole":                 nil,
	"AWSLambdaSQSQueueExecutionRole":              nil,
	"AWSLambdaDynamoDBExecutionRole":              nil,
	"AWSLambdaKinesisExecutionRole":               nil,
	"AWSLambdaMSKExecutionRole":                   nil,
	"CloudWatchLambdaInsightsExecutionRolePolicy": nil,
}

// adminPolicies are reported by name (FNS-CFG-005); their statements are
// not judged again by the generic rules.
var adminPolicies = map[string]bool{"AdministratorAccess": true, "PowerUserAccess": true}

// managedName returns the AWS managed policy name of a name or ARN
// ("arn:${AWS::Partition}:iam::aws:policy/service-role/X" -> "X"), or ""
// for a customer managed policy ARN.
func managedName(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return s
	}
	_, rest, ok := strings.Cut(s, ":iam::aws:policy/")
	if !ok {
		return ""
	}
	return rest[strings.LastIndexByte(rest, '/')+1:]
}

// managedPolicy returns a Policy for an AWS managed policy name or ARN.
func managedPolicy(v Value) *Policy {
	p := &Policy{Kind: "managed", Name: v.Text, Line: v.Line}
	if !v.IsKnown() {
		return p
	}
	name := managedName(v.Text)
	if name == "" {
		return p
	}
	p.Name = name
	stmts, ok := managedPolicies[name]
	if !ok {
		return p
	}
	p.Expanded = true
	for _, m := range stmts {
		st := Statement{Effect: Value{Text: "Allow", State: Known, Line: v.Line}, NotAction: m.notAction, Condition: m.condition, Line: v.Line}
		for _, a := range m.actions {
			st.Actions = append(st.Actions, Value{Text: a, State: Known, Line: v.Line})
		}
		for _, r := range m.resources {
			st.Resources = append(st.Resources, Value{Text: r, State: Known, Line: v.Line})
		}
		p.Statements = append(p.Statements, st)
	}
	return p
}
