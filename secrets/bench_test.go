package secrets

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/artifact"
	"github.com/zricethezav/gitleaks/v8/detect"
)

// benchCorpus writes a Lambda-shaped tree: vendored npm packages, the
// function's own sources and its deployment config, about 24 MB of text
// dense in the words secret rules key on.
func benchCorpus(b *testing.B) []artifact.File {
	b.Helper()
	dir := b.TempDir()
	r := mrand.New(mrand.NewPCG(7, 7))
	words := []string{"const", "let", "function", "return", "if", "else", "for", "this", "options", "config",
		"key", "token", "api", "auth", "access", "secret", "password", "credentials", "request", "response",
		"params", "callback", "error", "value", "data", "service", "client", "endpoint", "region", "bucket",
		"=", "==", ":", "=>", "(", ")", "{", "}", ";", ",", "'us-east-1'", "\"string\"", "null", "true", "42"}
	line := func() string {
		n := 4 + r.IntN(14)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = words[r.IntN(len(words))]
		}
		return strings.Repeat("  ", r.IntN(4)) + strings.Join(parts, " ")
	}
	write := func(rel string, size int, extra string) {
		var sb strings.Builder
		for sb.Len() < size {
			sb.WriteString(line())
			sb.WriteByte('\n')
			if r.IntN(400) == 0 {
				sb.WriteString(extra)
			}
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	aws := "const accessKeyId = 'AKIA" + randomString(r, upperDigits, 16) + "';\n"
	for pkg := range 40 {
		for f := range 12 {
			write(fmt.Sprintf("node_modules/pkg%d/lib/file%d.js", pkg, f), 40<<10, "")
		}
	}
	for f := range 60 {
		write(fmt.Sprintf("src/handlers/h%d.js", f), 64<<10, aws)
	}
	write("serverless.yml", 4<<10, "")
	write(".env", 1<<10, "DB_PASSWORD=Pw-"+randomString(r, alnum, 12)+"\n")
	return dirFiles(b, dir, "bench.zip")
}

func totalSize(files []artifact.File) int64 {
	var n int64
	for _, f := range files {
		n += f.Size
	}
	return n
}

func firstParty(files []artifact.File) []artifact.File {
	var out []artifact.File
	for _, f := range files {
		if !strings.HasPrefix(f.Path, "node_modules/") {
			out = append(out, f)
		}
	}
	return out
}

// BenchmarkScan measures fnscan on the whole function and on its own
// sources alone, where the generic rules run.
func BenchmarkScan(b *testing.B) {
	all := benchCorpus(b)
	s, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	for name, files := range map[string][]artifact.File{"lambda": all, "first-party": firstParty(all)} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(totalSize(files))
			for b.Loop() {
				if _, err := s.Scan(context.Background(), files); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGitleaksDetect is the reference: gitleaks' own detector over
// the same files, one after another as its library API takes them. It
// skips node_modules by its path allowlist, so compare first-party.
func BenchmarkGitleaksDetect(b *testing.B) {
	all := benchCorpus(b)
	d, err := detect.NewDetectorDefaultConfig()
	if err != nil {
		b.Fatal(err)
	}
	for name, files := range map[string][]artifact.File{"lambda": all, "first-party": firstParty(all)} {
		contents := make([]string, len(files))
		for i, f := range files {
			c, err := f.ReadBounded(1 << 30)
			if err != nil {
				b.Fatal(err)
			}
			contents[i] = string(c)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(totalSize(files))
			for b.Loop() {
				for i, f := range files {
					d.DetectContext(context.Background(), detect.Fragment{Raw: contents[i], FilePath: f.Path})
				}
			}
		})
	}
}
