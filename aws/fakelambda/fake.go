// Package fakelambda is an in-process fake of the AWS Lambda control
// plane, for tests: what moto_server lacks (ListFunctions pagination with
// opaque markers, presigned code downloads served back by itself that
// expire, GetLayerVersionByArn) and the faults a fleet meets (403, 404,
// 429 with Retry-After, 5xx, a CodeSha256 that lies, truncated, oversized
// and stalled downloads). It speaks the Lambda REST-JSON wire format, so
// the AWS SDK and the AWS CLI talk to it unchanged; its tests check that
// against the real `aws lambda` CLI.
//
// It answers the IAM reads of an execution role too (iam.go), on the same
// port, as moto does.
//
// It imports no AWS SDK and no fnscan package.
package fakelambda

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Function is one function of the fake, and the faults it shows.
type Function struct {
	Name    string
	Runtime string
	Handler string
	Env     map[string]string
	Layers  []string // layer version ARNs
	Zip     []byte
	// Image makes it an image-packaged function with this ResolvedImageUri.
	Image string
	// Policy is GetPolicy's document; "" answers 404.
	Policy string
	// URLAuthType gives it a function URL (NONE or AWS_IAM).
	URLAuthType string
	// CodeSigningConfigArn is returned by GetFunctionCodeSigningConfig.
	CodeSigningConfigArn string
	// Aliases answer as qualifiers.
	Aliases []string

	// Faults.
	LieSHA       bool // CodeSha256 is not the zip's
	Truncate     bool // the download stops half way
	Oversize     bool // the download sends more bytes than CodeSize
	Stall        bool // the download sends headers, then nothing
	ExpiredURLs  int  // the first N download URLs are already expired
	Throttle     int  // the first N GetFunction calls answer 429 Retry-After: 1
	ServerErrors int  // the first N GetFunction calls answer 500
	Denied       bool // GetFunction answers 403 AccessDeniedException

	// Role is the execution role's name (AddRole) or ARN; "" is NAME-role.
	Role string
}

// Layer is one layer version.
type Layer struct {
	Name    string
	Version int
	Zip     []byte
	// Denied makes GetLayerVersionByArn answer 403 (no lambda:GetLayerVersion).
	Denied bool
}

// Server is the fake. Its zero value is not usable: call New.
type Server struct {
	URL     string
	Region  string
	Account string
	// URLTTL is how long a download URL is valid (10 minutes on AWS).
	URLTTL time.Duration
	// MaxPage caps ListFunctions pages (50 on AWS).
	MaxPage int

	srv       *httptest.Server
	key       []byte
	mu        sync.Mutex
	functions map[string]*Function
	layers    map[string]*Layer // by version ARN
	roles     map[string]*Role  // by name
	policies  map[string]string // customer managed policy documents, by ARN
	calls     map[string]int    // by operation or "download:KEY"
	stall     chan struct{}
}

// New starts a fake for region us-east-1, account 123456789012.
func New() *Server { return start(httptest.NewServer) }

// NewTLS starts the fake over HTTPS, with a certificate of its own
// (CertPEM) that no system trusts: as behind a corporate TLS proxy.
func NewTLS() *Server {
	return start(func(h http.Handler) *httptest.Server {
		srv := httptest.NewUnstartedServer(h)
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
		srv.StartTLS()
		return srv
	})
}

// CertPEM is a NewTLS fake's certificate, for a CA bundle.
func (s *Server) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

func start(serve func(http.Handler) *httptest.Server) *Server {
	s := &Server{
		Region: "us-east-1", Account: "123456789012", URLTTL: 10 * time.Minute, MaxPage: 50,
		key:       []byte(strconv.FormatInt(time.Now().UnixNano(), 36)),
		functions: map[string]*Function{}, layers: map[string]*Layer{}, calls: map[string]int{},
		roles: map[string]*Role{}, policies: map[string]string{},
		stall: make(chan struct{}),
	}
	s.srv = serve(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server, releasing stalled downloads first.
func (s *Server) Close() {
	close(s.stall)
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// AddFunction adds or replaces a function and returns its ARN.
func (s *Server) AddFunction(f Function) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := f
	s.functions[f.Name] = &c
	return s.FunctionARN(f.Name)
}

// AddLayer adds a layer version and returns its version ARN.
func (s *Server) AddLayer(l Layer) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.Version == 0 {
		l.Version = 1
	}
	arn := fmt.Sprintf("arn:aws:lambda:%s:%s:layer:%s:%d", s.Region, s.Account, l.Name, l.Version)
	c := l
	s.layers[arn] = &c
	return arn
}

// FunctionARN is the ARN of a function name.
func (s *Server) FunctionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.Region, s.Account, name)
}

// Calls counts requests: by operation name (ListFunctions, GetFunction,
// GetLayerVersionByArn, GetPolicy, GetFunctionUrlConfig,
// GetFunctionCodeSigningConfig, and IAM's) or "download:function:NAME" and
// "download:layer:ARN" for completed downloads.
func (s *Server) Calls(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

func (s *Server) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[key]++
	return s.calls[key]
}

// apiError writes a Lambda error as the service does: the code in
// X-Amzn-ErrorType, a JSON body with Type and Message.
func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"Type": "User", "Message": msg})
}

// signedRegion is the region of a SigV4 Authorization header's
// credential scope (AKID/DATE/REGION/SERVICE/aws4_request).
func signedRegion(r *http.Request) string {
	_, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[2]
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-0000-0000-000000000000")
	json.NewEncoder(w).Encode(v)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/" {
		s.iam(w, r)
		return
	}
	if r.Method != http.MethodGet {
		apiError(w, http.StatusBadRequest, "InvalidRequestContentException", "the fake only answers reads")
		return
	}
	p := r.URL.EscapedPath()
	// A request signed for another region is refused as AWS refuses one
	// to a region the account has not enabled.
	if region := signedRegion(r); region != "" && region != s.Region && !strings.HasPrefix(p, "/download/") {
		apiError(w, 403, "UnrecognizedClientException", "The security token included in the request is invalid.")
		return
	}
	switch {
	case strings.HasPrefix(p, "/download/"):
		s.download(w, r)
	case p == "/2015-03-31/functions" || p == "/2015-03-31/functions/":
		s.list(w, r)
	case p == "/2018-10-31/layers" && r.URL.Query().Get("find") == "LayerVersion":
		s.layer(w, r)
	case strings.HasPrefix(p, "/2015-03-31/functions/"):
		rest := strings.TrimPrefix(p, "/2015-03-31/functions/")
		name, sub, _ := strings.Cut(rest, "/")
		switch sub {
		case "":
			s.getFunction(w, r, name)
		case "policy":
			s.withFunction(w, r, "GetPolicy", name, func(f *Function) {
				if f.Policy == "" {
					apiError(w, 404, "ResourceNotFoundException", "The resource you requested does not exist.")
					return
				}
				writeJSON(w, map[string]string{"Policy": f.Policy, "RevisionId": "1"})
			})
		default:
			apiError(w, 404, "UnknownOperationException", "Unknown operation "+p)
		}
	case strings.HasPrefix(p, "/2021-10-31/functions/") && strings.HasSuffix(p, "/url"):
		name := strings.TrimSuffix(strings.TrimPrefix(p, "/2021-10-31/functions/"), "/url")
		s.withFunction(w, r, "GetFunctionUrlConfig", name, func(f *Function) {
			if f.URLAuthType == "" {
				apiError(w, 404, "ResourceNotFoundException", "The resource you requested does not exist.")
				return
			}
			writeJSON(w, map[string]any{"FunctionUrl": "https://" + f.Name + ".lambda-url." + s.Region + ".on.aws/",
				"FunctionArn": s.FunctionARN(f.Name), "AuthType": f.URLAuthType,
				"CreationTime": "2024-01-01T00:00:00.000Z", "LastModifiedTime": "2024-01-01T00:00:00.000Z"})
		})
	case strings.HasPrefix(p, "/2020-06-30/functions/") && strings.HasSuffix(p, "/code-signing-config"):
		name := strings.TrimSuffix(strings.TrimPrefix(p, "/2020-06-30/functions/"), "/code-signing-config")
		s.withFunction(w, r, "GetFunctionCodeSigningConfig", name, func(f *Function) {
			writeJSON(w, map[string]string{"CodeSigningConfigArn": f.CodeSigningConfigArn, "FunctionName": f.Name})
		})
	default:
		apiError(w, 404, "UnknownOperationException", "Unknown operation "+p)
	}
}

// lookup finds a function by name, NAME:QUALIFIER or ARN (path escaped),
// and checks the qualifier.
func (s *Server) lookup(escaped, qualifier string) (*Function, bool) {
	ref, err := url.PathUnescape(escaped)
	if err != nil {
		return nil, false
	}
	if rest, ok := strings.CutPrefix(ref, "arn:aws:lambda:"); ok {
		parts := strings.Split(rest, ":")
		if len(parts) < 4 || parts[0] != s.Region || parts[1] != s.Account || parts[2] != "function" {
			return nil, false
		}
		ref = strings.Join(parts[3:], ":")
	}
	name, q, _ := strings.Cut(ref, ":")
	if q != "" {
		if qualifier != "" && qualifier != q {
			return nil, false
		}
		qualifier = q
	}
	s.mu.Lock()
	f, ok := s.functions[name]
	s.mu.Unlock()
	if !ok {
		return nil, false
	}
	if qualifier != "" && qualifier != "$LATEST" && !slices.Contains(f.Aliases, qualifier) {
		return nil, false
	}
	return f, true
}

func (s *Server) withFunction(w http.ResponseWriter, r *http.Request, op, name string, fn func(*Function)) {
	s.count(op)
	f, ok := s.lookup(name, r.URL.Query().Get("Qualifier"))
	if !ok {
		apiError(w, 404, "ResourceNotFoundException", "Function not found: "+s.FunctionARN(strings.Split(name, ":")[0]))
		return
	}
	fn(f)
}

func codeSHA(zip []byte) string {
	sum := sha256.Sum256(zip)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// configuration is a FunctionConfiguration as the API returns it.
func (s *Server) configuration(f *Function) map[string]any {
	sha := codeSHA(f.Zip)
	if f.LieSHA {
		sha = codeSHA(append([]byte("not the zip"), f.Zip...))
	}
	c := map[string]any{
		"FunctionName": f.Name, "FunctionArn": s.FunctionARN(f.Name),
		"Role":    s.roleARN(f),
		"Handler": f.Handler, "CodeSize": len(f.Zip), "CodeSha256": sha,
		"Description": "", "Timeout": 3, "MemorySize": 128, "Version": "$LATEST",
		"LastModified": "2024-01-01T00:00:00.000+0000", "TracingConfig": map[string]string{"Mode": "PassThrough"},
		"PackageType": "Zip", "Architectures": []string{"x86_64"}, "RevisionId": "00000000-0000-0000-0000-000000000001",
	}
	if f.Image != "" {
		c["PackageType"] = "Image"
		delete(c, "Handler")
		c["CodeSize"] = 0
	} else {
		c["Runtime"] = f.Runtime
	}
	if len(f.Env) > 0 {
		c["Environment"] = map[string]any{"Variables": f.Env}
	}
	if len(f.Layers) > 0 {
		var ls []map[string]any
		for _, arn := range f.Layers {
			size := 0
			s.mu.Lock()
			if l, ok := s.layers[arn]; ok {
				size = len(l.Zip)
			}
			s.mu.Unlock()
			ls = append(ls, map[string]any{"Arn": arn, "CodeSize": size})
		}
		c["Layers"] = ls
	}
	return c
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	s.count("ListFunctions")
	q := r.URL.Query()
	max := s.MaxPage
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			apiError(w, 400, "InvalidParameterValueException", "MaxItems must be between 1 and 10000")
			return
		}
		max = min(max, n)
	}
	s.mu.Lock()
	names := make([]string, 0, len(s.functions))
	for n := range s.functions {
		names = append(names, n)
	}
	s.mu.Unlock()
	slices.Sort(names)
	start := 0
	if m := q.Get("Marker"); m != "" {
		i, ok := s.parseMarker(m)
		if !ok {
			apiError(w, 400, "InvalidParameterValueException", "Invalid marker")
			return
		}
		start = min(i, len(names))
	}
	end := min(start+max, len(names))
	fns := []map[string]any{}
	for _, n := range names[start:end] {
		s.mu.Lock()
		f := s.functions[n]
		s.mu.Unlock()
		fns = append(fns, s.configuration(f))
	}
	out := map[string]any{"Functions": fns}
	if end < len(names) {
		out["NextMarker"] = s.marker(end)
	}
	writeJSON(w, out)
}

// Markers are opaque and signed: a client must pass back what it got.
func (s *Server) marker(i int) string {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "marker:%d", i)
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%x", i, m.Sum(nil)[:8]))
}

func (s *Server) parseMarker(v string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return 0, false
	}
	a, _, _ := strings.Cut(string(b), ".")
	i, err := strconv.Atoi(a)
	return i, err == nil && s.marker(i) == v
}

func (s *Server) getFunction(w http.ResponseWriter, r *http.Request, name string) {
	n := s.count("GetFunction")
	_ = n
	f, ok := s.lookup(name, r.URL.Query().Get("Qualifier"))
	if !ok {
		apiError(w, 404, "ResourceNotFoundException", "Function not found: "+s.FunctionARN(strings.Split(name, ":")[0]))
		return
	}
	s.mu.Lock()
	throttle, fail := f.Throttle > 0, f.ServerErrors > 0
	if throttle {
		f.Throttle--
	} else if fail {
		f.ServerErrors--
	}
	s.mu.Unlock()
	switch {
	case f.Denied:
		apiError(w, 403, "AccessDeniedException", "User: arn:aws:iam::"+s.Account+":user/scanner is not authorized to perform: lambda:GetFunction on resource: "+s.FunctionARN(f.Name))
		return
	case throttle:
		s.count("throttled:" + f.Name)
		w.Header().Set("Retry-After", "1")
		w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		json.NewEncoder(w).Encode(map[string]string{"Reason": "CallerRateLimitExceeded", "Type": "User", "message": "Rate exceeded"})
		return
	case fail:
		apiError(w, 500, "ServiceException", "internal error")
		return
	}
	code := map[string]any{}
	if f.Image != "" {
		code["RepositoryType"] = "ECR"
		code["ImageUri"] = f.Image
		code["ResolvedImageUri"] = f.Image
	} else {
		code["RepositoryType"] = "S3"
		expired := false
		s.mu.Lock()
		if f.ExpiredURLs > 0 {
			f.ExpiredURLs--
			expired = true
		}
		s.mu.Unlock()
		code["Location"] = s.presign("function", f.Name, expired)
	}
	writeJSON(w, map[string]any{"Configuration": s.configuration(f), "Code": code, "Tags": map[string]string{"team": "payments"}})
}

func (s *Server) layer(w http.ResponseWriter, r *http.Request) {
	s.count("GetLayerVersionByArn")
	arn := r.URL.Query().Get("Arn")
	s.mu.Lock()
	l, ok := s.layers[arn]
	s.mu.Unlock()
	switch {
	case !ok:
		apiError(w, 404, "ResourceNotFoundException", "Layer version "+arn+" does not exist.")
		return
	case l.Denied:
		apiError(w, 403, "AccessDeniedException", "User: arn:aws:iam::"+s.Account+":user/scanner is not authorized to perform: lambda:GetLayerVersion on resource: "+arn)
		return
	}
	layerArn := arn[:strings.LastIndex(arn, ":")]
	writeJSON(w, map[string]any{
		"Content":            map[string]any{"Location": s.presign("layer", arn, false), "CodeSha256": codeSHA(l.Zip), "CodeSize": len(l.Zip)},
		"LayerArn":           layerArn,
		"LayerVersionArn":    arn,
		"Description":        "",
		"CreatedDate":        "2024-01-01T00:00:00.000+0000",
		"Version":            l.Version,
		"CompatibleRuntimes": []string{"nodejs24.x", "python3.12"},
	})
}

// presign makes a download URL back to the fake, valid URLTTL (or already
// expired), signed so that a changed URL is refused as S3 would.
func (s *Server) presign(kind, id string, expired bool) string {
	exp := time.Now().Add(s.URLTTL)
	if expired {
		exp = time.Now().Add(-time.Second)
	}
	e := strconv.FormatInt(exp.Unix(), 10)
	// Shaped like Lambda's own: S3 presigned with the service's temporary
	// credentials, whose access key id (ASIA…) is in X-Amz-Credential.
	sig := s.sign(kind, id, e)
	keyID := "ASIA" + strings.ToUpper(base32.StdEncoding.EncodeToString([]byte(sig))[:16])
	date := time.Now().UTC().Format("20060102")
	return fmt.Sprintf("%s/download/%s/%s?X-Amz-Security-Token=IQoJb3JpZ2luX2VjE%s&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=%sT000000Z&X-Amz-SignedHeaders=host&X-Amz-Expires=%s&X-Amz-Credential=%s%%2F%s%%2Fus-east-1%%2Fs3%%2Faws4_request&X-Amz-Signature=%s",
		s.URL, kind, url.PathEscape(id), sig[:32], date, e, keyID, date, sig)
}

func (s *Server) sign(kind, id, exp string) string {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "%s\n%s\n%s", kind, id, exp)
	return hex.EncodeToString(m.Sum(nil))
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	kind, escID, _ := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/download/"), "/")
	id, err := url.PathUnescape(escID)
	q := r.URL.Query()
	exp := q.Get("X-Amz-Expires")
	if err != nil || !hmac.Equal([]byte(q.Get("X-Amz-Signature")), []byte(s.sign(kind, id, exp))) {
		s3Error(w, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return
	}
	if e, _ := strconv.ParseInt(exp, 10, 64); time.Now().Unix() > e {
		s.count("expired:" + kind + ":" + id)
		s3Error(w, 403, "AccessDenied", "Request has expired")
		return
	}
	var body []byte
	var f *Function
	s.mu.Lock()
	switch kind {
	case "function":
		f = s.functions[id]
		if f != nil {
			body = f.Zip
		}
	case "layer":
		if l := s.layers[id]; l != nil {
			body = l.Zip
		}
	}
	s.mu.Unlock()
	if body == nil {
		s3Error(w, 404, "NoSuchKey", "The specified key does not exist.")
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	switch {
	case f != nil && f.Stall:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		select {
		case <-s.stall:
		case <-r.Context().Done():
		}
		return
	case f != nil && f.Truncate:
		// Promise the whole zip, send half, hang up.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(200)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
		return
	case f != nil && f.Oversize:
		body = append(append([]byte{}, body...), make([]byte, 1<<20)...)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
	s.count("download:" + kind + ":" + id)
}
