package aws

import (
	"bytes"
	"testing"
)

// The download URL goes; every other value stays byte for byte as deployed
// (no HTML escaping of "&", "<", ">").
func TestWithoutCodeLocation(t *testing.T) {
	raw := []byte(`{"Configuration":{"FunctionName":"f","Environment":{"Variables":{"DB":"postgres://u:p@h/db?sslmode=require&password=<x>"}}},"Code":{"RepositoryType":"S3","Location":"https://s3/x?X-Amz-Credential=ASIAABCDEFGHIJKLMNOP%2F20261201"}}`)
	out := withoutCodeLocation(raw)
	if bytes.Contains(out, []byte("Location")) || bytes.Contains(out, []byte("ASIA")) {
		t.Errorf("the download URL is still there: %s", out)
	}
	if !bytes.Contains(out, []byte(`"postgres://u:p@h/db?sslmode=require&password=<x>"`)) || !bytes.Contains(out, []byte(`"RepositoryType":"S3"`)) {
		t.Errorf("values changed: %s", out)
	}
}
