package fakelambda

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// awsCLI runs the real AWS CLI against the fake, with throwaway
// credentials and no user configuration.
func awsCLI(t *testing.T, s *Server, args ...string) (string, string, error) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not installed: the fake is not checked against it")
	}
	cmd := exec.Command("aws", append([]string{"lambda", "--endpoint-url", s.URL, "--region", s.Region, "--output", "json"}, args...)...)
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "AWS_") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, "AWS_ACCESS_KEY_ID=AKIDFAKE", "AWS_SECRET_ACCESS_KEY=fake", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_RETRY_MODE=standard", "AWS_MAX_ATTEMPTS=3")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// The fake speaks the protocol the real client speaks: the AWS CLI pages
// through 120 functions by their markers, reads GetFunction, the layer,
// and the errors with their codes, and retries a throttled call.
func TestFakeAgainstAWSCLI(t *testing.T) {
	s := New()
	defer s.Close()
	layer := s.AddLayer(Layer{Name: "deps", Zip: zipOf(t, map[string]string{"nodejs/x.js": "1"})})
	for i := range 120 {
		s.AddFunction(Function{Name: fmt.Sprintf("fn-%03d", i), Runtime: "nodejs24.x", Handler: "index.handler",
			Zip: zipOf(t, map[string]string{"index.js": fmt.Sprint(i)}), Layers: []string{layer}})
	}
	s.AddFunction(Function{Name: "slow", Runtime: "python3.12", Handler: "app.h", Zip: zipOf(t, map[string]string{"app.py": ""}), Throttle: 1,
		Env: map[string]string{"STAGE": "prod"}, Policy: `{"Version":"2012-10-17","Statement":[]}`, URLAuthType: "NONE", Aliases: []string{"live"}})

	out, stderr, err := awsCLI(t, s, "list-functions")
	if err != nil {
		t.Fatalf("list-functions: %v\n%s", err, stderr)
	}
	var list struct {
		Functions []struct{ FunctionName, FunctionArn, CodeSha256 string }
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Functions) != 121 || list.Functions[0].FunctionName != "fn-000" || list.Functions[120].FunctionName != "slow" {
		t.Errorf("the CLI listed %d functions", len(list.Functions))
	}
	if n := s.Calls("ListFunctions"); n != 3 { // 50 + 50 + 21
		t.Errorf("%d ListFunctions pages, want 3", n)
	}

	out, stderr, err = awsCLI(t, s, "get-function", "--function-name", "slow:live")
	if err != nil {
		t.Fatalf("get-function: %v\n%s", err, stderr)
	}
	var gf struct {
		Configuration struct {
			FunctionName, Runtime string
			Environment           struct{ Variables map[string]string }
		}
		Code struct{ RepositoryType, Location string }
	}
	json.Unmarshal([]byte(out), &gf)
	if gf.Configuration.FunctionName != "slow" || gf.Configuration.Environment.Variables["STAGE"] != "prod" || gf.Code.RepositoryType != "S3" {
		t.Errorf("get-function: %s", out)
	}
	if s.Calls("throttled:slow") != 1 || s.Calls("GetFunction") != 2 {
		t.Errorf("the CLI did not retry the throttled call: %d throttled, %d calls", s.Calls("throttled:slow"), s.Calls("GetFunction"))
	}
	// The presigned location downloads the zip.
	resp, err := http.Get(gf.Code.Location)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("PK")) {
		t.Errorf("download: %d %q", resp.StatusCode, body)
	}
	// A changed signature is refused.
	resp, err = http.Get(strings.Replace(gf.Code.Location, "Signature=", "Signature=0", 1))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("tampered URL: %d", resp.StatusCode)
		}
	}

	out, stderr, err = awsCLI(t, s, "get-layer-version-by-arn", "--arn", layer)
	if err != nil {
		t.Fatalf("get-layer-version-by-arn: %v\n%s", err, stderr)
	}
	var lv struct {
		LayerVersionArn string
		Version         int
		Content         struct {
			CodeSha256 string
			CodeSize   int
		}
	}
	json.Unmarshal([]byte(out), &lv)
	if lv.LayerVersionArn != layer || lv.Version != 1 || lv.Content.CodeSha256 == "" || lv.Content.CodeSize == 0 {
		t.Errorf("get-layer-version-by-arn: %s", out)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"get-policy", "--function-name", "slow"}, ""},
		{[]string{"get-function-url-config", "--function-name", "slow"}, ""},
		{[]string{"get-function-code-signing-config", "--function-name", "slow"}, ""},
		{[]string{"get-function", "--function-name", "missing"}, "ResourceNotFoundException"},
		{[]string{"get-function", "--function-name", "slow:nope"}, "ResourceNotFoundException"},
		{[]string{"get-policy", "--function-name", "fn-001"}, "ResourceNotFoundException"},
		{[]string{"get-layer-version-by-arn", "--arn", layer + "0"}, "ResourceNotFoundException"},
	} {
		_, stderr, err := awsCLI(t, s, c.args...)
		if c.want == "" && err != nil {
			t.Errorf("%v: %v\n%s", c.args, err, stderr)
		}
		if c.want != "" && (err == nil || !strings.Contains(stderr, c.want)) {
			t.Errorf("%v: %v, stderr %q, want %s", c.args, err, stderr, c.want)
		}
	}
}
