package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Terraform 0.11 wrote a reference as a template of it: the policy
// document behind "${data.aws_iam_policy_document.p.json}" is read.
func TestTerraformLegacyDocumentReference(t *testing.T) {
	fs := checkText(t, "main.tf", `resource "aws_iam_role" "r" {
  name = "fn-role"
}
data "aws_iam_policy_document" "p" {
  statement {
    actions   = ["*"]
    resources = ["*"]
  }
}
resource "aws_iam_role_policy" "p" {
  role   = "${aws_iam_role.r.id}"
  policy = "${data.aws_iam_policy_document.p.json}"
}
resource "aws_lambda_function" "f" {
  function_name = "f"
  role          = "${aws_iam_role.r.arn}"
  runtime       = "python3.12"
  handler       = "h"
  filename      = "f.zip"
}
`)
	if !slices.Contains(ruleIDs(fs), "FNS-CFG-001") {
		t.Errorf("Action * through a legacy document reference: %v", ruleIDs(fs))
	}
}

// Small hostile inputs stay small: documents merging the next one many
// times over, source documents in a cycle, loops over long collections, an
// attachment without policy_arn, resources without Properties.
func TestDeployBombs(t *testing.T) {
	var dag strings.Builder
	dag.WriteString("resource \"aws_iam_role\" \"r\" {\n  name = \"r\"\n}\n")
	for i := range 10 {
		fmt.Fprintf(&dag, "data \"aws_iam_policy_document\" \"d%d\" {\n", i)
		if i < 9 {
			dag.WriteString("  source_policy_documents = [")
			for range 8 {
				fmt.Fprintf(&dag, "data.aws_iam_policy_document.d%d.json, ", i+1)
			}
			dag.WriteString("]\n")
		} else {
			dag.WriteString("  statement {\n    actions = [\"*\"]\n    resources = [\"*\"]\n  }\n")
		}
		dag.WriteString("}\n")
	}
	dag.WriteString("resource \"aws_iam_role_policy\" \"p\" {\n  role = aws_iam_role.r.id\n  policy = data.aws_iam_policy_document.d0.json\n}\n")
	dag.WriteString("resource \"aws_lambda_function\" \"f\" {\n  function_name = \"f\"\n  role = aws_iam_role.r.arn\n  runtime = \"python3.12\"\n  handler = \"h\"\n  filename = \"f.zip\"\n}\n")
	cycle := `resource "aws_iam_role" "r" {
  name = "r"
}
data "aws_iam_policy_document" "a" {
  source_policy_documents = [data.aws_iam_policy_document.b.json]
}
data "aws_iam_policy_document" "b" {
  source_policy_documents = [data.aws_iam_policy_document.a.json]
}
resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.r.id
  policy = data.aws_iam_policy_document.a.json
}
resource "aws_iam_policy_attachment" "x" {
  name  = "x"
  roles = [aws_iam_role.r.name]
}
resource "aws_iam_role_policy_attachment" "y" {
  role = aws_iam_role.r.name
}
resource "aws_lambda_function" "f" {
  function_name = "f"
  role          = aws_iam_role.r.arn
  runtime       = "python3.12"
  handler       = "h"
  filename      = "f.zip"
}
`
	items := make([]string, 1000)
	for i := range items {
		items[i] = fmt.Sprintf("I%d", i)
	}
	loops := `Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Parameters:
  A: {Type: CommaDelimitedList, Default: "` + strings.Join(items, ",") + `"}
  B: {Type: CommaDelimitedList, Default: "` + strings.Join(items, ",") + `"}
Resources:
  Fn::ForEach::Outer:
    - X
    - !Ref A
    - Fn::ForEach::Inner:
        - Y
        - !Ref B
        - ${X}${Y}Function:
            Type: AWS::Serverless::Function
            Properties: {Runtime: nodejs16.x, Handler: index.handler, CodeUri: src/}
`
	noProps := "Resources:\n  M: {Type: AWS::ApiGateway::Method}\n  R: {Type: AWS::ApiGatewayV2::Route}\n  F: {Type: AWS::Lambda::Function}\n"
	for _, tc := range []struct{ file, src string }{{"dag.tf", dag.String()}, {"cycle.tf", cycle}, {"loops.yaml", loops}, {"noprops.yaml", noProps}} {
		start := time.Now()
		m, err := ParseFile(tc.file, []byte(tc.src))
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		fs := CheckAt(m, judgeAt)
		if took := time.Since(start); took > 10*time.Second || len(fs) > 10_000 {
			t.Errorf("%s: %d findings in %s", tc.file, len(fs), took)
		}
		if tc.file == "dag.tf" && !slices.Contains(ruleIDs(fs), "FNS-CFG-001") {
			t.Errorf("dag.tf: the shared document's Action * lost: %v", ruleIDs(fs))
		}
		if tc.file == "loops.yaml" && len(m.Warnings) == 0 {
			t.Errorf("loops.yaml: no warning that loops were cut")
		}
	}
}

// A value only shaped like an AWS secret key (a reCAPTCHA site key) is not
// a known format; a Stripe key under a plain name is.
func TestKnownFormatNotShape(t *testing.T) {
	fs := checkText(t, "template.yaml", `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: src/
      Environment:
        Variables:
          RECAPTCHA_SITE: 6LcQ3aUZAAAAAGm4RrX2bvKX1WbNcpTfYq8ZdxV9
          STRIPE: sk_live_51HqLyjWDarjtT1zdp7dcXkWm2hA9Fq3kZ8r
`)
	n := 0
	for _, f := range fs {
		if f.RuleID == "FNS-CFG-020" {
			n++
			if !strings.Contains(f.Evidence, "STRIPE") {
				t.Errorf("FNS-CFG-020 on %s", f.Evidence)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d FNS-CFG-020 findings, want the Stripe key's", n)
	}
}
