package aws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/internal/fixture"
)

func startMoto(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws (the AWS CLI) is not installed: skipping the moto test")
	}
	return fixture.Moto(t)
}

// iamCall makes an IAM query call on moto_server, which routes it by the
// service in the credential scope and checks no signature: quicker than
// the AWS CLI, which takes a second or two to start.
func iamCall(t *testing.T, moto, action string, kv ...string) {
	t.Helper()
	form := url.Values{"Action": {action}, "Version": {"2010-05-08"}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	req, _ := http.NewRequest(http.MethodPost, moto+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDFAKE/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("iam %s: %s %s", action, resp.Status, body)
	}
}

// s3Stub stands in for S3 behind moto's Code.Location (which names an
// amazonaws.com host and 404s): every request for another host than the
// API's is sent to a local server holding the zips the test uploaded, by
// function name. No request leaves the machine.
type s3Stub struct {
	api  string
	stub *url.URL
}

func (s s3Stub) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != s.api {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = s.stub.Scheme, s.stub.Host, s.stub.Host
	}
	return http.DefaultTransport.RoundTrip(r)
}

// moto_server is an independent implementation of the Lambda API: the
// real AWS CLI creates the functions, fnscan lists and scans them. moto's
// CodeSha256 is checked against the bytes downloaded; its missing
// GetLayerVersionByArn is an error for the function with a layer only.
// Its IAM, on the same port, holds the execution roles.
func TestMotoFleet(t *testing.T) {
	moto := startMoto(t)
	dir := t.TempDir()
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("aws", append([]string{"--endpoint-url", moto, "--region", "us-east-1", "--output", "json"}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("aws %v: %v %s", args, err, stderr)
		}
		return string(out)
	}
	zips := map[string][]byte{
		"plain":    fnZip(t, 1, npmPackage("", "lodash", "4.17.4")),
		"layered":  fnZip(t, 2),
		"admin":    fnZip(t, 3),
		"attached": fnZip(t, 4),
	}
	for name, z := range zips {
		os.WriteFile(filepath.Join(dir, name+".zip"), z, 0o644)
	}
	cli("iam", "create-role", "--role-name", "fn", "--assume-role-policy-document", "{}")
	var lv struct{ LayerVersionArn string }
	json.Unmarshal([]byte(cli("lambda", "publish-layer-version", "--layer-name", "deps", "--zip-file", "fileb://"+filepath.Join(dir, "layered.zip"))), &lv)
	cli("lambda", "create-function", "--function-name", "plain", "--runtime", "nodejs16.x", "--handler", "index.handler",
		"--role", "arn:aws:iam::123456789012:role/fn", "--zip-file", "fileb://"+filepath.Join(dir, "plain.zip"),
		"--environment", "Variables={DB_PASSWORD="+plaintext+",TABLE=orders}")
	// Execution roles granting everything: inline, and through a customer
	// managed policy (moto_server holds no AWS managed ones by default).
	iamCall(t, moto, "CreateRole", "RoleName", "admin", "AssumeRolePolicyDocument", "{}")
	iamCall(t, moto, "PutRolePolicy", "RoleName", "admin", "PolicyName", "star", "PolicyDocument", allowAll)
	iamCall(t, moto, "CreateRole", "RoleName", "attached", "AssumeRolePolicyDocument", "{}")
	iamCall(t, moto, "CreatePolicy", "PolicyName", "everything", "PolicyDocument", allowAll)
	iamCall(t, moto, "AttachRolePolicy", "RoleName", "attached", "PolicyArn", "arn:aws:iam::123456789012:policy/everything")
	for _, name := range []string{"admin", "attached"} {
		cli("lambda", "create-function", "--function-name", name, "--runtime", "nodejs22.x", "--handler", "index.handler",
			"--role", "arn:aws:iam::123456789012:role/"+name, "--zip-file", "fileb://"+filepath.Join(dir, name+".zip"))
	}
	cli("lambda", "create-function", "--function-name", "layered", "--runtime", "python3.12", "--handler", "app.h",
		"--role", "arn:aws:iam::123456789012:role/fn", "--zip-file", "fileb://"+filepath.Join(dir, "layered.zip"), "--layers", lv.LayerVersionArn)

	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for name, z := range zips {
			if strings.HasPrefix(r.URL.Path, "/"+name+"-") {
				w.Write(z)
				return
			}
		}
		http.NotFound(w, r)
	}))
	defer stub.Close()
	mu, _ := url.Parse(moto)
	su, _ := url.Parse(stub.URL)
	cfg := aws.DefaultFleetConfig()
	cfg.Client.Region, cfg.Client.EndpointURL = "us-east-1", moto
	cfg.Client.HTTPClient = &http.Client{Transport: s3Stub{api: mu.Host, stub: su}}
	cfg.Scan.DB, cfg.Scan.FailOn, cfg.Scan.TempDir = vulnDB(t), "high", t.TempDir()
	rep, err := aws.RunFleet(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Functions) != 4 {
		t.Fatalf("moto listed %d functions", len(rep.Functions))
	}
	fns := map[string]aws.FunctionResult{}
	for _, f := range rep.Functions {
		fns[f.Name] = f
	}
	layered, plain := fns["layered"], fns["plain"]
	for name, want := range map[string][]string{"admin": {"FNS-CFG-001"}, "attached": {"FNS-CFG-001"}} {
		f := fns[name]
		if f.Result == nil {
			t.Errorf("%s: %s %q", name, f.Verdict, f.Error)
			continue
		}
		for _, id := range want {
			if got := ruleIDs(f.Result.Misconfigurations); !slices.Contains(got, id) {
				t.Errorf("%s: rules %v, want %s (warnings %v)", name, got, id, f.Result.Warnings)
			}
		}
	}
	if plain.Result != nil && len(plain.Result.Warnings) != 0 {
		t.Errorf("plain: warnings %v", plain.Result.Warnings)
	}
	if plain.Name != "plain" || plain.Runtime != "nodejs16.x" || plain.Error != "" || plain.Verdict != aws.VerdictFail || plain.Result == nil {
		t.Errorf("plain: %+v", plain)
	} else if plain.Result.Target.CodeSHA256 != plain.CodeSha256 || len(plain.Result.Vulnerabilities) == 0 {
		t.Errorf("plain: scanned sha %s, moto's %s, %d vulnerabilities", plain.Result.Target.CodeSHA256, plain.CodeSha256, len(plain.Result.Vulnerabilities))
	}
	if layered.Name != "layered" || layered.Verdict != aws.VerdictError || !strings.Contains(layered.Error, "layer "+lv.LayerVersionArn+": GetLayerVersionByArn") {
		t.Errorf("layered: %s %q, want moto's missing GetLayerVersionByArn as its error", layered.Verdict, layered.Error)
	}
	var out bytes.Buffer
	rep.Write(&out, "json")
	if strings.Contains(out.String(), plaintext) {
		t.Error("the environment value appears in the fleet report")
	}

	// The provider keeps moto's GetFunction JSON as it came.
	opts := cfg.Client
	aws.Register(opts)
	defer aws.Register(aws.DefaultClientOptions())
	tg, err := artifact.Open(context.Background(), "lambda:arn:aws:lambda:us-east-1:123456789012:function:plain", artifact.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	var gf struct {
		Configuration struct {
			FunctionName string
			Environment  struct{ Variables map[string]string }
		}
	}
	json.Unmarshal(tg.Deployed[0].GetFunction, &gf)
	if gf.Configuration.FunctionName != "plain" || gf.Configuration.Environment.Variables["DB_PASSWORD"] != plaintext ||
		!bytes.Contains(tg.Deployed[0].CodeSigning, []byte(`"FunctionName"`)) || tg.Deployed[0].URLConfig != nil || tg.Deployed[0].Policy != "" {
		t.Errorf("deployed from moto: %s / %s / %s / %q", tg.Deployed[0].GetFunction, tg.Deployed[0].CodeSigning, tg.Deployed[0].URLConfig, tg.Deployed[0].Policy)
	}
}
