package aws

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/fnscan/fnscan/artifact"
)

// ProviderName is the target kind and spec prefix: lambda:NAME.
const ProviderName = "lambda"

func init() { Register(DefaultClientOptions()) }

// Register makes "lambda:" targets use these options, replacing the
// provider registered before (the default one reads the SDK's environment).
func Register(opts ClientOptions) { artifact.Register(NewProvider(opts)) }

// NewProvider returns the lambda: provider. Its refs are a function name,
// NAME:QUALIFIER (alias or version) or a function ARN (whose region wins).
func NewProvider(opts ClientOptions) artifact.Provider {
	return &provider{opts: opts}
}

type provider struct {
	opts ClientOptions
	once sync.Once
	sess *session
}

func (p *provider) Name() string { return ProviderName }

func (p *provider) Open(ctx context.Context, ref string, opts artifact.Options) (*artifact.Target, error) {
	s, _ := ctx.Value(sessionKey{}).(*session)
	if s == nil {
		p.once.Do(func() { p.sess = newSession(p.opts) })
		s = p.sess
	}
	fn, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	info, _ := ctx.Value(infoKey{}).(*functionInfo)
	return s.open(ctx, fn, opts, info)
}

type sessionKey struct{}
type infoKey struct{}

// functionInfo is what a fleet learns about a function while it is opened.
type functionInfo struct {
	Name, ARN, Region string
	Runtime           string
	PackageType       string
	CodeSha256        string
	Layers            []LayerRef
}

// funcRef is a parsed lambda: ref.
type funcRef struct {
	name      string // name or unqualified ARN, as GetFunction takes it
	qualifier string
	region    string // from an ARN; "" otherwise
	shown     string // the ref as given
}

var (
	fnARN  = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+)(?::([a-zA-Z0-9$_-]+))?$`)
	fnName = regexp.MustCompile(`^([a-zA-Z0-9_-]{1,140})(?::([a-zA-Z0-9$_-]+))?$`)
)

func parseRef(ref string) (funcRef, error) {
	if m := fnARN.FindStringSubmatch(ref); m != nil {
		return funcRef{name: strings.TrimSuffix(ref, ":"+m[5]), qualifier: m[5], region: m[2], shown: ref}, nil
	}
	if m := fnName.FindStringSubmatch(ref); m != nil {
		return funcRef{name: m[1], qualifier: m[2], shown: ref}, nil
	}
	return funcRef{}, fmt.Errorf("lambda:%s: not a function name, NAME:ALIAS or function ARN", ref)
}

// described is one GetFunction answer: decoded, and raw for Deployed.
type described struct {
	out *lambda.GetFunctionOutput
	raw []byte
}

func (s *session) describe(ctx context.Context, c *lambda.Client, fn funcRef) (described, error) {
	var d described
	in := &lambda.GetFunctionInput{FunctionName: awssdk.String(fn.name)}
	if fn.qualifier != "" {
		in.Qualifier = awssdk.String(fn.qualifier)
	}
	out, err := c.GetFunction(ctx, in, keepBody(&d.raw))
	if err != nil {
		return d, fmt.Errorf("lambda:%s: %w", fn.shown, apiError(err))
	}
	if out.Configuration == nil || out.Code == nil {
		return d, fmt.Errorf("lambda:%s: GetFunction response has no Configuration or Code", fn.shown)
	}
	d.out = out
	d.raw = withoutCodeLocation(d.raw)
	return d, nil
}

// withoutCodeLocation drops Code.Location, the presigned download URL, from
// the GetFunction answer the checks read: its X-Amz-Credential holds the
// Lambda service's temporary access key id (ASIA…), which secret rules
// rightly match, on every function, with a new value on every call.
func withoutCodeLocation(raw []byte) []byte {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return raw
	}
	var code map[string]json.RawMessage
	if json.Unmarshal(top["Code"], &code) != nil || code["Location"] == nil {
		return raw
	}
	delete(code, "Location")
	var err error
	if top["Code"], err = marshalAsIs(code); err != nil {
		return raw
	}
	out, err := marshalAsIs(top)
	if err != nil {
		return raw
	}
	return out
}

// marshalAsIs encodes without HTML escaping: the checks read values as
// deployed ("a&b", not "a\u0026b").
func marshalAsIs(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// open fetches a function's configuration, downloads its code and layers,
// and opens them as one composite target, as `--layer` does. The
// downloads are removed before open returns: the target holds its
// unpacked copy.
func (s *session) open(ctx context.Context, fn funcRef, opts artifact.Options, info *functionInfo) (*artifact.Target, error) {
	status := func(m string) {
		if opts.Status != nil {
			opts.Status(m)
		}
	}
	c, err := s.client(ctx, fn.region)
	if err != nil {
		return nil, fmt.Errorf("lambda:%s: %w", fn.shown, err)
	}
	status("fetching lambda:" + fn.shown)
	d, err := s.describe(ctx, c, fn)
	if err != nil {
		return nil, err
	}
	conf := d.out.Configuration
	name := awssdk.ToString(conf.FunctionName)
	arn := awssdk.ToString(conf.FunctionArn)
	region := regionOf(c)
	if m := fnARN.FindStringSubmatch(arn); m != nil {
		region = m[2]
	}
	what := "lambda:" + cmp.Or(arn, fn.shown)
	if info != nil {
		info.Name, info.ARN, info.Region = name, arn, region
		info.Runtime, info.PackageType, info.CodeSha256 = string(conf.Runtime), string(conf.PackageType), awssdk.ToString(conf.CodeSha256)
	}
	dep := artifact.Deployed{Name: fmt.Sprintf("lambda:%s (%s)", name, region), GetFunction: d.raw}
	s.extras(ctx, c, fn, &dep, opts.Warn)
	s.roleExtras(ctx, fn, awssdk.ToString(conf.Role), &dep, opts.Warn)

	if conf.PackageType == "Image" {
		uri := cmp.Or(awssdk.ToString(d.out.Code.ResolvedImageUri), awssdk.ToString(d.out.Code.ImageUri))
		if uri == "" {
			return nil, fmt.Errorf("%s: an image function without an ImageUri", what)
		}
		t, err := artifact.Open(ctx, "registry:"+uri, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		t.Deployed = append(t.Deployed, dep)
		return t, nil
	}

	dir, err := os.MkdirTemp(opts.TempDir, "fnscan-lambda-")
	if err != nil {
		return nil, fmt.Errorf("creating download dir: %w", err)
	}
	defer os.RemoveAll(dir)
	fnZip := filepath.Join(dir, safeName(name)+".zip")
	status("downloading " + what)
	for try := 1; ; try++ {
		loc := awssdk.ToString(d.out.Code.Location)
		err = s.download(ctx, loc, fnZip, conf.CodeSize, awssdk.ToString(conf.CodeSha256), what)
		if !errors.Is(err, errExpired) || try == 3 {
			break
		}
		// The presigned URL expired (a long queue, a slow disk): a fresh
		// GetFunction gives a new one.
		if d, err = s.describe(ctx, c, fn); err != nil {
			return nil, err
		}
		conf = d.out.Configuration
		dep.GetFunction = d.raw
	}
	if err != nil {
		return nil, err
	}
	cache := s.layers
	if cache == nil {
		cache = newLayerCache(dir)
	}
	var layerZips []string
	var layerErr error
	for _, l := range conf.Layers {
		larn := awssdk.ToString(l.Arn)
		status("downloading layer " + larn)
		e := cache.get(ctx, s, c, larn)
		if e.err != nil {
			if info == nil {
				return nil, fmt.Errorf("%s: %w", what, e.err)
			}
			// A fleet lists every layer of the function, the failed one
			// with its error; the others are cached for other functions.
			info.Layers = append(info.Layers, LayerRef{ARN: larn, Error: strings.TrimPrefix(e.err.Error(), "layer "+larn+": ")})
			if layerErr == nil {
				layerErr = fmt.Errorf("%s: %w", what, e.err)
			}
			continue
		}
		layerZips = append(layerZips, e.path)
		if info != nil {
			info.Layers = append(info.Layers, LayerRef{ARN: larn, CodeSha256: e.sha})
		}
	}
	if layerErr != nil {
		return nil, layerErr
	}
	opts.Layers = layerZips
	opts.Runtime = string(conf.Runtime)
	t, err := artifact.Open(ctx, "zip:"+fnZip, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	t.Name = what
	t.Deployed = append(t.Deployed, dep)
	return t, nil
}

// extras fetches the responses the configuration checks read beside
// GetFunction. None is needed to scan the code: a failure is a warning
// and the field stays empty ("not fetched").
func (s *session) extras(ctx context.Context, c *lambda.Client, fn funcRef, dep *artifact.Deployed, warn func(artifact.Warning)) {
	q := func() *string {
		if fn.qualifier == "" {
			return nil
		}
		return awssdk.String(fn.qualifier)
	}
	report := func(op string, err error) {
		if warn != nil && statusOf(err) != http.StatusNotFound {
			warn(artifact.Warning{Path: "lambda:" + fn.shown, Message: fmt.Sprintf("%s not checked: %v", op, apiError(err))})
		}
	}
	if out, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: awssdk.String(fn.name), Qualifier: q()}); err == nil {
		dep.Policy = awssdk.ToString(out.Policy)
	} else {
		report("resource-based policy (GetPolicy)", err)
	}
	var raw []byte
	if _, err := c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: awssdk.String(fn.name), Qualifier: q()}, keepBody(&raw)); err == nil {
		dep.URLConfig = raw
	} else {
		report("function URL (GetFunctionUrlConfig)", err)
	}
	raw = nil
	if _, err := c.GetFunctionCodeSigningConfig(ctx, &lambda.GetFunctionCodeSigningConfigInput{FunctionName: awssdk.String(fn.name)}, keepBody(&raw)); err == nil {
		dep.CodeSigning = raw
	} else {
		report("code signing (GetFunctionCodeSigningConfig)", err)
	}
}

// roleExtras fills in what the execution role grants, for the IAM
// checks. A role that cannot be read is a warning: those checks stay
// silent for it.
func (s *session) roleExtras(ctx context.Context, fn funcRef, role string, dep *artifact.Deployed, warn func(artifact.Warning)) {
	if role == "" {
		return
	}
	c, err := s.iamClient(ctx, fn.region)
	if err != nil {
		if warn != nil {
			warn(artifact.Warning{Path: "lambda:" + fn.shown, Message: fmt.Sprintf("execution role policies (%s) not checked: %v", role, err)})
		}
		return
	}
	e := s.roles.get(ctx, c, role)
	dep.RolePolicies, dep.ManagedPolicyArns, dep.RolePolicyNames = e.policies, e.managed, e.names
	for _, p := range e.problems {
		if warn != nil {
			warn(artifact.Warning{Path: "lambda:" + fn.shown, Message: fmt.Sprintf("execution role policies (%s) not checked: %s", role, p)})
		}
	}
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9._-]`)

func safeName(s string) string {
	s = unsafeChars.ReplaceAllString(s, "_")
	if s == "" || s == "." || s == ".." {
		return "function"
	}
	return s
}
