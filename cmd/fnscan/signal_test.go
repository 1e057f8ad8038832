package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// signalTarget writes a function zip that keeps every stage busy for a few
// seconds while putting few files on disk (so removing them is quick): a
// fat jar of jars syft opens one by one, and two large text files for the
// secrets stage. It is scanned with --max-depth 0, so fnscan itself does
// not unpack the jars.
func signalTarget(t *testing.T, dir string, jars int, textBytes int) string {
	t.Helper()
	p := filepath.Join(dir, "fat.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	app, _ := zw.Create("app.jar")
	fat := zip.NewWriter(app)
	m, _ := fat.Create("META-INF/MANIFEST.MF")
	fmt.Fprint(m, "Manifest-Version: 1.0\nImplementation-Title: fat\nImplementation-Version: 1.0\n")
	for i := range jars {
		var jb bytes.Buffer
		jw := zip.NewWriter(&jb)
		mf, _ := jw.Create("META-INF/MANIFEST.MF")
		fmt.Fprintf(mf, "Manifest-Version: 1.0\nImplementation-Title: lib%d\nImplementation-Version: 1.%d\n", i, i)
		pp, _ := jw.Create(fmt.Sprintf("META-INF/maven/org.example/lib%d/pom.properties", i))
		fmt.Fprintf(pp, "groupId=org.example\nartifactId=lib%d\nversion=1.%d\n", i, i)
		jw.Close()
		e, _ := fat.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("BOOT-INF/lib/lib%d-1.%d.jar", i, i), Method: zip.Store})
		e.Write(jb.Bytes())
	}
	fat.Close()
	r := rand.New(rand.NewSource(1))
	for i := range 2 {
		w, _ := zw.Create(fmt.Sprintf("static/bundle%d.js", i))
		for n := 0; n < textBytes; {
			k, _ := fmt.Fprintf(w, "var v%d = \"%016x\"; // setting\n", r.Intn(1e6), r.Uint64())
			n += k
		}
	}
	idx, _ := zw.Create("index.js")
	fmt.Fprint(idx, "exports.handler = async () => 1;\n")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// Issue 14, item 7: SIGINT or SIGTERM at any moment of a scan ends it
// within 2 s with 128+N, writes no report, and leaves nothing in TMPDIR.
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fnscan and scans for several seconds")
	}
	bin := binary(t)
	env := cleanEnv(t)
	dir := t.TempDir()
	target := signalTarget(t, dir, 200, 20<<20)
	db := importDB(t, repoTestdata("osv", "maven-ghsa-sample.zip"))
	args := []string{"scan", target, "--db", db, "--max-depth", "0", "-q"}

	type outcome struct {
		state   *os.ProcessState
		elapsed time.Duration // from the signal (from the start without one)
		stdout  string
		stderr  string
	}
	// start runs a scan with its own TMPDIR and report path; at, when
	// set, waits for the moment to signal and returns false if the scan
	// ended first.
	start := func(t *testing.T, tmp, out string, at func(begun time.Time) bool, sigs ...syscall.Signal) outcome {
		t.Helper()
		var o, e bytes.Buffer
		cmd := exec.Command(bin, append(args, "-o", "json="+out)...)
		cmd.Env = append(env, "TMPDIR="+tmp)
		cmd.Stdout, cmd.Stderr = &o, &e
		begun := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		from := begun
		if at != nil {
			if !at(begun) {
				<-done
				t.Skipf("the scan ended (after %v) before the moment to signal: nothing to test", time.Since(begun).Round(time.Millisecond))
			}
			select {
			case <-done:
				t.Skipf("the scan ended (after %v) before the signal: nothing to test", time.Since(begun).Round(time.Millisecond))
			default:
			}
			from = time.Now()
			for i, s := range sigs {
				if i > 0 {
					time.Sleep(100 * time.Millisecond)
				}
				cmd.Process.Signal(s)
			}
		}
		limit := 2 * time.Second
		if at == nil {
			limit = 5 * time.Minute
		}
		select {
		case <-done:
		case <-time.After(limit):
			cmd.Process.Signal(syscall.SIGQUIT) // goroutine dump on stderr
			<-done
			t.Fatalf("still running %v after the signal\nstderr:\n%s", limit, e.String())
		}
		return outcome{cmd.ProcessState, time.Since(from), o.String(), e.String()}
	}
	workDirs := func(tmp string) []string {
		m, _ := filepath.Glob(filepath.Join(tmp, "*"))
		return m
	}
	waitFor := func(cond func() bool, begun time.Time) bool {
		for time.Since(begun) < time.Minute {
			if cond() {
				return true
			}
			time.Sleep(10 * time.Millisecond)
		}
		return false
	}

	// An uninterrupted run first: it writes the report, and its duration
	// places the late moment.
	tmp, outDir := t.TempDir(), t.TempDir()
	full := start(t, tmp, filepath.Join(outDir, "r.json"), nil)
	if full.state.ExitCode() != 0 {
		t.Fatalf("uninterrupted scan: exit %d\n%s", full.state.ExitCode(), full.stderr)
	}
	if _, err := os.Stat(filepath.Join(outDir, "r.json")); err != nil {
		t.Fatalf("uninterrupted scan wrote no report: %v", err)
	}
	total := full.elapsed
	t.Logf("uninterrupted scan: %v", total.Round(time.Millisecond))

	moments := []struct {
		name string
		at   func(tmp string) func(time.Time) bool
	}{
		// As soon as the work dir exists: unpacking.
		{"early", func(tmp string) func(time.Time) bool {
			return func(begun time.Time) bool { return waitFor(func() bool { return len(workDirs(tmp)) > 0 }, begun) }
		}},
		// A second into cataloging (syft's temp dir is in the work dir).
		{"mid-cataloging", func(tmp string) func(time.Time) bool {
			return func(begun time.Time) bool {
				ok := waitFor(func() bool {
					m, _ := filepath.Glob(filepath.Join(tmp, "*", "tmp"))
					return len(m) > 0
				}, begun)
				time.Sleep(time.Second)
				return ok
			}
		}},
		// Late: cataloging, the secrets stage beside it, matching. Not
		// closer to the end: runs vary by more than the rest takes, and a
		// run that already finished rightly exits 0 with its report.
		{"late", func(string) func(time.Time) bool {
			return func(begun time.Time) bool {
				time.Sleep(time.Until(begun.Add(total * 65 / 100)))
				return true
			}
		}},
	}
	for _, m := range moments {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(m.name+"/"+signalName(sig), func(t *testing.T) {
				tmp, outDir := t.TempDir(), t.TempDir()
				got := start(t, tmp, filepath.Join(outDir, "r.json"), m.at(tmp), sig)
				t.Logf("exited %v after the signal", got.elapsed.Round(time.Millisecond))
				checkInterrupted(t, got.state, sig, got.stderr)
				if got.stdout != "" {
					t.Errorf("stdout not empty:\n%s", got.stdout)
				}
				if left := workDirs(outDir); len(left) > 0 {
					t.Errorf("report written after the signal: %v", left)
				}
				if left := workDirs(tmp); len(left) > 0 {
					t.Errorf("TMPDIR not empty after the signal: %v", left)
				}
			})
		}
	}

	// A second Ctrl-C does not wait for the cleanup of the first.
	t.Run("twice", func(t *testing.T) {
		tmp, outDir := t.TempDir(), t.TempDir()
		got := start(t, tmp, filepath.Join(outDir, "r.json"), moments[1].at(tmp), syscall.SIGINT, syscall.SIGINT)
		ws, _ := got.state.Sys().(syscall.WaitStatus)
		if !(ws.Signaled() && ws.Signal() == syscall.SIGINT) && got.state.ExitCode() != 130 {
			t.Errorf("after two SIGINTs: %v, want killed by SIGINT or exit 130\n%s", got.state, got.stderr)
		}
		if left := workDirs(outDir); len(left) > 0 {
			t.Errorf("report written after the signal: %v", left)
		}
	})
}

// checkInterrupted wants the exit status a shell gives a process the
// signal killed (128+N), and the one line that says so.
func checkInterrupted(t *testing.T, st *os.ProcessState, sig syscall.Signal, stderr string) {
	t.Helper()
	if want := 128 + int(sig); st.ExitCode() != want {
		t.Errorf("%v, want exit %d\nstderr:\n%s", st, want, stderr)
		return
	}
	if !strings.Contains(stderr, "fnscan: interrupted ("+signalName(sig)+")") {
		t.Errorf("stderr does not say the scan was interrupted:\n%s", stderr)
	}
}
