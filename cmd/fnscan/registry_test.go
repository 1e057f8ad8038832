package main

import (
	"math/rand/v2"
	"os"
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
	r := scanJSON(t, "--db", db, "registry:"+ref)
	if r.Target.Kind != "registry" || r.Target.Name != ref || len(r.Target.SHA256) != 64 {
		t.Errorf("target %+v", r.Target)
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
	_, stderr, code := fnscan(t, "sbom", "--quiet", "--platform", "linux", "registry:"+ref)
	if code != 2 || !strings.Contains(stderr, `"linux"`) {
		t.Errorf("bad --platform: exit %d, %s", code, stderr)
	}
}
