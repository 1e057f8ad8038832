package aws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ClientOptions say how to reach the Lambda API and how downloads are
// bounded. Start from DefaultClientOptions.
type ClientOptions struct {
	// Region is used when a ref is not an ARN (which names its region);
	// "" takes the SDK's chain ($AWS_REGION, the profile).
	Region string
	// Profile is a shared config profile; "" takes $AWS_PROFILE or default.
	Profile string
	// EndpointURL replaces the Lambda endpoint, as the AWS CLI's
	// --endpoint-url does; "" takes the SDK's ($AWS_ENDPOINT_URL...).
	EndpointURL string
	// HTTPClient carries API calls and downloads; nil is a default client.
	HTTPClient *http.Client
	// MaxDownloadBytes caps one downloaded zip (function or layer).
	MaxDownloadBytes int64
	// DownloadTimeout bounds one download; DownloadIdleTimeout ends one
	// that receives nothing for that long.
	DownloadTimeout     time.Duration
	DownloadIdleTimeout time.Duration
	// MaxAttempts is how often an API call is tried (throttling, 5xx).
	MaxAttempts int
	// MaxRetryAfter caps one wait a Retry-After header asks for.
	MaxRetryAfter time.Duration
}

// DefaultClientOptions fit real Lambda: a deployment package is at most
// 250 MB, a presigned URL lives 10 minutes.
func DefaultClientOptions() ClientOptions {
	return ClientOptions{
		MaxDownloadBytes:    512 << 20,
		DownloadTimeout:     8 * time.Minute,
		DownloadIdleTimeout: 60 * time.Second,
		MaxAttempts:         6,
		MaxRetryAfter:       20 * time.Second,
	}
}

func (o ClientOptions) withDefaults() ClientOptions {
	d := DefaultClientOptions()
	if o.MaxDownloadBytes <= 0 {
		o.MaxDownloadBytes = d.MaxDownloadBytes
	}
	if o.DownloadTimeout <= 0 {
		o.DownloadTimeout = d.DownloadTimeout
	}
	if o.DownloadIdleTimeout <= 0 {
		o.DownloadIdleTimeout = d.DownloadIdleTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = d.MaxAttempts
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = d.MaxRetryAfter
	}
	return o
}

// defaultHTTPClient is the SDK's buildable client: the SDK adds a custom CA
// bundle (AWS_CA_BUNDLE, ca_bundle in a profile: corporate TLS proxies) to
// it, which it cannot do to a plain *http.Client.
func defaultHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.Proxy = http.ProxyFromEnvironment
		t.ResponseHeaderTimeout = 60 * time.Second
		t.TLSHandshakeTimeout = 20 * time.Second
		t.MaxIdleConnsPerHost = 16
		t.IdleConnTimeout = 90 * time.Second
	})
}

// session holds one Lambda client per region; clients are made on first
// use and shared by every function of a run.
type session struct {
	opts    ClientOptions
	mu      sync.Mutex
	clients map[string]*lambda.Client
	iams    map[string]*iam.Client // by the same region keys as clients
	roles   *roleCache
	http    awssdk.HTTPClient // API calls; downloads once a config is loaded
	loaded  awssdk.HTTPClient // the same, as the loaded config made it (its CA bundle)
	layers  *layerCache       // nil: each Open downloads its own layers
}

func newSession(opts ClientOptions) *session {
	s := &session{opts: opts.withDefaults(), clients: map[string]*lambda.Client{}, iams: map[string]*iam.Client{},
		roles: newRoleCache(), http: defaultHTTPClient()}
	if opts.HTTPClient != nil {
		s.http = opts.HTTPClient
	}
	return s
}

// downloader carries presigned downloads: the client the SDK configured,
// so that a custom CA bundle applies to S3 as to the API.
func (s *session) downloader() awssdk.HTTPClient {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded != nil {
		return s.loaded
	}
	return s.http
}

// client returns the client for region ("" is the options' or the SDK's).
func (s *session) client(ctx context.Context, region string) (*lambda.Client, error) {
	if region == "" {
		region = s.opts.Region
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[region]; ok {
		return c, nil
	}
	lo := []func(*config.LoadOptions) error{
		config.WithHTTPClient(s.http),
		config.WithRetryer(func() awssdk.Retryer {
			return retryAfter{
				RetryerV2: retry.NewStandard(func(o *retry.StandardOptions) {
					o.MaxAttempts = s.opts.MaxAttempts
					o.RateLimiter = ratelimit.None
				}),
				max: s.opts.MaxRetryAfter,
			}
		}),
	}
	if region != "" {
		lo = append(lo, config.WithRegion(region))
	}
	if s.opts.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(s.opts.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: give --region, set AWS_REGION, or use a function ARN")
	}
	if s.loaded == nil {
		s.loaded = cfg.HTTPClient
	}
	c := lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if s.opts.EndpointURL != "" {
			o.BaseEndpoint = awssdk.String(s.opts.EndpointURL)
		}
	})
	s.clients[region] = c
	// IAM is global, but its endpoint follows the region's partition; an
	// endpoint URL replaces it too (moto and LocalStack serve both).
	s.iams[region] = iam.NewFromConfig(cfg, func(o *iam.Options) {
		if s.opts.EndpointURL != "" {
			o.BaseEndpoint = awssdk.String(s.opts.EndpointURL)
		}
	})
	return c, nil
}

// iamClient is the IAM client made with a region's Lambda client.
func (s *session) iamClient(ctx context.Context, region string) (*iam.Client, error) {
	if _, err := s.client(ctx, region); err != nil {
		return nil, err
	}
	if region == "" {
		region = s.opts.Region
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.iams[region], nil
}

// region is the region a client was made for.
func regionOf(c *lambda.Client) string { return c.Options().Region }

// retryAfter is the standard retryer, except that a response carrying
// Lambda's Retry-After header (seconds; TooManyRequestsException) waits
// that long, capped at max. MaxAttempts bounds the number of waits, so the
// total wait is bounded too.
type retryAfter struct {
	awssdk.RetryerV2
	max time.Duration
}

func (r retryAfter) RetryDelay(attempt int, err error) (time.Duration, error) {
	if d, ok := retryAfterHeader(err); ok {
		return min(d, r.max), nil
	}
	return r.RetryerV2.RetryDelay(attempt, err)
}

func retryAfterHeader(err error) (time.Duration, bool) {
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.Response.Response == nil {
		return 0, false
	}
	v := strings.TrimSpace(re.Response.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// maxAPIBody caps a control-plane response kept raw: GetFunction with 4 KB
// of environment, tags and layers is far below it.
const maxAPIBody = 8 << 20

// keepBody stores a successful response's body in *dst, as the API sent
// it, before the SDK decodes it: the configuration checks read the Lambda
// API's JSON, field names and all.
func keepBody(dst *[]byte) func(*lambda.Options) {
	return func(o *lambda.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("fnscanKeepBody",
				func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleDeserialize(ctx, in)
					if err != nil {
						return out, md, err
					}
					resp, ok := out.RawResponse.(*smithyhttp.Response)
					if !ok || resp.StatusCode < 200 || resp.StatusCode > 299 {
						return out, md, err
					}
					b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody+1))
					resp.Body.Close()
					if rerr != nil {
						return out, md, rerr
					}
					if len(b) > maxAPIBody {
						return out, md, fmt.Errorf("response larger than %d bytes", maxAPIBody)
					}
					*dst = b
					resp.Body = io.NopCloser(bytes.NewReader(b))
					return out, md, nil
				}), middleware.After)
		})
	}
}

// apiError shortens an SDK error to the operation, the HTTP status, the
// error code and the service's message.
func apiError(err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	status := 0
	if errors.As(err, &re) && re.Response != nil {
		status = re.Response.StatusCode
	}
	op := ""
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		op = oe.Operation() + ": "
	}
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		if status == http.StatusForbidden && (code == "" || strings.HasPrefix(code, "api error")) {
			code = "AccessDenied"
		}
		text := fmt.Sprintf("%s%s (HTTP %d)", op, code, status)
		if msg := ae.ErrorMessage(); msg != "" {
			text += ": " + msg
		}
		return &callError{err: err, status: status, code: code, text: text}
	}
	return err
}

// callError is an API error with its status, for callers that tell "not
// found" from "denied".
type callError struct {
	err    error
	status int
	code   string
	text   string
}

func (e *callError) Error() string { return e.text }
func (e *callError) Unwrap() error { return e.err }

// statusOf is an API error's HTTP status, 0 when it has none.
func statusOf(err error) int {
	var ce *callError
	if errors.As(err, &ce) {
		return ce.status
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}
