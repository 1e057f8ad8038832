package deploy

// Rule describes one deployment-configuration check. Rules are data: the
// table below is the whole catalogue, each entry with a positive and a
// negative template under testdata/rules/<ID>/.
type Rule struct {
	ID    string // FNS-CFG-NNN
	Title string
	// Severity: "CRITICAL", "HIGH", "MEDIUM" or "LOW".
	Severity    string
	Remediation string
	// CheckovID is the equivalent Checkov check ("" when none).
	CheckovID string
	// Unknown says how the rule treats values it cannot resolve.
	Unknown string
}

// Rule ids.
const (
	ruleAdminAction     = "FNS-CFG-001"
	ruleServiceWildcard = "FNS-CFG-002"
	ruleWriteOnAll      = "FNS-CFG-003"
	rulePassRole        = "FNS-CFG-004"
	ruleAdminPolicy     = "FNS-CFG-005"
	rulePrivEsc         = "FNS-CFG-006"
	rulePublicInvoke    = "FNS-CFG-010"
	ruleServiceNoSource = "FNS-CFG-011"
	ruleURLNoAuth       = "FNS-CFG-012"
	ruleURLCorsAny      = "FNS-CFG-013"
	ruleRESTNoAuth      = "FNS-CFG-014"
	ruleHTTPNoAuth      = "FNS-CFG-015"
	ruleEnvSecret       = "FNS-CFG-020"
	ruleEnvNoKMS        = "FNS-CFG-021"
	ruleNoCodeSigning   = "FNS-CFG-030"
	ruleDeprecated      = "FNS-CFG-031"
	ruleForeignLayer    = "FNS-CFG-032"
	ruleNoAccessLog     = "FNS-CFG-040"
	ruleDataTrace       = "FNS-CFG-041"
	ruleOldTLS          = "FNS-CFG-042"
	ruleNoTracing       = "FNS-CFG-043"
	ruleNoRetention     = "FNS-CFG-044"
)

var rules = []Rule{
	{ID: ruleAdminAction, Title: "Function role allows every action (\"*\")", Severity: "CRITICAL", CheckovID: "CKV_AWS_63",
		Remediation: "List the actions the function calls instead of \"*\" (or Allow with NotAction on \"*\").",
		Unknown:     "An unresolved action is not read as \"*\"."},
	{ID: ruleServiceWildcard, Title: "Function role allows all actions of a service (\"service:*\")", Severity: "HIGH",
		Remediation: "Replace \"service:*\" (and full-access managed policies) with the actions the function needs; \"service:*\" includes its write and permission-management actions.",
		Unknown:     "An unresolved action is skipped."},
	{ID: ruleWriteOnAll, Title: "Function role allows write actions on all resources", Severity: "HIGH", CheckovID: "CKV_AWS_111",
		Remediation: "Scope write actions to the ARNs of the function's own resources (a SAM policy template parameter of \"*\" means every resource).",
		Unknown:     "A resource that is not resolved (a Ref, a GetAtt) is taken as scoped: no finding. \"*\", and ARNs whose resource part is a wildcard (table/*, arn:aws:s3:::*), are all resources."},
	{ID: rulePassRole, Title: "Function role may pass any role (iam:PassRole on \"*\")", Severity: "HIGH",
		Remediation: "Limit iam:PassRole to the ARNs of the roles the function must pass, and add an iam:PassedToService condition.",
		Unknown:     "Unresolved resources are taken as scoped."},
	{ID: ruleAdminPolicy, Title: "AdministratorAccess or PowerUserAccess attached to a function role", Severity: "CRITICAL", CheckovID: "CKV_AWS_274",
		Remediation: "Detach the administrative managed policy; grant the function only what it calls.",
		Unknown:     "An unresolved managed policy ARN is not reported."},
	{ID: rulePrivEsc, Title: "Function role holds privilege-escalation permissions", Severity: "HIGH", CheckovID: "CKV_AWS_110",
		Remediation: "Remove IAM policy/credential management and function-code updates from the role, or scope them to specific resources.",
		Unknown:     "Unresolved actions and resources are skipped."},
	{ID: rulePublicInvoke, Title: "Function invocable by any principal (\"*\") without a source condition", Severity: "CRITICAL", CheckovID: "CKV_AWS_301",
		Remediation: "Grant invoke to a specific account or service principal, with SourceArn/SourceAccount or PrincipalOrgID.",
		Unknown:     "An unresolved principal is not called public."},
	{ID: ruleServiceNoSource, Title: "Service principal may invoke the function without SourceArn or SourceAccount", Severity: "MEDIUM", CheckovID: "CKV_AWS_364",
		Remediation: "Add SourceArn (or SourceAccount) so that only your own bucket, topic or rule can invoke the function (confused deputy).",
		Unknown:     "An unresolved SourceArn/SourceAccount counts as set."},
	{ID: ruleURLNoAuth, Title: "Function URL without authentication (AuthType NONE)", Severity: "HIGH", CheckovID: "CKV_AWS_258",
		Remediation: "Use AuthType AWS_IAM, or put the function behind an API with an authorizer.",
		Unknown:     "An unresolved AuthType is not reported."},
	{ID: ruleURLCorsAny, Title: "Function URL CORS allows any origin (\"*\")", Severity: "MEDIUM", CheckovID: "CKV2_AWS_75",
		Remediation: "List the allowed origins.",
		Unknown:     "Unresolved origins are not reported."},
	{ID: ruleRESTNoAuth, Title: "REST API method without authorization", Severity: "HIGH", CheckovID: "CKV_AWS_59",
		Remediation: "Set an authorizer (Cognito, Lambda, AWS_IAM) or an API key on every non-OPTIONS method, or a DefaultAuthorizer on the API.",
		Unknown:     "An unresolved authorizer counts as set; OPTIONS (CORS preflight) is exempt."},
	{ID: ruleHTTPNoAuth, Title: "HTTP API route without authorization", Severity: "HIGH", CheckovID: "CKV_AWS_309",
		Remediation: "Set an authorizer (JWT, Lambda, AWS_IAM) on every non-OPTIONS route, or a DefaultAuthorizer on the API.",
		Unknown:     "An unresolved authorizer counts as set; OPTIONS is exempt; only $connect of a WebSocket API is judged."},
	{ID: ruleEnvSecret, Title: "Literal secret in a function environment variable", Severity: "CRITICAL", CheckovID: "CKV_AWS_45",
		Remediation: "Move the secret to Secrets Manager or SSM Parameter Store and read it at run time; rotate the exposed one.",
		Unknown:     "Only literal values are judged; references (!Ref, {{resolve:...}}, ${ssm:...}) are not secrets."},
	{ID: ruleEnvNoKMS, Title: "Secret-named environment variables without a customer KMS key", Severity: "MEDIUM", CheckovID: "CKV_AWS_173",
		Remediation: "Set KmsKeyArn to a customer managed key (better: keep secrets out of the environment).",
		Unknown:     "An unresolved KmsKeyArn counts as set."},
	{ID: ruleNoCodeSigning, Title: "No code signing configuration", Severity: "LOW", CheckovID: "CKV_AWS_272",
		Remediation: "Attach a CodeSigningConfigArn whose policy enforces signatures from your signing profile.",
		Unknown:     "A deployed function whose code signing configuration was not fetched is not reported; container images are exempt."},
	{ID: ruleDeprecated, Title: "Deprecated Lambda runtime", Severity: "HIGH", CheckovID: "CKV_AWS_363",
		Remediation: "Move to a supported runtime version: a deprecated one gets no security patches.",
		Unknown:     "An unresolved runtime is not reported."},
	{ID: ruleForeignLayer, Title: "Layer from another AWS account", Severity: "MEDIUM",
		Remediation: "Publish the layer in your own account (after review), or pin a version you have audited from a publisher you trust.",
		Unknown:     "A layer ARN built from ${AWS::AccountId} or a Ref is the function's own; an unresolved ARN is not reported."},
	{ID: ruleNoAccessLog, Title: "API stage without access logging", Severity: "MEDIUM", CheckovID: "CKV_AWS_76",
		Remediation: "Set AccessLogSetting (REST) or AccessLogSettings (HTTP) with a destination log group.",
		Unknown:     "An unresolved destination counts as set."},
	{ID: ruleDataTrace, Title: "API stage logs full requests and responses (data trace)", Severity: "MEDIUM", CheckovID: "CKV_AWS_276",
		Remediation: "Turn DataTraceEnabled off in production: it writes request and response bodies (tokens, personal data) to CloudWatch.",
		Unknown:     "An unresolved DataTraceEnabled is reported (it may be on)."},
	{ID: ruleOldTLS, Title: "API custom domain allows TLS below 1.2", Severity: "MEDIUM", CheckovID: "CKV_AWS_206",
		Remediation: "Set SecurityPolicy TLS_1_2.",
		Unknown:     "An unset or unresolved SecurityPolicy is not reported."},
	{ID: ruleNoTracing, Title: "X-Ray tracing not active", Severity: "LOW", CheckovID: "CKV_AWS_50",
		Remediation: "Set Tracing: Active (SAM), TracingConfig.Mode Active, or tracing_config { mode = \"Active\" }.",
		Unknown:     "An unresolved mode is not reported."},
	{ID: ruleNoRetention, Title: "Function logs kept forever (no log retention)", Severity: "LOW",
		Remediation: "Declare the function's log group (/aws/lambda/NAME) with RetentionInDays.",
		Unknown:     "A deployed function's retention cannot be seen in its configuration: not reported."},
}

// Rules returns the catalogue, in id order.
func Rules() []Rule { return append([]Rule(nil), rules...) }

func ruleByID(id string) Rule {
	for _, r := range rules {
		if r.ID == id {
			return r
		}
	}
	panic("deploy: unknown rule " + id)
}
