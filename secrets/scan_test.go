package secrets

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/artifact"
)

// Secrets are generated at run time so that no live-looking credential
// sits in the repository.
func randomString(r *mrand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

type planted struct {
	awsKey, githubPAT, slackBot, dbPassword, privateKey string
}

func plant(t *testing.T, seed uint64) planted {
	t.Helper()
	r := mrand.New(mrand.NewPCG(seed, 42))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return planted{
		awsKey:     "AKIA" + randomString(r, upperDigits, 16),
		githubPAT:  "ghp_" + randomString(r, alnum, 36),
		slackBot:   fmt.Sprintf("xoxb-%d-%d-%s", 1000000000+r.IntN(1e9), 1000000000+r.IntN(1e9), randomString(r, alnum, 24)),
		dbPassword: "Pw-" + randomString(r, alnum, 14),
		privateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
	}
}

func (p planted) all() []string {
	return []string{p.awsKey, p.githubPAT, p.slackBot, p.dbPassword, strings.TrimSpace(p.privateKey)}
}

func plantedFiles(t *testing.T, p planted) []artifact.File {
	return writeFiles(t, map[string]string{
		"index.js": "const AWS = require('aws-sdk');\n" +
			"const accessKeyId = '" + p.awsKey + "';\n" +
			"const gh = \"" + p.githubPAT + "\";\n",
		"config/slack.json":   `{"bot": "` + p.slackBot + `"}` + "\n",
		".env":                "DB_PASSWORD=" + p.dbPassword + "\n",
		"certs/service.pem":   p.privateKey,
		"serverless.yml":      "provider:\n  environment:\n    AWS_KEY_SECRET: " + p.awsKey + "\n",
		"node_modules/x/a.js": "module.exports = {slack: '" + p.slackBot + "'};\n",
	})
}

// TestRedaction plants full secrets and checks that no rendering of any
// finding, suppressed finding or warning contains one.
func TestRedaction(t *testing.T) {
	p := plant(t, 1)
	res := scan(t, plantedFiles(t, p), DefaultConfig())
	if len(res.Findings) < 6 {
		logFindings(t, res.Findings)
		t.Fatalf("want at least 6 findings, got %d", len(res.Findings))
	}
	var renderings []string
	for _, f := range append(res.Findings, res.Suppressed...) {
		j, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		renderings = append(renderings, string(j), fmt.Sprintf("%v", f), fmt.Sprintf("%+v", f), fmt.Sprintf("%#v", f))
		if f.Line > 0 && (f.Length == 0 || !strings.Contains(f.Redacted, fmt.Sprintf("(%d chars)", f.Length))) {
			t.Errorf("%s:%d redacted form %q does not give the length %d", f.Path, f.Line, f.Redacted, f.Length)
		}
	}
	all, _ := json.Marshal(res)
	renderings = append(renderings, string(all), fmt.Sprintf("%+v", res))
	for _, r := range renderings {
		for i, s := range p.all() {
			if strings.Contains(r, s) {
				t.Errorf("planted secret #%d appears in output", i)
			}
			// No long stretch of it either.
			if len(s) >= 16 && strings.Contains(r, s[4:16]) {
				t.Errorf("planted secret #%d is partly in output", i)
			}
		}
	}
}

// TestPlantedFindings checks rule, line, path and source of planted
// secrets, the vendored policy, and that the same secret on the same line
// is reported once.
func TestPlantedFindings(t *testing.T) {
	p := plant(t, 2)
	res := scan(t, plantedFiles(t, p), DefaultConfig())
	type want struct {
		path, rule string
		line       int
	}
	got := map[want]int{}
	for _, f := range res.Findings {
		got[want{strings.TrimPrefix(f.Path, "fn.zip!"), f.RuleID, f.Line}]++
	}
	for _, w := range []want{
		{"index.js", "aws-access-token", 2},
		{"index.js", "github-pat", 3},
		{"config/slack.json", "slack-bot-token", 1},
		{".env", envVarRule, 1},
		{"certs/service.pem", "private-key", 1},
		{"serverless.yml", "aws-access-token", 3},
		// Specific rules still run in vendored code.
		{"node_modules/x/a.js", "slack-bot-token", 1},
	} {
		if got[w] != 1 {
			t.Errorf("want exactly one %v, got %d", w, got[w])
		}
	}
	// The AWS key in a secret-named serverless.yml variable: one finding.
	n := 0
	for _, f := range res.Findings {
		if f.Path == "fn.zip!serverless.yml" {
			n++
		}
	}
	if n != 1 {
		logFindings(t, res.Findings)
		t.Errorf("serverless.yml: want the key reported once, got %d findings", n)
	}
	for i := 1; i < len(res.Findings); i++ {
		a, b := res.Findings[i-1], res.Findings[i]
		if a.Path > b.Path || (a.Path == b.Path && a.Line > b.Line) {
			t.Errorf("findings not sorted: %s:%d before %s:%d", a.Path, a.Line, b.Path, b.Line)
		}
	}
	// Fingerprints are stable across runs and differ between findings.
	again := scan(t, plantedFiles(t, p), DefaultConfig())
	seen := map[string]bool{}
	for i, f := range res.Findings {
		if again.Findings[i].Fingerprint != f.Fingerprint {
			t.Errorf("fingerprint of %s:%d changed between runs", f.Path, f.Line)
		}
		if seen[f.Fingerprint] {
			t.Errorf("duplicate fingerprint at %s:%d", f.Path, f.Line)
		}
		seen[f.Fingerprint] = true
	}
}

// TestExampleCredentials: documentation keys and placeholders are never
// findings, wherever they appear.
func TestExampleCredentials(t *testing.T) {
	tests := map[string]string{
		"aws doc key id":      "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
		"aws doc secret":      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
		"aws doc key in code": "const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };\n",
		"sigv4 test suite":    "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request\n",
		"sdk test literals":   "new AWS.Credentials({accessKeyId: 'akid', secretAccessKey: 'secret', sessionToken: 'session'});\n",
		"angle placeholder":   "api_key = \"<your-api-key>\"\n",
		"xxx placeholder":     "password: \"xxxxxxxxxxxx\"\n",
		"stars":               "DB_PASSWORD='************'\n",
		"changeme":            "admin_password = \"changeme\"\n",
		"env interpolation":   "secret_token = \"${SECRET_TOKEN}\"\n",
		"template":            "api_token: \"{{ api_token }}\"\n",
		"repeated char":       "auth_token = \"aaaaaaaaaaaaaaaaaaaaaaaa\"\n",
		"example word":        "stripe_secret = \"sk_live_example_1234567890abcdef\"\n",
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			res := scan(t, writeFiles(t, map[string]string{"app/settings.py": content, ".env": content}), DefaultConfig())
			if len(res.Findings) > 0 {
				logFindings(t, res.Findings)
				t.Errorf("want no findings, got %d", len(res.Findings))
			}
		})
	}
}

// TestSuppression covers inline fnscan:allow comments and baselines.
func TestSuppression(t *testing.T) {
	p := plant(t, 3)
	files := writeFiles(t, map[string]string{
		"a.js": "const k = '" + p.awsKey + "'; // fnscan:allow rotated, tracked in SEC-12\n" +
			"const g = '" + p.githubPAT + "';\n",
	})
	res := scan(t, files, DefaultConfig())
	if len(res.Findings) != 1 || res.Findings[0].RuleID != "github-pat" {
		logFindings(t, res.Findings)
		t.Fatalf("want only the GitHub token reported")
	}
	if len(res.Suppressed) != 1 || res.Suppressed[0].Reason != "fnscan:allow rotated, tracked in SEC-12" {
		t.Fatalf("want the AWS key suppressed with its reason, got %+v", res.Suppressed)
	}

	// A baseline written from the previous report suppresses the rest.
	report, err := json.Marshal(map[string]any{"secrets": res.Findings})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, report, 0o644); err != nil {
		t.Fatal(err)
	}
	baseline, err := LoadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Baseline = baseline
	res = scan(t, files, cfg)
	if len(res.Findings) != 0 || len(res.Suppressed) != 2 {
		t.Fatalf("with baseline: want 0 findings and 2 suppressed, got %d and %d", len(res.Findings), len(res.Suppressed))
	}
	reasons := map[string]bool{}
	for _, s := range res.Suppressed {
		reasons[s.Reason] = true
	}
	if !reasons["baseline"] {
		t.Errorf("no finding suppressed by baseline: %v", reasons)
	}
	if _, err := LoadBaseline(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("LoadBaseline of a missing file: want an error")
	}
}

// TestLimitsAndBinary covers the size limits and binary detection.
func TestLimitsAndBinary(t *testing.T) {
	p := plant(t, 4)
	line := "key = '" + p.awsKey + "'\n"
	files := writeFiles(t, map[string]string{
		"big.js":      strings.Repeat("// filler line of text\n", 2000) + line,
		"small.js":    line,
		"blob.dat":    line,
		"nul.txt":     "\x00\x01\x02" + line,
		"latin1.txt":  strings.Repeat("\xff\xfe\xfd", 100) + line,
		"unicode.txt": "héllo wörld ünïcode\n" + line,
	})
	cfg := DefaultConfig()
	cfg.MaxFileSize = 4096
	res := scan(t, files, cfg)
	paths := map[string]bool{}
	for _, f := range res.Findings {
		paths[strings.TrimPrefix(f.Path, "fn.zip!")] = true
	}
	if !paths["small.js"] || !paths["unicode.txt"] || len(paths) != 2 {
		t.Errorf("want findings in small.js and unicode.txt only, got %v", paths)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Path != "fn.zip!big.js" || !strings.Contains(res.Warnings[0].Message, "per-file limit") || !res.Warnings[0].Unscanned {
		t.Errorf("want one per-file limit warning for big.js, marked unscanned, got %v", res.Warnings)
	}

	cfg = DefaultConfig()
	cfg.MaxTotal = 100
	res = scan(t, files, cfg)
	total := 0
	for _, w := range res.Warnings {
		if strings.Contains(w.Message, "total scan limit") && w.Unscanned {
			total++
		}
	}
	if total == 0 || res.BytesScanned > 100 {
		t.Errorf("total limit: %d warnings, %d bytes scanned", total, res.BytesScanned)
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]string{
		"AKIAABCDEFGHIJKLMNOP": "AKIA…(20 chars)",
		"hunter22":             "hu…(8 chars)",
		"admin":                "a…(5 chars)",
		"abc":                  "…(3 chars)",
	}
	for in, want := range tests {
		if got := redact(in); got != want {
			t.Errorf("redact(%d chars) = %q, want %q", len(in), got, want)
		}
	}
}

func TestLooksBinary(t *testing.T) {
	if looksBinary([]byte("plain text\nwith lines\n")) {
		t.Error("text seen as binary")
	}
	if !looksBinary([]byte("ELF\x00\x01")) {
		t.Error("NUL byte not seen as binary")
	}
	if !looksBinary([]byte(strings.Repeat("\xff\xfe", 50) + "abc")) {
		t.Error("invalid UTF-8 not seen as binary")
	}
}

// With a key, fingerprints are HMACs: stable for the same key, different
// from the unkeyed hash and from another key's.
func TestFingerprintKey(t *testing.T) {
	plain := fingerprint("r", "p", "hunter2hunter2")
	t.Setenv(FingerprintKeyEnv, "k1")
	k1 := fingerprint("r", "p", "hunter2hunter2")
	if k1 == plain || k1 != fingerprint("r", "p", "hunter2hunter2") {
		t.Errorf("keyed fingerprint %s vs plain %s", k1, plain)
	}
	t.Setenv(FingerprintKeyEnv, "k2")
	if fingerprint("r", "p", "hunter2hunter2") == k1 {
		t.Error("two keys gave the same fingerprint")
	}
}

// In YAML a value that starts with "!" is a tag — !Ref, !Sub '{{resolve:...}}',
// !ImportValue, !vault — the recommended ways to keep secrets out of a
// template, not secrets (found probing: each failed the gate). A YAML core
// tag is skipped to the value it types; outside YAML "!" is just text.
func TestYAMLTagsAreNotSecrets(t *testing.T) {
	res := scan(t, writeFiles(t, map[string]string{
		"template.yaml": `Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          A_PASSWORD: !Ref DbPassword
          B_SECRET: !Sub '{{resolve:secretsmanager:orders/api:SecretString:key}}'
          D_API_KEY: !GetAtt Secret.Arn
          E_PASSWORD: !Join ['', ['{{resolve:secretsmanager:', !Ref Secret, ':SecretString:password}}']]
          H_PASSWORD: !ImportValue shared-db-password
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      MasterUserPassword: !Ref DbPassword
`,
		"group_vars/all.yml": "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6138\n",
		"deploy.yml":         "steps:\n  - run: |\n      export DB_PASSWORD=!Xk3ldP9qWz\n",
		"config.yml":         "db:\n  password: !!str Xk3ldP9qWz\n",
		"app.ini":            "[db]\npassword = !Xk3ldP9qWz\n",
	}), DefaultConfig())
	got := map[string]int{}
	for _, f := range res.Findings {
		got[strings.TrimPrefix(f.Path, "fn.zip!")]++
	}
	if got["template.yaml"] != 0 || got["group_vars/all.yml"] != 0 || got["config.yml"] != 1 || got["app.ini"] != 1 || got["deploy.yml"] != 1 {
		logFindings(t, res.Findings)
		t.Errorf("findings by file %v: want one in config.yml, app.ini and deploy.yml, none for tags", got)
	}
}

// Secrets inside base64 or hex runs are found, as gitleaks finds them by
// default, at the line of the encoded run and marked with the encoding;
// not in vendored code, where only the plain text is scanned.
func TestDecodedSecrets(t *testing.T) {
	p := plant(t, 3)
	b64 := base64.StdEncoding.EncodeToString([]byte("github_token=" + p.githubPAT + "\n"))
	twice := base64.StdEncoding.EncodeToString([]byte("cfg = '" + base64.StdEncoding.EncodeToString([]byte("slack="+p.slackBot)) + "'"))
	res := scan(t, writeFiles(t, map[string]string{
		"boot.py":             "import base64\n\nCFG = base64.b64decode(\"" + b64 + "\")\n",
		"nested.js":           "// twice\nconst c = atob(atob('" + twice + "'));\n",
		"hex.txt":             "data\n" + hex.EncodeToString([]byte(p.githubPAT)) + "\n",
		"node_modules/x/a.js": "module.exports = '" + b64 + "';\n",
		"plain.js":            "const averyveryverylongidentifiername_abcdefgh = 1;\n",
	}), DefaultConfig())
	type want struct {
		path, rule string
		line       int
	}
	got := map[want]string{}
	for _, f := range res.Findings {
		got[want{strings.TrimPrefix(f.Path, "fn.zip!"), f.RuleID, f.Line}] = f.Description
	}
	for w, enc := range map[want]string{
		{"boot.py", "github-pat", 3}:        "decoded:base64",
		{"nested.js", "slack-bot-token", 2}: "decode-depth:2",
		{"hex.txt", "github-pat", 2}:        "decoded:hex",
	} {
		if d, ok := got[w]; !ok || !strings.Contains(d, enc) {
			logFindings(t, res.Findings)
			t.Errorf("want %v marked %q, got %q (found %v)", w, enc, d, ok)
		}
	}
	if len(res.Findings) != 3 {
		logFindings(t, res.Findings)
		t.Errorf("%d findings, want 3", len(res.Findings))
	}
	for _, f := range res.Findings {
		if strings.Contains(f.Redacted, p.githubPAT[5:]) {
			t.Errorf("redacted form %q holds the secret", f.Redacted)
		}
	}

	// An allow comment on the encoded run's line holds for what it hides
	// (a newline inside the decoded text must not move it); an encoded key
	// makes a match the plain text could not.
	res = scan(t, writeFiles(t, map[string]string{
		"boot.py":      "CFG = b64decode(\"" + b64 + "\")  # gitleaks:allow test fixture\n",
		"settings.cfg": "db%5Fpassword = Xk3ldP9qWz\n",
	}), DefaultConfig())
	if len(res.Suppressed) != 1 || res.Suppressed[0].RuleID != "github-pat" {
		logFindings(t, res.Suppressed)
		t.Errorf("suppressed %d, want the decoded token", len(res.Suppressed))
	}
	if len(res.Findings) != 1 || !strings.HasSuffix(res.Findings[0].Path, "settings.cfg") || !strings.Contains(res.Findings[0].Description, "decoded:percent") {
		logFindings(t, res.Findings)
		t.Errorf("want the password behind the percent-encoded key")
	}
}

// A binary is judged by its head, as looksBinary judges it, and not read
// on into the buffer: a 24 MB native binary in a Lambda zip took a 24 MB
// buffer (an executable is searched as it streams, by scanBinary). Text is
// read whole, and a secret past the head is found.
func TestReadLimitedStopsAtBinaryHead(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "tsc")
	big := make([]byte, 16<<20)
	copy(big, "\x7fELF\x02\x01\x01\x00")
	os.WriteFile(bin, big, 0o755)
	var buf []byte
	content, binary, err := readLimited(artifact.File{Virtual: "tsc", Path: "tsc", Real: bin}, int64(len(big)), 1<<30, &buf)
	if err != nil || !binary || len(content) > binaryHead || !bytes.HasPrefix(content, []byte("\x7fELF")) || cap(buf) > 8<<20 {
		t.Errorf("binary: err %v, binary %v, %d bytes, buffer cap %d", err, binary, len(content), cap(buf))
	}
	txt := filepath.Join(dir, "app.js")
	text := strings.Repeat("// padding line\n", 4096) + "const k = \"ghp_R2d9vXq3LmT7pZk1Nw8Yb4Hc6Jf0Ue5Gs2Ai\";\n"
	os.WriteFile(txt, []byte(text), 0o644)
	content, binary, err = readLimited(artifact.File{Virtual: "app.js", Path: "app.js", Real: txt}, int64(len(text)), 1<<30, &buf)
	if err != nil || binary || string(content) != text {
		t.Errorf("text: err %v, binary %v, %d of %d bytes", err, binary, len(content), len(text))
	}
	res := scan(t, []artifact.File{{Virtual: "app.js", Path: "app.js", Real: txt, Size: int64(len(text))}}, DefaultConfig())
	if len(res.Findings) != 1 || res.Findings[0].RuleID != "github-pat" {
		t.Errorf("findings %+v", res.Findings)
	}
}

// A sentence about a password (a validation message, a translation), a
// field's type or a placeholder is not a password; a literal one still is.
func TestPasswordMessagesNotSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) artifact.File {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(text), 0o644)
		return artifact.File{Virtual: name, Path: name, Real: p, Size: int64(len(text))}
	}
	files := []artifact.File{
		write("src/validate.js", `const messages = { email: "Email is required", password: "Password is required" };
errors.password = 'Password must contain a digit';
if (!body.password) return { statusCode: 400, body: JSON.stringify({ password: "missing" }) };
const fields = { username: "text", password: "password" };
`),
		write("locales/en.json", `{"password": "Password must be at least 8 characters", "confirm_password": "Passwords do not match"}`),
	}
	if res := scan(t, files, DefaultConfig()); len(res.Findings) != 0 {
		logFindings(t, res.Findings)
		t.Errorf("%d findings in messages and field types", len(res.Findings))
	}
	real := write("src/db.js", `const db = connect({ user: "app", password: "Tr0ub4dor&3x" });`+"\n")
	if res := scan(t, []artifact.File{real}, DefaultConfig()); len(res.Findings) != 1 || res.Findings[0].RuleID != "password-assignment" {
		logFindings(t, res.Findings)
		t.Errorf("a literal password: %d findings", len(res.Findings))
	}
}

// A passphrase that happens to hold a common word is still a password.
func TestPassphraseStillSecret(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "db.js")
	text := `const a = { password: "my horse is purple 7!" };
const b = { password: "Summer 2024 too hot!" };
`
	os.WriteFile(p, []byte(text), 0o644)
	res := scan(t, []artifact.File{{Virtual: "db.js", Path: "db.js", Real: p, Size: int64(len(text))}}, DefaultConfig())
	if len(res.Findings) != 2 {
		logFindings(t, res.Findings)
		t.Errorf("%d findings, want both passphrases", len(res.Findings))
	}
}
