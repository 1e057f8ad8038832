package secrets

import (
	"os"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/artifact"
)

type wantVar struct {
	variable string
	line     int
}

// checkConfig scans one planted config file and compares the config
// findings (variable and line) with want.
func checkConfig(t *testing.T, name, content string, want []wantVar) {
	t.Helper()
	res := scan(t, writeFiles(t, map[string]string{name: content}), DefaultConfig())
	for _, w := range res.Warnings {
		t.Errorf("warning: %s", w)
	}
	got := map[wantVar]bool{}
	for _, f := range res.Findings {
		if f.Source == sourceConfig {
			if f.RuleID != envVarRule || !strings.Contains(f.Description, f.Variable) {
				t.Errorf("config finding %+v: want rule %s naming the variable", f, envVarRule)
			}
			got[wantVar{f.Variable, f.Line}] = true
		}
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing config finding %s at line %d; got %v", w.variable, w.line, got)
		}
		delete(got, w)
	}
	for g := range got {
		t.Errorf("unexpected config finding %s at line %d", g.variable, g.line)
	}
	if t.Failed() {
		logFindings(t, res.Findings)
	}
}

func TestConfigSAM(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                []wantVar
	}{
		{
			name: "yaml short tags",
			file: "template.yaml",
			content: `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Environment:
      Variables:
        GLOBAL_API_KEY: "k3y-Glob4l-9f8e7d6c5b"
        LOG_LEVEL: debug
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Environment:
        Variables:
          DB_PASSWORD: hunter2hunter2
          DB_PASSWORD_REF: !Ref DbPassword
          SECRET_FROM_SM: '{{resolve:secretsmanager:prod/db:SecretString:password}}'
          SSM_TOKEN: '{{resolve:ssm:/prod/token:1}}'
          SUB_SECRET: !Sub '${DbPassword}'
          SUB_LITERAL_SECRET: !Sub 'Pl41nS3cretV4lue'
          GETATT_SECRET: !GetAtt Secret.Arn
          IMPORT_TOKEN: !ImportValue SharedToken
          IF_PASSWORD: !If [IsProd, !Ref A, !Ref B]
          JOIN_PASSWORD: !Join ['', ['a', !Ref B]]
          SECRET_ARN: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db
          API_TOKEN: arn:aws:ssm:us-east-1:123456789012:parameter/prod/token
          TABLE_NAME: orders
          AUTH_ENABLED: "true"
          CLIENT_SECRET: ""
          STRIPE_KEY_PLACEHOLDER_TOKEN: "<your-token>"
  Other:
    Type: AWS::S3::Bucket
    Properties:
      Environment:
        Variables:
          NOT_A_FUNCTION_PASSWORD: s3cr3tValue99
`,
			want: []wantVar{{"GLOBAL_API_KEY", 7}, {"DB_PASSWORD", 16}, {"SUB_LITERAL_SECRET", 21}},
		},
		{
			name: "json intrinsic functions",
			file: "template.json",
			content: `{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "Fn": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "Environment": {
          "Variables": {
            "SLACK_TOKEN": "t0k3n-Zq8x7w6v5u4",
            "DB_PASS": {"Ref": "DbPass"},
            "API_KEY": {"Fn::Sub": "${ApiKey}"},
            "JWT_SECRET": {"Fn::GetAtt": ["Secret", "Arn"]}
          }
        }
      }
    }
  }
}
`,
			want: []wantVar{{"SLACK_TOKEN", 9}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkConfig(t, tt.file, tt.content, tt.want) })
	}
}

func TestConfigServerless(t *testing.T) {
	checkConfig(t, "serverless.yml", `service: orders
provider:
  name: aws
  environment:
    DB_PASSWORD: Sup3rS3cretPw
    DB_PASSWORD_SSM: ${ssm:/prod/db/password}
    API_KEY: ${env:API_KEY}
    TOKEN_SELF: ${self:custom.token}
    SECRET_OPT: ${opt:secret}
    PRIVATE_KEY_FILE_SECRET: ${file(./secrets.yml):key}
    STAGE: ${opt:stage, 'dev'}
    DB_PASSWORD_DEFAULT: ${env:DB_PASSWORD, 'Fallb4ckS3cret'}
    API_TOKEN_NESTED: ${opt:token, ${env:API_TOKEN, "N3stedT0kenValue"}}
    AUTH_SECRET_REF: ${opt:auth, ${ssm:/prod/auth}}
    DB_PASSWORD_CHAIN: ${env:DB_PASSWORD, env:LEGACY_DB_PASSWORD, 'Summer2024!x'}
functions:
  create:
    handler: handler.create
    environment:
      STRIPE_SECRET: Str1pe-S3cret-Value
      AUTH_TOKEN: ${ssm:/aws/reference/secretsmanager/prod/token~true}
      CLIENT_SECRET: { Ref: ClientSecret }
  list:
    handler: handler.list
`, []wantVar{{"DB_PASSWORD", 5}, {"DB_PASSWORD_DEFAULT", 12}, {"API_TOKEN_NESTED", 13}, {"DB_PASSWORD_CHAIN", 15}, {"STRIPE_SECRET", 20}})
}

func TestConfigLambdaJSON(t *testing.T) {
	tests := []struct {
		name, content string
		want          []wantVar
	}{
		{
			name: "get-function-configuration",
			content: `{
    "FunctionName": "orders",
    "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:orders",
    "Runtime": "nodejs18.x",
    "Environment": {
        "Variables": {
            "DB_PASSWORD": "pr0dPassw0rd!",
            "DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
            "DATABASE_URL": "postgres://app:Pg-S3cret-99@db.internal:5432/app",
            "CACHE_URL": "redis://cache.internal:6379",
            "TOKEN_PARAM": "/prod/orders/token"
        }
    }
}
`,
			want: []wantVar{{"DB_PASSWORD", 7}, {"DATABASE_URL", 9}},
		},
		{
			name: "get-function",
			content: `{
  "Configuration": {
    "FunctionName": "orders",
    "Environment": {"Variables": {
      "GITHUB_TOKEN": "gh-t0ken-value-Abc123"
    }}
  },
  "Code": {"RepositoryType": "S3"}
}
`,
			want: []wantVar{{"GITHUB_TOKEN", 5}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkConfig(t, "function.json", tt.content, tt.want) })
	}
}

func TestConfigTerraform(t *testing.T) {
	checkConfig(t, "main.tf", `# Lambda with mixed environment values
variable "db_password" {
  type      = string
  sensitive = true
}

resource "aws_s3_bucket" "b" {
  bucket = "my-bucket"
  environment {
    variables = { BUCKET_PASSWORD = "notLambda123" }
  }
}

resource "aws_lambda_function" "orders" {
  function_name = "orders"
  handler       = "index.handler"
  /* block comment with { braces } */
  environment {
    variables = {
      DB_PASSWORD   = "tf-Passw0rd-99"
      DB_PASSWORD2  = var.db_password
      API_TOKEN     = aws_secretsmanager_secret_version.token.secret_string
      "SIGNING_KEY" = "s1gn1ng-K3y-Zz"
      JWT_SECRET    = data.aws_ssm_parameter.jwt.value
      INTERP_SECRET = "${var.prefix}-${var.secret}"
      RETRIES       = 3
      AUTH_ENABLED  = true, API_KEY = "inl1ne-Ap1-K3y"
      LOOKUP_TOKEN  = lookup(var.tokens, "orders")
    }
  }
  tags = { Owner = "team" }
}
`, []wantVar{{"DB_PASSWORD", 20}, {"SIGNING_KEY", 23}, {"API_KEY", 27}})
}

func TestConfigDotenv(t *testing.T) {
	checkConfig(t, "app/.env.production", `# comment: PASSWORD=notThis123
DB_HOST=localhost
DB_PASSWORD=plainPassw0rd
export API_KEY="quoted-Ap1-Key-123"
SESSION_SECRET='single-Qu0ted-Secret'
STRIPE_TOKEN=tok_live_abc123 # trailing comment
EMPTY_PASSWORD=
REF_PASSWORD=${DB_PASSWORD}
MULTI_PRIVATE_KEY="line1
line2-S3cret"
PORT=8080
CHANGEME_PASSWORD=changeme
`, []wantVar{{"DB_PASSWORD", 3}, {"API_KEY", 4}, {"SESSION_SECRET", 5}, {"STRIPE_TOKEN", 6}, {"MULTI_PRIVATE_KEY", 9}})
}

// TestConfigRealTemplates parses the real DVSA and Serverless-Goat SAM
// templates: no parse warnings, and only what they really hold.
func TestConfigRealTemplates(t *testing.T) {
	for _, name := range []string{"dvsa-template.yml", "serverless-goat-template.yaml"} {
		t.Run(name, func(t *testing.T) {
			p := sharedData(t, "config/"+name)
			content, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			vars, err := parseCloudFormation(content)
			if err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			if len(vars) == 0 {
				t.Fatalf("%s: no environment variables found", name)
			}
			literal := 0
			for _, v := range vars {
				if v.line <= 0 {
					t.Errorf("%s: variable %s has no line", name, v.name)
				}
				if v.literal {
					literal++
				}
			}
			t.Logf("%s: %d environment variables, %d literal", name, len(vars), literal)
			res := scan(t, []artifact.File{{Virtual: name, Path: name, Real: p}}, DefaultConfig())
			if len(res.Warnings) > 0 {
				t.Errorf("warnings: %v", res.Warnings)
			}
			for _, f := range res.Findings {
				t.Logf("finding %s:%d %s %s %s", f.Path, f.Line, f.RuleID, f.Variable, f.Redacted)
			}
			checkRealTemplate(t, name, vars, res)
		})
	}
}

func TestConfigParseErrorWarns(t *testing.T) {
	res := scan(t, writeFiles(t, map[string]string{
		"template.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources: [unclosed\n  DB_PASSWORD: hunter2hunter2\n",
	}), DefaultConfig())
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "CloudFormation") {
		t.Fatalf("want one CloudFormation parse warning, got %v", res.Warnings)
	}
	if res.Warnings[0].Unscanned {
		t.Error("a template that did not parse was still scanned for secrets: not unscanned")
	}
	if strings.Contains(res.Warnings[0].Message, "hunter2") {
		t.Fatal("warning leaks file content")
	}
}

func TestNameKind(t *testing.T) {
	tests := map[string]kind{
		"DB_PASSWORD": nameSecret, "dbPassword": nameSecret, "db-pass": nameSecret,
		"API_KEY": nameSecret, "ApiKey": nameSecret, "STRIPE_SECRET_KEY": nameSecret,
		"AWS_ACCESS_KEY": nameSecret, "CLIENT_SECRET": nameSecret, "AUTH": nameSecret,
		"GITHUB_TOKEN": nameSecret, "PRIVATE_KEY": nameSecret, "GOOGLE_CREDENTIALS": nameSecret,
		"DB_SECRET_ARN": nameOther, "TOKEN_URL": nameConnection, "SECRET_NAME": nameOther,
		"KMS_KEY_ID": nameOther, "TABLE_NAME": nameOther, "AUTHOR": nameOther,
		"PASSWORD_LENGTH": nameOther, "AUTH_ENABLED": nameOther, "ACCESS_KEY_ID": nameOther,
		"DATABASE_URL": nameConnection, "MONGO_URI": nameConnection, "DB_CONNECTION_STRING": nameConnection,
	}
	for name, want := range tests {
		if got := nameKind(name); got != want {
			t.Errorf("nameKind(%q) = %v, want %v", name, got, want)
		}
	}
}

// checkRealTemplate asserts what the two real templates really contain:
// table names and !Ref/!GetAtt/!Sub references, no secrets.
func checkRealTemplate(t *testing.T, name string, vars []envVar, res Result) {
	t.Helper()
	type fact struct {
		line    int
		literal bool
		value   string
	}
	facts := map[string]map[string]fact{
		"dvsa-template.yml": {
			"userpoolid":    {610, false, ""},
			"ORDERS_TABLE":  {635, true, "DVSA-ORDERS-DB"},
			"CLIENT_BUCKET": {732, false, ""},
		},
		"serverless-goat-template.yaml": {
			"HOME":       {30, true, "/var/task"},
			"TABLE_NAME": {31, false, ""},
			"BUCKET_URL": {33, false, ""},
		},
	}[name]
	for varName, want := range facts {
		found := false
		for _, v := range vars {
			if v.name != varName || v.line != want.line {
				continue
			}
			found = true
			if v.literal != want.literal || (want.literal && v.value != want.value) {
				t.Errorf("%s line %d: got literal=%v value=%q, want literal=%v value=%q", varName, v.line, v.literal, v.value, want.literal, want.value)
			}
		}
		if !found {
			t.Errorf("variable %s at line %d not found", varName, want.line)
		}
	}
	for _, f := range res.Findings {
		if f.Source == sourceConfig {
			t.Errorf("unexpected config finding %s at line %d", f.Variable, f.Line)
		}
	}
}

// One Terraform value is one finding: the config pass's env-var-secret and
// gitleaks' hashicorp-tf-password (which keeps the quotes) on the same line
// were two.
func TestConfigTerraformOneFindingPerValue(t *testing.T) {
	t.Parallel()
	res := scan(t, writeFiles(t, map[string]string{"main.tf": `resource "aws_lambda_function" "fn" {
  function_name = "orders"
  environment {
    variables = {
      DB_PASSWORD = "Xk3ldP9qWzR7tY2u"
    }
  }
}
resource "aws_db_instance" "db" {
  password = "Hq8vLm3nPz5wK1xR"
}
`}), DefaultConfig())
	byLine := map[int][]string{}
	for _, f := range res.Findings {
		byLine[f.Line] = append(byLine[f.Line], f.RuleID)
	}
	if len(byLine[5]) != 1 || byLine[5][0] != "env-var-secret" || len(byLine[10]) != 1 || len(res.Findings) != 2 {
		logFindings(t, res.Findings)
		t.Errorf("findings by line %v, want env-var-secret on 5 and one on 10", byLine)
	}
}

func TestVariableDefault(t *testing.T) {
	for in, want := range map[string]string{
		`${env:PW, 'lit'}`:                      "lit",
		`${env:A, env:B, "x,y"}`:                "x,y",
		`${opt:a, ${env:B, 'in'}}`:              "in",
		`${env:PW, "Sum\"mer"}`:                 `Sum"mer`,
		`${env:PW, 'it\'s'}`:                    "it's",
		`${env:PW}`:                             "",
		`${opt:a, ${ssm:/x}}`:                   "",
		`${self:custom.${opt:stage, 'dev'}.pw}`: "",
		`prefix-${env:PW, 'lit'}`:               "",
		`${env:PW, 'a'} ${env:Q, 'b'}`:          "",
	} {
		got, ok := variableDefault(in)
		if got != want || ok != (want != "") {
			t.Errorf("%s: %q %v, want %q", in, got, ok, want)
		}
	}
}
