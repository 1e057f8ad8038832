package deploy

import (
	"slices"
	"strings"
)

// Terraform (.tf): the AWS provider's Lambda, IAM, API Gateway and log
// group resources of one file. References to other resources are Unknown
// values that name the resource, so a function's role, a permission's
// function and a log group's function are linked within the file;
// var.NAME resolves to the variable's literal default.

type tfFile struct {
	file string
	res  *node // resource -> type -> name -> body
	data *node
	m    *Model
	fns  map[string]*Function // "aws_lambda_function.x"
	docs map[string]mergedDoc // policy documents merged (policyDocument)
}

func parseTerraformFile(file string, data []byte) (*Model, error) {
	root, err := parseHCL(string(data))
	if err != nil {
		return nil, err
	}
	tfVars(root, root.get("variable"))
	t := &tfFile{file: file, res: root.get("resource"), data: root.get("data"),
		m: &Model{File: file, Format: "Terraform"}, fns: map[string]*Function{}}
	for _, name := range t.names("aws_lambda_function") {
		t.function(name)
	}
	t.each("aws_lambda_permission", t.permission)
	t.each("aws_lambda_function_url", t.url)
	t.each("aws_cloudwatch_log_group", t.logGroup)
	t.apis()
	return t.m, nil
}

// tfVars replaces var.NAME with the variable's literal default.
func tfVars(n, vars *node) {
	if n == nil || vars == nil {
		return
	}
	for i, v := range n.vals {
		if v.kind == nUnknown && strings.HasPrefix(v.str, "var.") && !strings.ContainsAny(v.str, " ([") {
			if def := vars.get(strings.TrimPrefix(v.str, "var.")).get("default"); def != nil && def.kind == nScalar {
				c := *def
				c.line = v.line
				n.vals[i] = &c
			}
			continue
		}
		tfVars(v, vars)
	}
}

func (t *tfFile) names(typ string) []string {
	if m := t.res.get(typ); m != nil && m.kind == nMap {
		return m.keys
	}
	return nil
}

func (t *tfFile) body(typ, name string) *node { return t.res.get(typ).get(name) }

func (t *tfFile) each(typ string, fn func(addr string, b *node)) {
	for _, name := range t.names(typ) {
		fn(typ+"."+name, t.body(typ, name))
	}
}

// block returns the first nested block of a type.
func block(b *node, name string) *node {
	if it := b.get(name).items(); len(it) > 0 {
		return it[0]
	}
	return nil
}

func (t *tfFile) function(name string) {
	b := t.body("aws_lambda_function", name)
	addr := "aws_lambda_function." + name
	f := &Function{ID: addr, Type: "aws_lambda_function", Line: b.line,
		Name:                 b.get("function_name").value(),
		Runtime:              b.get("runtime").value(),
		PackageType:          b.get("package_type").value(),
		KMSKeyArn:            b.get("kms_key_arn").value(),
		Role:                 b.get("role").value(),
		CodeSigningConfigArn: b.get("code_signing_config_arn").value(),
		Layers:               values(b.get("layers")),
		Tracing:              block(b, "tracing_config").get("mode").value(),
	}
	if f.PackageType.IsKnown() && f.PackageType.Text == "Image" {
		f.Runtime = Value{}
	}
	if vars := block(b, "environment").get("variables"); vars != nil {
		if vars.kind == nMap {
			for i, k := range vars.keys {
				f.Env = append(f.Env, EnvVar{Name: k, Value: vars.vals[i].value()})
			}
		} else {
			f.Env = append(f.Env, EnvVar{Name: "(unresolved)", Value: vars.value()})
		}
	}
	f.Policies = t.rolePolicies(b.get("role"))
	t.fns[addr] = f
	t.m.Functions = append(t.m.Functions, f)
}

// rolePolicies collects what an aws_iam_role of this file grants: inline
// policies, managed_policy_arns, and the aws_iam_role_policy,
// aws_iam_role_policy_attachment, aws_iam_policy_attachment and
// aws_iam_role_policy_attachments_exclusive resources naming it, by
// reference or by its literal name.
func (t *tfFile) rolePolicies(role *node) []*Policy {
	if role == nil || role.kind != nUnknown || !strings.HasPrefix(role.ref, "aws_iam_role.") {
		v := role.value()
		return []*Policy{{Kind: "role", Name: v.Text, Line: v.Line}}
	}
	rname := strings.TrimPrefix(role.ref, "aws_iam_role.")
	rb := t.body("aws_iam_role", rname)
	if rb == nil {
		return []*Policy{{Kind: "role", Name: role.ref, Line: role.line}}
	}
	literal, _ := rb.get("name").scalar()
	names := func(r *node) bool {
		if r == nil {
			return false
		}
		s, ok := r.scalar()
		return r.ref == role.ref || (ok && literal != "" && s == literal)
	}
	var out []*Policy
	for _, ip := range rb.get("inline_policy").items() {
		n, _ := ip.get("name").scalar()
		out = append(out, t.policy(n, ip.get("policy"), ip.line))
	}
	for _, arn := range rb.get("managed_policy_arns").items() {
		out = append(out, t.policyArn(arn))
	}
	for _, name := range t.names("aws_iam_role_policy") {
		b := t.body("aws_iam_role_policy", name)
		if names(b.get("role")) {
			out = append(out, t.policy("aws_iam_role_policy."+name, b.get("policy"), b.line))
		}
	}
	for _, name := range t.names("aws_iam_role_policy_attachment") {
		b := t.body("aws_iam_role_policy_attachment", name)
		if names(b.get("role")) {
			out = append(out, t.policyArn(b.get("policy_arn")))
		}
	}
	for _, name := range t.names("aws_iam_policy_attachment") {
		b := t.body("aws_iam_policy_attachment", name)
		if slices.ContainsFunc(b.get("roles").items(), names) {
			out = append(out, t.policyArn(b.get("policy_arn")))
		}
	}
	for _, name := range t.names("aws_iam_role_policy_attachments_exclusive") {
		b := t.body("aws_iam_role_policy_attachments_exclusive", name)
		if names(b.get("role_name")) {
			for _, arn := range b.get("policy_arns").items() {
				out = append(out, t.policyArn(arn))
			}
		}
	}
	return out
}

func (t *tfFile) policyArn(arn *node) *Policy {
	if arn == nil {
		return &Policy{Kind: "managed"}
	}
	if arn.kind == nUnknown && strings.HasPrefix(arn.ref, "aws_iam_policy.") {
		b := t.body("aws_iam_policy", strings.TrimPrefix(arn.ref, "aws_iam_policy."))
		if b != nil {
			return t.policy(arn.ref, b.get("policy"), arn.line)
		}
	}
	return managedPolicy(tfPolicyText(arn).value())
}

// policy reads a policy attribute: jsonencode({...}), a JSON string or
// heredoc, or a data.aws_iam_policy_document's .json.
func (t *tfFile) policy(name string, v *node, line int) *Policy {
	p := &Policy{Kind: "inline", Name: name, Line: line}
	switch {
	case v == nil:
	case v.kind == nMap:
		p.Statements, p.Expanded = statements(tfPolicyText(v))
	case policyDocRef(v) != "":
		// "${data.aws_iam_policy_document.p.json}" is Terraform 0.11's
		// way of writing the reference.
		p.Statements, p.Expanded = t.policyDocument(policyDocRef(v), 0, map[string]bool{})
	case v.kind == nScalar || v.tmpl:
		doc, err := parseYAMLTree([]byte(jsonTemplate(v.str)))
		if err == nil {
			shiftLines(doc, v.line-1)
			p.Statements, p.Expanded = statements(tfPolicyText(doc))
		}
	}
	return p
}

// policyDocRef is the data.aws_iam_policy_document a value refers to,
// bare or as a template of that one reference.
func policyDocRef(v *node) string {
	const prefix = "data.aws_iam_policy_document."
	if v.kind == nUnknown && strings.HasPrefix(v.ref, prefix) {
		return v.ref
	}
	if v.tmpl {
		if inner, ok := strings.CutPrefix(v.str, "${"); ok {
			if ref, ok := strings.CutSuffix(inner, "}"); ok && strings.HasPrefix(ref, prefix) && !strings.ContainsAny(ref, "${} ") {
				return strings.TrimSuffix(ref, ".json")
			}
		}
	}
	return ""
}

// policyDocument reads a data "aws_iam_policy_document" with the documents
// it merges, as the provider does: source_policy_documents' statements
// first, replaced by the document's own of the same Sid, then
// override_policy_documents' replacing those of their Sid and adding the
// rest. A document that cannot be read leaves the result not Expanded.
func (t *tfFile) policyDocument(ref string, depth int, open map[string]bool) ([]Statement, bool) {
	d := t.data.get("aws_iam_policy_document").get(strings.TrimPrefix(ref, "data.aws_iam_policy_document."))
	if d == nil || depth > 10 || open[ref] {
		return nil, false
	}
	if m, ok := t.docs[ref]; ok {
		return m.statements, m.expanded
	}
	// A cycle is not expanded, and each document once: a chain of
	// documents each listing the next many times grew exponentially.
	open[ref] = true
	defer delete(open, ref)
	sts, ok := t.mergeDocument(d, depth, open)
	if len(sts) > maxMergedStatements {
		sts, ok = sts[:maxMergedStatements], false
	}
	if t.docs == nil {
		t.docs = map[string]mergedDoc{}
	}
	t.docs[ref] = mergedDoc{sts, ok}
	return sts, ok
}

type mergedDoc struct {
	statements []Statement
	expanded   bool
}

const maxMergedStatements = 10_000

func (t *tfFile) mergeDocument(d *node, depth int, open map[string]bool) ([]Statement, bool) {
	var out []Statement
	ok := true
	merge := func(sts []Statement) {
		for _, st := range sts {
			i := slices.IndexFunc(out, func(o Statement) bool { return st.Sid != "" && o.Sid == st.Sid })
			if i >= 0 {
				out[i] = st
			} else {
				out = append(out, st)
			}
		}
	}
	doc := func(v *node) []Statement {
		var sts []Statement
		var expanded bool
		if ref := policyDocRef(v); ref != "" {
			sts, expanded = t.policyDocument(ref, depth+1, open)
		} else {
			p := t.policy("", v, v.line)
			sts, expanded = p.Statements, p.Expanded
		}
		ok = ok && expanded
		return sts
	}
	for _, v := range d.get("source_policy_documents").items() {
		out = append(out, doc(v)...)
	}
	merge(tfPolicyDocument(d))
	for _, v := range d.get("override_policy_documents").items() {
		merge(doc(v))
	}
	return out, ok
}

// jsonTemplate makes a JSON policy with Terraform interpolations parse:
// each ${...} stays as text, quoted (and its quotes escaped) so that the
// JSON around it is well formed. $${ is a literal ${.
func jsonTemplate(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr && c == '\\' && i+1 < len(s):
			b.WriteString(s[i : i+2])
			i++
			continue
		case c == '"':
			inStr = !inStr
		case c == '$' && strings.HasPrefix(s[i:], "$${"):
			b.WriteString("$$")
			i++
			continue
		case c == '$' && strings.HasPrefix(s[i:], "${"):
			end := interpEnd(s, i)
			esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s[i:end])
			if !inStr {
				esc = `"` + esc + `"`
			}
			b.WriteString(esc)
			i = end - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// interpEnd returns the index after the } closing the ${ at i, skipping
// quoted strings inside it; len(s) when unclosed.
func interpEnd(s string, i int) int {
	depth := 0
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '"':
			for j++; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
				}
			}
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return j + 1
			}
		}
	}
	return len(s)
}

// tfPolicyText makes a policy's interpolated strings what the rules can
// judge. An ARN keeps its literal text with each ${...} opaque in it, as
// CloudFormation's pseudo parameters are (see placeholder):
// arn:${data.aws_partition.current.partition}:s3:::* is every bucket.
// Any other string holding an interpolation is Unknown.
func tfPolicyText(n *node) *node {
	if n == nil {
		return nil
	}
	switch n.kind {
	case nUnknown:
		if n.tmpl && strings.HasPrefix(n.str, "arn:") {
			return &node{kind: nScalar, str: n.str, line: n.line}
		}
	case nScalar:
		if i := strings.Index(n.str, "${"); i >= 0 && !strings.HasPrefix(n.str, "arn:") {
			u := unknown(n.str, n.line, tfRef(strings.TrimSpace(strings.SplitN(n.str[i+2:], "}", 2)[0])))
			u.tmpl = true
			return u
		}
	case nMap, nList:
		return n.mapVals(tfPolicyText)
	}
	return n
}

func shiftLines(n *node, by int) {
	if n == nil {
		return
	}
	n.line += by
	for _, v := range n.vals {
		shiftLines(v, by)
	}
}

// tfPolicyDocument reads data "aws_iam_policy_document" statement blocks.
func tfPolicyDocument(d *node) []Statement {
	var out []Statement
	for _, s := range d.get("statement").items() {
		s = tfPolicyText(s)
		st := Statement{Effect: s.get("effect").value(), Line: s.line}
		st.Sid, _ = s.get("sid").scalar()
		if st.Effect.IsAbsent() {
			st.Effect = known("Allow", s.line)
		}
		if a := s.get("actions"); a != nil {
			st.Actions = values(a)
		} else {
			st.Actions, st.NotAction = values(s.get("not_actions")), true
		}
		if r := s.get("resources"); r != nil {
			st.Resources = values(r)
		} else if r := s.get("not_resources"); r != nil {
			st.Resources, st.NotResource = values(r), true
		}
		for _, c := range s.get("condition").items() {
			st.Condition = append(st.Condition, c.get("variable").value().Text)
		}
		out = append(out, st)
	}
	return out
}

// target finds the function a reference or name points at.
func (t *tfFile) target(n *node) *Function {
	if n == nil {
		return nil
	}
	if f := t.fns[n.ref]; f != nil {
		return f
	}
	if s, ok := n.scalar(); ok {
		for _, f := range t.m.Functions {
			if f.Name.IsKnown() && (f.Name.Text == s || strings.HasSuffix(s, ":function:"+f.Name.Text)) {
				return f
			}
		}
	}
	return nil
}

func (t *tfFile) permission(addr string, b *node) {
	p := &Permission{ID: addr, Line: b.line,
		Function:            b.get("function_name").value(),
		Action:              b.get("action").value(),
		Principal:           b.get("principal").value(),
		SourceArn:           b.get("source_arn").value(),
		SourceAccount:       b.get("source_account").value(),
		PrincipalOrgID:      b.get("principal_org_id").value(),
		FunctionURLAuthType: b.get("function_url_auth_type").value(),
	}
	if f := t.target(b.get("function_name")); f != nil {
		f.Permissions = append(f.Permissions, p)
		return
	}
	t.m.Permissions = append(t.m.Permissions, p)
}

func (t *tfFile) url(addr string, b *node) {
	u := &FunctionURL{ID: addr, Line: b.line, AuthType: b.get("authorization_type").value(),
		AllowOrigins: values(block(b, "cors").get("allow_origins"))}
	if f := t.target(b.get("function_name")); f != nil {
		f.URL = u
		return
	}
	t.m.Functions = append(t.m.Functions, &Function{ID: addr, Type: "aws_lambda_function_url", Line: b.line, URL: u, Name: b.get("function_name").value()})
}

func (t *tfFile) logGroup(addr string, b *node) {
	name := b.get("name")
	for _, f := range t.m.Functions {
		match := false
		switch {
		case name == nil:
		case name.kind == nScalar && f.Name.IsKnown():
			match = name.str == "/aws/lambda/"+f.Name.Text
		case name.kind == nUnknown:
			match = name.ref == f.ID && strings.HasPrefix(name.str, "/aws/lambda/")
		}
		if match {
			f.LogRetention = b.get("retention_in_days").value()
		}
	}
}

func (t *tfFile) api(ref string, kind, typ string, line int) *API {
	if ref == "" {
		ref = "(external)"
	}
	for _, a := range t.m.APIs {
		if a.ID == ref {
			return a
		}
	}
	a := &API{ID: ref, Type: typ, Kind: kind, Line: line}
	t.m.APIs = append(t.m.APIs, a)
	return a
}

func (t *tfFile) apis() {
	t.each("aws_api_gateway_method", func(addr string, b *node) {
		a := t.api(b.get("rest_api_id").refName(), "REST", "aws_api_gateway_rest_api", b.line)
		auth := b.get("authorization").value()
		if v := b.get("api_key_required").value(); authNone(auth) && isTrue(v) {
			auth = known("API_KEY", v.Line)
		}
		if auth.IsAbsent() {
			auth = known("NONE", b.line)
		}
		method, _ := b.get("http_method").scalar()
		path := "/"
		if r := b.get("resource_id"); r != nil && strings.HasPrefix(r.ref, "aws_api_gateway_resource.") {
			if s, ok := t.body("aws_api_gateway_resource", strings.TrimPrefix(r.ref, "aws_api_gateway_resource.")).get("path_part").scalar(); ok {
				path = "/" + s
			}
		}
		a.Routes = append(a.Routes, &Route{Method: strings.ToUpper(method), Path: path, Line: b.line, Auth: auth})
	})
	t.each("aws_apigatewayv2_route", func(addr string, b *node) {
		a := t.api(b.get("api_id").refName(), "HTTP", "aws_apigatewayv2_api", b.line)
		key, _ := b.get("route_key").scalar()
		if api := t.body("aws_apigatewayv2_api", strings.TrimPrefix(a.ID, "aws_apigatewayv2_api.")); api != nil {
			if proto, _ := api.get("protocol_type").scalar(); proto == "WEBSOCKET" && key != "$connect" {
				return
			}
		}
		method, path, ok := strings.Cut(key, " ")
		if !ok {
			method, path = "", key
		}
		auth := b.get("authorization_type").value()
		if auth.IsAbsent() {
			auth = known("NONE", b.line)
		}
		a.Routes = append(a.Routes, &Route{Method: method, Path: path, Line: b.line, Auth: auth})
	})
	t.each("aws_api_gateway_stage", func(addr string, b *node) {
		a := t.api(b.get("rest_api_id").refName(), "REST", "aws_api_gateway_rest_api", b.line)
		st := &Stage{ID: addr, Name: b.get("stage_name").value(), Line: b.line,
			AccessLog: block(b, "access_log_settings").get("destination_arn").value()}
		// aws_api_gateway_method_settings for this stage.
		for _, ms := range t.names("aws_api_gateway_method_settings") {
			mb := t.body("aws_api_gateway_method_settings", ms)
			sn := mb.get("stage_name")
			if sn.ref == addr || (sn.kind == nScalar && st.Name.IsKnown() && sn.str == st.Name.Text) {
				if v := block(mb, "settings").get("data_trace_enabled").value(); isTrue(v) || v.IsUnknown() {
					st.DataTrace = v
				}
			}
		}
		a.Stages = append(a.Stages, st)
	})
	t.each("aws_apigatewayv2_stage", func(addr string, b *node) {
		a := t.api(b.get("api_id").refName(), "HTTP", "aws_apigatewayv2_api", b.line)
		a.Stages = append(a.Stages, &Stage{ID: addr, Name: b.get("name").value(), Line: b.line,
			AccessLog: block(b, "access_log_settings").get("destination_arn").value(),
			DataTrace: block(b, "default_route_settings").get("data_trace_enabled").value()})
	})
	t.each("aws_api_gateway_domain_name", func(addr string, b *node) {
		t.m.Domains = append(t.m.Domains, &Domain{ID: addr, Type: "aws_api_gateway_domain_name", Line: b.line,
			Name: b.get("domain_name").value(), SecurityPolicy: b.get("security_policy").value()})
	})
	t.each("aws_apigatewayv2_domain_name", func(addr string, b *node) {
		t.m.Domains = append(t.m.Domains, &Domain{ID: addr, Type: "aws_apigatewayv2_domain_name", Line: b.line,
			Name: b.get("domain_name").value(), SecurityPolicy: block(b, "domain_name_configuration").get("security_policy").value()})
	})
}
