package deploy

import (
	"slices"
	"strings"
	"testing"
)

// Fn::ForEach loops in Resources are expanded as the LanguageExtensions
// transform does: ${} and &{} in keys and strings, Ref to the identifier,
// nested loops seeing the outer identifier, a CommaDelimitedList
// parameter's Default as the collection.
func TestForEachExpanded(t *testing.T) {
	src := `AWSTemplateFormatVersion: '2010-09-09'
Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Parameters:
  Queues: {Type: CommaDelimitedList, Default: "jobs, mail"}
Resources:
  Fn::ForEach::Handlers:
    - Name
    - [Orders, Payments]
    - ${Name}Function:
        Type: AWS::Serverless::Function
        Properties:
          FunctionName: !Sub "${Name}-${AWS::StackName}"
          Runtime: nodejs16.x
          Handler: index.handler
          CodeUri: src/
          FunctionUrlConfig:
            AuthType: NONE
      Fn::ForEach::Callers:
        - Caller
        - [my.example.com, other-acct]
        - ${Name}Allow&{Caller}:
            Type: AWS::Lambda::Permission
            Properties:
              FunctionName: !Ref ${Name}Function
              Action: lambda:InvokeFunction
              Principal: '*'
              SourceAccount: !Ref Caller
  Fn::ForEach::Workers:
    - Queue
    - !Ref Queues
    - Worker&{Queue}:
        Type: AWS::Lambda::Function
        Properties:
          FunctionName: !Ref Queue
          Runtime: python3.12
          Handler: app.handler
          Role: arn:aws:iam::123456789012:role/w
          Code: {ZipFile: x}
`
	m, err := ParseFile("template.yaml", []byte(src))
	if err != nil || m == nil {
		t.Fatalf("ParseFile: %v, %v", m, err)
	}
	var ids []string
	for _, f := range m.Functions {
		ids = append(ids, f.ID+"="+f.Name.Text)
	}
	want := []string{"OrdersFunction=Orders-${AWS::StackName}", "PaymentsFunction=Payments-${AWS::StackName}", "Workerjobs=jobs", "Workermail=mail"}
	if !slices.Equal(ids, want) {
		t.Errorf("functions %q, want %q", ids, want)
	}
	if len(m.Warnings) != 0 {
		t.Errorf("warnings %q", m.Warnings)
	}
	fs := CheckAt(m, judgeAt)
	got := map[string]int{}
	for _, f := range fs {
		got[f.RuleID+" "+f.Resource]++
	}
	for _, k := range []string{"FNS-CFG-031 OrdersFunction", "FNS-CFG-031 PaymentsFunction", "FNS-CFG-012 OrdersFunction", "FNS-CFG-012 PaymentsFunction"} {
		if got[k] != 1 {
			t.Errorf("%s: %d findings, want 1", k, got[k])
		}
	}
	// The inner loop's permissions name the outer loop's function: one
	// per caller on each function, its id with the dots stripped.
	for _, f := range m.Functions[:2] {
		var perms []string
		for _, p := range f.Permissions {
			perms = append(perms, p.ID+"="+p.SourceAccount.Text)
		}
		name := strings.TrimSuffix(f.ID, "Function")
		if w := []string{name + "Allowmyexamplecom=my.example.com", name + "Allowotheracct=other-acct"}; !slices.Equal(perms, w) {
			t.Errorf("%s permissions %q, want %q", f.ID, perms, w)
		}
	}
}

// A collection decided at deploy is a warning naming the loop, not a
// silent pass.
func TestForEachUnknownCollection(t *testing.T) {
	src := `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList}
Resources:
  Fn::ForEach::Fns:
    - Name
    - !Ref Names
    - ${Name}:
        Type: AWS::Lambda::Function
        Properties: {Runtime: nodejs16.x, Handler: i.h, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  Fn::ForEach::Broken: [Name, [A]]
`
	m, err := ParseFile("template.yaml", []byte(src))
	if err != nil || m == nil {
		t.Fatalf("ParseFile: %v, %v", m, err)
	}
	if len(m.Functions) != 0 {
		t.Errorf("%d functions from an unknown collection", len(m.Functions))
	}
	want := []string{
		"line 7: Fn::ForEach::Fns: collection !Ref Names (parameter without default) is decided at deploy: its resources were not checked",
		"line 12: Fn::ForEach::Broken is not [Identifier, Collection, {OutputKey: OutputValue}]: its resources were not checked",
	}
	if !slices.Equal(m.Warnings, want) {
		t.Errorf("warnings\n%q\nwant\n%q", m.Warnings, want)
	}
}
