package deploy

import (
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
