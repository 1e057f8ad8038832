package vuln

import (
	"reflect"
	"testing"
)

func TestUbuntuAndSwiftPURLs(t *testing.T) {
	tests := []struct {
		purl, eco, name string
	}{
		// syft writes distro=ubuntu-VERSION_ID.
		{"pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?arch=amd64&distro=ubuntu-22.04", "Ubuntu:22.04:LTS", "openssl"},
		{"pkg:deb/ubuntu/openssl@1.1.1f-1ubuntu2?distro=ubuntu-20.04", "Ubuntu:20.04:LTS", "openssl"},
		{"pkg:deb/ubuntu/openssl@3.0.13-0ubuntu3?distro=ubuntu-24.04", "Ubuntu:24.04:LTS", "openssl"},
		{"pkg:deb/ubuntu/openssl@3.0.10-1ubuntu2?distro=ubuntu-23.10", "Ubuntu:23.10", "openssl"},
		{"pkg:deb/ubuntu/openssl@3.0.8-1ubuntu1?distro=ubuntu-23.04", "Ubuntu:23.04", "openssl"},
		// osv-scalibr writes the codename.
		{"pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?distro=jammy", "Ubuntu:22.04:LTS", "openssl"},
		{"pkg:deb/ubuntu/openssl@3.0.10-1ubuntu2?distro=mantic", "Ubuntu:23.10", "openssl"},
		{"pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10", "Ubuntu", "openssl"},
		{"pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?distro=ubuntu-rolling", "Ubuntu", "openssl"},
		{"pkg:swift/github.com/apple/swift-nio-http2@1.19.0", "SwiftURL", "github.com/apple/swift-nio-http2"},
		{"pkg:swift/github.com/apple/swift-nio.git@2.40.0", "SwiftURL", "github.com/apple/swift-nio"},
	}
	for _, tt := range tests {
		r, ok := resolve(Package{PURL: tt.purl})
		if !ok || r.eco != tt.eco || r.names[0] != tt.name {
			t.Errorf("resolve(%s) = %q %q %v, want %q %q", tt.purl, r.eco, r.names, ok, tt.eco, tt.name)
		}
	}
}

func TestUbuntuAndSwiftMatching(t *testing.T) {
	// Records spelled as Canonical's OSV export and GitHub's advisories
	// spell them.
	src := t.TempDir()
	writeFile(t, src, "ubuntu.json", `{"id": "UBUNTU-CVE-2099-1", "modified": "2024-01-01T00:00:00Z",
	  "affected": [
	    {"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "openssl"},
	     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.2-0ubuntu1.9"}]}]},
	    {"package": {"ecosystem": "Ubuntu:24.04:LTS", "name": "openssl"},
	     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.13-0ubuntu3.2"}]}]}]}`)
	writeFile(t, src, "interim.json", `{"id": "UBUNTU-CVE-2099-2", "modified": "2024-01-01T00:00:00Z",
	  "affected": [{"package": {"ecosystem": "Ubuntu:23.10", "name": "openssl"},
	    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.10-1ubuntu2.1"}]}]}]}`)
	writeFile(t, src, "swift.json", `{"id": "GHSA-TEST-SWFT", "modified": "2024-01-01T00:00:00Z",
	  "affected": [{"package": {"ecosystem": "SwiftURL", "name": "github.com/apple/swift-nio-http2"},
	    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.19.2"}]}]}]}`)
	dir := t.TempDir()
	importInto(t, dir, src)
	db := openDB(t, dir)
	tests := []struct {
		pkg  Package
		want []string
	}{
		// Fixed on 22.04; only the 24.04 range would match it.
		{Package{PURL: "pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?arch=amd64&distro=ubuntu-22.04"}, nil},
		{Package{PURL: "pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.8?arch=amd64&distro=ubuntu-22.04"}, []string{"UBUNTU-CVE-2099-1"}},
		{Package{PURL: "pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.8?distro=jammy"}, []string{"UBUNTU-CVE-2099-1"}},
		{Package{PURL: "pkg:deb/ubuntu/openssl@3.0.13-0ubuntu3.1?distro=ubuntu-24.04"}, []string{"UBUNTU-CVE-2099-1"}},
		{Package{PURL: "pkg:deb/ubuntu/openssl@3.0.10-1ubuntu2?distro=ubuntu-23.10"}, []string{"UBUNTU-CVE-2099-2"}},
		{Package{PURL: "pkg:deb/ubuntu/openssl@3.0.10-1ubuntu2?distro=ubuntu-20.04"}, nil},
		// A record without ":LTS" still applies to its release.
		{Package{Name: "openssl", Version: "3.0.2-0ubuntu1.8", Ecosystem: "Ubuntu:22.04"}, []string{"UBUNTU-CVE-2099-1"}},
		{Package{PURL: "pkg:swift/github.com/apple/swift-nio-http2@1.19.0"}, []string{"GHSA-TEST-SWFT"}},
		{Package{PURL: "pkg:swift/github.com/apple/swift-nio-http2@1.19.2"}, nil},
	}
	for _, tt := range tests {
		got := matchIDs(t, db, tt.pkg)
		if tt.want == nil {
			tt.want = []string{}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%+v: got %v, want %v", tt.pkg, got, tt.want)
		}
	}
}
