package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/aws/fakelambda"
	"github.com/fnscan/fnscan/internal/fixture"
)

func lambdaZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// awsEnv gives the SDK throwaway credentials and no user configuration.
func awsEnv(t *testing.T) {
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// The CLI end to end on the fake: one function, a fleet, its shards and
// their merge, with the exit statuses a pipeline gates on.
func TestLambdaFleetCLI(t *testing.T) {
	awsEnv(t)
	defer aws.Register(aws.DefaultClientOptions())
	s := fakelambda.New()
	defer s.Close()
	layer := s.AddLayer(fakelambda.Layer{Name: "deps", Zip: lambdaZip(t, map[string]string{
		"nodejs/node_modules/lodash/package.json": `{"name": "lodash", "version": "4.17.4"}`})})
	for i := range 3 {
		s.AddFunction(fakelambda.Function{Name: fmt.Sprintf("clean-%d", i), Runtime: "python3.12", Handler: "app.h",
			Zip: lambdaZip(t, map[string]string{"app.py": fmt.Sprintf("def h(e, c): return %d\n", i)})})
	}
	s.AddFunction(fakelambda.Function{Name: "orders", Runtime: "nodejs24.x", Handler: "index.handler",
		Zip: lambdaZip(t, map[string]string{"index.js": "1"}), Layers: []string{layer}})
	s.AddFunction(fakelambda.Function{Name: "tampered", Runtime: "nodejs24.x", Handler: "index.handler",
		Zip: lambdaZip(t, map[string]string{"index.js": "2"}), LieSHA: true})
	work := t.TempDir()
	db := filepath.Join(work, "db")
	if code, _, stderr := runCLI(t, "db", "import", "--db", db, "../../testdata/osv/ghsa-npm.zip"); code != 0 {
		t.Fatal(stderr)
	}
	api := []string{"--endpoint-url", s.URL, "--region", s.Region, "--db", db, "--fail-on", "high", "--temp-dir", work, "-q"}
	scanArgs := func(target string, more ...string) []string {
		return append(append([]string{"scan", target}, api...), more...)
	}

	code, stdout, stderr := runCLI(t, scanArgs("lambda:clean-1")...)
	if code != 0 || !strings.Contains(stdout, "lambda:"+s.FunctionARN("clean-1")) {
		t.Errorf("one function: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, scanArgs("lambda:clean-*", "-o", "markdown")...)
	if code != 0 || !strings.Contains(stdout, "**Worst verdict: pass** — 3 passed") {
		t.Errorf("clean fleet: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, scanArgs("lambda:orders")...)
	if code != 1 || !strings.Contains(stdout, "lodash") {
		t.Errorf("vulnerable layer: exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	whole := filepath.Join(work, "whole.json")
	code, stdout, stderr = runCLI(t, scanArgs("lambda:*", "-o", "json="+whole, "-o", "table", "--concurrency", "2")...)
	if code != 2 || !strings.Contains(stderr, "tampered: CodeSha256 mismatch") || !strings.Contains(stderr, "1 of 5 functions could not be scanned") ||
		!strings.Contains(stdout, "worst: error") {
		t.Errorf("fleet: exit %d, want 2\n%s\n%s", code, stdout, stderr)
	}
	var shards []string
	for i := 1; i <= 3; i++ {
		p := filepath.Join(work, fmt.Sprintf("shard-%d.json", i))
		shards = append(shards, p)
		if code, _, stderr := runCLI(t, scanArgs("lambda:*", "--shard", fmt.Sprintf("%d/3", i), "-o", "json="+p)...); code == 0 && strings.Contains(stderr, "error") {
			t.Errorf("shard %d: %s", i, stderr)
		}
	}
	merged := filepath.Join(work, "merged.json")
	code, stdout, stderr = runCLI(t, append(append([]string{"merge"}, shards...), "-o", "json="+merged, "-o", "table")...)
	if code != 2 || !strings.Contains(stdout, "fleet: 5 functions") {
		t.Errorf("merge: exit %d, want 2\n%s\n%s", code, stdout, stderr)
	}
	a, _ := os.ReadFile(whole)
	b, _ := os.ReadFile(merged)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("merged report differs from the fleet report:\n%s\nvs\n%s", b, a)
	}
	if code, _, stderr := runCLI(t, "merge", shards[0], shards[0]); code != 2 || !strings.Contains(stderr, "overlap") {
		t.Errorf("overlapping shards: exit %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "merge", "../../testdata/lambda/dvsa-order-api.zip"); code != 2 || !strings.Contains(stderr, "dvsa-order-api.zip") {
		t.Errorf("merging a zip: exit %d %s", code, stderr)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "../../testdata/lambda/dvsa-order-api.zip", "--shard", "1/2"}, "apply to lambda: targets"},
		{[]string{"scan", "lambda:orders", "--region", "us-east-1", "--region", "eu-west-1"}, "give one --region"},
		{[]string{"scan", "lambda:orders", "--shard", "1/2", "--region", "us-east-1"}, "--shard applies to 'lambda:*'"},
		{[]string{"scan", "lambda:*", "--shard", "3/2", "--region", "us-east-1"}, "want I/N"},
		{[]string{"scan", "lambda:*", "--region", "us-east-1", "-o", "sarif"}, "unknown format"},
		{[]string{"merge"}, "needs the shard reports"},
	} {
		if code, _, stderr := runCLI(t, c.args...); code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}

// The test binary is fnscan when the worker script runs it.
func init() {
	if os.Getenv("FNSCAN_TEST_AS_CLI") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
}

// docBlock is the fenced block after <!-- marker --> in docs/fleet.md.
func docBlock(t *testing.T, marker string) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/fleet.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "<!-- "+marker+" -->\n")
	if !ok {
		t.Fatalf("docs/fleet.md has no %s block", marker)
	}
	_, rest, _ = strings.Cut(rest, "\n") // the opening fence
	block, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		t.Fatalf("docs/fleet.md: unterminated %s block", marker)
	}
	return block + "\n"
}

// The Distributed Map state machine and worker of docs/fleet.md, as
// written, on moto's Step Functions interpreter with its S3 and SQS: the
// worker runs the real fnscan for every shard item and the merge, and the
// merged report equals a single-process fleet scan.
func TestFleetStepFunctions(t *testing.T) {
	for _, tool := range []string{"aws", "jq", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the Step Functions worker needs it", tool)
		}
	}
	def := docBlock(t, "fleet-state-machine")
	worker := docBlock(t, "fleet-worker")
	var sm map[string]any
	if err := json.Unmarshal([]byte(def), &sm); err != nil {
		t.Fatalf("the state machine in docs/fleet.md is not JSON: %v", err)
	}
	moto := fixture.Moto(t)
	awsEnv(t)
	defer aws.Register(aws.DefaultClientOptions())
	s := fakelambda.New()
	defer s.Close()
	layer := s.AddLayer(fakelambda.Layer{Name: "deps", Zip: lambdaZip(t, map[string]string{
		"nodejs/node_modules/lodash/package.json": `{"name": "lodash", "version": "4.17.4"}`})})
	for i := range 8 {
		f := fakelambda.Function{Name: fmt.Sprintf("fn-%d", i), Runtime: "nodejs24.x", Handler: "index.handler",
			Zip: lambdaZip(t, map[string]string{"index.js": fmt.Sprint(i)})}
		if i%3 == 0 {
			f.Layers = []string{layer}
		}
		s.AddFunction(f)
	}
	work := t.TempDir()
	db := filepath.Join(work, "db")
	if code, _, stderr := runCLI(t, "db", "import", "--db", db, "../../testdata/osv/ghsa-npm.zip"); code != 0 {
		t.Fatal(stderr)
	}
	whole := filepath.Join(work, "whole.json")
	// lodash 4.17.4 in the shared layer fails the default gate: exit 1.
	if code, _, stderr := runCLI(t, "scan", "lambda:*", "--endpoint-url", s.URL, "--region", s.Region, "--db", db, "-q", "-o", "json="+whole); code != 1 {
		t.Fatalf("single-process fleet: exit %d, want 1: %s", code, stderr)
	}

	// Step Functions from moto; Lambda and IAM (the roles) from the fake.
	env := append(os.Environ(), "AWS_ENDPOINT_URL="+moto, "AWS_ENDPOINT_URL_LAMBDA="+s.URL, "AWS_ENDPOINT_URL_IAM="+s.URL, "AWS_DEFAULT_REGION="+s.Region, "AWS_REGION="+s.Region)
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("aws", append([]string{"--endpoint-url", moto}, args...)...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("aws %v: %v %s", args, err, stderr)
		}
		return strings.TrimSpace(string(out))
	}
	resp, err := http.Post(moto+"/moto-api/config", "application/json", strings.NewReader(`{"stepfunctions": {"execute_state_machine": true}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	bucket := "fnscan-reports"
	cli("s3api", "create-bucket", "--bucket", bucket)
	queue := cli("sqs", "create-queue", "--queue-name", "fnscan-fleet", "--query", "QueueUrl", "--output", "text")
	var items []map[string]string
	for i := 1; i <= 3; i++ {
		items = append(items, map[string]string{"shard": fmt.Sprintf("%d/3", i), "bucket": bucket, "prefix": "run-1"})
	}
	shards, _ := json.Marshal(items)
	os.WriteFile(filepath.Join(work, "shards.json"), shards, 0o644)
	cli("s3", "cp", filepath.Join(work, "shards.json"), "s3://"+bucket+"/run-1/shards.json")
	os.WriteFile(filepath.Join(work, "sm.json"), []byte(strings.ReplaceAll(def, "QUEUE_URL", queue)), 0o644)
	smARN := cli("stepfunctions", "create-state-machine", "--name", "fnscan-fleet", "--definition", "file://"+filepath.Join(work, "sm.json"),
		"--role-arn", "arn:aws:iam::123456789012:role/fnscan-fleet", "--query", "stateMachineArn", "--output", "text")
	exe := cli("stepfunctions", "start-execution", "--state-machine-arn", smARN, "--input",
		`{"bucket": "`+bucket+`", "prefix": "run-1", "shardsKey": "run-1/shards.json"}`, "--query", "executionArn", "--output", "text")

	script := filepath.Join(work, "fleet-worker.sh")
	os.WriteFile(script, []byte(worker), 0o755)
	self, _ := os.Executable()
	w := exec.Command("sh", script)
	var wlog bytes.Buffer
	w.Stdout, w.Stderr = &wlog, &wlog
	w.Env = append(env, "QUEUE_URL="+queue, "REGIONS=--region "+s.Region, "IDLE_EXIT=120", "FNSCAN="+self,
		"FNSCAN_TEST_AS_CLI=1", "FNSCAN_DB="+db, "TMPDIR="+work)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { w.Process.Kill(); w.Wait() }()
	status := ""
	for deadline := time.Now().Add(4 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if status = cli("stepfunctions", "describe-execution", "--execution-arn", exe, "--query", "status", "--output", "text"); status != "RUNNING" {
			break
		}
	}
	if status != "SUCCEEDED" {
		t.Fatalf("execution %s; worker log:\n%s", status, wlog.String())
	}
	for i := 1; i <= 3; i++ {
		cli("s3api", "head-object", "--bucket", bucket, "--key", fmt.Sprintf("run-1/shard-%d-3.json", i))
	}
	got := filepath.Join(work, "fleet.json")
	cli("s3", "cp", "s3://"+bucket+"/run-1/fleet.json", got)
	a, _ := os.ReadFile(whole)
	b, _ := os.ReadFile(got)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("the Step Functions fleet report differs from the single-process one:\n%s\nvs\n%s\nworker log:\n%s", b, a, wlog.String())
	}
}
