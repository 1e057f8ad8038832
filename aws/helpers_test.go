package aws_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/aws/fakelambda"
	"github.com/fnscan/fnscan/scan"
)

func TestMain(m *testing.M) {
	if code, ok := scan.ChildMain(os.Args); ok {
		os.Exit(code)
	}
	// The SDK reads credentials and region from the environment: throwaway
	// ones, and no user configuration.
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
	os.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	os.Setenv("AWS_SECRET_ACCESS_KEY", "fake")
	os.Setenv("AWS_CONFIG_FILE", os.DevNull)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

var shared struct {
	once sync.Once
	dir  string
	err  error
}

// vulnDB imports the bundled npm advisories once.
func vulnDB(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		if shared.dir, shared.err = os.MkdirTemp("", "fnscan-aws-test-"); shared.err != nil {
			return
		}
		_, shared.err = scan.ImportDB(context.Background(), filepath.Join(shared.dir, "db"),
			[]string{filepath.Join("..", "testdata", "osv", "ghsa-npm.zip")}, nil)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return filepath.Join(shared.dir, "db")
}

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// npmPackage is an installed npm package, as a layer or function holds it.
func npmPackage(prefix, name, version string) map[string]string {
	return map[string]string{
		prefix + "node_modules/" + name + "/package.json": fmt.Sprintf(`{"name": %q, "version": %q, "main": "index.js"}`, name, version),
		prefix + "node_modules/" + name + "/index.js":     "module.exports = {}\n",
	}
}

func merged(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// fnZip is a small Node.js function; n makes each one's bytes differ.
func fnZip(t testing.TB, n int, extra ...map[string]string) []byte {
	return zipOf(t, merged(append([]map[string]string{{"index.js": fmt.Sprintf("exports.handler = async () => %d\n", n)}}, extra...)...))
}

// clientFor reaches the fake.
func clientFor(s *fakelambda.Server) aws.ClientOptions {
	o := aws.DefaultClientOptions()
	o.Region, o.EndpointURL = s.Region, s.URL
	return o
}

// fleetConfig scans the fake's fleet with the test database.
func fleetConfig(t testing.TB, s *fakelambda.Server) aws.FleetConfig {
	cfg := aws.DefaultFleetConfig()
	cfg.Client = clientFor(s)
	cfg.Scan.DB = vulnDB(t)
	cfg.Scan.FailOn = "high"
	cfg.Scan.Reproducible = true
	cfg.Scan.TempDir = t.TempDir()
	return cfg
}

// leftovers lists what a scan left in dir.
func leftovers(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// warnings records what a scan warned, to check for leaked values.
type warnings struct {
	mu   sync.Mutex
	text strings.Builder
}

func (w *warnings) Progress(m string) { w.mu.Lock(); fmt.Fprintln(&w.text, m); w.mu.Unlock() }
func (w *warnings) Warning(x artifact.Warning) {
	w.mu.Lock()
	fmt.Fprintln(&w.text, x.String())
	w.mu.Unlock()
}
