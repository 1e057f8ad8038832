package main

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fnscan/fnscan/internal/fixture"
)

// watched is one fnscan process watched from outside: exit code, output, wall
// time, peak memory, and the most its temp dir held at any moment.
type watched struct {
	code           int
	stdout, stderr string
	wall           time.Duration
	maxRSS         int64 // bytes
	tmpPeak        int64 // bytes under TMPDIR, sampled every few ms
	tmpEntries     int   // most entries directly under TMPDIR at once
}

func watch(t *testing.T, dir string, args ...string) watched {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(t), "TMPDIR="+tmp)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	var r watched
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			ents, _ := os.ReadDir(tmp)
			r.tmpEntries = max(r.tmpEntries, len(ents))
			var n int64
			filepath.WalkDir(tmp, func(_ string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					if fi, err := d.Info(); err == nil {
						n += fi.Size()
					}
				}
				return nil
			})
			r.tmpPeak = max(r.tmpPeak, n)
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child's own high-water mark: rusage's maxrss would count the
	// test process's memory at fork.
	pid := cmd.Process.Pid
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if hwm := vmHWM(pid); hwm > r.maxRSS {
				r.maxRSS = hwm
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	r.wall = time.Since(start)
	close(stop)
	wg.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	r.stdout, r.stderr = o.String(), e.String()
	t.Logf("fnscan %s: exit %d in %v, peak RSS %d MiB, temp dir peak %d bytes (%d entries)",
		strings.Join(args, " "), r.code, r.wall.Round(time.Millisecond), r.maxRSS>>20, r.tmpPeak, r.tmpEntries)
	return r
}

// A function zip is read where it lies: with TMPDIR pointed at an empty
// directory, that directory stays empty for the whole scan, and every
// stage still sees every file (a package, a vulnerability, a secret).
func TestZipNotExtracted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fn := fixture.Zip(map[string][]byte{
		"index.js":                         []byte("const token = 'ghp_R8nZq2LmX4vT7bK9pW3yH6dF1sJ0cA5eGuQi';\nexports.handler = async () => 1;\n"),
		"package.json":                     []byte(`{"name":"fn","version":"1.0.0","dependencies":{"lodash":"4.17.4"}}`),
		"node_modules/lodash/package.json": []byte(`{"name":"lodash","version":"4.17.4","license":"MIT"}`),
		"node_modules/lodash/lodash.js":    []byte("module.exports = {};\n"),
		"node_modules/@aws/x/package.json": []byte(`{"name":"@aws/x","version":"1.2.3"}`),
		"lib/python3.12/site-packages/requests-2.19.0.dist-info/METADATA": []byte("Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\n"),
	})
	if err := os.WriteFile(filepath.Join(dir, "fn.zip"), fn, 0o644); err != nil {
		t.Fatal(err)
	}
	db, _ := filepath.Abs("../../testdata/osv/ghsa-npm.zip")
	r := watch(t, dir, "scan", "fn.zip", "--db", db, "-o", "json="+filepath.Join(dir, "out.json"), "--quiet")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (a secret and lodash's advisories)\n%s", r.code, r.stderr)
	}
	if r.tmpEntries != 0 {
		t.Errorf("TMPDIR held %d entries (%d bytes) during the scan; a zip must not be extracted", r.tmpEntries, r.tmpPeak)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Components []struct {
			Name, Version string
			Locations     []struct{ Path string }
		}
		Vulnerabilities []struct{ ID string }
		Secrets         []struct{ Path string }
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, c := range res.Components {
		names[c.Name] = c.Version
	}
	if names["lodash"] != "4.17.4" || names["@aws/x"] != "1.2.3" || names["requests"] != "2.19.0" {
		t.Errorf("components %v", names)
	}
	if len(res.Vulnerabilities) == 0 || len(res.Secrets) != 1 || res.Secrets[0].Path != "fn.zip!index.js" {
		t.Errorf("vulnerabilities %d, secrets %+v", len(res.Vulnerabilities), res.Secrets)
	}
}

// vmHWM is a running process's peak resident memory in bytes, 0 once gone.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

var zeros4G = sync.OnceValue(func() fixture.Deflated { return fixture.RepeatDeflate(make([]byte, 1<<20), 4096) })

// Bombs cost nothing: a 4 GiB entry of zeros (4 MB deflated) is refused from
// the central directory, alone and nested in a layer zip, and a central
// directory that lies (sizes past the end of the file, eight entries on one
// stream) is refused as malformed: exit 2 naming the entry and the limit,
// quickly, with no temp disk.
func TestZipBombsRefusedFromTheDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bomb := fixture.RawZip("zeros.bin", zeros4G())
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bomb.zip", bomb)
	write("fn.zip", fixture.Zip(map[string][]byte{"index.js": []byte("1\n")}))
	write("layer.zip", fixture.Zip(map[string][]byte{"python/inner.zip": bomb}))
	// Under the ratio limit: each entry alone looks like a plausible file.
	chunk := make([]byte, 16<<10)
	chunk[len(chunk)-1] = 'x'
	gib2 := fixture.RepeatDeflate(chunk, (2<<30)/len(chunk))
	write("overlap.zip", fixture.OverlappingZip([]string{"a", "b", "c", "d", "e", "f", "g", "h"}, gib2, 0))
	write("lying.zip", fixture.OverlappingZip([]string{"a"}, gib2, 0x7fffffff))
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"sbom", "bomb.zip"}, []string{"bomb.zip!zeros.bin", "ratio above 1000:1", "--max-ratio"}},
		{[]string{"sbom", "fn.zip", "--layer", "layer.zip"}, []string{"layer.zip!python/inner.zip!zeros.bin", "ratio above 1000:1"}},
		{[]string{"secrets", "overlap.zip"}, []string{"overlap.zip", "malformed", "share compressed data"}},
		{[]string{"sbom", "lying.zip"}, []string{"lying.zip!a", "beyond the end of the archive"}},
	}
	for _, c := range cases {
		r := watch(t, dir, c.args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", c.args, r.code, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, r.stderr)
			}
		}
		if r.tmpPeak > 1<<20 {
			t.Errorf("%v: %d bytes written to the temp dir", c.args, r.tmpPeak)
		}
		if r.maxRSS > 256<<20 {
			t.Errorf("%v: peak RSS %d MiB", c.args, r.maxRSS>>20)
		}
		// A generous bound on a loaded 2-core runner; the log has the figure.
		if r.wall > 10*time.Second {
			t.Errorf("%v: took %v", c.args, r.wall)
		}
	}
}

// A jar whose MANIFEST.MF is 2 GiB (deflating under the ratio limit) is
// kept from syft's Java cataloger, which would read it whole: the rest of
// the function is cataloged, a warning names the manifest, memory stays low.
func TestJarManifestBomb(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	chunk := make([]byte, 16<<10)
	rand.Read(chunk[len(chunk)-1:])
	var jar bytes.Buffer
	zw := zip.NewWriter(&jar)
	d := fixture.RepeatDeflate(chunk, (2<<30)/len(chunk))
	w, _ := zw.CreateRaw(&zip.FileHeader{Name: "META-INF/MANIFEST.MF", Method: zip.Deflate, CRC32: d.CRC, CompressedSize64: uint64(len(d.Data)), UncompressedSize64: d.Size})
	w.Write(d.Data)
	zw.Close()
	fn := fixture.Zip(map[string][]byte{
		"lib/bomb.jar":                 jar.Bytes(),
		"node_modules/qs/package.json": []byte(`{"name":"qs","version":"6.5.1"}`),
		"index.js":                     []byte("1\n"),
	})
	if err := os.WriteFile(filepath.Join(dir, "fn.zip"), fn, 0o644); err != nil {
		t.Fatal(err)
	}
	r := watch(t, dir, "sbom", "fn.zip", "-o", "cyclonedx-json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "fn.zip!lib/bomb.jar!META-INF/MANIFEST.MF") || !strings.Contains(r.stderr, "not cataloged") {
		t.Errorf("no warning naming the manifest:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, `"qs"`) {
		t.Errorf("the rest of the function was not cataloged")
	}
	if r.maxRSS > 512<<20 {
		t.Errorf("peak RSS %d MiB", r.maxRSS>>20)
	}
	if r.tmpPeak > 1<<20 {
		t.Errorf("%d bytes written to the temp dir", r.tmpPeak)
	}
}
