package deploy

// ValueState says whether a configuration value is set and resolved.
type ValueState uint8

const (
	// Absent: the property is not set.
	Absent ValueState = iota
	// Known: the value was given literally or resolved from literals,
	// parameter defaults and mappings. Pseudo parameters stay in the text
	// as ${AWS::AccountId}, ${AWS::Region}, ... (the stack's own account,
	// region and partition: known to be those, whatever they are).
	Known
	// Unknown: set, but computed at deploy time (a resource's Ref or
	// attribute, an import, a condition on a parameter without default).
	// Rules never read an Unknown value as "*", nor as safe.
	Unknown
)

// Value is one configuration value with its line.
type Value struct {
	// Text is the literal when Known, the unresolved expression (for
	// evidence) when Unknown.
	Text  string
	State ValueState
	Line  int
	// Alternatives are the literals an Unknown value may take, where the
	// template says (the branches of a condition decided at deploy).
	Alternatives []string
}

// IsKnown reports a resolved value.
func (v Value) IsKnown() bool { return v.State == Known }

// IsUnknown reports a value that is set but unresolved.
func (v Value) IsUnknown() bool { return v.State == Unknown }

// IsAbsent reports a value that is not set.
func (v Value) IsAbsent() bool { return v.State == Absent }

// Model is the deployment configuration of one file (or one deployed
// function): its functions and its APIs.
type Model struct {
	// File is the path as given to ParseFile, or a virtual path for a
	// deployed function ("lambda:NAME").
	File string
	// Format: "SAM", "CloudFormation", "serverless.yml", "Terraform" or
	// "Lambda API".
	Format    string
	Functions []*Function
	APIs      []*API
	// Domains are API custom domain names.
	Domains []*Domain
	// Permissions are invoke permissions whose function is not in this
	// file (or unresolved); those of a known function sit on it.
	Permissions []*Permission
	// Warnings say what the file holds but was not checked (a Fn::ForEach
	// whose collection is decided at deploy), each with its line.
	Warnings []string
}

// Function is one Lambda function.
type Function struct {
	// ID is the logical id (CloudFormation), address (Terraform,
	// "aws_lambda_function.api"), function key (serverless.yml) or the
	// function name (deployed).
	ID string
	// Type is the resource type, e.g. "AWS::Serverless::Function".
	Type string
	Line int
	Name Value
	// Runtime is Absent for container images (PackageType Image).
	Runtime     Value
	PackageType Value
	Env         []EnvVar
	KMSKeyArn   Value
	Role        Value
	// Policies are what the function's role grants: inline, managed and
	// SAM policy templates, from the function or from its role resource.
	Policies    []*Policy
	Permissions []*Permission
	URL         *FunctionURL
	Layers      []Value
	// CodeSigningConfigArn is Unknown for a deployed function whose code
	// signing configuration was not fetched.
	CodeSigningConfigArn Value
	// Tracing is the X-Ray mode: "Active" or "PassThrough".
	Tracing Value
	// LogRetention is the RetentionInDays of the function's log group;
	// Absent when no log group with a retention is declared, Unknown when
	// it cannot be told (a deployed function).
	LogRetention Value
	// Account is the function's own account id when known (deployed).
	Account string
}

// EnvVar is one environment variable.
type EnvVar struct {
	Name  string
	Value Value
}

// Policy is one source of permissions on a function's role.
type Policy struct {
	// Kind: "inline", "managed" or "template" (a SAM policy template).
	Kind string
	// Name: the policy or template name, or the managed policy's name.
	Name string
	Line int
	// Statements are empty when Expanded is false (an unknown managed
	// policy, an unresolved intrinsic).
	Statements []Statement
	Expanded   bool
}

// Statement is one IAM policy statement.
type Statement struct {
	// Sid is the statement id, where given.
	Sid         string
	Effect      Value
	Actions     []Value
	NotAction   bool
	Resources   []Value
	NotResource bool
	// Condition lists the condition keys (e.g. "iam:PassedToService").
	Condition []string
	Line      int
}

// Permission is one invoke permission (AWS::Lambda::Permission, a
// resource-based policy statement).
type Permission struct {
	ID   string
	Line int
	// Function is the function the permission is for, as written.
	Function            Value
	Action              Value
	Principal           Value
	SourceArn           Value
	SourceAccount       Value
	PrincipalOrgID      Value
	FunctionURLAuthType Value
}

// FunctionURL is a function URL configuration.
type FunctionURL struct {
	ID           string
	Line         int
	AuthType     Value
	AllowOrigins []Value
}

// API is an API Gateway REST ("REST") or HTTP/WebSocket ("HTTP") API.
type API struct {
	ID, Type string
	Kind     string
	Line     int
	Routes   []*Route
	Stages   []*Stage
}

// Route is one method on a path.
type Route struct {
	Method, Path string
	Line         int
	// Auth is the authorization: "NONE", "AWS_IAM", "API_KEY", an
	// authorizer name, or Unknown.
	Auth Value
}

// Stage is one deployment stage of an API.
type Stage struct {
	ID        string
	Name      Value
	Line      int
	AccessLog Value // destination ARN (or "enabled"); Absent when off
	DataTrace Value // "true" when full request/response logging is on
}

// Domain is an API custom domain name.
type Domain struct {
	ID             string
	Type           string
	Line           int
	Name           Value
	SecurityPolicy Value // "TLS_1_0", "TLS_1_2"; Absent when not set
}
