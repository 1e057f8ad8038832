package deploy

import (
	"sort"
	"strings"
)

// CloudFormation and SAM templates, YAML (with short-form intrinsic tags)
// or JSON.

type cfnTemplate struct {
	file      string
	r         *resolver
	resources *node // raw Resources mapping
	globals   *node
	resolved  map[string]*node // logical id -> resolved Properties
	raw       map[string]*node // logical id -> resource
	byType    map[string][]string
	model     *Model
	fnByID    map[string]*Function
	fnByName  map[string]*Function
	apis      map[string]*API
}

func parseCloudFormation(file string, root *node) *Model {
	t := newCFNTemplate(file, root)
	if tr := root.get("Transform"); tr != nil {
		for _, it := range tr.items() {
			if s, _ := it.scalar(); strings.HasPrefix(s, "AWS::Serverless") {
				t.model.Format = "SAM"
			}
		}
	}
	return t.read()
}

func newCFNTemplate(file string, root *node) *cfnTemplate {
	warnings := expandLoops(root)
	t := &cfnTemplate{
		file:      file,
		r:         newResolver(root),
		resources: root.get("Resources"),
		globals:   root.get("Globals"),
		resolved:  map[string]*node{},
		model:     &Model{File: file, Format: "CloudFormation", Warnings: warnings},
		fnByID:    map[string]*Function{},
		fnByName:  map[string]*Function{},
		apis:      map[string]*API{},
		raw:       map[string]*node{},
		byType:    map[string][]string{},
	}
	if t.resources != nil && t.resources.kind == nMap {
		for i, id := range t.resources.keys {
			t.raw[id] = t.resources.vals[i]
			typ := t.r.resources[id]
			t.byType[typ] = append(t.byType[typ], id)
		}
	}
	return t
}

// read reads the template's resources into t.model. Functions already in
// fnByID (a serverless.yml's, under their logical ids) are linked to, not
// read.
func (t *cfnTemplate) read() *Model {
	ids := t.ids()
	// Functions first: permissions, URLs, log groups and APIs attach to them.
	for _, id := range ids {
		switch t.typ(id) {
		case "AWS::Serverless::Function", "AWS::Lambda::Function":
			if t.fnByID[id] == nil {
				t.function(id)
			}
		}
	}
	for _, id := range ids {
		switch t.typ(id) {
		case "AWS::Serverless::Api":
			t.samAPI(id, "REST")
		case "AWS::Serverless::HttpApi":
			t.samAPI(id, "HTTP")
		case "AWS::ApiGateway::RestApi":
			t.api(id, "REST", t.typ(id))
			t.definitionBody(t.api(id, "REST", t.typ(id)), t.props(id).get("Body"), nil)
		case "AWS::ApiGatewayV2::Api":
			t.api(id, "HTTP", t.typ(id))
			t.definitionBody(t.api(id, "HTTP", t.typ(id)), t.props(id).get("Body"), nil)
		}
	}
	for _, id := range ids {
		switch t.typ(id) {
		case "AWS::Lambda::Permission":
			t.permission(id)
		case "AWS::Lambda::Url":
			t.url(id)
		case "AWS::ApiGateway::Method":
			t.restMethod(id)
		case "AWS::ApiGatewayV2::Route":
			t.v2Route(id)
		case "AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage", "AWS::ApiGateway::Deployment":
			t.stage(id)
		case "AWS::ApiGateway::DomainName", "AWS::ApiGatewayV2::DomainName":
			t.domain(id)
		}
	}
	// Events after the explicit APIs, so that an event's RestApiId finds them.
	for _, id := range ids {
		if t.typ(id) == "AWS::Serverless::Function" {
			t.events(id)
		}
	}
	t.logGroups(ids)
	for _, id := range sortedKeys(t.apis) {
		t.model.APIs = append(t.model.APIs, t.apis[id])
	}
	return t.model
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (t *cfnTemplate) ids() []string {
	if t.resources == nil || t.resources.kind != nMap {
		return nil
	}
	return t.resources.keys
}

func (t *cfnTemplate) typ(id string) string { return t.r.resources[id] }

func (t *cfnTemplate) line(id string) int {
	if n := t.raw[id]; n != nil {
		return n.line
	}
	return 0
}

// props returns a resource's Properties, SAM Globals merged in and
// intrinsics resolved.
func (t *cfnTemplate) props(id string) *node {
	if p, ok := t.resolved[id]; ok {
		return p
	}
	raw := t.raw[id].get("Properties")
	if raw == nil {
		raw = &node{kind: nMap, line: t.line(id)}
	}
	switch t.typ(id) {
	case "AWS::Serverless::Function":
		raw = mergeGlobals(t.globals.get("Function"), raw)
	case "AWS::Serverless::Api":
		raw = mergeGlobals(t.globals.get("Api"), raw)
	case "AWS::Serverless::HttpApi":
		raw = mergeGlobals(t.globals.get("HttpApi"), raw)
	}
	p := t.r.resolve(raw)
	if p.kind != nMap {
		p = &node{kind: nMap, line: p.line}
	}
	t.resolved[id] = p
	return p
}

// mergeGlobals applies SAM Globals: maps merge, lists are appended to the
// global list, scalars in the resource win.
func mergeGlobals(g, res *node) *node {
	if g == nil || g.kind == nNull {
		return res
	}
	if res == nil {
		return g
	}
	switch {
	case g.kind == nMap && res.kind == nMap:
		out := &node{kind: nMap, line: res.line}
		for i, k := range g.keys {
			out.set(k, g.vals[i])
		}
		for i, k := range res.keys {
			out.set(k, mergeGlobals(out.get(k), res.vals[i]))
		}
		return out
	case g.kind == nList && res.kind == nList:
		return &node{kind: nList, line: res.line, vals: append(append([]*node(nil), g.vals...), res.vals...)}
	}
	return res
}

// target finds the function a reference names: Ref/GetAtt of a logical
// id, or a literal function name or ARN.
func (t *cfnTemplate) target(n *node) *Function {
	if n == nil {
		return nil
	}
	if n.kind == nUnknown {
		return t.fnByID[n.ref]
	}
	if s, ok := n.scalar(); ok {
		if f := t.fnByName[s]; f != nil {
			return f
		}
		if i := strings.LastIndex(s, ":function:"); i >= 0 {
			name, _, _ := strings.Cut(s[i+len(":function:"):], ":")
			return t.fnByName[name]
		}
	}
	return nil
}

func (t *cfnTemplate) function(id string) {
	p := t.props(id)
	typ := t.typ(id)
	f := &Function{
		ID: id, Type: typ, Line: t.line(id),
		Name:                 p.get("FunctionName").value(),
		Runtime:              p.get("Runtime").value(),
		PackageType:          p.get("PackageType").value(),
		KMSKeyArn:            p.get("KmsKeyArn").value(),
		Role:                 p.get("Role").value(),
		CodeSigningConfigArn: p.get("CodeSigningConfigArn").value(),
		Layers:               values(p.get("Layers")),
	}
	if vars := p.path("Environment", "Variables"); vars != nil {
		if vars.kind == nMap {
			for i, k := range vars.keys {
				f.Env = append(f.Env, EnvVar{Name: k, Value: vars.vals[i].value()})
			}
		} else {
			f.Env = append(f.Env, EnvVar{Name: "(unresolved)", Value: vars.value()})
		}
	}
	if typ == "AWS::Serverless::Function" {
		f.Tracing = p.get("Tracing").value()
		if u := p.get("FunctionUrlConfig"); u != nil {
			f.URL = urlConfig(id+"Url", u)
		}
	} else {
		f.Tracing = p.path("TracingConfig", "Mode").value()
	}
	if f.PackageType.IsKnown() && f.PackageType.Text == "Image" {
		f.Runtime = Value{}
	}
	f.Policies = t.rolePolicies(id, p, typ == "AWS::Serverless::Function")
	t.model.Functions = append(t.model.Functions, f)
	t.fnByID[id] = f
	if f.Name.IsKnown() {
		t.fnByName[f.Name.Text] = f
	}
}

// rolePolicies collects what a function's role grants. A SAM function
// without Role gets a role holding its Policies (and the basic execution
// role), logical id <function>Role, which policy resources may name;
// otherwise the Role must name an AWS::IAM::Role in the template to be
// judged. A role from elsewhere leaves the policies empty: unknown.
func (t *cfnTemplate) rolePolicies(id string, p *node, sam bool) []*Policy {
	role := p.get("Role")
	if role == nil && sam {
		out := []*Policy{managedPolicy(Value{Text: "AWSLambdaBasicExecutionRole", State: Known, Line: p.line})}
		for _, it := range p.get("Policies").anyItems() {
			out = append(out, t.samPolicy(it))
		}
		if t.typ(id+"Role") == "" {
			out = append(out, t.attached(id+"Role", "")...)
		}
		return out
	}
	if role == nil || role.kind != nUnknown || t.typ(role.ref) != "AWS::IAM::Role" {
		return []*Policy{{Kind: "role", Name: role.value().Text, Line: role.value().Line}}
	}
	return t.roleResource(role.ref)
}

func (t *cfnTemplate) roleResource(roleID string) []*Policy {
	rp := t.props(roleID)
	var out []*Policy
	for _, pol := range rp.get("Policies").anyItems() {
		name, _ := pol.get("PolicyName").scalar()
		out = append(out, inlinePolicy(name, pol.get("PolicyDocument"), pol.line))
	}
	for _, arn := range rp.get("ManagedPolicyArns").anyItems() {
		out = append(out, t.managedOrLocal(arn))
	}
	name, _ := rp.get("RoleName").scalar()
	return append(out, t.attached(roleID, name)...)
}

// attached returns the AWS::IAM::Policy, ManagedPolicy and RolePolicy
// resources that name a role: by Ref to its logical id, or by its
// literal RoleName ("" when it has none).
func (t *cfnTemplate) attached(roleID, roleName string) []*Policy {
	names := func(r *node) bool {
		s, ok := r.scalar()
		return r.ref == roleID || (ok && roleName != "" && s == roleName)
	}
	var out []*Policy
	for _, id := range append(append([]string(nil), t.byType["AWS::IAM::Policy"]...), t.byType["AWS::IAM::ManagedPolicy"]...) {
		pp := t.props(id)
		for _, r := range pp.get("Roles").items() {
			if names(r) {
				out = append(out, inlinePolicy(id, pp.get("PolicyDocument"), t.line(id)))
			}
		}
	}
	for _, id := range t.byType["AWS::IAM::RolePolicy"] {
		pp := t.props(id)
		if names(pp.get("RoleName")) {
			out = append(out, inlinePolicy(id, pp.get("PolicyDocument"), t.line(id)))
		}
	}
	return out
}

func inlinePolicy(name string, doc *node, line int) *Policy {
	p := &Policy{Kind: "inline", Name: name, Line: line}
	p.Statements, p.Expanded = statements(doc)
	return p
}

// managedOrLocal reads a managed policy ARN: an AWS managed one from the
// table, a Ref to an AWS::IAM::ManagedPolicy in the template from its
// document.
func (t *cfnTemplate) managedOrLocal(n *node) *Policy {
	if n.kind == nUnknown && t.typ(n.ref) == "AWS::IAM::ManagedPolicy" {
		return inlinePolicy(n.ref, t.props(n.ref).get("PolicyDocument"), n.line)
	}
	return managedPolicy(n.value())
}

// samPolicy reads one entry of a SAM function's Policies.
func (t *cfnTemplate) samPolicy(it *node) *Policy {
	switch it.kind {
	case nScalar, nUnknown:
		return t.managedOrLocal(it)
	case nMap:
		if it.get("Statement") != nil {
			return inlinePolicy("(inline)", it, it.line)
		}
		if len(it.keys) == 1 {
			if samTemplate(it.keys[0]) != nil {
				return expandTemplate(it.keys[0], it.vals[0], it.line)
			}
			return &Policy{Kind: "template", Name: it.keys[0], Line: it.line}
		}
	}
	return &Policy{Kind: "inline", Name: "(unresolved)", Line: it.line}
}

func urlConfig(id string, u *node) *FunctionURL {
	return &FunctionURL{ID: id, Line: u.line, AuthType: u.get("AuthType").value(), AllowOrigins: values(u.path("Cors", "AllowOrigins"))}
}

func (t *cfnTemplate) permission(id string) {
	p := t.props(id)
	perm := &Permission{
		ID: id, Line: t.line(id),
		Function:            p.get("FunctionName").value(),
		Action:              p.get("Action").value(),
		Principal:           p.get("Principal").value(),
		SourceArn:           p.get("SourceArn").value(),
		SourceAccount:       p.get("SourceAccount").value(),
		PrincipalOrgID:      p.get("PrincipalOrgID").value(),
		FunctionURLAuthType: p.get("FunctionUrlAuthType").value(),
	}
	if f := t.target(p.get("FunctionName")); f != nil {
		f.Permissions = append(f.Permissions, perm)
		return
	}
	t.model.Permissions = append(t.model.Permissions, perm)
}

func (t *cfnTemplate) url(id string) {
	p := t.props(id)
	u := urlConfig(id, p)
	u.Line = t.line(id)
	if f := t.target(p.get("TargetFunctionArn")); f != nil {
		f.URL = u
		return
	}
	// A URL for a function outside the template: judge it on its own.
	t.model.Functions = append(t.model.Functions, &Function{ID: id, Type: "AWS::Lambda::Url", Line: t.line(id), URL: u, Name: p.get("TargetFunctionArn").value()})
}

// logGroups sets each function's LogRetention from the AWS::Logs::LogGroup
// that holds its logs: /aws/lambda/<name>, or the one LoggingConfig names.
func (t *cfnTemplate) logGroups(ids []string) {
	for _, f := range t.model.Functions {
		if f.Type == "AWS::Lambda::Url" {
			continue
		}
		lc := t.props(f.ID).path("LoggingConfig", "LogGroup")
		for _, id := range t.byType["AWS::Logs::LogGroup"] {
			p := t.props(id)
			name := p.get("LogGroupName")
			match := false
			switch {
			case lc != nil && lc.kind == nUnknown && lc.ref == id:
				match = true
			case lc != nil && lc.kind == nScalar && name != nil && name.kind == nScalar && lc.str == name.str:
				match = true
			case lc == nil && name != nil && name.kind == nScalar && f.Name.IsKnown() && name.str == "/aws/lambda/"+f.Name.Text:
				match = true
			case lc == nil && name != nil && name.kind == nUnknown && name.ref == f.ID && strings.HasPrefix(name.str, "!Sub /aws/lambda/${"):
				match = true
			}
			if match {
				f.LogRetention = p.get("RetentionInDays").value()
				if f.LogRetention.IsAbsent() {
					// The group exists but never expires events.
					f.LogRetention = Value{}
				}
			}
		}
	}
}
