package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// ciRecipe is one recipe of docs/ci.md: the script its CI runs (a sh
// block after <!-- ci-recipe: NAME -->) and the CI file that runs it (a
// yaml block after <!-- ci-file: NAME PATH -->).
type ciRecipe struct {
	name, script, file, yaml string
}

const ciInstall = "go install github.com/fnscan/fnscan/cmd/fnscan@latest"

// readCIRecipes extracts the recipes of docs/ci.md.
func readCIRecipes(t *testing.T) map[string]*ciRecipe {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	marker := regexp.MustCompile(`^<!-- ci-(recipe|file): (\S+)(?: (\S+))? -->$`)
	recipes := map[string]*ciRecipe{}
	sc := bufio.NewScanner(strings.NewReader(string(doc)))
	line := 0
	next := func() (string, bool) {
		ok := sc.Scan()
		line++
		return sc.Text(), ok
	}
	for {
		l, ok := next()
		if !ok {
			break
		}
		m := marker.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		r := recipes[m[2]]
		if r == nil {
			r = &ciRecipe{name: m[2]}
			recipes[m[2]] = r
		}
		fence := "```sh"
		if m[1] == "file" {
			fence = "```yaml"
		}
		at := line
		if l, _ = next(); l != fence {
			t.Fatalf("docs/ci.md:%d: %s is followed by %q, want a %s block", at, m[0], l, fence)
		}
		var body []string
		for {
			l, ok := next()
			if !ok {
				t.Fatalf("docs/ci.md:%d: block not closed", at)
			}
			if l == "```" {
				break
			}
			body = append(body, l)
		}
		text := strings.Join(body, "\n") + "\n"
		switch {
		case m[1] == "recipe" && r.script == "":
			r.script = text
		case m[1] == "file" && r.yaml == "" && m[3] != "":
			r.file, r.yaml = m[3], text
		default:
			t.Fatalf("docs/ci.md:%d: %s repeated or without a path", at, m[0])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recipes
}

// scriptLines are a script's command lines.
func scriptLines(script string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(script), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// containsRun reports whether lines holds want, in order and together.
func containsRun(lines, want []string) bool {
	for i := 0; i+len(want) <= len(lines); i++ {
		if slices.Equal(lines[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

// ciFile is what the test reads of a recipe's CI file: its environment,
// the script that holds the recipe, every command, and the files it keeps
// as reports or artifacts.
type ciFile struct {
	env      map[string]string
	commands []string
	// ranScript says the file runs the recipe's script as written.
	ranScript bool
	// junit and sarif are where the file picks up those reports ("" if
	// it does not).
	junit, sarif string
	// always says the reports are kept when the gate fails.
	always bool
}

func parseGitHub(t *testing.T, r *ciRecipe) ciFile {
	var wf struct {
		Jobs map[string]struct {
			Env   map[string]string `yaml:"env"`
			Steps []struct {
				Uses  string            `yaml:"uses"`
				Run   string            `yaml:"run"`
				Shell string            `yaml:"shell"`
				If    string            `yaml:"if"`
				With  map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(r.yaml), &wf); err != nil {
		t.Fatalf("%s: %v", r.file, err)
	}
	var f ciFile
	if len(wf.Jobs) != 1 {
		t.Fatalf("%s: %d jobs, want 1", r.file, len(wf.Jobs))
	}
	for _, job := range wf.Jobs {
		f.env = job.Env
		for _, s := range job.Steps {
			f.commands = append(f.commands, scriptLines(s.Run)...)
			if s.Run == r.script {
				f.ranScript = true
				if s.Shell != "bash" {
					t.Errorf("%s: the gate step's shell is %q; the test runs it as bash -e -o pipefail (shell: bash)", r.file, s.Shell)
				}
			}
			if strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif@") {
				f.sarif = s.With["sarif_file"]
				f.always = strings.Contains(s.If, "always()")
			}
		}
	}
	return f
}

func parseGitLab(t *testing.T, r *ciRecipe) ciFile {
	var jobs map[string]struct {
		Variables map[string]string `yaml:"variables"`
		Script    []string          `yaml:"script"`
		Artifacts struct {
			When    string   `yaml:"when"`
			Paths   []string `yaml:"paths"`
			Reports struct {
				JUnit string `yaml:"junit"`
			} `yaml:"reports"`
		} `yaml:"artifacts"`
	}
	if err := yaml.Unmarshal([]byte(r.yaml), &jobs); err != nil {
		t.Fatalf("%s: %v", r.file, err)
	}
	job, ok := jobs["fnscan"]
	if !ok || len(jobs) != 1 {
		t.Fatalf("%s: want one job, fnscan", r.file)
	}
	f := ciFile{env: job.Variables, always: job.Artifacts.When == "always", junit: job.Artifacts.Reports.JUnit}
	for _, l := range job.Script {
		f.commands = append(f.commands, scriptLines(l)...)
	}
	f.ranScript = containsRun(f.commands, scriptLines(r.script))
	if slices.Contains(job.Artifacts.Paths, "fnscan.sarif") {
		f.sarif = "fnscan.sarif"
	}
	if !slices.Contains(job.Artifacts.Paths, f.junit) {
		t.Errorf("%s: the JUnit report %q is not among the artifacts' paths %v", r.file, f.junit, job.Artifacts.Paths)
	}
	return f
}

func parseCodeBuild(t *testing.T, r *ciRecipe) ciFile {
	var spec struct {
		Version string `yaml:"version"`
		Env     struct {
			Variables map[string]string `yaml:"variables"`
		} `yaml:"env"`
		Phases map[string]struct {
			Commands []string `yaml:"commands"`
		} `yaml:"phases"`
		Reports map[string]struct {
			Files         []string `yaml:"files"`
			BaseDirectory string   `yaml:"base-directory"`
			FileFormat    string   `yaml:"file-format"`
		} `yaml:"reports"`
		Artifacts struct {
			Files []string `yaml:"files"`
		} `yaml:"artifacts"`
	}
	if err := yaml.Unmarshal([]byte(r.yaml), &spec); err != nil {
		t.Fatalf("%s: %v", r.file, err)
	}
	if spec.Version != "0.2" {
		t.Errorf("%s: version %q, want 0.2", r.file, spec.Version)
	}
	f := ciFile{env: spec.Env.Variables, always: true} // report groups are read whatever the build's outcome
	for _, phase := range []string{"install", "pre_build", "build", "post_build"} {
		for _, l := range spec.Phases[phase].Commands {
			f.commands = append(f.commands, scriptLines(l)...)
		}
	}
	var build []string
	for _, l := range spec.Phases["build"].Commands {
		build = append(build, scriptLines(l)...)
	}
	f.ranScript = containsRun(build, scriptLines(r.script))
	for _, g := range spec.Reports {
		if g.FileFormat == "JUNITXML" && len(g.Files) == 1 {
			f.junit = filepath.Join(g.BaseDirectory, g.Files[0])
		}
	}
	for _, a := range spec.Artifacts.Files {
		if strings.HasSuffix(a, ".sarif") {
			f.sarif = a
		}
	}
	return f
}

// The CI recipes of docs/ci.md run as written against the bundled example:
// the gate fails it with exit 1 and leaves valid reports where the CI file
// picks them up; an error stays exit 2.
func TestCIRecipes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fnscan and scans")
	}
	recipes := readCIRecipes(t)
	parsers := map[string]func(*testing.T, *ciRecipe) ciFile{"github": parseGitHub, "gitlab": parseGitLab, "codebuild": parseCodeBuild}
	// Variables the CI system sets itself, and what the test gives them.
	provided := map[string][]string{"github": {"GITHUB_STEP_SUMMARY"}}
	if len(recipes) != len(parsers) {
		t.Errorf("docs/ci.md has recipes %v, want github, gitlab and codebuild", slices.Sorted(maps.Keys(recipes)))
	}
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(mod), "module github.com/fnscan/fnscan\n") {
		t.Fatalf("go.mod's module is not github.com/fnscan/fnscan: the recipes' %q installs something else", ciInstall)
	}

	bin := binary(t)
	base := cleanEnv(t)
	env := []string{"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, kv := range base {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "CI_") && !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "CODEBUILD_") {
			env = append(env, kv)
		}
	}
	// The recipes' `fnscan db update` downloads; the test imports the
	// bundled npm advisories into FNSCAN_DB instead.
	db := filepath.Join(t.TempDir(), "db")
	env = append(env, "FNSCAN_DB="+db)
	imp := exec.Command(bin, "db", "import", repoTestdata("osv", "ghsa-npm.zip"))
	imp.Env = env
	if code, out, errOut := exitOf(t, imp); code != 0 {
		t.Fatalf("fnscan db import: exit %d\n%s%s", code, out, errOut)
	}
	example := repoTestdata("lambda", "dvsa-order-api.zip")
	if !filepath.IsAbs(example) {
		example, _ = filepath.Abs(example)
	}
	outputs := regexp.MustCompile(`-o ([a-z-]+)(?:=(\S+))?`)
	vars := regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
	assigned := regexp.MustCompile(`(?:^|[\s;|&])([A-Za-z_][A-Za-z0-9_]*)=`) // the script's own variables

	for _, name := range slices.Sorted(maps.Keys(parsers)) {
		t.Run(name, func(t *testing.T) {
			r := recipes[name]
			if r == nil || r.script == "" || r.yaml == "" {
				t.Fatalf("docs/ci.md has no %s recipe with its script and CI file", name)
			}
			f := parsers[name](t, r)
			if !f.ranScript {
				t.Errorf("%s does not run the recipe's script as docs/ci.md shows it:\n%s", r.file, r.script)
			}
			if !slices.ContainsFunc(f.commands, func(c string) bool { return strings.Contains(c, ciInstall) }) {
				t.Errorf("%s does not install fnscan with %s", r.file, ciInstall)
			}
			if !slices.ContainsFunc(f.commands, func(c string) bool { return strings.HasPrefix(c, "fnscan db update") }) {
				t.Errorf("%s does not fetch vulnerability data (fnscan db update)", r.file)
			}
			// Every variable the script reads is set by the CI file or the
			// CI system, and the test sets each.
			runEnv := append([]string{}, env...)
			set := map[string]bool{}
			for k := range f.env {
				set[k] = true
			}
			for _, v := range provided[name] {
				set[v] = true
			}
			local := map[string]bool{}
			for _, m := range assigned.FindAllStringSubmatch(r.script, -1) {
				local[m[1]] = true
			}
			for _, m := range vars.FindAllStringSubmatch(r.script, -1) {
				if !set[m[1]] && !local[m[1]] {
					t.Errorf("the %s script reads $%s, which %s does not set", name, m[1], r.file)
				}
			}
			work := t.TempDir()
			summary := filepath.Join(t.TempDir(), "step-summary.md")
			for k := range set {
				switch k {
				case "FUNCTION_ZIP":
					runEnv = append(runEnv, k+"="+example)
				case "FNSCAN_DB":
					// set above: the imported bundled data
				case "GITHUB_STEP_SUMMARY":
					runEnv = append(runEnv, k+"="+summary)
				default:
					t.Errorf("%s sets %s: the test does not know what to give it", r.file, k)
				}
			}
			if !set["FUNCTION_ZIP"] || !set["FNSCAN_DB"] {
				t.Errorf("%s sets %v; want FUNCTION_ZIP and FNSCAN_DB", r.file, f.env)
			}

			cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", r.script)
			cmd.Dir, cmd.Env = work, runEnv
			code, stdout, stderr := exitOf(t, cmd)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (the example fails the gate)\nstdout:\n%s\nstderr:\n%s", code, clip(stdout), stderr)
			}
			if !strings.Contains(stdout, "verdict: FAIL") || !strings.Contains(stderr, "fnscan: policy failed: ") {
				t.Errorf("no verdict in the log:\nstdout:\n%s\nstderr:\n%s", clip(stdout), stderr)
			}
			written := map[string]string{}
			for _, m := range outputs.FindAllStringSubmatch(r.script, -1) {
				if m[2] != "" {
					written[m[1]] = m[2]
				}
			}
			for format, file := range written {
				data, err := os.ReadFile(filepath.Join(work, file))
				if err != nil {
					t.Errorf("-o %s=%s: %v", format, file, err)
					continue
				}
				switch format {
				case "sarif":
					validJSON(t, filepath.Join("..", "..", "testdata", "sarif", "sarif-schema-2.1.0.json"), string(data))
					var log struct {
						Runs []struct {
							Results []json.RawMessage `json:"results"`
						} `json:"runs"`
					}
					if err := json.Unmarshal(data, &log); err != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
						t.Errorf("%s: want one run with results (%v)", file, err)
					}
				case "junit":
					checkJUnitFile(t, filepath.Join(work, file), data)
				case "markdown":
					if !strings.Contains(string(data), "**Verdict: fail**") {
						t.Errorf("%s has no failing verdict:\n%s", file, clip(string(data)))
					}
				default:
					t.Errorf("the test does not check -o %s", format)
				}
			}
			if f.junit != "" && written["junit"] != f.junit {
				t.Errorf("%s reads the JUnit report from %q; the script writes %q", r.file, f.junit, written["junit"])
			}
			if written["sarif"] != "" && filepath.Clean(f.sarif) != filepath.Clean(written["sarif"]) {
				t.Errorf("%s keeps SARIF %q; the script writes %q", r.file, f.sarif, written["sarif"])
			}
			if (f.junit != "" || f.sarif != "") && !f.always {
				t.Errorf("%s does not keep the reports when the gate fails", r.file)
			}
			if name == "github" {
				md, _ := os.ReadFile(filepath.Join(work, written["markdown"]))
				got, err := os.ReadFile(summary)
				if err != nil || len(md) == 0 || string(got) != string(md) {
					t.Errorf("the step summary does not hold the Markdown report (%v):\n%s", err, clip(string(got)))
				}
			}

			// An error is not a failed gate: it stays exit 2.
			cmd = exec.Command("bash", "-e", "-o", "pipefail", "-c", r.script)
			cmd.Dir = t.TempDir()
			for _, kv := range runEnv {
				if strings.HasPrefix(kv, "FUNCTION_ZIP=") {
					kv = "FUNCTION_ZIP=" + filepath.Join(cmd.Dir, "missing.zip")
				}
				cmd.Env = append(cmd.Env, kv)
			}
			if code, stdout, stderr := exitOf(t, cmd); code != 2 {
				t.Errorf("missing target: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, clip(stdout), stderr)
			}
		})
	}
}

// checkJUnitFile validates a JUnit report against the schema with xmllint
// (which .ci/run installs) and checks it reports failures.
func checkJUnitFile(t *testing.T, path string, data []byte) {
	t.Helper()
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Errorf("%s: %v", path, err)
	}
	var names []string
	for _, s := range doc.Suites {
		names = append(names, s.Name)
	}
	if doc.Failures == 0 || doc.Tests <= doc.Failures || strings.Join(names, " ") != "fnscan.vulnerabilities fnscan.secrets fnscan.config fnscan.gate" {
		t.Errorf("%s: %d tests, %d failures, suites %v", path, doc.Tests, doc.Failures, names)
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint missing under CI: .ci/run installs libxml2-utils")
		}
		t.Log("xmllint not installed: JUnit output not validated against the schema")
		return
	}
	xsd := filepath.Join("..", "..", "testdata", "junit", "junit-10.xsd")
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, path).CombinedOutput(); err != nil {
		t.Errorf("%s invalid against junit-10.xsd: %v\n%s", path, err, out)
	}
}
