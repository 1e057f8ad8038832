package convention

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The repository keeps its conventions.
func TestRepository(t *testing.T) {
	problems, err := Check(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// The check catches each kind of violation: tested on a copy of the
// repository's Go files with one bad change at a time.
func TestCheckFails(t *testing.T) {
	for name, c := range map[string]struct {
		file, find, replace, want string
	}{
		"import against the flow": {"artifact/types.go", "package artifact\n", "package artifact\n\nimport _ \"github.com/fnscan/fnscan/report\"\n", "artifact imports report"},
		"import of scan":          {"report/json.go", "import (\n", "import (\n\t_ \"github.com/fnscan/fnscan/scan\"\n", "report imports scan"},
		"CLI pipeline logic":      {"cmd/fnscan/db.go", "import (\n", "import (\n\t_ \"github.com/fnscan/fnscan/vuln\"\n", "the CLI imports vuln"},
		"test-only import":        {"policy/file.go", "import (\n", "import (\n\t_ \"github.com/fnscan/fnscan/internal/fixture\"\n", "imports test-only internal/fixture"},
		"third-party type":        {"sbom/catalog.go", "\tDistro *Distro\n", "\tDistro *linux.Release\n", "exported sbom.Result.Distro exposes linux.Release"},
		"init reads os.Args":      {"artifact/types.go", "\nfunc ReadFileBounded(", "\nfunc init() { _ = os.Args }\n\nfunc ReadFileBounded(", "init() in artifact reads os.Args"},
	} {
		t.Run(name, func(t *testing.T) {
			root := copyGo(t, filepath.Join("..", ".."))
			p := filepath.Join(root, c.file)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), c.find) {
				t.Fatalf("%s no longer holds %q: update the test", c.file, c.find)
			}
			b = []byte(strings.Replace(string(b), c.find, c.replace, 1))
			if name == "third-party type" {
				b = []byte(strings.Replace(string(b), "import (\n", "import (\n\t\"github.com/anchore/syft/syft/linux\"\n", 1))
			}
			os.WriteFile(p, b, 0o644)
			problems, err := Check(root)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(problems, "\n"), c.want) {
				t.Errorf("not caught: want %q in %q", c.want, problems)
			}
		})
	}
}

// copyGo copies the module's non-test Go files into a temp dir.
func copyGo(t *testing.T, root string) string {
	t.Helper()
	dst := t.TempDir()
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || (strings.HasPrefix(d.Name(), ".") && p != root)) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755)
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	return dst
}
