package deploy

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fnscan/fnscan/secrets"
)

// Finding is one rule violation on one resource.
type Finding struct {
	RuleID, Title string
	// Severity: "CRITICAL", "HIGH", "MEDIUM" or "LOW".
	Severity string
	// Resource is the logical id, Terraform address, serverless.yml
	// function key or deployed function name, e.g. "OrderFunction".
	Resource     string
	ResourceType string
	// File and Line locate the offending element (File as given to
	// ParseFile, or the virtual path of a deployed function).
	File string
	Line int
	// Evidence is short and never holds a secret in full.
	Evidence    string
	Remediation string
	CheckovID   string
}

// Check judges a model against every rule, with the runtime deprecation
// dates as of now.
func Check(m *Model) []Finding { return CheckAt(m, time.Now()) }

// CheckAt is Check with the date runtimes are judged at. Findings are
// sorted by file, line, rule and resource.
func CheckAt(m *Model, now time.Time) []Finding {
	if m == nil {
		return nil
	}
	c := &checker{m: m, now: now, seen: map[string]bool{}}
	// A permission for a function outside the file (or an alias) goes with
	// a URL of a function outside the file, if the file has one without auth.
	urlElsewhere := false
	for _, f := range m.Functions {
		c.function(f)
		urlElsewhere = urlElsewhere || (urlOnly(f) && urlNoAuth(f.URL))
	}
	for _, p := range m.Permissions {
		c.permission(p.ID, "AWS::Lambda::Permission", p, urlElsewhere)
	}
	for _, a := range m.APIs {
		c.api(a)
	}
	for _, d := range m.Domains {
		if v := d.SecurityPolicy; v.IsKnown() && strings.EqualFold(v.Text, "TLS_1_0") {
			c.emit(ruleOldTLS, d.ID, d.Type, line(v.Line, d.Line), "SecurityPolicy "+v.Text)
		}
	}
	slices.SortFunc(c.out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Evidence, b.Evidence))
	})
	return c.out
}

type checker struct {
	m    *Model
	now  time.Time
	out  []Finding
	seen map[string]bool
	red  *secrets.Redactor
	// noRules: the secret rules did not load; knownFormat finds nothing.
	noRules bool
}

// knownFormat reports a value holding a secret of a known format (a
// Stripe or GitHub token) whatever its variable is called, found by the
// secrets stage's rules, and returns the value with the secret redacted.
// A name such as STRIPE or GITHUB says nothing, so EnvSecret misses it.
func (c *checker) knownFormat(v string) (string, bool) {
	if c.red == nil {
		c.red = secrets.StartRedactor()
		c.noRules = c.red.Ready() != nil
	}
	if c.noRules || secrets.EnvReference(v) {
		return "", false
	}
	return c.red.KnownFormat(v)
}

func line(ls ...int) int {
	for _, l := range ls {
		if l > 0 {
			return l
		}
	}
	return 0
}

func (c *checker) emit(id, resource, typ string, line int, evidence string) {
	key := fmt.Sprint(id, "\x00", resource, "\x00", line, "\x00", evidence)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	r := ruleByID(id)
	c.out = append(c.out, Finding{
		RuleID: id, Title: r.Title, Severity: r.Severity, Resource: resource, ResourceType: typ,
		File: c.m.File, Line: line, Evidence: evidence, Remediation: r.Remediation, CheckovID: r.CheckovID,
	})
}

func isTrue(v Value) bool { return v.IsKnown() && strings.EqualFold(v.Text, "true") }

func (c *checker) function(f *Function) {
	if f.URL != nil {
		c.url(f, f.URL)
	}
	if urlOnly(f) {
		return // a URL of a function outside the file
	}
	c.iam(f)
	// A URL without auth is reported on the URL; the permission that comes
	// with it is that same finding.
	for _, p := range f.Permissions {
		c.permission(p.ID, permType(c.m.Format), p, urlNoAuth(f.URL))
	}
	// Secrets and encryption.
	secretNamed := ""
	for _, e := range f.Env {
		if secrets.SecretName(e.Name) && secretNamed == "" && !(e.Value.IsKnown() && secrets.EnvReference(e.Value.Text)) {
			secretNamed = e.Name
		}
		if !e.Value.IsKnown() {
			continue
		}
		red, ok := secrets.EnvSecret(e.Name, e.Value.Text)
		if !ok {
			red, ok = c.knownFormat(e.Value.Text)
		}
		if ok {
			if secretNamed == "" {
				secretNamed = e.Name
			}
			c.emit(ruleEnvSecret, f.ID, f.Type, line(e.Value.Line, f.Line), e.Name+" = "+red)
		}
	}
	if secretNamed != "" && f.KMSKeyArn.IsAbsent() {
		c.emit(ruleEnvNoKMS, f.ID, f.Type, f.Line, "environment has "+secretNamed+"; no KmsKeyArn")
	}
	// Supply chain.
	image := f.PackageType.IsKnown() && f.PackageType.Text == "Image"
	if f.CodeSigningConfigArn.IsAbsent() && !image {
		c.emit(ruleNoCodeSigning, f.ID, f.Type, f.Line, "no CodeSigningConfigArn")
	}
	if f.Runtime.IsKnown() {
		if date, ok := runtimeDeprecated(f.Runtime.Text, c.now); ok {
			c.emit(ruleDeprecated, f.ID, f.Type, line(f.Runtime.Line, f.Line), fmt.Sprintf("runtime %s, deprecated since %s", f.Runtime.Text, date))
		}
	}
	// A runtime chosen at deploy is reported if either choice is deprecated.
	for _, rt := range f.Runtime.Alternatives {
		if date, ok := runtimeDeprecated(rt, c.now); ok {
			c.emit(ruleDeprecated, f.ID, f.Type, line(f.Runtime.Line, f.Line), fmt.Sprintf("runtime %s where %s chooses it, deprecated since %s", rt, f.Runtime.Text, date))
		}
	}
	for _, l := range f.Layers {
		if acct, ok := foreignLayer(l, f.Account); ok {
			c.emit(ruleForeignLayer, f.ID, f.Type, line(l.Line, f.Line), fmt.Sprintf("layer %s from account %s", l.Text, acct))
		}
	}
	// Logging.
	if !f.Tracing.IsUnknown() && !(f.Tracing.IsKnown() && strings.EqualFold(f.Tracing.Text, "Active")) {
		ev := "tracing not set"
		if f.Tracing.IsKnown() {
			ev = "tracing " + f.Tracing.Text
		}
		c.emit(ruleNoTracing, f.ID, f.Type, line(f.Tracing.Line, f.Line), ev)
	}
	if f.LogRetention.IsAbsent() {
		c.emit(ruleNoRetention, f.ID, f.Type, f.Line, "no log group with RetentionInDays for the function")
	}
}

func permType(format string) string {
	switch format {
	case "Terraform":
		return "aws_lambda_permission"
	case "Lambda API":
		return "Lambda resource policy"
	}
	return "AWS::Lambda::Permission"
}

var accountRe = regexp.MustCompile(`^arn:[^:]+:lambda:[^:]*:([^:]+):layer:`)

// foreignLayer returns the account of a layer ARN that is not the
// function's own: own is the function's account when known; a template's
// ${AWS::AccountId} is its own account.
func foreignLayer(l Value, own string) (string, bool) {
	if !l.IsKnown() {
		return "", false
	}
	m := accountRe.FindStringSubmatch(l.Text)
	if m == nil || m[1] == "${AWS::AccountId}" || m[1] == own {
		return "", false
	}
	return m[1], true
}

// urlOnly: the model's function stands for a URL resource of a function
// defined elsewhere.
func urlOnly(f *Function) bool {
	return f.Type == "AWS::Lambda::Url" || f.Type == "aws_lambda_function_url"
}

func urlNoAuth(u *FunctionURL) bool {
	return u != nil && mayBe(u.AuthType, "NONE")
}

// mayBe reports a value that is s, or may be where a condition decided at
// deploy chooses it (either branch counts, as for runtimes).
func mayBe(v Value, s string) bool {
	if v.IsKnown() {
		return strings.EqualFold(v.Text, s)
	}
	return slices.ContainsFunc(v.Alternatives, func(a string) bool { return strings.EqualFold(a, s) })
}

// chosen is the evidence suffix of a value that is only one branch of a
// condition.
func chosen(v Value) string {
	if v.IsUnknown() {
		return " where " + v.Text + " chooses it"
	}
	return ""
}

func (c *checker) url(f *Function, u *FunctionURL) {
	typ := f.Type
	if urlNoAuth(u) {
		c.emit(ruleURLNoAuth, f.ID, typ, line(u.AuthType.Line, u.Line), "function URL AuthType NONE"+chosen(u.AuthType))
	}
	for _, o := range u.AllowOrigins {
		if o.IsKnown() && o.Text == "*" {
			c.emit(ruleURLCorsAny, f.ID, typ, line(o.Line, u.Line), "function URL Cors.AllowOrigins \"*\"")
		}
	}
}

// urlReported: the function's URL without auth is reported already.
// A principal chosen by a condition decided at deploy is judged for each
// branch.
func (c *checker) permission(resource, typ string, p *Permission, urlReported bool) {
	pr := p.Principal
	principals := pr.Alternatives
	if pr.IsKnown() {
		principals = []string{pr.Text}
	}
	conditioned := !p.SourceArn.IsAbsent() || !p.SourceAccount.IsAbsent() || !p.PrincipalOrgID.IsAbsent()
	for _, who := range principals {
		switch {
		case who == "*":
			urlPublic := mayBe(p.FunctionURLAuthType, "NONE") && mayBe(p.Action, "lambda:InvokeFunctionUrl")
			switch {
			case conditioned || (urlPublic && urlReported):
			case urlPublic:
				c.emit(rulePublicInvoke, resource, typ, line(pr.Line, p.Line), "Principal \"*\""+chosen(pr)+" may call the function URL without auth (FunctionUrlAuthType NONE)")
			default:
				c.emit(rulePublicInvoke, resource, typ, line(pr.Line, p.Line), fmt.Sprintf("Principal \"*\"%s may call %s", chosen(pr), p.Action.Text))
			}
		case strings.HasSuffix(who, ".amazonaws.com"):
			if p.SourceArn.IsAbsent() && p.SourceAccount.IsAbsent() {
				c.emit(ruleServiceNoSource, resource, typ, line(pr.Line, p.Line), "Principal "+who+chosen(pr)+" without SourceArn or SourceAccount")
			}
		}
	}
}

func (c *checker) api(a *API) {
	for _, r := range a.Routes {
		if strings.EqualFold(r.Method, "OPTIONS") || !authNone(r.Auth) {
			continue
		}
		id := ruleRESTNoAuth
		if a.Kind == "HTTP" {
			id = ruleHTTPNoAuth
		}
		c.emit(id, a.ID, a.Type, r.Line, strings.TrimSpace(r.Method+" "+r.Path)+" has no authorizer")
	}
	for _, s := range a.Stages {
		name := s.Name.Text
		if s.AccessLog.IsAbsent() {
			c.emit(ruleNoAccessLog, a.ID, a.Type, s.Line, "stage "+name+" has no access log destination")
		}
		if v := s.DataTrace; isTrue(v) || v.IsUnknown() {
			c.emit(ruleDataTrace, a.ID, a.Type, line(v.Line, s.Line), "stage "+name+" DataTraceEnabled "+v.Text)
		}
	}
}
