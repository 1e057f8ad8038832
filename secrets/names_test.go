package secrets

import (
	"errors"
	"io/fs"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fnscan/fnscan/artifact"
)

func TestNamesFindings(t *testing.T) {
	r := mrand.New(mrand.NewPCG(14, 1))
	aws := randomString(r, alnum, 40)
	pat := "ghp_" + randomString(r, alnum, 36)
	link := "ghp_" + randomString(r, alnum, 36)
	warned := "AKIA" + randomString(r, upperDigits, 16)
	fn := artifact.Origin{Kind: artifact.OriginFunction, Name: "fn.zip"}
	names := []Name{
		{Kind: NamePath, Path: "fn.zip!cfg/" + aws + "/a.env", Origin: fn},
		{Kind: NamePath, Path: "fn.zip!cfg/" + aws + "/b.env", Origin: fn},
		{Kind: NamePath, Path: "fn.zip!cfg/" + aws + "/" + pat + ".env", Origin: fn},
		{Kind: NamePath, Path: "fn.zip!index.js", Origin: fn},
		{Kind: NameLink, Path: "fn.zip!current", Text: "releases/" + link, Origin: fn},
		{Kind: NameWarning, Path: "fn.zip!creds", Text: `refused: symlink to "../../` + warned + `" escapes the root`, Origin: fn},
	}
	red, err := NewRedactor()
	if err != nil {
		t.Fatal(err)
	}
	got := red.Names(names)
	want := map[string]string{
		"fn.zip!cfg/" + redact(aws):                              "aws-secret-access-key (in a file or directory name)",
		"fn.zip!cfg/" + redact(aws) + "/" + redact(pat) + ".env": "github-pat (in a file or directory name)",
		"fn.zip!current":                                         "github-pat (in a symlink target)",
		"fn.zip!creds":                                           "aws-access-token (in a name a warning reports)",
	}
	if len(got) != len(want) {
		t.Errorf("%d findings, want %d (a directory's secret once): %+v", len(got), len(want), got)
	}
	for _, f := range got {
		rule, ok := want[f.Path]
		if !ok || !strings.HasPrefix(rule, f.RuleID+" ") || !strings.HasSuffix(f.Description, rule[len(f.RuleID)+1:]) {
			t.Errorf("unexpected finding %+v", f)
		}
		if f.Source != SourceName || f.Line != 0 || f.Origin != fn || f.Redacted == "" || f.Fingerprint == "" {
			t.Errorf("finding fields: %+v", f)
		}
	}
	// Stable: a baseline of names keeps matching.
	again, _ := NewRedactor()
	for i, f := range again.Names(names) {
		if f.Fingerprint != got[i].Fingerprint {
			t.Errorf("fingerprint of %s changed between runs", f.Path)
		}
	}
	// What was found in one name is hidden wherever it shows up again.
	for _, s := range []string{aws, pat, link, warned} {
		if out := red.RedactKnown("see " + s + " here"); strings.Contains(out, s) || !strings.Contains(out, redact(s)) {
			t.Errorf("RedactKnown: %q", out)
		}
	}
}

func TestRedactText(t *testing.T) {
	r := mrand.New(mrand.NewPCG(14, 2))
	pat := "ghp_" + randomString(r, alnum, 36)
	key := "AKIA" + randomString(r, upperDigits, 16)
	red, err := NewRedactor()
	if err != nil {
		t.Fatal(err)
	}
	if got := red.RedactKnown("a/" + pat); got != "a/"+pat {
		t.Errorf("nothing known yet, but %q", got)
	}
	for in, want := range map[string]string{
		"fn.zip!lib/" + pat + ".zip: skipped corrupt archive": "fn.zip!lib/" + redact(pat) + ".zip: skipped corrupt archive",
		`refused: symlink to "/x/` + key + `/y": escapes`:     `refused: symlink to "/x/` + redact(key) + `/y": escapes`,
		"nothing secret in fn.zip!index.js":                   "nothing secret in fn.zip!index.js",
	} {
		if got := red.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	err = red.Error(&fs.PathError{Op: "open", Path: "fn.zip!" + pat, Err: fs.ErrNotExist})
	if strings.Contains(err.Error(), pat) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Error: %v (still wraps: %v)", err, errors.Is(err, fs.ErrNotExist))
	}
	if plain := errors.New("plain"); red.Error(plain) != plain {
		t.Error("an error with nothing to hide is returned as is")
	}
}

// Names from real trees hold no secrets: hashes, CamelCase test names, a
// directory named after a rule's keyword beside hex-named files.
func TestNamesNoFalsePositives(t *testing.T) {
	var names []Name
	for _, p := range []string{
		"fn.zip!node_modules/lodash/lodash.js",
		"fn.zip!.git/objects/9d/1f6e8c2a4b7d0e3f5a6b8c9d0e1f2a3b4c5d6e7f",
		"fn.zip!src/sourcegraph/corpus/01eb2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a2b",
		"fn.zip!certs/ValidBasicSelfIssuedCRLSigningKeyTest6EE.crt",
		"fn.zip!certs/inhibitPolicyMapping1P12subsubCAIPM5Cert.crt",
		"fn.zip!schemas/GoogleCloudNetworksecurityV1AuthzPolicyA.yaml",
		"fn.zip!dist/main.4f9a3c2b1d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a.js",
		"fn.zip!static/js/2.a1b2c3d4.chunk.js",
		"fn.zip!python/lib/python3.12/site-packages/AWSIoTPythonSDK-1.5.4.dist-info/RECORD",
		"image!/usr/share/zoneinfo/America/Argentina/ComodRivadavia",
		"fn.zip!.aws/sso/cache/0012a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0.json",
	} {
		names = append(names, Name{Kind: NamePath, Path: p})
	}
	names = append(names, Name{Kind: NameWarning, Path: "fn.zip!big.bin", Text: "skipped for secrets: 70000000 bytes is over the per-file limit of 67108864"})
	red, err := NewRedactor()
	if err != nil {
		t.Fatal(err)
	}
	if got := red.Names(names); len(got) != 0 {
		t.Errorf("false positives: %+v", got)
	}
}

// Hostile input can name a new secret in each of thousands of warnings:
// redacting them stays linear (the known set is not rebuilt per secret).
func TestRedactManySecrets(t *testing.T) {
	r := mrand.New(mrand.NewPCG(14, 3))
	red, err := NewRedactor()
	if err != nil {
		t.Fatal(err)
	}
	var toks []string
	start := time.Now()
	for range 3000 {
		tok := "ghp_" + randomString(r, alnum, 36)
		toks = append(toks, tok)
		if out := red.Redact("fn.zip!" + tok + ": refused"); strings.Contains(out, tok) {
			t.Fatalf("not redacted: %q", out)
		}
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("3000 warnings took %v", d)
	}
	all := strings.Join(toks, " ")
	if out := red.RedactKnown(all); strings.Contains(out, "ghp_"+toks[0][4:]) || strings.Count(out, "ghp_…(40 chars)") != len(toks) {
		t.Errorf("RedactKnown missed some of %d secrets", len(toks))
	}
}
