package aws_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/aws/fakelambda"
	"github.com/fnscan/fnscan/result"
)

// Acceptance 1: three functions share one layer holding a vulnerable
// lodash. The layer is fetched and downloaded once (the server counts),
// each function's result has the layer's findings, and the report maps
// the layer to all three.
func TestFleetSharedLayerOnce(t *testing.T) {
	s := fakelambda.New()
	defer s.Close()
	layerZip := zipOf(t, npmPackage("nodejs/", "lodash", "4.17.4"))
	layer := s.AddLayer(fakelambda.Layer{Name: "deps", Zip: layerZip})
	var arns []string
	for i := range 3 {
		arns = append(arns, s.AddFunction(fakelambda.Function{Name: fmt.Sprintf("orders-%d", i), Runtime: "nodejs24.x", Handler: "index.handler",
			Zip: fnZip(t, i), Layers: []string{layer}}))
	}
	cfg := fleetConfig(t, s)
	cfg.Concurrency = 3
	rep, err := aws.RunFleet(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Calls("download:layer:" + layer); n != 1 {
		t.Errorf("layer downloaded %d times, want 1", n)
	}
	if n := s.Calls("GetLayerVersionByArn"); n != 1 {
		t.Errorf("GetLayerVersionByArn called %d times, want 1", n)
	}
	sum := sha256.Sum256(layerZip)
	layerHex := hex.EncodeToString(sum[:])
	if len(rep.Functions) != 3 {
		t.Fatalf("%d functions", len(rep.Functions))
	}
	for _, f := range rep.Functions {
		if f.Error != "" || f.Result == nil {
			t.Fatalf("%s: %s", f.ARN, f.Error)
		}
		inLayer := 0
		for _, v := range f.Result.Vulnerabilities {
			if o := v.Locations[0].Origin; o.Kind == artifact.OriginLayer && o.SHA256 == layerHex && v.Package.Name == "lodash" {
				inLayer++
			}
		}
		if inLayer == 0 || f.Verdict != aws.VerdictFail {
			t.Errorf("%s: %d lodash vulnerabilities from the layer, verdict %s", f.Name, inLayer, f.Verdict)
		}
		if len(f.Layers) != 1 || f.Layers[0].ARN != layer || f.Layers[0].CodeSha256 != base64.StdEncoding.EncodeToString(sum[:]) {
			t.Errorf("%s: layers %+v", f.Name, f.Layers)
		}
	}
	if len(rep.Layers) != 1 {
		t.Fatalf("layers %+v", rep.Layers)
	}
	l := rep.Layers[0]
	if l.ARN != layer || !slices.Equal(l.Functions, arns) || l.Vulnerabilities == 0 {
		t.Errorf("layer use %+v, want %s used by %v with vulnerabilities", l, layer, arns)
	}
	// Counted once for the layer, not once per function.
	if perFn := countLayerVulns(rep.Functions[0].Result.Vulnerabilities, layerHex); l.Vulnerabilities != perFn {
		t.Errorf("layer counts %d vulnerabilities, one function sees %d", l.Vulnerabilities, perFn)
	}
	if !slices.Equal(rep.Summary.VulnerableLayers, []string{layer}) || rep.Summary.Worst != aws.VerdictFail || rep.Summary.Failed != 3 {
		t.Errorf("summary %+v", rep.Summary)
	}
	if got := leftovers(t, cfg.Scan.TempDir); len(got) != 0 {
		t.Errorf("left in the temp dir: %v", got)
	}
	var table bytes.Buffer
	rep.Write(&table, "table")
	if !strings.Contains(table.String(), layer) || !strings.Contains(table.String(), "orders-2") {
		t.Errorf("table:\n%s", table.String())
	}
}

func countLayerVulns(vs []result.Vulnerability, layerHex string) int {
	n := 0
	for _, v := range vs {
		if v.Locations[0].Origin.SHA256 == layerHex {
			n++
		}
	}
	return n
}

// Acceptance 2: each fault is reported for its function, clearly, and the
// rest of the fleet is scanned. Throttling with Retry-After and an expired
// download URL are survived; a lying CodeSha256, a denied layer, broken
// downloads are errors of that function only.
func TestFleetFaults(t *testing.T) {
	s := fakelambda.New()
	defer s.Close()
	good := s.AddLayer(fakelambda.Layer{Name: "util", Zip: zipOf(t, map[string]string{"nodejs/util.js": "1"})})
	denied := s.AddLayer(fakelambda.Layer{Name: "private", Zip: zipOf(t, map[string]string{"nodejs/p.js": "1"}), Denied: true})
	add := func(f fakelambda.Function) {
		f.Runtime, f.Handler = "nodejs24.x", "index.handler"
		if f.Zip == nil {
			f.Zip = fnZip(t, len(f.Name))
		}
		s.AddFunction(f)
	}
	add(fakelambda.Function{Name: "ok", Layers: []string{good}})
	add(fakelambda.Function{Name: "throttled", Throttle: 2})
	add(fakelambda.Function{Name: "flaky", ServerErrors: 1})
	add(fakelambda.Function{Name: "expired", ExpiredURLs: 1, Layers: []string{good}})
	add(fakelambda.Function{Name: "lies", LieSHA: true})
	add(fakelambda.Function{Name: "no-layer-permission", Layers: []string{denied}})
	add(fakelambda.Function{Name: "truncated", Truncate: true, Zip: fnZip(t, 7, map[string]string{"big.txt": strings.Repeat("x", 1<<16)})})
	add(fakelambda.Function{Name: "oversized", Oversize: true})
	add(fakelambda.Function{Name: "stalled", Stall: true})
	add(fakelambda.Function{Name: "denied", Denied: true})
	add(fakelambda.Function{Name: "corrupt", Zip: []byte("PK\x03\x04 this is not a zip")})

	cfg := fleetConfig(t, s)
	cfg.Client.DownloadIdleTimeout = 500 * time.Millisecond
	cfg.Concurrency = 4
	start := time.Now()
	rep, err := aws.RunFleet(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	want := map[string]string{
		"ok":                  "",
		"throttled":           "",
		"flaky":               "",
		"expired":             "",
		"lies":                "CodeSha256 mismatch",
		"no-layer-permission": "layer " + denied + ": GetLayerVersionByArn: AccessDeniedException (HTTP 403)",
		"truncated":           "truncated",
		"oversized":           "larger than its CodeSize",
		"stalled":             "no data for 500ms",
		"denied":              "GetFunction: AccessDeniedException (HTTP 403)",
		"corrupt":             "not a valid zip",
	}
	got := map[string]string{}
	for _, f := range rep.Functions {
		got[f.Name] = f.Error
		w := want[f.Name]
		switch {
		case w == "" && (f.Error != "" || f.Verdict != aws.VerdictPass || f.Result == nil):
			t.Errorf("%s: %s %q, want it scanned", f.Name, f.Verdict, f.Error)
		case w != "" && (!strings.Contains(f.Error, w) || f.Verdict != aws.VerdictError || f.Result != nil):
			t.Errorf("%s: %s %q, want an error with %q", f.Name, f.Verdict, f.Error, w)
		case w != "" && !strings.Contains(f.Error, f.Name):
			t.Errorf("%s: error %q does not name the function", f.Name, f.Error)
		}
		if strings.Contains(f.Error, "X-Amz-Signature") {
			t.Errorf("%s: the error shows the signed URL: %s", f.Name, f.Error)
		}
	}
	if len(got) != len(want) {
		t.Errorf("scanned %v", got)
	}
	if s.Calls("throttled:throttled") != 2 || took < 2*time.Second {
		t.Errorf("throttled twice (%d), Retry-After: 1 each, yet the fleet took %s", s.Calls("throttled:throttled"), took)
	}
	if s.Calls("expired:function:expired") != 1 || s.Calls("download:function:expired") != 1 {
		t.Errorf("expired URL: %d refused, %d downloads", s.Calls("expired:function:expired"), s.Calls("download:function:expired"))
	}
	if s.Calls("download:layer:"+good) != 1 {
		t.Errorf("shared layer downloaded %d times", s.Calls("download:layer:"+good))
	}
	if rep.Summary.Errors != 7 || rep.Summary.Passed != 4 || rep.Summary.Worst != aws.VerdictError {
		t.Errorf("summary %+v", rep.Summary)
	}
	if got := leftovers(t, cfg.Scan.TempDir); len(got) != 0 {
		t.Errorf("left in the temp dir: %v", got)
	}
}

// A region that cannot be listed (here: one the account has not enabled)
// does not discard the others' functions: it is in the report, the worst
// verdict is error, and merged shards keep it. When no region can be
// listed there is no report.
func TestFleetRegionNotListed(t *testing.T) {
	s := fakelambda.New()
	defer s.Close()
	s.AddFunction(fakelambda.Function{Name: "orders", Runtime: "nodejs24.x", Handler: "index.handler", Zip: fnZip(t, 1)})
	cfg := fleetConfig(t, s)
	cfg.Scan.Catalog, cfg.Scan.Vulns = false, false
	cfg.Regions = []string{"ap-east-1", s.Region}
	rep, err := aws.RunFleet(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Functions) != 1 || rep.Functions[0].Verdict != aws.VerdictPass {
		t.Fatalf("functions %+v", rep.Functions)
	}
	if len(rep.Unlisted) != 1 || rep.Unlisted[0].Region != "ap-east-1" || !strings.Contains(rep.Unlisted[0].Error, "UnrecognizedClientException") ||
		!strings.Contains(rep.Unlisted[0].Error, "ap-east-1") {
		t.Errorf("unlisted %+v", rep.Unlisted)
	}
	if rep.Summary.Worst != aws.VerdictError || rep.Summary.Errors != 0 {
		t.Errorf("summary %+v", rep.Summary)
	}
	var table bytes.Buffer
	rep.Write(&table, "table")
	if !strings.Contains(table.String(), "\nnot listed: ap-east-1: listing functions in ap-east-1") {
		t.Errorf("table:\n%s", table.String())
	}

	// Shards: one listed both regions, the other not ap-east-1.
	one, two := *rep, *rep
	one.Shard, two.Shard = "1/2", "2/2"
	one.Unlisted = nil
	two.Functions = nil
	merged, err := aws.Merge(&one, &two)
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.Unlisted) != 1 || merged.Summary.Worst != aws.VerdictError || len(merged.Functions) != 1 {
		t.Errorf("merged: unlisted %+v, summary %+v", merged.Unlisted, merged.Summary)
	}

	cfg.Regions = []string{"ap-east-1", "me-south-1"}
	if rep, err := aws.RunFleet(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "ap-east-1") {
		t.Errorf("no region listed: %v, %+v", err, rep)
	}
}
