package vuln

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// fakeOSVAPI speaks the osv.dev v1 querybatch and vulns/{id} JSON, answering
// from a fixed table and the testdata records. It pages every result with
// more than one ID, one ID per page, to exercise next_page_token.
type fakeOSVAPI struct {
	mu      sync.Mutex
	answers map[string][]string // "ecosystem/name@version" -> ids
	records map[string]string   // id -> record, beside testdata's
	queries []apiQuery
}

func (f *fakeOSVAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/querybatch":
		var req struct{ Queries []apiQuery }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.queries = append(f.queries, req.Queries...)
		f.mu.Unlock()
		type vuln struct {
			ID string `json:"id"`
		}
		type result struct {
			Vulns         []vuln `json:"vulns,omitempty"`
			NextPageToken string `json:"next_page_token,omitempty"`
		}
		var resp struct {
			Results []result `json:"results"`
		}
		for _, q := range req.Queries {
			all := f.answers[q.Package.Ecosystem+"/"+q.Package.Name+"@"+q.Version]
			var res result
			page := 0
			if q.PageToken != "" {
				page = 1
			}
			if page < len(all) {
				res.Vulns = []vuln{{ID: all[page]}}
				if page == 0 && len(all) > 1 {
					res.NextPageToken = "page2"
				} else if page == 1 && len(all) > 2 {
					res.Vulns = append(res.Vulns, vuln{ID: all[2]})
				}
			}
			resp.Results = append(resp.Results, res)
		}
		json.NewEncoder(w).Encode(resp)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/vulns/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/vulns/")
		if rec, ok := f.records[id]; ok {
			w.Write([]byte(rec))
			return
		}
		matches, _ := filepath.Glob(filepath.Join("testdata", "osv", "*", id+".json"))
		if len(matches) != 1 {
			http.Error(w, `{"code":5,"message":"Bug not found."}`, http.StatusNotFound)
			return
		}
		data, _ := os.ReadFile(matches[0])
		w.Write(data)
	default:
		http.NotFound(w, r)
	}
}

func TestOnlineMatch(t *testing.T) {
	api := &fakeOSVAPI{answers: map[string][]string{
		"Maven/com.google.guava:guava@31.1-jre": {"GHSA-7g45-4rm6-3mm3", "GHSA-5mg8-w23w-74h3"},
		"Go/stdlib@1.21.2":                      {"GO-2023-2102"},
	}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	pkgs := []Package{
		{PURL: "pkg:maven/com.google.guava/guava@31.1-jre"},
		{Name: "stdlib", Version: "go1.21.2", Ecosystem: "Go"},
		{Name: "left-pad", Version: "1.0.0", Ecosystem: "npm"},
		{Name: "com.google.guava:guava", Version: "31.1-jre", Ecosystem: "Maven"},
	}
	fs, err := OnlineMatch(context.Background(), srv.URL, pkgs, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int{}
	for _, f := range fs {
		got[f.ID] = f.PackageIndex
	}
	want := map[string][]int{"GHSA-5mg8-w23w-74h3": {0, 3}, "GHSA-7g45-4rm6-3mm3": {0, 3}, "GO-2023-2102": {1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
	for _, f := range fs {
		if f.ID == "GO-2023-2102" && !reflect.DeepEqual(f.FixedVersions, []string{"1.21.3"}) {
			t.Errorf("stdlib fixed versions = %v", f.FixedVersions)
		}
	}
	// Three distinct packages queried once each, then guava's second page.
	var queried []string
	for _, q := range api.queries {
		queried = append(queried, q.Package.Ecosystem+"/"+q.Package.Name+"@"+q.Version+q.PageToken)
	}
	wantQ := []string{"Maven/com.google.guava:guava@31.1-jre", "Go/stdlib@1.21.2", "npm/left-pad@1.0.0", "Maven/com.google.guava:guava@31.1-jrepage2"}
	if !reflect.DeepEqual(queried, wantQ) {
		t.Errorf("queries = %v, want %v", queried, wantQ)
	}

	api.answers["npm/left-pad@1.0.0"] = []string{"GHSA-none-none-none"}
	if _, err := OnlineMatch(context.Background(), srv.URL, pkgs, srv.Client()); err == nil || !strings.Contains(err.Error(), "GHSA-none-none-none") {
		t.Errorf("missing record: %v, want an error naming it", err)
	}
}

// Distro records name the source package: a binary package is asked for
// by its own name and its source's, as the local database matches it.
func TestOnlineMatchSourcePackage(t *testing.T) {
	api := &fakeOSVAPI{
		answers: map[string][]string{"Alpine:v3.10/openssl@1.1.1d-r2": {"ALPINE-CVE-2020-1967"}},
		records: map[string]string{"ALPINE-CVE-2020-1967": `{"schema_version": "1.6.0", "id": "ALPINE-CVE-2020-1967", "modified": "2024-01-01T00:00:00Z",
			"affected": [{"package": {"ecosystem": "Alpine:v3.10", "name": "openssl"},
			"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.1g-r0"}]}]}]}`},
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	pkgs := []Package{
		{PURL: "pkg:apk/alpine/libssl1.1@1.1.1d-r2?arch=x86_64&distro=alpine-3.10.4&upstream=openssl", Source: "openssl"},
		{PURL: "pkg:apk/alpine/libcrypto1.1@1.1.1d-r2?arch=x86_64&distro=alpine-3.10.4&upstream=openssl", Source: "openssl"},
	}
	fs, err := OnlineMatch(context.Background(), srv.URL, pkgs, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].ID != "ALPINE-CVE-2020-1967" || fs[1].ID != "ALPINE-CVE-2020-1967" || !reflect.DeepEqual(fs[0].FixedVersions, []string{"1.1.1g-r0"}) {
		t.Errorf("findings %+v", fs)
	}
}
