package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/internal/fixture"
	"github.com/fnscan/fnscan/report"
	"github.com/fnscan/fnscan/vuln"
)

func TestMain(m *testing.M) {
	if code, ok := ChildMain(os.Args); ok {
		os.Exit(code)
	}
	code := m.Run()
	if shared.db != "" {
		os.RemoveAll(filepath.Dir(shared.db))
	}
	os.Exit(code)
}

func testdata(parts ...string) string {
	return filepath.Join(append([]string{"..", "testdata"}, parts...)...)
}

var shared struct {
	once sync.Once
	db   string
	sbom string
	err  error
}

// fixtures imports the bundled npm advisories once and catalogs the real
// DVSA package once into a CycloneDX file: the gate tests then scan that
// SBOM, which needs no cataloging.
func fixtures(t *testing.T) (db, bom string) {
	t.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "fnscan-scan-test-")
		if err != nil {
			shared.err = err
			return
		}
		shared.db = filepath.Join(dir, "db")
		if _, shared.err = vuln.Import(context.Background(), shared.db, []string{testdata("osv", "ghsa-npm.zip")}, vuln.ImportOptions{}); shared.err != nil {
			return
		}
		cfg := DefaultConfig()
		cfg.Target, cfg.Vulns, cfg.Secrets, cfg.TempDir = testdata("lambda", "dvsa-order-api.zip"), false, false, dir
		res, err := Run(context.Background(), cfg)
		if err != nil {
			shared.err = err
			return
		}
		var b bytes.Buffer
		if shared.err = report.WriteSBOM(&b, res, "cyclonedx-json"); shared.err != nil {
			return
		}
		shared.sbom = filepath.Join(dir, "dvsa.cdx.json")
		shared.err = os.WriteFile(shared.sbom, b.Bytes(), 0o644)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.db, shared.sbom
}

// The gate without the CLI: no threshold reports and passes; a threshold
// fails with reasons counted per vulnerability and package; "none" passes;
// a policy file's failOn applies unless the option overrides it.
func TestGate(t *testing.T) {
	db, bom := fixtures(t)
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	os.WriteFile(policyFile, []byte("failOn: critical\n"), 0o644)
	for _, c := range []struct {
		name, failOn, policy string
		pass                 bool
		reason               string
	}{
		{"default", "", "", false, "HIGH vulnerabilities (fail-on HIGH)"},
		{"high", "high", "", false, "HIGH vulnerabilities (fail-on HIGH)"},
		{"none", "none", "", true, ""},
		{"policy file", "", policyFile, false, "CRITICAL vulnerabilities (fail-on CRITICAL)"},
		{"option over file", "none", policyFile, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Target, cfg.DB, cfg.FailOn, cfg.PolicyFile = "sbom:"+bom, db, c.failOn, c.policy
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			v := res.Verdict
			if v.Pass != c.pass || (c.reason != "" && !strings.Contains(strings.Join(v.Reasons, "; "), c.reason)) {
				t.Errorf("verdict %+v, want pass=%v with %q", v, c.pass, c.reason)
			}
			// 26 (advisory, package) pairs, as osv-scanner finds.
			total := 0
			for l, n := range v.Counts {
				if l != "SECRET" {
					total += n
				}
			}
			if total != 26 || len(res.Vulnerabilities) < 26 {
				t.Errorf("counts %v (%d), %d vulnerabilities; want 26 pairs", v.Counts, total, len(res.Vulnerabilities))
			}
			if !slices.ContainsFunc(res.Warnings, func(w artifact.Warning) bool { return strings.Contains(w.Message, "secrets not scanned") }) {
				t.Errorf("no warning that an SBOM's secrets are not scanned: %v", res.Warnings)
			}
		})
	}
}

// Policy loading: an ignore needs a reason and suppresses with it; a VEX
// document suppresses; a bad file is an error naming it.
func TestPolicyLoading(t *testing.T) {
	db, bom := fixtures(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	write("openvex.json", `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1",
  "author": "fn team", "timestamp": "2026-11-01T00:00:00Z", "version": 1,
  "statements": [{"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/minimist@0.0.10"}],
    "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}`)
	pol := write("policy.yaml", "ignore:\n  - id: GHSA-q4v7-4rhw-9hqm\n    reason: signed cookies only\nvex:\n  - openvex.json\n")
	cfg := DefaultConfig()
	cfg.Target, cfg.DB, cfg.PolicyFile, cfg.Secrets = "sbom:"+bom, db, pol, false
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range res.SuppressedVulnerabilities {
		got[v.ID] = v.Suppression.String()
	}
	if got["GHSA-q4v7-4rhw-9hqm"] != "ignored: signed cookies only" || got["GHSA-xvch-5gv4-984h"] != "VEX not_affected: vulnerable_code_not_in_execute_path" || len(got) != 2 {
		t.Errorf("suppressed %v", got)
	}
	for _, v := range res.Vulnerabilities {
		if v.ID == "GHSA-q4v7-4rhw-9hqm" {
			t.Errorf("ignored %s still counts", v.ID)
		}
	}
	for _, bad := range []Config{
		{PolicyFile: write("bad.yaml", "ignore:\n  - id: X\n")},
		{VEX: []string{write("bad.json", `{"statements": [{"vulnerability": "X", "status": "perhaps"}]}`)}},
		{PolicyFile: filepath.Join(dir, "missing.yaml")},
	} {
		cfg := DefaultConfig()
		cfg.Target, cfg.DB, cfg.PolicyFile, cfg.VEX = "sbom:"+bom, db, bad.PolicyFile, bad.VEX
		name := bad.PolicyFile + strings.Join(bad.VEX, "")
		if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), filepath.Base(name)) {
			t.Errorf("%s: error %v", name, err)
		}
	}
	// The policy's VEX documents are read whatever the stages: `fnscan
	// secrets --policy` must not pass a policy `scan` refuses.
	cfg = DefaultConfig()
	cfg.Target, cfg.DB, cfg.Vulns, cfg.Catalog = "sbom:"+bom, db, false, false
	cfg.PolicyFile = write("badvex.yaml", "vex:\n  - bad.json\n")
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("secrets only, broken VEX in the policy: error %v", err)
	}
}

// fakeProvider is a target kind added from outside artifact, as aws/ adds
// lambda:.
type fakeProvider struct{ opened *string }

func (fakeProvider) Name() string { return "fake" }

func (f fakeProvider) Open(ctx context.Context, ref string, opts artifact.Options) (*artifact.Target, error) {
	*f.opened = ref
	return artifact.Open(ctx, "dir:"+ref, opts)
}

// Target dispatch: a prefix picks its provider, a registered one included;
// without one, content decides; what nothing recognises is an error.
func TestProviders(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.js"), []byte("console.log(1)\n"), 0o644)
	var opened string
	artifact.Register(fakeProvider{&opened})
	run := func(spec string) (*Result, error) {
		cfg := DefaultConfig()
		cfg.Target, cfg.Catalog, cfg.Vulns = spec, false, false
		return Run(context.Background(), cfg)
	}
	res, err := run("fake:" + dir)
	if err != nil || opened != dir || res.Target.Kind != "dir" {
		t.Fatalf("fake provider: %v, opened %q, %+v", err, opened, res)
	}
	for spec, kind := range map[string]string{
		dir:                                      "dir",
		testdata("lambda", "dvsa-order-api.zip"): "zip",
		testdata("images", "alpine-3.10-docker-archive.tar.gz"): "docker-archive",
		testdata("images", "test.oci"):                          "oci-dir",
	} {
		res, err := run(spec)
		if err != nil || res.Target.Kind != kind {
			t.Errorf("%s: %v, kind %v, want %s", spec, err, res, kind)
		}
	}
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("not a target"), 0o644)
	if _, err := run(notes); err == nil || !strings.Contains(err.Error(), "notes.txt: not a recognised target") {
		t.Errorf("unrecognised content: %v", err)
	}
	names := []string{}
	for _, p := range artifact.Providers() {
		names = append(names, p.Name())
	}
	if want := []string{"zip", "dir", "tar", "docker-archive", "oci-archive", "oci-dir", "registry", "sbom", "fake"}; !slices.Equal(names, want) {
		t.Errorf("providers %v, want %v", names, want)
	}
}

// recorder counts what the handler saw.
type recorder struct {
	mu       sync.Mutex
	warnings []artifact.Warning
	progress []string
}

func (r *recorder) Progress(m string) { r.mu.Lock(); r.progress = append(r.progress, m); r.mu.Unlock() }
func (r *recorder) Warning(w artifact.Warning) {
	r.mu.Lock()
	r.warnings = append(r.warnings, w)
	r.mu.Unlock()
}

// Every warning reaches the handler once and the Result as well.
func TestHandler(t *testing.T) {
	rec := &recorder{}
	cfg := DefaultConfig()
	cfg.Target, cfg.Vulns, cfg.Handler = testdata("malicious", "zip-slip.zip"), false, rec
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) == 0 || !slices.Equal(res.Warnings, rec.warnings) {
		t.Errorf("result warnings %v, handler %v", res.Warnings, rec.warnings)
	}
	if !slices.ContainsFunc(res.Warnings, func(w artifact.Warning) bool { return strings.Contains(w.Message, "traverses outside") }) {
		t.Errorf("no refusal warning: %v", res.Warnings)
	}
	if len(rec.progress) == 0 || rec.progress[len(rec.progress)-1] != "" {
		t.Errorf("progress %q does not end cleared", rec.progress)
	}

	// A target that does not open is one error: the warnings met on the
	// way (refused entries of a tar that is no image) are not shown.
	rec = &recorder{}
	cfg.Target, cfg.Handler = "docker-archive:"+testdata("malicious", "zip-slip.tar"), rec
	if _, err := Run(context.Background(), cfg); err == nil || len(rec.warnings) != 0 {
		t.Errorf("error %v after warnings %v", err, rec.warnings)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, c := range map[string]func(*Config){
		"no target":              func(c *Config) { c.Target = "" },
		"--fail-on":              func(c *Config) { c.FailOn = "severe" },
		"--max-total-size":       func(c *Config) { c.Limits.MaxTotalBytes = 0 },
		"needs cataloging":       func(c *Config) { c.Catalog = false },
		"vulnerability database": func(c *Config) { c.DB = "" },
	} {
		cfg := DefaultConfig()
		cfg.Target = "fn.zip"
		c(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
	cfg := DefaultConfig()
	cfg.Target = "fn.zip"
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
}

// encode is a Result as the JSON report, the bytes compared below.
func encode(t *testing.T, r *Result) []byte {
	t.Helper()
	f, _ := report.Lookup("json")
	var b bytes.Buffer
	if err := f.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Two real targets scanned at once in one process give what each gives
// alone (run under -race by .ci/run).
func TestConcurrentScans(t *testing.T) {
	db, _ := fixtures(t)
	targets := []string{testdata("lambda", "dvsa-order-api.zip"), testdata("images", "alpine-3.10-docker-archive.tar.gz")}
	scanOne := func(spec string) []byte {
		cfg := DefaultConfig()
		cfg.Target, cfg.DB, cfg.FailOn = spec, db, "high"
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Error(err)
			return nil
		}
		return encode(t, res)
	}
	var seq [][]byte
	for _, s := range targets {
		seq = append(seq, scanOne(s))
	}
	con := make([][]byte, len(targets))
	var wg sync.WaitGroup
	for i, s := range targets {
		wg.Go(func() { con[i] = scanOne(s) })
	}
	wg.Wait()
	for i := range targets {
		if !bytes.Equal(seq[i], con[i]) {
			t.Errorf("%s: concurrent result differs from sequential:\n%s\nvs\n%s", targets[i], con[i], seq[i])
		}
	}
	var r struct {
		Components []json.RawMessage `json:"components"`
	}
	json.Unmarshal(seq[1], &r)
	if len(r.Components) != 14 {
		t.Errorf("alpine: %d components, want 14", len(r.Components))
	}
}

// Misconfigurations flow through the policy: ignores by rule and resource
// take them out with the reason, the threshold decides the rest; templates
// are found inside the target too, with their virtual path.
func TestMisconfigurationsThroughPolicy(t *testing.T) {
	goat := filepath.Join("..", "deploy", "testdata", "serverless-goat-template.yaml")
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	os.WriteFile(pol, []byte("failOn: high\nignore:\n  - rule: FNS-CFG-031\n    resource: FunctionConvert\n    reason: runtime upgrade in flight\n  - rule: FNS-CFG-014\n    reason: public by design\n"), 0o644)
	cfg := DefaultConfig()
	cfg.Catalog, cfg.Vulns, cfg.Secrets, cfg.ConfigFiles, cfg.PolicyFile = false, false, false, []string{goat}, pol
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	supp := map[string]string{}
	for _, m := range res.SuppressedMisconfigurations {
		supp[m.RuleID+" "+m.Resource] = m.Suppression.Reason
	}
	if supp["FNS-CFG-031 FunctionConvert"] != "runtime upgrade in flight" || len(res.SuppressedMisconfigurations) != 3 {
		t.Errorf("suppressed %v", supp)
	}
	// FunctionFrontend's deprecated runtime is not ignored: it fails HIGH.
	if res.Verdict.Pass || !strings.Contains(strings.Join(res.Verdict.Reasons, ";"), "1 HIGH misconfiguration") {
		t.Errorf("verdict %+v", res.Verdict)
	}
	if !slices.Equal(res.Stages, []string{"config"}) {
		t.Errorf("stages %v", res.Stages)
	}

	// The same template inside a function zip.
	b, _ := os.ReadFile(goat)
	zipPath, err := fixture.WriteZip(dir, "fn.zip", map[string][]byte{"template.yaml": b, "node_modules/x/template.yaml": b, "index.js": []byte("1\n")})
	if err != nil {
		t.Fatal(err)
	}
	cfg = DefaultConfig()
	cfg.Target, cfg.Catalog, cfg.Vulns, cfg.Secrets, cfg.FailOn = zipPath, false, false, false, "none"
	res, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]int{}
	for _, m := range res.Misconfigurations {
		files[m.File]++
	}
	if len(files) != 1 || files["fn.zip!template.yaml"] != 11 {
		t.Errorf("misconfigurations by file %v: want the function's template alone, 11 findings", files)
	}
}

// A secret in a template's ARN, path or policy resource is redacted from
// misconfiguration evidence in every format, as it is from secrets findings
// (found probing: an API path holding a GitHub token printed it whole).
func TestMisconfigurationEvidenceRedacted(t *testing.T) {
	t.Parallel()
	const gh, stripe = "ghp_MFLZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNh", "sk_live_hGAkWvj7FAc9QeWJKY40uvSw"
	tmpl := `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs22.x
      CodeUri: src/
      Layers:
        - arn:aws:lambda:us-east-1:999999999999:layer:` + gh + `:1
      Policies:
        - Statement:
            - Effect: Allow
              Action: ['s3:PutObject', 's3:DeleteObject']
              Resource: ['arn:aws:s3:::` + stripe + `', '*']
      Events:
        Api:
          Type: Api
          Properties:
            Path: /hook/` + gh + `
            Method: post
`
	p := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(p, []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Catalog, cfg.Vulns, cfg.Secrets, cfg.ConfigFiles, cfg.FailOn = false, false, false, []string{p}, "none"
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Misconfigurations) < 3 {
		t.Fatalf("only %d misconfigurations", len(res.Misconfigurations))
	}
	redacted := false
	for _, m := range res.Misconfigurations {
		redacted = redacted || strings.Contains(m.Evidence, "ghp_…")
	}
	if !redacted {
		t.Errorf("no evidence names the redacted token: %+v", res.Misconfigurations)
	}
	for _, name := range report.Names() {
		f, _ := report.Lookup(name)
		var out bytes.Buffer
		if err := f.Write(&out, res); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{gh, stripe, gh[:20], stripe[:20]} {
			if strings.Contains(out.String(), s) {
				t.Errorf("%s output holds %q", name, s)
			}
		}
	}
}

// An image's config is its container's environment (a container function's
// Environment.Variables) and its build history: a literal secret in ENV or
// in a RUN line is a finding with the config as its origin, redacted; the
// usual variables of official images are not.
func TestImageConfigSecrets(t *testing.T) {
	t.Parallel()
	const pat, pw = "ghp_Zq8mN3vR7tX2wY5kL9pB4cD6fH1jG0sA8eQ3", "Sup3rS3cretPassw0rd!x"
	layer := fixture.Tar(map[string]string{"etc/os-release": "ID=alpine\nVERSION_ID=3.20.0\n"})
	img := fixture.DockerArchiveConfig("fn:1", [][]byte{layer}, map[string]any{
		"config": map[string]any{"Env": []string{
			"PATH=/usr/local/bin:/usr/bin", "LANG=C.UTF-8", "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305",
			"PYTHON_GET_PIP_SHA256=9cc01665956d22b3bf057ae8287b035827bfd895da235bcea200ab3b811790b6",
			"LAMBDA_TASK_ROOT=/var/task", "DB_PASSWORD=" + pw,
		}},
		"history": []map[string]any{
			{"created_by": "/bin/sh -c gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys \"$GPG_KEY\""},
			{"created_by": "RUN /bin/sh -c git clone https://x:" + pat + "@github.com/acme/private.git # buildkit"},
		},
	})
	p := filepath.Join(t.TempDir(), "img.tar")
	if err := os.WriteFile(p, img, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Target, cfg.Catalog, cfg.Vulns, cfg.Deploy = p, false, false, false
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range res.Secrets {
		got = append(got, s.RuleID+"@"+string(s.Origin.Kind))
		if !strings.Contains(s.Path, "!config.json") {
			t.Errorf("%s at %s, want the config", s.RuleID, s.Path)
		}
	}
	sort.Strings(got)
	if strings.Join(got, " ") != "env-var-secret@image-config github-pat@image-config" {
		t.Errorf("secrets %v", got)
	}
	var out bytes.Buffer
	f, _ := report.Lookup("json")
	if err := f.Write(&out, res); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), pw) || strings.Contains(out.String(), pat) {
		t.Error("the JSON report holds a secret in full")
	}
	// The origin kind is one the report's schema knows.
	schema, err := jsonschema.NewCompiler().Compile("../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Errorf("report invalid: %v", err)
	}
}
