package deploy

import (
	"strings"
)

// serverless.yml (Serverless Framework v1–v4): provider defaults and
// functions, their IAM statements, URLs, http/httpApi events and logs.
// Variables (${self:...}, ${ssm:...}, ${env:...}, ${opt:...}) are
// resolved at deploy time: a value holding one is Unknown.

const slsType = "serverless.yml function"

func parseServerlessFile(file string, data []byte) (*Model, error) {
	root, err := parseYAMLTree(data)
	if err != nil {
		return nil, err
	}
	r := &resolver{params: map[string]*node{}, condCache: map[string]int8{}, resources: map[string]string{}}
	if res := root.path("resources", "Resources"); res != nil && res.kind == nMap {
		for i, id := range res.keys {
			typ, _ := res.vals[i].get("Type").scalar()
			r.resources[id] = typ
		}
	}
	// resources: CloudFormation merged into the generated stack, read by
	// the CloudFormation reader, with the functions under their logical ids.
	var cfn *cfnTemplate
	if res := slsResources(root.get("resources")); res != nil {
		cfn = newCFNTemplate(file, res)
	}
	root = slsVars(r.resolve(root))
	m := &Model{File: file, Format: "serverless.yml"}
	prov := root.get("provider")
	// The role Serverless generates for functions without their own.
	var shared []*Policy
	stmts := prov.path("iam", "role", "statements")
	if stmts == nil {
		stmts = prov.get("iamRoleStatements")
	}
	if stmts != nil {
		p := &Policy{Kind: "inline", Name: "provider IAM statements", Line: stmts.line}
		p.Statements, p.Expanded = statements(stmts)
		shared = append(shared, p)
	}
	managed := prov.path("iam", "role", "managedPolicies")
	if managed == nil {
		managed = prov.get("iamManagedPolicies")
	}
	for _, mp := range managed.items() {
		shared = append(shared, managedPolicy(mp.value()))
	}
	sharedRole := prov.path("iam", "role")
	if sharedRole != nil && sharedRole.kind != nMap {
		shared = cfn.slsRole(sharedRole)
	} else if r := prov.get("role"); r != nil {
		shared = cfn.slsRole(r)
	} else if cfn != nil {
		// Policy resources may name the generated role.
		name, _ := sharedRole.get("name").scalar()
		shared = append(shared, cfn.attached(slsRoleID, name)...)
	}
	rest := &API{ID: "ApiGatewayRestApi", Type: "serverless.yml http events", Kind: "REST"}
	httpAPI := &API{ID: "HttpApi", Type: "serverless.yml httpApi events", Kind: "HTTP"}
	fns := root.get("functions")
	if fns != nil && fns.kind == nMap {
		for i, name := range fns.keys {
			fn := fns.vals[i]
			f := &Function{ID: name, Type: slsType, Line: fn.line,
				Name:         fn.get("name").value(),
				Runtime:      pick(fn.get("runtime"), prov.get("runtime")).value(),
				KMSKeyArn:    pick(fn.get("kmsKeyArn"), prov.get("kmsKeyArn")).value(),
				LogRetention: pick(fn.get("logRetentionInDays"), prov.get("logRetentionInDays")).value(),
				// The Serverless Framework has no code signing property.
				Policies: shared,
			}
			if img := fn.get("image"); img != nil {
				f.PackageType = known("Image", img.line)
				f.Runtime = Value{}
			}
			f.Env = append(slsEnv(prov.get("environment")), slsEnv(fn.get("environment"))...)
			f.Env = dedupEnv(f.Env)
			for _, l := range append(prov.get("layers").items(), fn.get("layers").items()...) {
				f.Layers = append(f.Layers, l.value())
			}
			f.Tracing = slsTracing(fn.get("tracing"), prov.path("tracing", "lambda"))
			if role := fn.get("role"); role != nil {
				f.Role = role.value()
				f.Policies = cfn.slsRole(role)
			}
			if u := fn.get("url"); u != nil {
				f.URL = slsURL(name, u)
			}
			for _, ev := range fn.get("events").items() {
				slsEvent(ev, rest, httpAPI)
			}
			m.Functions = append(m.Functions, f)
			if cfn != nil {
				cfn.fnByID[slsLogicalID(name)] = f
				if f.Name.IsKnown() {
					cfn.fnByName[f.Name.Text] = f
				}
			}
		}
	}
	if cfn != nil {
		cm := cfn.read()
		m.Functions = append(m.Functions, cm.Functions...)
		m.APIs = append(m.APIs, cm.APIs...)
		m.Domains = append(m.Domains, cm.Domains...)
		m.Permissions = append(m.Permissions, cm.Permissions...)
		m.Warnings = append(m.Warnings, cm.Warnings...)
	}
	if len(rest.Routes) > 0 {
		rest.Line = rest.Routes[0].Line
		st := &Stage{ID: "ApiGatewayRestApi", Name: pick(prov.get("stage")).value(), Line: rest.Line}
		if lg := prov.path("logs", "restApi"); lg != nil && !isFalse(lg) {
			// accessLogging defaults to true once restApi logs are on.
			if !isFalse(lg.get("accessLogging")) {
				st.AccessLog = known("enabled", lg.line)
			}
			// fullExecutionData defaults to true once restApi logs are on.
			if fe := lg.get("fullExecutionData"); fe == nil {
				st.DataTrace = known("true", lg.line)
			} else if !isFalse(fe) {
				st.DataTrace = fe.value()
			}
		}
		rest.Stages = append(rest.Stages, st)
		m.APIs = append(m.APIs, rest)
	}
	if len(httpAPI.Routes) > 0 {
		httpAPI.Line = httpAPI.Routes[0].Line
		st := &Stage{ID: "HttpApi", Name: known("$default", httpAPI.Line), Line: httpAPI.Line}
		if lg := prov.path("logs", "httpApi"); lg != nil && !isFalse(lg) {
			st.AccessLog = known("enabled", lg.line)
		}
		httpAPI.Stages = append(httpAPI.Stages, st)
		m.APIs = append(m.APIs, httpAPI)
	}
	return m, nil
}

// slsRoleID is the logical id of the role the Framework generates.
const slsRoleID = "IamRoleLambdaExecution"

// slsLogicalID is the logical id the Framework gives a function's
// AWS::Lambda::Function (lib/plugins/aws/lib/naming.js,
// getLambdaLogicalId): "-" becomes "Dash", "_" "Underscore", the first
// letter is upper-cased and "LambdaFunction" appended, so my-fn is
// MyDashfnLambdaFunction.
func slsLogicalID(name string) string {
	name = strings.NewReplacer("-", "Dash", "_", "Underscore").Replace(name)
	if name != "" {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	return name + "LambdaFunction"
}

// slsResources returns resources (a map, or a list of maps as
// ${file(...)} includes give) as one template: Resources, Conditions,
// Mappings, Parameters. Serverless variables outside !Sub are Unknown.
func slsResources(res *node) *node {
	if res == nil {
		return nil
	}
	out := &node{kind: nMap, line: res.line}
	for _, part := range res.items() {
		for _, sec := range []string{"Resources", "Conditions", "Mappings", "Parameters"} {
			v := part.get(sec)
			if v == nil || v.kind != nMap {
				continue
			}
			dst := out.get(sec)
			if dst == nil {
				dst = &node{kind: nMap, line: v.line}
				out.set(sec, dst)
			}
			for i, k := range v.keys {
				dst.set(k, slsVarsRaw(v.vals[i]))
			}
		}
	}
	if out.get("Resources") == nil {
		return nil
	}
	return out
}

// slsVarsRaw is slsVars over an unresolved tree: a !Sub string's ${...}
// are CloudFormation's, left to the resolver.
func slsVarsRaw(n *node) *node {
	if n == nil {
		return nil
	}
	switch n.kind {
	case nScalar:
		return slsVars(n)
	case nMap, nList:
		if n.kind == nMap && len(n.keys) == 1 && n.keys[0] == "Fn::Sub" {
			return n
		}
		return n.mapVals(slsVarsRaw)
	}
	return n
}

// slsRole reads a function's or the provider's role: the logical id of
// an AWS::IAM::Role in resources (AdminRole, !GetAtt AdminRole.Arn) is
// expanded; an ARN or a role from elsewhere is not.
func (t *cfnTemplate) slsRole(role *node) []*Policy {
	id := role.ref
	if s, ok := role.scalar(); ok {
		id = s
	}
	if t != nil && id != "" && t.typ(id) == "AWS::IAM::Role" {
		return t.roleResource(id)
	}
	v := role.value()
	return []*Policy{{Kind: "role", Name: v.Text, Line: role.line}}
}

// slsVars turns scalars holding a Serverless variable into Unknown values.
func slsVars(n *node) *node {
	if n == nil {
		return nil
	}
	switch n.kind {
	case nScalar:
		if strings.Contains(n.str, "${") {
			return &node{kind: nUnknown, str: n.str, line: n.line}
		}
	case nMap, nList:
		for i, v := range n.vals {
			n.vals[i] = slsVars(v)
		}
	}
	return n
}

func pick(ns ...*node) *node {
	for _, n := range ns {
		if n != nil && n.kind != nNull {
			return n
		}
	}
	return nil
}

func isFalse(n *node) bool {
	s, ok := n.scalar()
	return ok && strings.EqualFold(s, "false")
}

func slsEnv(n *node) []EnvVar {
	var out []EnvVar
	if n == nil || n.kind != nMap {
		return out
	}
	for i, k := range n.keys {
		out = append(out, EnvVar{Name: k, Value: n.vals[i].value()})
	}
	return out
}

// dedupEnv keeps the last definition of each name (function over provider).
func dedupEnv(env []EnvVar) []EnvVar {
	var out []EnvVar
	for i, e := range env {
		later := false
		for _, f := range env[i+1:] {
			if f.Name == e.Name {
				later = true
			}
		}
		if !later {
			out = append(out, e)
		}
	}
	return out
}

func slsTracing(fn, prov *node) Value {
	n := pick(fn, prov)
	v := n.value()
	if v.IsKnown() && (strings.EqualFold(v.Text, "true") || strings.EqualFold(v.Text, "Active")) {
		return known("Active", v.Line)
	}
	return v
}

// slsURL reads `url: true` (public: no authorizer) or
// `url: {authorizer: aws_iam, cors: ...}`.
func slsURL(name string, u *node) *FunctionURL {
	fu := &FunctionURL{ID: name + " url", Line: u.line}
	if u.kind == nScalar {
		if isFalse(u) {
			return nil
		}
		fu.AuthType = known("NONE", u.line)
		return fu
	}
	fu.AuthType = known("NONE", u.line)
	if a := u.get("authorizer"); a != nil {
		fu.AuthType = a.value()
		if fu.AuthType.IsKnown() && strings.EqualFold(fu.AuthType.Text, "aws_iam") {
			fu.AuthType.Text = "AWS_IAM"
		}
	}
	switch c := u.get("cors"); {
	case c == nil:
	case c.kind == nScalar && !isFalse(c):
		fu.AllowOrigins = []Value{known("*", c.line)}
	case c.kind == nMap:
		fu.AllowOrigins = values(c.get("allowedOrigins"))
	}
	return fu
}

// slsEvent adds an http (REST) or httpApi route.
func slsEvent(ev *node, rest, httpAPI *API) {
	if ev.kind != nMap || len(ev.keys) != 1 {
		return
	}
	kind, e := ev.keys[0], ev.vals[0]
	var a *API
	switch kind {
	case "http":
		a = rest
	case "httpApi":
		a = httpAPI
	default:
		return
	}
	var method, path string
	auth := known("NONE", e.line)
	if s, ok := e.scalar(); ok {
		// "GET /users/{id}" or "*"
		method, path, _ = strings.Cut(s, " ")
		if s == "*" {
			method, path = "ANY", "$default"
		}
	} else if e.kind == nMap {
		method, _ = e.get("method").scalar()
		path, _ = e.get("path").scalar()
		if az := e.get("authorizer"); az != nil {
			auth = az.value()
			if az.kind == nMap {
				auth = known("authorizer", az.line)
				if n := pick(az.get("name"), az.get("arn"), az.get("type")); n != nil {
					auth = n.value()
				}
			}
		}
		if p := e.get("private"); p != nil && !isFalse(p) && authNone(auth) {
			auth = known("API_KEY", p.line)
		}
	} else {
		return
	}
	if !strings.HasPrefix(path, "/") && path != "$default" {
		path = "/" + path
	}
	auth.Line = e.line
	a.addRoute(&Route{Method: strings.ToUpper(method), Path: path, Line: e.line, Auth: auth})
}
