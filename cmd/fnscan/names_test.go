package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/internal/fixture"
	"github.com/fnscan/fnscan/report"
	"github.com/fnscan/fnscan/sbom"
)

// zipWithLinks is a zip of files plus symlink entries (name → target).
func zipWithLinks(t *testing.T, files map[string][]byte, links map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	for name, target := range links {
		h := &zip.FileHeader{Name: name, Method: zip.Store}
		h.SetMode(fs.ModeSymlink | 0o777)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(target))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "fn.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// redacted is the form findings give a secret (secrets.redact).
func redacted(s string) string { return fmt.Sprintf("%s…(%d chars)", s[:4], len(s)) }

// Issue 14: a secret in a file or directory name, in a symlink's target
// (kept or refused) or in a corrupt nested archive's name is a finding, and
// no output (any format, stderr, errors) prints it in full.
func TestSecretsInNames(t *testing.T) {
	v := map[string]string{
		"dir":     randomString(t, alnum, 40), // AWS secret key shaped
		"file":    "ghp_" + randomString(t, alnum, 36),
		"refused": "ghp_" + randomString(t, alnum, 36),
		"kept":    "ghp_" + randomString(t, alnum, 36),
		"nested":  "ghp_" + randomString(t, alnum, 36),
		"tarlink": "AKIA" + randomString(t, upperDigits, 16),
		"image":   "ghp_" + randomString(t, alnum, 36),
		"imglink": "ghp_" + randomString(t, alnum, 36),
	}
	dir := "cfg/" + v["dir"] + "/"
	fn := zipWithLinks(t, map[string][]byte{
		dir + v["file"] + ".env":                 []byte("LOG_LEVEL=debug\n"),
		dir + "node_modules/lodash/package.json": []byte(`{"name": "lodash", "version": "4.17.4"}`),
		"lib/" + v["nested"] + ".zip":            []byte("not a zip at all"),
		"index.js":                               []byte("exports.handler = async () => 'ok';\n"),
	}, map[string]string{
		"escape": "../../" + v["refused"], // leaves the root: refused, named in a warning
		"latest": "cfg/" + v["kept"],      // dangling inside: kept
	})
	tarPath := filepath.Join(t.TempDir(), "app.tar")
	tb := fixture.Tar(map[string]string{
		"app/index.js": "exports.handler = async () => 'ok';\n",
		"app/creds":    "->../../../" + v["tarlink"] + "/credentials",
	})
	if err := os.WriteFile(tarPath, tb, 0o644); err != nil {
		t.Fatal(err)
	}

	image := dockerArchiveFile(t, [][]byte{fixture.Tar(map[string]string{
		"app/" + v["image"] + ".txt": "hello\n",
		"app/creds":                  "->../../../../" + v["imglink"],
	})})

	// Each name secret is one finding, at the entry whose name holds it.
	out, stderr, code := fnscan(t, "secrets", "-o", "json", "--quiet", fn)
	if code != 1 {
		t.Fatalf("secrets in names: exit %d, want 1: %s", code, stderr)
	}
	var r struct {
		Secrets []struct{ RuleID, Path, Redacted, Source, Description string }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	rdir := "fn.zip!cfg/" + redacted(v["dir"])
	want := map[string]string{
		rdir: "aws-secret-access-key",
		rdir + "/" + redacted(v["file"]) + ".env":      "github-pat",
		"fn.zip!lib/" + redacted(v["nested"]) + ".zip": "github-pat",
		"fn.zip!escape": "github-pat",
		"fn.zip!latest": "github-pat",
	}
	got := map[string]string{}
	for _, s := range r.Secrets {
		if s.Source != "name" {
			t.Errorf("unexpected finding %+v", s)
			continue
		}
		got[s.Path] = s.RuleID
	}
	for p, rule := range want {
		if got[p] != rule {
			t.Errorf("%s: rule %q, want %q (all: %+v)", p, got[p], rule, r.Secrets)
		}
	}
	if len(r.Secrets) != len(want) {
		t.Errorf("%d findings, want %d: %+v", len(r.Secrets), len(want), r.Secrets)
	}
	out, _, code = fnscan(t, "secrets", "-o", "json", "--quiet", tarPath)
	if code != 1 || !strings.Contains(out, `"path": "app.tar!app/creds"`) || !strings.Contains(out, `"ruleId": "aws-access-token"`) {
		t.Errorf("refused tar symlink's target: exit %d\n%s", code, out)
	}

	out, _, code = fnscan(t, "secrets", "-o", "json", "--quiet", image)
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 1 || len(r.Secrets) != 2 {
		t.Errorf("image: exit %d, %+v", code, r.Secrets)
	}

	// A name secret alone fails the scan gate.
	only := zipFile(t, "only.zip", map[string][]byte{"cfg/" + v["file"] + ".env": []byte("LOG_LEVEL=debug\n")})
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	if out, stderr, code := fnscan(t, "scan", "--db", db, "--fail-on", "critical", only); code != 1 || !strings.Contains(out, "github-pat (in name)") {
		t.Errorf("scan of a secret in a name: exit %d\n%s%s", code, out, stderr)
	}

	// The component under the secret directory keeps its vulnerabilities
	// tied to it in CycloneDX once its location is redacted.
	out, _, _ = fnscan(t, "scan", "--db", db, "-o", "cyclonedx-json", fn)
	var bom struct {
		Vulnerabilities []struct{ Affects []struct{ Ref string } }
	}
	if err := json.Unmarshal([]byte(out), &bom); err != nil {
		t.Fatal(err)
	}
	if len(bom.Vulnerabilities) == 0 || len(bom.Vulnerabilities[0].Affects) == 0 {
		t.Errorf("CycloneDX vulnerabilities lost their component: %s", out)
	}
	if !strings.Contains(out, redacted(v["dir"])+"/node_modules/lodash/package.json") {
		t.Errorf("CycloneDX evidence does not show the redacted location")
	}

	// Every format of every command, written at once to files.
	outDir := t.TempDir()
	var runs [][]string
	for i, target := range []string{fn, tarPath, image} {
		for _, cmd := range []string{"scan", "secrets", "sbom"} {
			args := []string{cmd}
			formats := report.Names()
			if cmd == "scan" {
				args = append(args, "--db", db)
			}
			if cmd == "sbom" {
				formats = sbom.Formats
			}
			for _, f := range formats {
				args = append(args, "-o", f+"="+filepath.Join(outDir, fmt.Sprintf("%s-%d.%s", cmd, i, f)))
			}
			runs = append(runs, append(args, target))
		}
	}
	// An error naming an entry: the first one over the size limit.
	runs = append(runs, []string{"scan", "--db", db, "--max-entry-size", "8", fn})
	var texts []string
	for _, args := range runs {
		out, stderr, code := fnscan(t, args...)
		if code == 2 && !slices.Contains(args, "--max-entry-size") {
			t.Errorf("%v: exit 2: %s", args, stderr)
		}
		texts = append(texts, out, stderr)
	}
	written, _ := os.ReadDir(outDir)
	if len(written) != 3*(2*len(report.Names())+len(sbom.Formats)) {
		t.Errorf("%d outputs written", len(written))
	}
	for _, e := range written {
		b, err := os.ReadFile(filepath.Join(outDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
		switch ext := filepath.Ext(e.Name()); ext {
		case ".json":
			validJSON(t, filepath.Join("..", "..", "docs", "report.schema.json"), string(b))
		case ".sarif":
			validJSON(t, repoTestdata("sarif", "sarif-schema-2.1.0.json"), string(b))
		case ".cyclonedx-json":
			if err := sbom.ValidateCycloneDXJSON(b); err != nil {
				t.Errorf("%s: %v", e.Name(), err)
			}
		}
	}
	for i, text := range texts {
		for name, s := range v {
			if strings.Contains(text, s) {
				t.Errorf("output %d leaks the %s secret: %s", i, name, text)
			}
		}
	}
}

// A secret found in a file's content is hidden wherever else it appears:
// in package metadata (a version, a description, an author: components,
// purls, CPEs, SPDX IDs, in every format), in an allow comment's reason,
// in a variable name, and in a directory target's own path. `fnscan sbom`,
// which scans no contents, hides what the rules for names find in its
// documents.
func TestContentSecretsHiddenEverywhere(t *testing.T) {
	ghp := "ghp_" + randomString(t, alnum, 36)
	slack := "xoxb-" + randomString(t, "0123456789", 12) + "-" + randomString(t, "0123456789", 13) + "-" + randomString(t, alnum, 24)
	dir := filepath.Join(t.TempDir(), ghp)
	os.MkdirAll(filepath.Join(dir, "node_modules", "leftpad_"+ghp), 0o755)
	files := map[string]string{
		"package.json": `{"name": "fn", "version": "1.0.0"}`,
		"node_modules/lodash/package.json": `{"name": "lodash", "version": "4.17.0-` + ghp + `", "description": "uses ` + slack + `",
			"author": "bob ` + slack + `", "license": "MIT"}`,
		"node_modules/leftpad_" + ghp + "/package.json": `{"name": "leftpad_` + ghp + `", "version": "1.0.0"}`,
		"config.json": `{"_comment": "fnscan:allow rotated 2024", "github_token": "` + ghp + `"}`,
		".env":        "API_TOKEN_" + ghp + "=Xq7Wv3Lm9Rt5Kp2N\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := importDB(t, repoTestdata("osv", "ghsa-npm.zip"))
	outDir := t.TempDir()
	var texts []string
	for _, cmd := range []string{"scan", "secrets", "sbom"} {
		args := []string{cmd, "dir:" + dir}
		formats := report.Names()
		switch cmd {
		case "scan":
			args = append(args, "--db", db, "--fail-on", "none")
		case "sbom":
			formats = sbom.Formats
		}
		for _, f := range formats {
			args = append(args, "-o", f+"="+filepath.Join(outDir, cmd+"."+f))
		}
		out, stderr, code := fnscan(t, args...)
		if code == 2 {
			t.Fatalf("%v: exit 2: %s", args, stderr)
		}
		texts = append(texts, out, stderr)
	}
	written, _ := os.ReadDir(outDir)
	for _, e := range written {
		b, _ := os.ReadFile(filepath.Join(outDir, e.Name()))
		texts = append(texts, string(b))
	}
	for _, secret := range []string{ghp, slack} {
		random := secret[len(secret)-20:]
		for i, text := range texts {
			if strings.Contains(strings.ToLower(text), strings.ToLower(random)) {
				at := strings.Index(strings.ToLower(text), strings.ToLower(random))
				t.Errorf("output %d holds %s: …%s…", i, secret[:4], text[max(0, at-60):min(len(text), at+30)])
			}
		}
	}
	if len(texts) < 10 {
		t.Errorf("only %d outputs", len(texts))
	}
	// Findings still name their (redacted) components.
	for _, f := range []string{"scan.cyclonedx-json", "scan.cyclonedx-vex"} {
		var bom struct {
			Vulnerabilities []struct {
				ID      string `json:"id"`
				Affects []any  `json:"affects"`
			} `json:"vulnerabilities"`
		}
		b, _ := os.ReadFile(filepath.Join(outDir, f))
		if err := json.Unmarshal(b, &bom); err != nil || len(bom.Vulnerabilities) == 0 {
			t.Fatalf("%s: %v, %d vulnerabilities", f, err, len(bom.Vulnerabilities))
		}
		for _, v := range bom.Vulnerabilities {
			if len(v.Affects) == 0 {
				t.Errorf("%s: %s affects nothing", f, v.ID)
			}
		}
	}
}
