package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("Transform: AWS::Serverless-2016-10-31\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("Resources: {}\n")
	start := time.Now()
	_, err := ParseFile("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "bomb.yaml") {
		t.Errorf("alias bomb: want an error naming the file, got %v", err)
	}
	// Unbounded expansion takes minutes and gigabytes; the bound is loose
	// because CI runners are loaded 2-core machines.
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("alias bomb took %v", d)
	}
}

// FuzzParseFile: no input makes the readers or the checks panic.
func FuzzParseFile(f *testing.F) {
	filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".md") {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(filepath.Base(p), data)
			}
		}
		return nil
	})
	// A resource block without a name label (role policies once panicked).
	f.Add("main.tf", []byte(`resource"aws_lambda_function"""{role=aws_iam_role.api}resource"aws_iam_role""api"{}resource"aws_iam_role_policy"{0=""}`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		for _, n := range []string{name, "template.yaml", "serverless.yml", "main.tf", "fn.json"} {
			m, err := ParseFile(n, data)
			if err == nil && m != nil {
				CheckAt(m, judgeAt)
			}
		}
	})
}
