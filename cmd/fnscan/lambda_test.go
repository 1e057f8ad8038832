package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/aws/fakelambda"
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
	s.AddFunction(fakelambda.Function{Name: "orders", Runtime: "nodejs20.x", Handler: "index.handler",
		Zip: lambdaZip(t, map[string]string{"index.js": "1"}), Layers: []string{layer}})
	s.AddFunction(fakelambda.Function{Name: "tampered", Runtime: "nodejs20.x", Handler: "index.handler",
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
