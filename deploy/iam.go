package deploy

import (
	"fmt"
	"strings"
)

// IAM checks over what a function's role grants. Only Allow statements
// are judged; a Deny elsewhere is not subtracted (documented in
// docs/config-checks.md).

// readVerbs start the names of read and list actions; every other action
// is treated as a write (a heuristic over IAM's naming, close to the
// access levels of the Service Authorization Reference).
var readVerbs = []string{"get", "list", "describe", "head", "query", "scan", "batchget", "select", "search",
	"lookup", "check", "validate", "view", "estimate", "preview", "read", "filter", "detect", "discover",
	"receive", "conditioncheck", "simulate", "download"}

// isWrite reports whether an action pattern can grant a write action.
func isWrite(action string) bool {
	_, verb, ok := strings.Cut(strings.ToLower(action), ":")
	if !ok {
		return action == "*"
	}
	prefix, _, _ := strings.Cut(verb, "*")
	prefix, _, _ = strings.Cut(prefix, "?")
	if prefix == "" {
		return true
	}
	for _, r := range readVerbs {
		if strings.HasPrefix(prefix, r) {
			return false
		}
	}
	return true
}

// privEscActions each let a principal raise its own privileges (the
// methods published by Rhino Security Labs, the basis of cloudsplaining's
// and Checkov's privilege-escalation checks).
var privEscActions = []string{
	"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:CreateAccessKey", "iam:CreateLoginProfile",
	"iam:UpdateLoginProfile", "iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:AttachRolePolicy",
	"iam:PutUserPolicy", "iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:AddUserToGroup",
	"iam:UpdateAssumeRolePolicy", "lambda:UpdateFunctionCode", "glue:UpdateDevEndpoint",
}

// passRoleCombos: with iam:PassRole on any role, each of these runs code
// (or a stack) under a role of the caller's choosing.
var passRoleCombos = []string{"lambda:CreateFunction", "ec2:RunInstances", "cloudformation:CreateStack",
	"glue:CreateDevEndpoint", "datapipeline:CreatePipeline", "ecs:RunTask", "sagemaker:CreateNotebookInstance"}

// starOnlyActions take no narrower resource than "*", so granting them
// on "*" is not an unscoped write (flagging them is the false positive
// of Checkov #1173 and cloudsplaining #190). The Service Authorization
// Reference (docs.aws.amazon.com/service-authorization/latest/reference/)
// lists no resource types for cloudwatch:PutMetricData, X-Ray's trace
// and sampling actions and kms:GenerateRandom. The ENI actions are not all
// of that kind (Delete, Detach and Assign take network-interface ARNs),
// but Lambda manages a VPC function's interfaces with its execution role,
// and AWS's own grants of them (AWSLambdaVPCAccessExecutionRole, SAM's
// VPCAccessPolicy, the Lambda Developer Guide's configuration-vpc) are on
// "*": reporting them would fail every VPC function; on a function outside
// a VPC they are a grant it does not use, left unreported.
var starOnlyActions = []string{
	"cloudwatch:PutMetricData",
	"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:PutEncryptionConfig",
	"xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries",
	"kms:GenerateRandom",
	"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
	"ec2:DeleteNetworkInterface", "ec2:DetachNetworkInterface",
	"ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}

// starOnly reports an action named exactly in starOnlyActions (a pattern
// such as xray:* may grant more).
func starOnly(action string) bool {
	for _, a := range starOnlyActions {
		if strings.EqualFold(a, action) {
			return true
		}
	}
	return false
}

// allResources reports whether a resource pattern covers every resource
// of its service: "*", or an ARN whose resource part is a bare wildcard
// (arn:aws:s3:::*, .../table/*, arn:aws:iam::123:role/*).
func allResources(r string) bool {
	if r == "*" {
		return true
	}
	if !strings.HasPrefix(r, "arn:") {
		return false
	}
	r = opaque(r)
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 6 {
		return false
	}
	res := parts[5]
	switch res {
	case "*", "*/*":
		return true
	}
	if parts[2] == "s3" {
		return false // bucket/* is one bucket's objects
	}
	for _, sep := range []string{"/", ":"} {
		if typ, rest, ok := strings.Cut(res, sep); ok && rest == "*" && !strings.ContainsAny(typ, "*?"+placeholder) {
			return true
		}
	}
	return false
}

// placeholder stands for a ${...} in an ARN: a pseudo parameter
// (${AWS::Partition}) or a Terraform interpolation. It holds no ':', '/'
// or '*', so it neither splits the ARN nor widens it: the literal text
// around it decides what the ARN covers. In a resource type it decides
// nothing (${x}/* may be table/orders/*).
const placeholder = "\x00"

// opaque replaces each ${...} (braces balanced) with placeholder.
func opaque(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		depth, j := 0, i+1
		for ; j < len(s); j++ {
			if s[j] == '{' {
				depth++
			} else if s[j] == '}' {
				if depth--; depth == 0 {
					break
				}
			}
		}
		b.WriteString(placeholder)
		if j >= len(s) {
			return b.String()
		}
		s = s[j+1:]
	}
}

type grant struct {
	pol *Policy
	st  Statement
}

func (c *checker) iam(f *Function) {
	var grants []grant
	for _, p := range f.Policies {
		if p.Kind == "managed" && adminPolicies[p.Name] {
			c.emit(ruleAdminPolicy, f.ID, f.Type, p.Line, "managed policy "+p.Name)
			continue
		}
		for _, st := range p.Statements {
			if st.allows() {
				grants = append(grants, grant{p, st})
			}
		}
	}
	var passRoleAll *grant
	comboActions := map[string]bool{}
	for i, g := range grants {
		st := g.st
		src := source(g.pol)
		onAll := false
		for _, r := range st.Resources {
			if r.IsKnown() && allResources(r.Text) && !st.NotResource {
				onAll = true
			}
		}
		if st.NotResource {
			onAll = true // everything but a few: as good as all
		}
		var star, svc, writes []string
		for _, a := range st.Actions {
			if !a.IsKnown() {
				continue
			}
			switch {
			case a.Text == "*" || a.Text == "*:*":
				star = append(star, a.Text)
			case strings.HasSuffix(a.Text, ":*") && !strings.ContainsAny(strings.TrimSuffix(a.Text, ":*"), "*?"):
				svc = append(svc, a.Text)
			case isWrite(a.Text) && !actionMatches(a.Text, "iam:PassRole") && !starOnly(a.Text):
				// (iam:PassRole has its own rule.)
				writes = append(writes, a.Text)
			}
		}
		if st.NotAction {
			if onAll {
				c.emit(ruleAdminAction, f.ID, f.Type, st.Line, fmt.Sprintf("Allow NotAction %s on all resources (%s)", list(st.Actions), src))
			}
			continue
		}
		if len(star) > 0 {
			c.emit(ruleAdminAction, f.ID, f.Type, st.Line, fmt.Sprintf("Action %q on %s (%s)", star[0], list(st.Resources), src))
			continue // the rules below would only repeat it
		}
		if len(svc) > 0 {
			c.emit(ruleServiceWildcard, f.ID, f.Type, st.Line, fmt.Sprintf("%s on %s (%s)", strings.Join(svc, ", "), list(st.Resources), src))
		}
		// A condition may scope the resources (iam:AWSServiceName,
		// aws:ResourceTag/...): not reported as unconstrained.
		if len(writes) > 0 && onAll && len(st.Condition) == 0 {
			c.emit(ruleWriteOnAll, f.ID, f.Type, st.Line, fmt.Sprintf("%s on %s (%s)", short(writes), list(st.Resources), src))
		}
		if !onAll {
			continue
		}
		var esc []string
		for _, pe := range privEscActions {
			if grants1(st, pe) {
				esc = append(esc, pe)
			}
		}
		if len(esc) > 0 {
			c.emit(rulePrivEsc, f.ID, f.Type, st.Line, fmt.Sprintf("%s on %s (%s)", short(esc), list(st.Resources), src))
		}
		if grants1(st, "iam:PassRole") {
			if passRoleAll == nil {
				passRoleAll = &grants[i]
			}
			ev := fmt.Sprintf("iam:PassRole on %s (%s)", list(st.Resources), src)
			if len(st.Condition) > 0 {
				ev += ", condition " + strings.Join(st.Condition, ",")
			}
			c.emit(rulePassRole, f.ID, f.Type, st.Line, ev)
		}
		for _, a := range passRoleCombos {
			if grants1(st, a) {
				comboActions[a] = true
			}
		}
	}
	if passRoleAll != nil && len(comboActions) > 0 {
		var acts []string
		for _, a := range passRoleCombos {
			if comboActions[a] {
				acts = append(acts, a)
			}
		}
		c.emit(rulePrivEsc, f.ID, f.Type, passRoleAll.st.Line, fmt.Sprintf("iam:PassRole on any role with %s (%s)", short(acts), source(passRoleAll.pol)))
	}
}

// grants1 reports whether a statement's known actions grant one action.
func grants1(st Statement, action string) bool {
	for _, a := range st.Actions {
		if a.IsKnown() && a.Text != "*" && actionMatches(a.Text, action) {
			return true
		}
	}
	return false
}

func source(p *Policy) string {
	switch p.Kind {
	case "managed":
		return "managed policy " + p.Name
	case "template":
		return "SAM policy template " + p.Name
	}
	if p.Name == "" || p.Name == "(inline)" {
		return "inline policy"
	}
	return "inline policy " + p.Name
}

func list(vs []Value) string {
	var s []string
	for _, v := range vs {
		t := v.Text
		if v.IsUnknown() {
			t = "(" + t + ")"
		}
		s = append(s, t)
	}
	return short(s)
}

// short joins at most three items.
func short(s []string) string {
	if len(s) > 3 {
		return strings.Join(s[:3], ", ") + fmt.Sprintf(" (+%d)", len(s)-3)
	}
	return strings.Join(s, ", ")
}
