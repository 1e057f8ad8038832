package secrets

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/internal/fixture"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/zricethezav/gitleaks/v8/detect"
)

// decompressed returns a file's text, undoing the single-file compression
// of gitleaks' archive fixtures.
func decompressed(t *testing.T, p string) []byte {
	t.Helper()
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader
	switch filepath.Ext(p) {
	case ".gz":
		r, err = gzip.NewReader(bytes.NewReader(raw))
	case ".xz":
		r, err = xz.NewReader(bytes.NewReader(raw))
	case ".zst":
		var d *zstd.Decoder
		d, err = zstd.NewReader(bytes.NewReader(raw))
		if d != nil {
			defer d.Close()
		}
		r = d
	default:
		return raw
	}
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return out
}

// key identifies a finding for comparison; the secret is hashed at once
// so a failure message can never print it.
func key(file, rule string, line int, secret string) string {
	return fmt.Sprintf("%s|%s|%d|%s", file, rule, line, fingerprint("", "", secret))
}

// TestDifferentialGitleaks runs gitleaks' own detector with the same
// default config over real inputs and requires fnscan's engine to find
// everything it finds (file, rule, line, secret).
func TestDifferentialGitleaks(t *testing.T) {
	gl, err := detect.NewDetectorDefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	set, err := defaultRules()
	if err != nil {
		t.Fatal(err)
	}
	eng := newEngine(set)

	corpora := map[string][]struct {
		rel     string
		content []byte
	}{}
	archDir := sharedData(t, "secrets/gitleaks-archives/files")
	entries, err := os.ReadDir(archDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(archDir, e.Name())
		rel := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(e.Name(), ".gz"), ".xz"), ".zst")
		corpora["gitleaks-archives"] = append(corpora["gitleaks-archives"], struct {
			rel     string
			content []byte
		}{e.Name() + "/" + rel, decompressed(t, p)})
	}
	leaky := t.TempDir()
	fixture.Unzip(t, sharedData(t, "secrets/leaky-repo.zip"), leaky)
	for _, f := range dirFiles(t, filepath.Join(leaky, "leaky-repo"), "leaky") {
		b, err := f.ReadBounded(1 << 30)
		if err != nil {
			t.Fatal(err)
		}
		corpora["leaky-repo"] = append(corpora["leaky-repo"], struct {
			rel     string
			content []byte
		}{f.Path, b})
	}

	// gitleaks' own test data, from the module cache.
	if dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/zricethezav/gitleaks/v8").Output(); err == nil {
		// testdata holds secrets in files; the rule sources hold each
		// rule's true-positive samples as string literals.
		for name, rel := range map[string]string{"gitleaks-testdata": "testdata", "gitleaks-rule-samples": "cmd/generate/config/rules"} {
			root := filepath.Join(strings.TrimSpace(string(dir)), rel)
			if _, err := os.Stat(root); err != nil {
				continue
			}
			for _, f := range dirFiles(t, root, name) {
				b, err := f.ReadBounded(1 << 30)
				if err != nil {
					t.Fatal(err)
				}
				corpora[name] = append(corpora[name], struct {
					rel     string
					content []byte
				}{f.Path, b})
			}
		}
	}

	for name, files := range corpora {
		t.Run(name, func(t *testing.T) {
			want, got := map[string]bool{}, map[string]bool{}
			for _, f := range files {
				for _, fd := range gl.DetectContext(context.Background(), detect.Fragment{Raw: string(f.content), FilePath: f.rel}) {
					// gitleaks counts lines from 0 in a fragment.
					want[key(f.rel, fd.RuleID, fd.StartLine+1, fd.Secret)] = true
				}
				var hits []hit
				hits = append(hits, eng.matchPath(f.rel)...)
				if !pathAllowed(set.global, f.rel) {
					hits = append(hits, eng.scan(f.rel, string(f.content), scanOptions{})...)
				}
				for _, h := range hits {
					got[key(f.rel, h.ruleID, h.line, h.secret)] = true
				}
			}
			if len(want) == 0 {
				t.Fatal("gitleaks found nothing; the corpus is not what this test expects")
			}
			missing := 0
			for k := range want {
				if !got[k] {
					missing++
					t.Errorf("gitleaks finding missed by fnscan: %s", k)
				}
			}
			t.Logf("%s: gitleaks %d findings, fnscan engine %d, missed %d", name, len(want), len(got), missing)
		})
	}
}
