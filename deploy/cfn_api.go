package deploy

import (
	"strings"
)

// API Gateway: SAM Api/HttpApi (with their DefinitionBody and the
// functions' Api/HttpApi events, including the implicit ServerlessRestApi
// and ServerlessHttpApi), and the plain ApiGateway/ApiGatewayV2 resources.

func (t *cfnTemplate) api(id, kind, typ string) *API {
	if a, ok := t.apis[id]; ok {
		return a
	}
	a := &API{ID: id, Type: typ, Kind: kind, Line: t.line(id)}
	t.apis[id] = a
	return a
}

// addRoute adds a route, or merges it into the same method and path: the
// route is authorized when either declaration authorizes it (SAM merges
// event auth into the DefinitionBody operation).
func (a *API) addRoute(r *Route) {
	for _, old := range a.Routes {
		if strings.EqualFold(old.Method, r.Method) && old.Path == r.Path {
			if authNone(old.Auth) && !authNone(r.Auth) {
				old.Auth = r.Auth
			}
			return
		}
	}
	a.Routes = append(a.Routes, r)
}

func authNone(v Value) bool {
	return v.IsAbsent() || (v.IsKnown() && strings.EqualFold(v.Text, "NONE"))
}

func known(s string, line int) Value { return Value{Text: s, State: Known, Line: line} }

func (t *cfnTemplate) samAPI(id, kind string) {
	p := t.props(id)
	a := t.api(id, kind, t.typ(id))
	t.definitionBody(a, p.get("DefinitionBody"), p)
	st := &Stage{ID: id, Name: p.get("StageName").value(), Line: t.line(id)}
	if kind == "REST" {
		st.AccessLog = p.path("AccessLogSetting", "DestinationArn").value()
		st.DataTrace = methodDataTrace(p.get("MethodSettings"))
	} else {
		st.AccessLog = p.path("AccessLogSettings", "DestinationArn").value()
		if st.Name.IsAbsent() {
			st.Name = known("$default", t.line(id))
		}
	}
	a.Stages = append(a.Stages, st)
	if d := p.get("Domain"); d != nil {
		t.model.Domains = append(t.model.Domains, &Domain{ID: id, Type: t.typ(id), Line: d.line, Name: d.get("DomainName").value(), SecurityPolicy: d.get("SecurityPolicy").value()})
	}
}

// methodDataTrace reads MethodSettings[].DataTraceEnabled.
func methodDataTrace(ms *node) Value {
	for _, m := range ms.items() {
		if v := m.get("DataTraceEnabled").value(); v.IsUnknown() || (v.IsKnown() && strings.EqualFold(v.Text, "true")) {
			return v
		}
	}
	return Value{}
}

// samDefaultAuth is the authorization a SAM API gives a route with no
// Auth of its own.
func samDefaultAuth(p *node, line int) Value {
	if p == nil {
		return known("NONE", line)
	}
	auth := p.get("Auth")
	if v := auth.get("DefaultAuthorizer").value(); !v.IsAbsent() {
		return v
	}
	if v := auth.get("ApiKeyRequired").value(); v.IsKnown() && strings.EqualFold(v.Text, "true") {
		return known("API_KEY", v.Line)
	}
	return known("NONE", line)
}

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "x-amazon-apigateway-any-method": true}

// definitionBody reads the operations of an OpenAPI/Swagger body. An
// operation's security (or the document's) authorizes it; none, or an
// empty list, leaves it to the SAM default authorizer, if any.
func (t *cfnTemplate) definitionBody(a *API, body, samProps *node) {
	if body == nil || body.kind != nMap {
		return
	}
	global := body.get("security")
	paths := body.get("paths")
	if paths == nil || paths.kind != nMap {
		return
	}
	for i, path := range paths.keys {
		ops := paths.vals[i]
		if ops.kind != nMap {
			continue
		}
		for j, m := range ops.keys {
			if !httpMethods[strings.ToLower(m)] {
				continue
			}
			op := ops.vals[j]
			method := strings.ToUpper(m)
			if method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
				method = "ANY"
			}
			sec := op.get("security")
			if sec == nil {
				sec = global
			}
			auth := securityAuth(sec)
			if authNone(auth) && samProps != nil {
				auth = samDefaultAuth(samProps, op.line)
			}
			auth.Line = op.line
			a.addRoute(&Route{Method: method, Path: path, Line: op.line, Auth: auth})
		}
	}
}

func securityAuth(sec *node) Value {
	if sec == nil {
		return Value{}
	}
	if sec.kind == nUnknown {
		return sec.value()
	}
	for _, req := range sec.items() {
		if req.kind == nMap && len(req.keys) > 0 {
			return known(req.keys[0], req.line)
		}
	}
	return known("NONE", sec.line)
}

// events reads a SAM function's Api and HttpApi events.
func (t *cfnTemplate) events(id string) {
	evs := t.props(id).get("Events")
	if evs == nil || evs.kind != nMap {
		return
	}
	for i := range evs.keys {
		ev := evs.vals[i]
		typ, _ := ev.get("Type").scalar()
		if typ != "Api" && typ != "HttpApi" {
			continue
		}
		ep := ev.get("Properties")
		kind, apiKey, implicit := "REST", "RestApiId", "ServerlessRestApi"
		if typ == "HttpApi" {
			kind, apiKey, implicit = "HTTP", "ApiId", "ServerlessHttpApi"
		}
		apiID := implicit
		var samProps *node
		if ref := ep.get(apiKey); ref != nil {
			if ref.kind != nUnknown || t.typ(ref.ref) == "" {
				continue // an API outside the template
			}
			apiID = ref.ref
			samProps = t.props(apiID)
		} else {
			// The implicit API takes Globals.Api / Globals.HttpApi.
			g := "Api"
			if kind == "HTTP" {
				g = "HttpApi"
			}
			samProps = t.r.resolve(t.globals.get(g))
		}
		a := t.api(apiID, kind, "AWS::Serverless::"+map[string]string{"REST": "Api", "HTTP": "HttpApi"}[kind])
		if a.Line == 0 {
			a.Line = ev.line
		}
		if apiID == implicit && len(a.Stages) == 0 {
			st := &Stage{ID: implicit, Name: known("Prod", ev.line), Line: ev.line}
			if kind == "HTTP" {
				st.Name = known("$default", ev.line)
				st.AccessLog = samProps.path("AccessLogSettings", "DestinationArn").value()
			} else {
				st.AccessLog = samProps.path("AccessLogSetting", "DestinationArn").value()
				st.DataTrace = methodDataTrace(samProps.get("MethodSettings"))
			}
			a.Stages = append(a.Stages, st)
		}
		method, _ := ep.get("Method").scalar()
		path, _ := ep.get("Path").scalar()
		if kind == "HTTP" && method == "" && path == "" {
			method, path = "ANY", "$default"
		}
		auth := ep.path("Auth", "Authorizer").value()
		if v := ep.path("Auth", "ApiKeyRequired").value(); authNone(auth) && v.IsKnown() && strings.EqualFold(v.Text, "true") {
			auth = known("API_KEY", v.Line)
		}
		if auth.IsAbsent() {
			auth = samDefaultAuth(samProps, ev.line)
		}
		auth.Line = ev.line
		a.addRoute(&Route{Method: strings.ToUpper(method), Path: path, Line: ev.line, Auth: auth})
	}
}

func (t *cfnTemplate) restMethod(id string) {
	p := t.props(id)
	apiID := ""
	if api := p.get("RestApiId"); api != nil {
		apiID = api.ref
	}
	if apiID == "" {
		apiID = "(external)"
	}
	a := t.api(apiID, "REST", "AWS::ApiGateway::RestApi")
	path := "/"
	if res := p.get("ResourceId"); res != nil && res.kind == nUnknown && t.typ(res.ref) == "AWS::ApiGateway::Resource" {
		if s, ok := t.props(res.ref).get("PathPart").scalar(); ok {
			path = "/" + s
		} else {
			path = "/{" + res.ref + "}"
		}
	}
	method, _ := p.get("HttpMethod").scalar()
	auth := p.get("AuthorizationType").value()
	if v := p.get("ApiKeyRequired").value(); authNone(auth) && v.IsKnown() && strings.EqualFold(v.Text, "true") {
		auth = known("API_KEY", v.Line)
	}
	if auth.IsAbsent() {
		auth = known("NONE", t.line(id))
	}
	a.Routes = append(a.Routes, &Route{Method: strings.ToUpper(method), Path: path, Line: t.line(id), Auth: auth})
}

func (t *cfnTemplate) v2Route(id string) {
	p := t.props(id)
	apiID := ""
	if api := p.get("ApiId"); api != nil {
		apiID = api.ref
	}
	if apiID == "" {
		apiID = "(external)"
	}
	a := t.api(apiID, "HTTP", "AWS::ApiGatewayV2::Api")
	key, _ := p.get("RouteKey").scalar()
	method, path, ok := strings.Cut(key, " ")
	if !ok {
		method, path = "", key
	}
	if proto, _ := t.props(apiID).get("ProtocolType").scalar(); proto == "WEBSOCKET" && key != "$connect" {
		return // only $connect of a WebSocket API takes an authorizer
	}
	auth := p.get("AuthorizationType").value()
	if auth.IsAbsent() {
		auth = known("NONE", t.line(id))
	}
	a.Routes = append(a.Routes, &Route{Method: method, Path: path, Line: t.line(id), Auth: auth})
}

func (t *cfnTemplate) stage(id string) {
	p := t.props(id)
	typ := t.typ(id)
	st := &Stage{ID: id, Name: p.get("StageName").value(), Line: t.line(id)}
	var apiID, kind string
	switch typ {
	case "AWS::ApiGateway::Stage":
		apiID, kind = p.get("RestApiId").refName(), "REST"
		st.AccessLog = p.path("AccessLogSetting", "DestinationArn").value()
		st.DataTrace = methodDataTrace(p.get("MethodSettings"))
	case "AWS::ApiGateway::Deployment":
		if st.Name.IsAbsent() {
			return // a deployment without StageName creates no stage
		}
		apiID, kind = p.get("RestApiId").refName(), "REST"
		sd := p.get("StageDescription")
		st.AccessLog = sd.path("AccessLogSetting", "DestinationArn").value()
		st.DataTrace = sd.get("DataTraceEnabled").value()
		if v := st.DataTrace; !(v.IsUnknown() || (v.IsKnown() && strings.EqualFold(v.Text, "true"))) {
			st.DataTrace = methodDataTrace(sd.get("MethodSettings"))
		}
	case "AWS::ApiGatewayV2::Stage":
		apiID, kind = p.get("ApiId").refName(), "HTTP"
		st.AccessLog = p.path("AccessLogSettings", "DestinationArn").value()
		st.DataTrace = p.path("DefaultRouteSettings", "DataTraceEnabled").value()
	}
	if apiID == "" {
		apiID = "(external)"
	}
	a := t.api(apiID, kind, map[string]string{"REST": "AWS::ApiGateway::RestApi", "HTTP": "AWS::ApiGatewayV2::Api"}[kind])
	a.Stages = append(a.Stages, st)
}

func (t *cfnTemplate) domain(id string) {
	p := t.props(id)
	d := &Domain{ID: id, Type: t.typ(id), Line: t.line(id), Name: p.get("DomainName").value(), SecurityPolicy: p.get("SecurityPolicy").value()}
	for _, c := range p.get("DomainNameConfigurations").items() {
		if v := c.get("SecurityPolicy").value(); !v.IsAbsent() {
			d.SecurityPolicy = v
		}
	}
	t.model.Domains = append(t.model.Domains, d)
}
