package deploy

import (
	"strings"
	"testing"
)

// An expression too long to quote whole is cut between tokens, never inside
// a string: half a secret would no longer be found and redacted.
func TestHCLUnknownTextCutBetweenTokens(t *testing.T) {
	const secret = "ghp_MFLZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNh"
	src := `x = "${var.prefix}" == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" ? "` + secret + `" : var.other` + "\n"
	root, err := parseHCL(src)
	if err != nil {
		t.Fatal(err)
	}
	v := root.get("x")
	if v == nil || v.kind != nUnknown {
		t.Fatalf("x is %+v, want an unknown expression", v)
	}
	if strings.Contains(v.str, secret[:10]) && !strings.Contains(v.str, secret) {
		t.Errorf("evidence %q holds part of the token", v.str)
	}
	if !strings.HasSuffix(v.str, "…") || len(v.str) > 90 {
		t.Errorf("evidence %q: want it cut, short", v.str)
	}
}

// HCL's for expressions, conditionals and newlines inside brackets are
// skipped as computed values: the attributes around them are still read
// (a for expression's "k, v" once ended the skip at its comma and the
// whole file failed to parse, its deprecated runtime unreported).
func TestHCLForAndMultilineExpressions(t *testing.T) {
	src := `variable "env" {
  type    = map(string)
  default = {}
}

resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = "arn:aws:iam::123456789012:role/fn"
  handler       = "index.handler"
  filename      = "fn.zip"
  environment {
    variables = { for k, v in var.env : k => v }
  }
  layers = [for i, s in var.layers : s]
  tags = { for k, v in var.m : k => v if v != "" }
  architectures = [
    var.arm
    ? "arm64"
    : "x86_64",
  ]
  description = (
    var.x
    ? "a"
    : "b"
  )
  memory_size = max(
    128,
    var.mem,
  )
  runtime = "python3.8"
}
`
	root, err := parseHCL(src)
	if err != nil {
		t.Fatal(err)
	}
	fn := root.path("resource", "aws_lambda_function", "fn")
	if v := fn.get("runtime").value(); v.Text != "python3.8" || v.Line != 30 {
		t.Errorf("runtime = %+v, want python3.8 on line 30", v)
	}
	for _, k := range []string{"layers", "tags", "description", "memory_size"} {
		if v := fn.get(k); v == nil || v.kind != nUnknown {
			t.Errorf("%s = %+v, want an unknown expression", k, v)
		}
	}
	if v := fn.get("architectures"); v == nil || len(v.vals) != 1 || v.vals[0].kind != nUnknown {
		t.Errorf("architectures = %+v, want one unknown item", v)
	}
	if v := block(fn, "environment").get("variables"); v == nil || v.kind != nUnknown || !strings.HasPrefix(v.str, "{for k , v in var") {
		t.Errorf("variables = %+v, want the for expression as unknown", v)
	}
	m, err := ParseFile("main.tf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range Check(m) {
		found = found || (f.RuleID == ruleDeprecated && f.Line == 30)
	}
	if !found {
		t.Errorf("python3.8 not reported as deprecated")
	}
}

// A parse error names the line where the problem is, not the end of file.
func TestHCLErrorLines(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"resource \"a\" \"b\" {\n  x = 1\n\nresource \"c\" \"d\" {\n}\n", "line 1: block resource is not closed"},
		{"x = 1\ny = [for s in var.x : s\nz = 2\n", "line 2: for expression not closed"},
		{"x = 1\ny = a ? [1 : 2\n", "line 2: bracket not closed"},
	} {
		_, err := parseHCL(tc.src)
		if err == nil || err.Error() != tc.want {
			t.Errorf("parseHCL(%q) error %v, want %q", tc.src, err, tc.want)
		}
	}
}
