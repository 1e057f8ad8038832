package artifact

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// "." is named by the directory's own name, as users call their project.
func TestDotTargetName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "orders-fn")
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(dir, "src"))
	for spec, want := range map[string]string{".": "src", "dir:..": "orders-fn", "./": "src"} {
		tg, err := Open(context.Background(), spec, Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if tg.Name != want {
			t.Errorf("%s: named %q, want %q", spec, tg.Name, want)
		}
		tg.Close()
	}
}
