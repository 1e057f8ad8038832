package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/aws/fakelambda"
)

// verify lambda:NAME (issue 11): the zip the gate signed and attested is
// what the fake Lambda runs, checked by its CodeSha256 from GetFunction
// alone; other code under the same name fails the bytes check; what
// cannot be checked exits 2.
func TestVerifyLambdaCLI(t *testing.T) {
	s, p := lambdaGate(t)
	signRun(t, 0, "keygen", "--output-key-prefix", p("k2"))
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))

	// The gate passes fn.zip and signs it; the same bytes are deployed.
	zipPath := zipFile(t, "fn.zip", map[string][]byte{
		"index.js":     []byte("exports.handler = async () => 'ok';\n"),
		"package.json": []byte(`{"name": "clean-fn", "version": "1.0.0"}`),
	})
	zip := signRead(t, zipPath)
	signCopy(t, zipPath, p("fn.zip"))
	out := p("att")
	os.Mkdir(out, 0o755)
	signRun(t, 0, "scan", p("fn.zip"), "--db", db, "--sign-key", p("k.key"), "--attest-dir", out, "-o", "json="+p("r.json"))
	sig, bom, verdict := filepath.Join(out, "fn.zip.sigstore.json"), filepath.Join(out, "fn.zip.cyclonedx.sigstore.json"), filepath.Join(out, "fn.zip.verdict.sigstore.json")
	arn := s.AddFunction(fakelambda.Function{Name: "fn", Runtime: "nodejs24.x", Handler: "index.handler", Zip: zip, Aliases: []string{"live"}})
	s.AddFunction(fakelambda.Function{Name: "img", Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/img@sha256:" + strings.Repeat("cd", 32)})

	api := []string{"--endpoint-url", s.URL, "--region", s.Region}
	verify := func(want int, target string, more ...string) (string, string) {
		t.Helper()
		return signRun(t, want, append(append([]string{"verify", target, "--key", p("k.pub"), "--bundle", sig}, api...), more...)...)
	}
	sum := sha256.Sum256(zip)
	stdout, _ := verify(0, "lambda:fn")
	if !strings.Contains(stdout, "verified lambda:"+arn+" sha256:") || !strings.Contains(stdout, "sha256:"+hex.EncodeToString(sum[:])) {
		t.Errorf("verify output: %q", stdout)
	}
	stdout, _ = verify(0, "lambda:fn:live", "--attestation", bom, "--attestation", verdict, "--require-verdict", "pass", "--max-age", "1h", "--type", "cyclonedx")
	if !strings.Contains(stdout, "attestations: cyclonedx, verdict: pass") {
		t.Errorf("verify with attestations: %q", stdout)
	}
	verify(0, "lambda:"+arn, "--attestation", verdict, "--require-verdict", "pass")
	// The code was never downloaded: GetFunction only.
	if n := s.Calls("download:function:fn"); n != 0 {
		t.Errorf("verify downloaded the code %d times", n)
	}
	if n := s.Calls("GetFunction"); n != 3 {
		t.Errorf("GetFunction called %d times, want 3", n)
	}
	for _, op := range []string{"GetPolicy", "GetFunctionUrlConfig", "GetFunctionCodeSigningConfig", "ListFunctions"} {
		if n := s.Calls(op); n != 0 {
			t.Errorf("%s called %d times, want none", op, n)
		}
	}

	// Failed checks: exit 1, one line naming the check.
	oneCheck := func(want string, target string, more ...string) {
		t.Helper()
		stdout, stderr := verify(1, target, more...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if stdout != "" || len(lines) != 1 || !strings.Contains(lines[0], want) {
			t.Errorf("%s %v: want one line naming %q, got stdout %q stderr %q", target, more, want, stdout, stderr)
		}
	}
	oneCheck("key check failed", "lambda:fn", "--key", p("k2.pub"))
	oneCheck("verdict check failed", "lambda:fn", "--attestation", bom, "--require-verdict", "pass")

	// Other code deployed under the same name.
	other := signRead(t, repoTestdata("lambda", "serverless-goat-convert.zip"))
	s.AddFunction(fakelambda.Function{Name: "fn", Runtime: "nodejs24.x", Handler: "index.handler", Zip: other})
	otherSum := sha256.Sum256(other)
	_, stderr := verify(1, "lambda:fn", "--attestation", verdict, "--require-verdict", "pass")
	if !strings.Contains(stderr, "bytes check failed") || !strings.Contains(stderr, "CodeSha256 "+base64.StdEncoding.EncodeToString(otherSum[:])) ||
		!strings.Contains(stderr, "is not what the bundle signed") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("other code: %q", stderr)
	}
	// Its own signature, with the first zip's verdict: the subject digest.
	signCopy(t, repoTestdata("lambda", "serverless-goat-convert.zip"), p("other.zip"))
	signRun(t, 0, "sign", "--key", p("k.key"), p("other.zip"), "--bundle", p("other.json"))
	oneCheck("subject digest check failed", "lambda:fn", "--bundle", p("other.json"), "--attestation", verdict)
	if n := s.Calls("download:function:fn"); n != 0 {
		t.Errorf("verify downloaded the code %d times", n)
	}

	// Could not check: exit 2.
	_, stderr = verify(2, "lambda:missing")
	if !strings.Contains(stderr, "could not check") || !strings.Contains(stderr, "ResourceNotFoundException") {
		t.Errorf("missing function: %q", stderr)
	}
	_, stderr = verify(2, "lambda:img")
	if !strings.Contains(stderr, "fnscan verify registry:123456789012.dkr.ecr.us-east-1.amazonaws.com/img@sha256:cdcd") {
		t.Errorf("image function: %q", stderr)
	}
	verify(2, "lambda:fn", "--bundle", p("missing.json"))
	verify(2, "lambda:fn", "--attestation", p("missing.json"))
	os.WriteFile(p("junk.json"), []byte("{not a bundle"), 0o644)
	verify(1, "lambda:fn", "--bundle", p("junk.json")) // read, and not a bundle: the bundle check
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", "lambda:*", "--key", p("k.pub"), "--bundle", sig, "--region", s.Region}, "one function"},
		{[]string{"verify", p("fn.zip"), "--key", p("k.pub"), "--bundle", sig, "--region", s.Region}, "apply to lambda: targets"},
		{[]string{"verify", "lambda:fn", "--key", p("k.pub"), "--region", s.Region}, "--bundle B is required"},
		{[]string{"verify", "lambda:fn", "--key", p("k.pub"), "--bundle", sig, "--region", "us-east-1", "--region", "eu-west-1"}, "give one --region"},
	} {
		if _, stderr := signRun(t, 2, c.args...); !strings.Contains(stderr, c.want) {
			t.Errorf("%v: stderr %q, want %q", c.args, stderr, c.want)
		}
	}
}

// Layers run with the function's code: verify lambda: holds the deployed
// layers (their CodeSha256 from GetLayerVersionByArn, never downloaded) to
// those the verdict says were scanned, in order; layers with only a
// signature to vouch for the code fail; a layer that cannot be read exits 2.
func TestVerifyLambdaLayers(t *testing.T) {
	s, p := lambdaGate(t)
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	fnPath := zipFile(t, "fn.zip", map[string][]byte{"index.js": []byte("exports.handler = async () => 'ok';\n")})
	layerPath := zipFile(t, "util.zip", map[string][]byte{"nodejs/util.js": []byte("module.exports = 1;\n")})
	otherPath := zipFile(t, "util.zip", map[string][]byte{"nodejs/util.js": []byte("module.exports = 2;\n")})
	signCopy(t, fnPath, p("fn.zip"))
	signCopy(t, layerPath, p("util.zip"))
	out := p("att")
	os.Mkdir(out, 0o755)
	signRun(t, 0, "scan", p("fn.zip"), "--layer", p("util.zip"), "--db", db, "--sign-key", p("k.key"), "--attest-dir", out, "-o", "json="+p("r.json"))
	sig, verdict := filepath.Join(out, "fn.zip.sigstore.json"), filepath.Join(out, "fn.zip.verdict.sigstore.json")

	util := s.AddLayer(fakelambda.Layer{Name: "util", Zip: signRead(t, layerPath)})
	other := s.AddLayer(fakelambda.Layer{Name: "other", Zip: signRead(t, otherPath)})
	denied := s.AddLayer(fakelambda.Layer{Name: "private", Zip: signRead(t, otherPath), Denied: true})
	fn := signRead(t, fnPath)
	deploy := func(layers ...string) {
		s.AddFunction(fakelambda.Function{Name: "fn", Runtime: "nodejs24.x", Handler: "index.handler", Zip: fn, Layers: layers})
	}
	verify := func(want int, more ...string) string {
		t.Helper()
		_, stderr := signRun(t, want, append([]string{"verify", "lambda:fn", "--key", p("k.pub"), "--bundle", sig, "--endpoint-url", s.URL, "--region", s.Region}, more...)...)
		return stderr
	}
	deploy(util)
	verify(0, "--attestation", verdict, "--require-verdict", "pass")
	if stderr := verify(1); !strings.Contains(stderr, "layers check failed") || !strings.Contains(stderr, util) || !strings.Contains(stderr, "no verdict attestation") {
		t.Errorf("signature only, with a layer: %q", stderr)
	}
	for _, layers := range [][]string{{other}, {util, other}, {other, util}, nil} {
		deploy(layers...)
		if stderr := verify(1, "--attestation", verdict); !strings.Contains(stderr, "layers check failed") || !strings.Contains(stderr, "util.zip (sha256 ") {
			t.Errorf("deployed %v: %q", layers, stderr)
		}
	}
	deploy(denied)
	if stderr := verify(2, "--attestation", verdict); !strings.Contains(stderr, "AccessDeniedException") || !strings.Contains(stderr, denied) {
		t.Errorf("denied layer: %q", stderr)
	}
	for _, l := range []string{util, other, denied} {
		if n := s.Calls("download:layer:" + l); n != 0 {
			t.Errorf("layer %s downloaded %d times", l, n)
		}
	}
}

// lambdaGate is a fake Lambda API the CLI talks to and key pair k
// (password "gate"), and the path of a file beside the keys.
func lambdaGate(t *testing.T) (*fakelambda.Server, func(string) string) {
	awsEnv(t)
	t.Cleanup(func() { aws.Register(aws.DefaultClientOptions()) })
	t.Setenv("FNSCAN_PASSWORD", "gate")
	s := fakelambda.New()
	t.Cleanup(s.Close)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	signRun(t, 0, "keygen", "--output-key-prefix", p("k"))
	return s, p
}
