package aws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/aws/fakelambda"
	"github.com/fnscan/fnscan/report"
	"github.com/fnscan/fnscan/scan"
)

const plaintext = "Sup3rS3cretDbPassw0rd!x9"

// envFunction is a function whose environment holds a plaintext password
// and two references that are not secrets.
func envFunction(t *testing.T, s *fakelambda.Server) string {
	return s.AddFunction(fakelambda.Function{Name: "billing", Runtime: "nodejs16.x", Handler: "index.handler", Zip: fnZip(t, 1),
		Env: map[string]string{
			"DB_PASSWORD":     plaintext,
			"API_KEY":         "{{resolve:secretsmanager:prod/api:SecretString:key}}",
			"STRIPE_SECRET":   "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/stripe-AbCdEf",
			"TABLE_NAME":      "orders",
			"SIGNING_KEY_ARN": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		},
		Policy:               `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"public","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:billing"}]}`,
		URLAuthType:          "NONE",
		CodeSigningConfigArn: "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0",
		Aliases:              []string{"live"},
	})
}

// The provider keeps the API's own JSON for the configuration checks, by
// name, NAME:ALIAS and ARN, and removes its downloads once opened.
func TestProviderDeployed(t *testing.T) {
	s := fakelambda.New()
	defer s.Close()
	arn := envFunction(t, s)
	aws.Register(clientFor(s))
	defer aws.Register(aws.DefaultClientOptions())
	for _, ref := range []string{"billing", "billing:live", arn, arn + ":live"} {
		tmp := t.TempDir()
		tg, err := artifact.Open(context.Background(), "lambda:"+ref, artifact.Options{TempDir: tmp})
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if tg.Name != "lambda:"+arn || tg.Kind != artifact.KindZip || len(tg.Deployed) != 1 {
			t.Errorf("%s: name %q kind %s deployed %d", ref, tg.Name, tg.Kind, len(tg.Deployed))
		}
		d := tg.Deployed[0]
		var gf struct {
			Configuration struct {
				FunctionName, Runtime, CodeSha256 string
				Environment                       struct{ Variables map[string]string }
				TracingConfig                     struct{ Mode string }
			}
			Code struct{ RepositoryType string }
		}
		if err := json.Unmarshal(d.GetFunction, &gf); err != nil {
			t.Fatal(err)
		}
		if gf.Configuration.FunctionName != "billing" || gf.Configuration.Runtime != "nodejs16.x" || gf.Configuration.Environment.Variables["DB_PASSWORD"] != plaintext ||
			gf.Configuration.TracingConfig.Mode != "PassThrough" || gf.Code.RepositoryType != "S3" || gf.Configuration.CodeSha256 != tg.CodeSHA256 {
			t.Errorf("%s: GetFunction JSON %s", ref, d.GetFunction)
		}
		if d.Name != "lambda:billing (us-east-1)" || !strings.Contains(d.Policy, `"Principal":"*"`) ||
			!bytes.Contains(d.URLConfig, []byte(`"AuthType":"NONE"`)) || !bytes.Contains(d.CodeSigning, []byte("csc-0123456789abcdef0")) {
			t.Errorf("%s: deployed %s policy %q url %s signing %s", ref, d.Name, d.Policy, d.URLConfig, d.CodeSigning)
		}
		// The zip is read in place from its (already unlinked) download,
		// and the work dir is made only on need: nothing is left open.
		if got := leftovers(t, tmp); len(got) != 0 {
			t.Errorf("%s: temp dir holds %v", ref, got)
		}
		tg.Close()
		if got := leftovers(t, tmp); len(got) != 0 {
			t.Errorf("%s: after Close, temp dir holds %v", ref, got)
		}
	}
	// An image function is pulled from its registry by ResolvedImageUri
	// (here one that refuses connections): nothing is downloaded from S3.
	s.AddFunction(fakelambda.Function{Name: "container", Image: "127.0.0.1:9/fn@sha256:" + strings.Repeat("ab", 32)})
	if _, err := artifact.Open(context.Background(), "lambda:container", artifact.Options{TempDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "/v2/") ||
		!strings.Contains(err.Error(), "127.0.0.1:9/fn@sha256:abab") || s.Calls("download:function:container") != 0 {
		t.Errorf("image function: %v", err)
	}
	for ref, want := range map[string]string{
		"nope":                "ResourceNotFoundException (HTTP 404)",
		"billing:old":         "ResourceNotFoundException (HTTP 404)",
		"has spaces":          "not a function name",
		"arn:aws:s3:::bucket": "not a function name",
	} {
		if _, err := artifact.Open(context.Background(), "lambda:"+ref, artifact.Options{TempDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", ref, err, want)
		}
	}
}

// Acceptance 3: a plaintext DB_PASSWORD in the deployed environment is a
// secret finding; a {{resolve:...}} or Secrets Manager ARN is not; the
// value appears in no output and no log.
func TestEnvSecrets(t *testing.T) {
	s := fakelambda.New()
	defer s.Close()
	envFunction(t, s)
	aws.Register(clientFor(s))
	defer aws.Register(aws.DefaultClientOptions())
	log := &warnings{}
	cfg := scan.DefaultConfig()
	cfg.Target, cfg.DB, cfg.FailOn, cfg.TempDir, cfg.Handler = "lambda:billing", vulnDB(t), "high", t.TempDir(), log
	res, err := scan.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, name := range report.Names() {
		f, _ := report.Lookup(name)
		if err := f.Write(&out, res); err != nil {
			t.Fatal(err)
		}
	}
	// The fleet report too.
	fcfg := fleetConfig(t, s)
	rep, err := aws.RunFleet(context.Background(), fcfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range aws.FleetFormats {
		rep.Write(&out, f)
	}
	if strings.Contains(out.String(), plaintext) || strings.Contains(log.text.String(), plaintext) {
		t.Fatal("the plaintext value appears in an output or the log")
	}
	for _, v := range []string{"prod/api", "prod/stripe"} {
		if strings.Contains(out.String(), v) {
			t.Errorf("%s appears in an output", v)
		}
	}
	// What the provider keeps is what the secrets stage reads: the raw
	// GetFunction JSON, scanned as a file, gives DB_PASSWORD alone.
	tg, err := artifact.Open(context.Background(), "lambda:billing", artifact.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "get-function.json"), tg.Deployed[0].GetFunction, 0o600)
	tg.Close()
	dcfg := scan.DefaultConfig()
	dcfg.Target, dcfg.Catalog, dcfg.Vulns, dcfg.Handler = "dir:"+dir, false, false, log
	dres, err := scan.Run(context.Background(), dcfg)
	if err != nil {
		t.Fatal(err)
	}
	if vars := secretVars(dres); !slices.Equal(vars, []string{"DB_PASSWORD"}) {
		t.Errorf("the kept GetFunction JSON gives secret variables %v, want only DB_PASSWORD", vars)
	}
	out.Reset()
	f, _ := report.Lookup("json")
	f.Write(&out, dres)
	if strings.Contains(out.String(), plaintext) || strings.Contains(log.text.String(), plaintext) {
		t.Fatal("the plaintext value appears in the report of the kept JSON")
	}

	vars := secretVars(res)
	if !slices.Equal(vars, []string{"DB_PASSWORD"}) {
		t.Errorf("secret variables %v, want only DB_PASSWORD", vars)
	}
	if res.Verdict == nil || res.Verdict.Pass {
		t.Errorf("verdict %+v: a plaintext password should fail the gate", res.Verdict)
	}
}

func secretVars(res *scan.Result) []string {
	var vars []string
	for _, f := range res.Secrets {
		if f.Variable != "" {
			vars = append(vars, f.Variable)
		}
	}
	return vars
}

// A Java function uploaded as an uber-jar is stored by Lambda as that jar,
// under no name: fnscan catalogs it as a jar when the runtime is Java and
// its root holds a manifest (its own package, what is shaded into it, the
// jars nested in it), and a Java zip laid out as classes and lib/*.jar as
// a zip; the same bytes under a Node runtime are a plain zip.
func TestJavaUberJarFunction(t *testing.T) {
	guava, err := os.ReadFile(filepath.Join("..", "testdata", "jars", "guava-31.1-jre.jar"))
	if err != nil {
		t.Fatal(err)
	}
	uber := zipOf(t, map[string]string{
		"META-INF/MANIFEST.MF":                                                      "Manifest-Version: 1.0\n",
		"META-INF/maven/com.example/orders/pom.properties":                          "groupId=com.example\nartifactId=orders\nversion=2.1.0\n",
		"META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties": "groupId=com.fasterxml.jackson.core\nartifactId=jackson-databind\nversion=2.9.8\n",
		"com/example/Handler.class":                                                 "\xca\xfe\xba\xbe",
		"lib/guava-31.1-jre.jar":                                                    string(guava),
	})
	layout := zipOf(t, map[string]string{"com/example/Handler.class": "\xca\xfe\xba\xbe", "lib/guava-31.1-jre.jar": string(guava)})
	s := fakelambda.New()
	defer s.Close()
	s.AddFunction(fakelambda.Function{Name: "orders", Runtime: "java21", Handler: "com.example.Handler", Zip: uber})
	s.AddFunction(fakelambda.Function{Name: "orders-zip", Runtime: "java17", Handler: "com.example.Handler", Zip: layout})
	s.AddFunction(fakelambda.Function{Name: "orders-node", Runtime: "nodejs20.x", Handler: "index.handler", Zip: uber})
	aws.Register(clientFor(s))
	defer aws.Register(aws.DefaultClientOptions())
	purls := func(name string) []string {
		cfg := scan.DefaultConfig()
		cfg.Target, cfg.DB, cfg.FailOn, cfg.TempDir, cfg.Handler = "lambda:"+name, vulnDB(t), "none", t.TempDir(), &warnings{}
		res, err := scan.Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range res.Components {
			out = append(out, c.PURL)
		}
		return out
	}
	guavaPURL := "pkg:maven/com.google.guava/guava@31.1-jre"
	got := purls("orders")
	for _, want := range []string{"pkg:maven/com.example/orders@2.1.0", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.8", guavaPURL} {
		if !slices.Contains(got, want) {
			t.Errorf("java uber-jar: %s missing from %v", want, got)
		}
	}
	if got := purls("orders-zip"); !slices.Equal(got, []string{guavaPURL}) {
		t.Errorf("java zip layout: %v, want only guava", got)
	}
	if got := purls("orders-node"); slices.Contains(got, "pkg:maven/com.example/orders@2.1.0") || !slices.Contains(got, guavaPURL) {
		t.Errorf("the uber-jar's bytes under a Node runtime: %v, want guava (from lib/) and not the jar's own packages", got)
	}
}

// Behind a TLS proxy with its own CA, AWS_CA_BUNDLE names the CA: the SDK
// adds it to the API client, and downloads go through the same client.
// (A plain *http.Client made the SDK refuse the configuration outright.)
func TestCABundle(t *testing.T) {
	s := fakelambda.NewTLS()
	defer s.Close()
	envFunction(t, s)
	aws.Register(clientFor(s))
	defer aws.Register(aws.DefaultClientOptions())

	if _, err := artifact.Open(context.Background(), "lambda:billing", artifact.Options{TempDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA bundle: %v, want a certificate error", err)
	}
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, s.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	aws.Register(clientFor(s)) // a new session: the first cached its client
	tg, err := artifact.Open(context.Background(), "lambda:billing", artifact.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatalf("with AWS_CA_BUNDLE: %v", err)
	}
	defer tg.Close()
	if len(tg.Deployed) != 1 || s.Calls("download:function:billing") != 1 {
		t.Errorf("deployed %d, downloads %d", len(tg.Deployed), s.Calls("download:function:billing"))
	}
}
