package secrets

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/internal/fixture"
)

// readLeakyCSV reads .leaky-meta/secrets.csv: "name,num_risk,num_informative"
// rows between # comments and blank lines.
func readLeakyCSV(t *testing.T, p string) map[string]int {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	risk := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, ",")
		if len(parts) != 3 {
			t.Fatalf("unexpected csv row %q", line)
		}
		n, err := strconv.Atoi(parts[1])
		if err != nil {
			t.Fatalf("csv row %q: %v", line, err)
		}
		risk[parts[0]] = n
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return risk
}

// TestLeakyRepoRecall scans Plazmaz/leaky-repo and measures per-file
// recall over the files its authors labelled as holding real risk.
func TestLeakyRepoRecall(t *testing.T) {
	dir := t.TempDir()
	fixture.Unzip(t, sharedData(t, "secrets/leaky-repo.zip"), dir)
	root := filepath.Join(dir, "leaky-repo")
	risk := readLeakyCSV(t, filepath.Join(root, ".leaky-meta", "secrets.csv"))

	res := scan(t, dirFiles(t, root, "leaky-repo"), DefaultConfig())
	found := map[string]int{}
	for _, f := range res.Findings {
		found[strings.TrimPrefix(f.Path, "leaky-repo!")]++
	}
	var names []string
	for name := range risk {
		names = append(names, name)
	}
	sort.Strings(names)
	riskFiles, hitFiles := 0, 0
	for _, name := range names {
		if risk[name] == 0 {
			continue
		}
		riskFiles++
		mark := "MISS"
		if found[name] > 0 {
			hitFiles++
			mark = "ok"
		}
		t.Logf("%-4s %-45s risk lines %2d, findings %2d", mark, name, risk[name], found[name])
	}
	recall := float64(hitFiles) / float64(riskFiles)
	t.Logf("per-file recall: %d/%d = %.1f%% (findings %d)", hitFiles, riskFiles, 100*recall, len(res.Findings))
	if riskFiles < 40 {
		t.Fatalf("csv lists only %d risk files; format changed?", riskFiles)
	}
	if recall < 0.90 {
		t.Errorf("per-file recall %.1f%% is under 90%%", 100*recall)
	}
}
