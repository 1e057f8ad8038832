package deploy

import (
	"errors"
	"fmt"
	"strings"
)

// A deployed function, judged by the same rules as its template: the
// Lambda API's GetFunction (or GetFunctionConfiguration) response, plus
// what the lambda: provider may fetch beside it.

// DeployedExtras are the optional responses fetched beside GetFunction.
// A field left empty means "not fetched": the rules that need it stay
// silent (Unknown), they do not pass the function as safe.
type DeployedExtras struct {
	// Policy is GetPolicy's "Policy" field: the resource-based policy
	// document as a JSON string.
	Policy string
	// URLConfig is the GetFunctionUrlConfig response body (JSON); nil when
	// not fetched or the function has no URL.
	URLConfig []byte
	// CodeSigning is the GetFunctionCodeSigningConfig response body
	// (JSON); nil when not fetched.
	CodeSigning []byte
	// RolePolicies are the policy documents (JSON) the execution role
	// holds: inline ones (GetRolePolicy) and the default versions of
	// customer managed ones (GetPolicyVersion), URL-decoded.
	RolePolicies []string
	// RolePolicyNames name RolePolicies in findings, one each where known
	// (the inline policy's name, a customer managed policy's ARN).
	RolePolicyNames []string
	// ManagedPolicyArns are the role's attached managed policies
	// (ListAttachedRolePolicies); AWS managed ones are expanded from
	// fnscan's table.
	ManagedPolicyArns []string
}

// ParseDeployed reads a GetFunction response (or a bare
// FunctionConfiguration) into a model with one function. The model's File
// is "lambda:NAME"; lines are those of the JSON given.
func ParseDeployed(getFunction []byte, extra DeployedExtras) (*Model, error) {
	root, err := parseYAMLTree(getFunction)
	if err != nil {
		return nil, fmt.Errorf("GetFunction response: %v", err)
	}
	cfg := root.get("Configuration")
	if cfg == nil {
		cfg = root
	}
	name, ok := cfg.get("FunctionName").scalar()
	if !ok || name == "" {
		return nil, errors.New("GetFunction response: no Configuration.FunctionName")
	}
	f := &Function{
		ID: name, Type: "AWS::Lambda::Function", Line: cfg.line,
		Name:        cfg.get("FunctionName").value(),
		Runtime:     cfg.get("Runtime").value(),
		PackageType: cfg.get("PackageType").value(),
		KMSKeyArn:   cfg.get("KMSKeyArn").value(),
		Role:        cfg.get("Role").value(),
		Tracing:     cfg.path("TracingConfig", "Mode").value(),
		// The log group's retention is not part of the configuration.
		LogRetention:         Value{Text: "(not in the function configuration)", State: Unknown, Line: cfg.line},
		CodeSigningConfigArn: Value{Text: "(not fetched)", State: Unknown, Line: cfg.line},
	}
	if arn, ok := cfg.get("FunctionArn").scalar(); ok {
		if parts := strings.Split(arn, ":"); len(parts) > 4 {
			f.Account = parts[4]
		}
	}
	if vars := cfg.path("Environment", "Variables"); vars != nil && vars.kind == nMap {
		for i, k := range vars.keys {
			f.Env = append(f.Env, EnvVar{Name: k, Value: vars.vals[i].value()})
		}
	}
	for _, l := range cfg.get("Layers").items() {
		f.Layers = append(f.Layers, l.get("Arn").value())
	}
	if f.PackageType.IsKnown() && f.PackageType.Text == "Image" {
		f.Runtime = Value{}
	}
	if extra.CodeSigning != nil {
		cs, err := parseYAMLTree(extra.CodeSigning)
		if err != nil {
			return nil, fmt.Errorf("%s: GetFunctionCodeSigningConfig response: %v", name, err)
		}
		f.CodeSigningConfigArn = cs.get("CodeSigningConfigArn").value()
		if f.CodeSigningConfigArn.IsKnown() && f.CodeSigningConfigArn.Text == "" {
			f.CodeSigningConfigArn = Value{}
		}
	}
	if extra.URLConfig != nil {
		u, err := parseYAMLTree(extra.URLConfig)
		if err != nil {
			return nil, fmt.Errorf("%s: GetFunctionUrlConfig response: %v", name, err)
		}
		f.URL = urlConfig(name+" URL", u)
	}
	if extra.Policy != "" {
		perms, err := resourcePolicy(name, extra.Policy)
		if err != nil {
			return nil, err
		}
		f.Permissions = perms
	}
	if len(extra.RolePolicies) == 0 && len(extra.ManagedPolicyArns) == 0 {
		f.Policies = []*Policy{{Kind: "role", Name: f.Role.Text, Line: f.Role.Line}}
	}
	for i, doc := range extra.RolePolicies {
		label := fmt.Sprintf("role policy %d", i+1)
		if i < len(extra.RolePolicyNames) && extra.RolePolicyNames[i] != "" {
			label = "role policy " + extra.RolePolicyNames[i]
		}
		d, err := parseYAMLTree([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", name, label, err)
		}
		f.Policies = append(f.Policies, inlinePolicy(label, d, f.Role.Line))
	}
	for _, arn := range extra.ManagedPolicyArns {
		f.Policies = append(f.Policies, managedPolicy(Value{Text: arn, State: Known, Line: f.Role.Line}))
	}
	return &Model{File: "lambda:" + name, Format: "Lambda API", Functions: []*Function{f}}, nil
}

// resourcePolicy reads GetPolicy's document into invoke permissions.
func resourcePolicy(fn, doc string) ([]*Permission, error) {
	root, err := parseYAMLTree([]byte(doc))
	if err != nil {
		return nil, fmt.Errorf("%s: GetPolicy document: %v", fn, err)
	}
	var out []*Permission
	for i, s := range root.get("Statement").items() {
		if eff, _ := s.get("Effect").scalar(); eff != "Allow" {
			continue
		}
		id, _ := s.get("Sid").scalar()
		if id == "" {
			id = fmt.Sprintf("statement %d", i+1)
		}
		p := &Permission{ID: fn + " policy " + id, Line: s.line, Action: firstValue(s.get("Action")), Function: firstValue(s.get("Resource"))}
		pr := s.get("Principal")
		switch {
		case pr.kind == nScalar:
			p.Principal = pr.value()
		case pr.get("Service") != nil:
			p.Principal = firstValue(pr.get("Service"))
		case pr.get("AWS") != nil:
			p.Principal = firstValue(pr.get("AWS"))
		default:
			p.Principal = pr.value()
		}
		if cond := s.get("Condition"); cond != nil && cond.kind == nMap {
			for _, op := range cond.vals {
				for j, k := range op.keys {
					v := firstValue(op.vals[j])
					switch strings.ToLower(k) {
					case "aws:sourcearn":
						p.SourceArn = v
					case "aws:sourceaccount":
						p.SourceAccount = v
					case "aws:principalorgid":
						p.PrincipalOrgID = v
					case "lambda:functionurlauthtype":
						p.FunctionURLAuthType = v
					}
				}
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func firstValue(n *node) Value {
	it := n.items()
	if len(it) == 0 {
		return Value{}
	}
	return it[0].value()
}
