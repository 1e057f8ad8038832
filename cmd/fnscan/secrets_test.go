package main

import (
	"crypto/rand"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/internal/fixture"
	"github.com/fnscan/fnscan/report"
	"github.com/fnscan/fnscan/sbom"
)

// randomString makes a fresh secret each run, so no real credential is
// committed and nothing can match by accident.
func randomString(t *testing.T, alphabet string, n int) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteByte(alphabet[k.Int64()])
	}
	return b.String()
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	alnum       = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

type planted struct {
	path, origin, secret string
}

// secretsTarget builds a function zip, a Java layer and an image with the
// given file contents; values come from fill (planted secrets or references).
func secretsFixtures(t *testing.T, v map[string]string) (fn, layer, image string) {
	t.Helper()
	jar := zipBytes(t, map[string][]byte{
		"META-INF/MANIFEST.MF":   []byte("Manifest-Version: 1.0\n"),
		"application.properties": []byte("app.name=orders\naws.accessKeyId=" + v["jar"] + "\n"),
	})
	fn = zipFile(t, "fn.zip", map[string][]byte{
		"handler.py":     []byte("import stripe\n\nstripe.api_key = \"" + v["py"] + "\"\n\ndef handler(event, ctx):\n    return {}\n"),
		"index.js":       []byte("const { Octokit } = require('@octokit/rest');\nconst octokit = new Octokit({ auth: '" + v["js"] + "' });\nexports.handler = async () => octokit.rest.users.getAuthenticated();\n"),
		".env":           []byte("# local settings\nDB_HOST=db.internal\nDB_PASSWORD=" + v["env"] + "\n"),
		"template.yaml":  []byte("AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n  OrdersFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: handler.handler\n      Runtime: python3.12\n      Environment:\n        Variables:\n          TABLE: !Ref OrdersTable\n          API_SECRET: " + v["sam"] + "\n"),
		"serverless.yml": []byte("service: orders\nprovider:\n  name: aws\n  runtime: nodejs20.x\n  environment:\n    STAGE: ${opt:stage}\n    PAYMENT_API_KEY: " + v["sls"] + "\nfunctions:\n  api:\n    handler: index.handler\n"),
	})
	layer = zipFile(t, "java-layer.zip", map[string][]byte{"java/lib/orders-config.jar": jar})
	l1 := tarOf(t, map[string]string{"app/config.env": "SERVICE_URL=https://api.internal\nSERVICE_TOKEN=" + v["img"] + "\n", "app/main.py": "print('hi')\n"})
	l2 := tarOf(t, map[string]string{"app/.wh.config.env": ""})
	image = dockerArchiveFile(t, [][]byte{l1, l2})
	return fn, layer, image
}

func zipBytes(t *testing.T, files map[string][]byte) []byte { return fixture.Zip(files) }

func tarOf(t *testing.T, files map[string]string) []byte { return fixture.Tar(files) }

func dockerArchiveFile(t *testing.T, layers [][]byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	if err := os.WriteFile(p, fixture.DockerArchive("orders:1", layers), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type secretsReport struct {
	Secrets []struct {
		RuleID, Path, Redacted, Fingerprint string
		Line                                int
		Origin                              struct {
			Kind, Name string
			Index      int
		}
	}
}

func secretsJSON(t *testing.T, args ...string) (secretsReport, int) {
	t.Helper()
	out, stderr, code := fnscan(t, append([]string{"secrets", "-o", "json", "--quiet"}, args...)...)
	if code == 2 {
		t.Fatalf("secrets %v: %s", args, stderr)
	}
	var r secretsReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return r, code
}

// Issue 4, acceptance 1: each planted secret found once, with its virtual
// path and origin; acceptance 6: no output format shows any of them in full.
func TestSecretsPlanted(t *testing.T) {
	v := map[string]string{
		"py":  "sk_live_" + randomString(t, alnum, 24),
		"js":  "ghp_" + randomString(t, alnum, 36),
		"env": randomString(t, alnum, 20),
		"sam": randomString(t, alnum, 32),
		"sls": randomString(t, alnum, 32),
		"jar": "AKIA" + randomString(t, upperDigits, 16),
		"img": "xoxb-" + randomString(t, "0123456789", 12) + "-" + randomString(t, "0123456789", 13) + "-" + randomString(t, alnum, 24),
	}
	fn, layer, image := secretsFixtures(t, v)
	want := []planted{
		{"fn.zip!handler.py", "function", v["py"]},
		{"fn.zip!index.js", "function", v["js"]},
		{"fn.zip!.env", "function", v["env"]},
		{"fn.zip!template.yaml", "function", v["sam"]},
		{"fn.zip!serverless.yml", "function", v["sls"]},
		{"java-layer.zip!java/lib/orders-config.jar!application.properties", "layer", v["jar"]},
	}
	r, code := secretsJSON(t, fn, "--layer", layer)
	if code != 1 {
		t.Errorf("secrets found but exit %d, want 1", code)
	}
	count := map[string]int{}
	for _, s := range r.Secrets {
		count[s.Path]++
	}
	for _, w := range want {
		if count[w.path] != 1 {
			t.Errorf("%s: %d findings, want 1 (all: %+v)", w.path, count[w.path], r.Secrets)
		}
		for _, s := range r.Secrets {
			if s.Path == w.path && s.Origin.Kind != w.origin {
				t.Errorf("%s: origin %+v, want %s", w.path, s.Origin, w.origin)
			}
		}
	}
	if len(r.Secrets) != len(want) {
		t.Errorf("%d findings, want %d: %+v", len(r.Secrets), len(want), r.Secrets)
	}
	img, _ := secretsJSON(t, image)
	if len(img.Secrets) != 1 || img.Secrets[0].Path != "/app/config.env" || img.Secrets[0].Origin.Kind != "image-layer" || img.Secrets[0].Origin.Index != 1 {
		t.Errorf("secret in a layer deleted later: %+v", img.Secrets)
	}

	// No format of any command, and not stderr, shows a planted secret in
	// full or most of one.
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	var runs [][]string
	for _, format := range report.Names() {
		for _, target := range [][]string{{fn, "--layer", layer}, {image}} {
			runs = append(runs, append([]string{"scan", "--db", db, "-o", format}, target...))
			runs = append(runs, append([]string{"secrets", "-o", format}, target...))
		}
	}
	for _, format := range sbom.Formats {
		runs = append(runs, []string{"sbom", "-o", format, fn, "--layer", layer})
	}
	for _, args := range runs {
		format := strings.Join(args, " ")
		{
			out, stderr, _ := fnscan(t, args...)
			for name, s := range v {
				if strings.Contains(out, s) || strings.Contains(stderr, s) {
					t.Errorf("-o %s leaks the %s secret", format, name)
				}
				if half := s[:len(s)*2/3]; strings.Contains(out, half) {
					t.Errorf("-o %s shows two thirds of the %s secret", format, name)
				}
			}
		}
	}
}

// Issue 4, acceptance 2: the same places holding references and AWS's
// documented example keys: nothing found.
func TestSecretsReferencesAndExamples(t *testing.T) {
	v := map[string]string{
		"py":  "{{resolve:secretsmanager:stripe/api:SecretString:key}}",
		"js":  "${ssm:/orders/github-token}",
		"env": "${env:DB_PASSWORD}",
		"sam": "'{{resolve:ssm-secure:/orders/api-secret:1}}'",
		"sls": "${ssm:/orders/payment-api-key}",
		"jar": "AKIAIOSFODNN7EXAMPLE",
		"img": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/token-AbCdEf",
	}
	fn, layer, image := secretsFixtures(t, v)
	for _, target := range [][]string{{fn, "--layer", layer}, {image}} {
		r, code := secretsJSON(t, target...)
		if len(r.Secrets) != 0 || code != 0 {
			t.Errorf("%v: exit %d, findings %+v", target, code, r.Secrets)
		}
	}
	// The AWS documentation secret key in a properties file, too.
	fn2 := zipFile(t, "fn2.zip", map[string][]byte{"config.py": []byte("AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE'\nAWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'\n")})
	if r, _ := secretsJSON(t, fn2); len(r.Secrets) != 0 {
		t.Errorf("AWS example keys reported: %+v", r.Secrets)
	}
}

// Issue 4, acceptance 3: every secret in the gitleaks archive corpus's
// plain files is also found inside each archive form of it.
func TestSecretsGitleaksArchives(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "secrets", "gitleaks-archives")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("../shared/data/secrets/gitleaks-archives not present")
	}
	r, _ := secretsJSON(t, dir)
	type key struct {
		file, rule string
		line       int
	}
	plain := map[key]bool{}
	byArchive := map[string]map[key]bool{}
	for _, s := range r.Secrets {
		archive, inner, nested := strings.Cut(strings.TrimPrefix(s.Path, "gitleaks-archives/"), "!")
		if !nested {
			plain[key{filepath.Base(archive), s.RuleID, s.Line}] = true
			continue
		}
		if byArchive[archive] == nil {
			byArchive[archive] = map[key]bool{}
		}
		byArchive[archive][key{filepath.Base(inner), s.RuleID, s.Line}] = true
	}
	if len(plain) < 3 {
		t.Fatalf("only %d findings in the plain files: %+v", len(plain), r.Secrets)
	}
	for _, a := range []string{"files.7z", "files.tar", "files.tar.xz", "files.tar.zst", "files.zip"} {
		for k := range plain {
			if strings.HasPrefix(k.file, "main.go.") {
				continue // the compressed single files are checked below
			}
			if !byArchive[a][k] {
				t.Errorf("%s: %v found in the plain file but not in the archive", a, k)
			}
		}
	}
	for _, c := range []string{"files/main.go.gz", "files/main.go.xz", "files/main.go.zst"} {
		if len(byArchive[c]) == 0 {
			t.Errorf("nothing found inside %s", c)
		}
	}
}

// SARIF validates against the OASIS schema; CycloneDX with vulnerabilities
// against the CycloneDX schema.
func TestReportSchemas(t *testing.T) {
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	out, stderr, code := fnscan(t, "scan", "--db", db, "--fail-on", "none", "-o", "sarif", repoTestdata("lambda", "dvsa-order-api.zip"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	validJSON(t, repoTestdata("sarif", "sarif-schema-2.1.0.json"), out)
	if !strings.Contains(out, "GHSA-q4v7-4rhw-9hqm") {
		t.Error("SARIF lacks the node-serialize advisory")
	}
	out, _, code = fnscan(t, "scan", "--db", db, "--fail-on", "none", "-o", "cyclonedx-json", repoTestdata("lambda", "dvsa-order-api.zip"))
	if code != 0 {
		t.Fatal(code)
	}
	if err := sbom.ValidateCycloneDXJSON([]byte(out)); err != nil {
		t.Errorf("CycloneDX with vulnerabilities invalid: %v", err)
	}
	var bom struct {
		Vulnerabilities []struct {
			ID      string
			Affects []struct{ Ref string }
		}
	}
	json.Unmarshal([]byte(out), &bom)
	if len(bom.Vulnerabilities) < 20 {
		t.Errorf("%d vulnerabilities in the CycloneDX output", len(bom.Vulnerabilities))
	}
	for _, v := range bom.Vulnerabilities {
		if len(v.Affects) == 0 {
			t.Errorf("%s affects no component", v.ID)
		}
	}
}
