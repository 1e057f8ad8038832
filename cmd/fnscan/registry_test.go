package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/internal/fixture"
)

// A Lambda container image as it sits in ECR: pushed with skopeo to a real
// registry and scanned from there. The guava jar's advisories are located
// inside the jar in its image layer, and a key that a later layer deletes is
// still found, with the layer that holds it.
func TestScanRegistryImage(t *testing.T) {
	host := fixture.Registry(t)
	guava, err := os.ReadFile(repoTestdata("jars", "guava-31.1-jre.jar"))
	if err != nil {
		t.Fatal(err)
	}
	// Generated at run time: no live-looking key sits in the repository.
	var b strings.Builder
	for range 16 {
		b.WriteByte("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[rand.IntN(32)])
	}
	key := "AKIA" + b.String()
	app := fixture.Tar(map[string]string{
		"var/task/lib/guava-31.1-jre.jar": string(guava),
		"var/task/.env":                   "AWS_ACCESS_KEY_ID=" + key + "\n",
	})
	cleanup := fixture.Tar(map[string]string{"var/task/.wh..env": ""})
	archive := filepath.Join(t.TempDir(), "fn.tar")
	if err := os.WriteFile(archive, fixture.DockerArchive("fn:1", [][]byte{app, cleanup}), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := host + "/fn:1"
	fixture.Push(t, "docker-archive:"+archive, ref)

	db := importDB(t, repoTestdata("osv", "maven-ghsa-sample.zip"))
	out, stderr, code := fnscan(t, "scan", "-o", "json", "--quiet", "--fail-on", "none", "--db", db, "registry:"+ref)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	validReport(t, out)
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	digest, err := exec.Command("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://"+ref).Output()
	if err != nil {
		t.Fatal(err)
	}
	if r.Target.Kind != "registry" || r.Target.Name != ref || "sha256:"+r.Target.SHA256 != strings.TrimSpace(string(digest)) || r.Target.Platform != "linux/amd64" {
		t.Errorf("target %+v, want the registry's digest %s", r.Target, digest)
	}
	found := false
	for _, v := range r.Vulnerabilities {
		if v.ID == "GHSA-7g45-4rm6-3mm3" {
			found = true
			l := v.Locations[0]
			if !strings.HasPrefix(l.Path, "/var/task/lib/guava-31.1-jre.jar!") || l.Origin.Kind != "image-layer" {
				t.Errorf("guava located at %+v", l)
			}
		}
	}
	if !found {
		t.Error("GHSA-7g45-4rm6-3mm3 not found for guava in the registry image")
	}
	if len(r.Secrets) != 1 || r.Secrets[0].RuleID != "aws-access-token" || !strings.HasSuffix(r.Secrets[0].Path, "/var/task/.env") {
		t.Errorf("secrets %+v, want the deleted .env's key", r.Secrets)
	}

	// --platform must name a platform; a bad one is a usage error naming it.
	_, stderr, code = fnscan(t, "sbom", "--quiet", "--platform", "linux", "registry:"+ref)
	if code != 2 || !strings.Contains(stderr, `"linux"`) {
		t.Errorf("bad --platform: exit %d, %s", code, stderr)
	}
	// Asked for arm64, the amd64 image is an error, as with syft.
	_, stderr, code = fnscan(t, "sbom", "--quiet", "--platform", "linux/arm64", "registry:"+ref)
	if code != 2 || !strings.Contains(stderr, "not linux/arm64") {
		t.Errorf("--platform linux/arm64 on an amd64 image: exit %d, %s", code, stderr)
	}
}
