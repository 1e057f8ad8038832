package deploy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// bigTemplate builds a SAM template of n resources: functions with
// policy templates, inline policies and events, their roles, invoke
// permissions and log groups, in groups of four.
func bigTemplate(n int) []byte {
	var b strings.Builder
	b.WriteString("AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n")
	b.WriteString("Parameters:\n  Stage:\n    Type: String\n    Default: prod\n")
	b.WriteString("Globals:\n  Function:\n    Runtime: python3.12\n    Tracing: Active\n")
	b.WriteString("Resources:\n")
	for i := 0; i < n/4; i++ {
		fmt.Fprintf(&b, `  Fn%[1]d:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub fn-%[1]d-${Stage}
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          TABLE: !Ref Table%[1]d
          API_TOKEN: tok-%[1]d-Zk29fQ0xLmPq
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Table%[1]d
        - S3ReadPolicy:
            BucketName: "*"
        - Statement:
            - Effect: Allow
              Action: [sqs:SendMessage, iam:PassRole]
              Resource: "*"
      Events:
        Get:
          Type: Api
          Properties:
            Path: /items/%[1]d
            Method: get
  Table%[1]d:
    Type: AWS::DynamoDB::Table
  Perm%[1]d:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn%[1]d
      Principal: sns.amazonaws.com
  Logs%[1]d:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${Fn%[1]d}
      RetentionInDays: 14
`, i)
	}
	return []byte(b.String())
}

func BenchmarkCheck(b *testing.B) {
	data := bigTemplate(1000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		m, err := ParseFile("big.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		if len(CheckAt(m, judgeAt)) == 0 {
			b.Fatal("no findings")
		}
	}
}

// TestCheckSpeed: 1,000 resources parsed and checked in under a second
// (acceptance 5), even on a loaded machine.
func TestCheckSpeed(t *testing.T) {
	data := bigTemplate(1000)
	start := time.Now()
	m, err := ParseFile("big.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	fs := CheckAt(m, judgeAt)
	elapsed := time.Since(start)
	if len(m.Functions) != 250 || len(fs) < 250*4 {
		t.Fatalf("%d functions, %d findings: the template was not read", len(m.Functions), len(fs))
	}
	if elapsed > time.Second {
		t.Fatalf("1,000 resources took %v", elapsed)
	}
	t.Logf("1,000 resources, %d findings in %v", len(fs), elapsed)
}
