package aws_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/aws/fakelambda"
)

// fleet120 is 120 functions over three pages: every seventh bundles a
// vulnerable lodash and a leaked key, every fifth uses a layer with a
// vulnerable axios and a leaked key, every third a clean layer, one lies
// about its sha.
func fleet120(t testing.TB, s *fakelambda.Server) {
	vulnLayer := s.AddLayer(fakelambda.Layer{Name: "http", Zip: zipOf(t, merged(npmPackage("nodejs/", "axios", "0.18.0"), leakedKey("nodejs/config.js", 99)))})
	cleanLayer := s.AddLayer(fakelambda.Layer{Name: "util", Zip: zipOf(t, map[string]string{"nodejs/util.js": "1"})})
	for i := range 120 {
		f := fakelambda.Function{Name: fmt.Sprintf("svc-%03d", i), Runtime: "nodejs24.x", Handler: "index.handler", Zip: fnZip(t, i)}
		if i%7 == 0 {
			f.Zip = fnZip(t, i, npmPackage("", "lodash", "4.17.4"), leakedKey("config.js", i))
		}
		if i%5 == 0 {
			f.Layers = append(f.Layers, vulnLayer)
		}
		if i%3 == 0 {
			f.Layers = append(f.Layers, cleanLayer)
		}
		f.LieSHA = i == 61
		s.AddFunction(f)
	}
}

func encodeFleet(t testing.TB, r *aws.FleetReport) []byte {
	var b bytes.Buffer
	if err := r.Write(&b, "json"); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Acceptance 4: shards 1/3, 2/3 and 3/3 of a 120-function fleet cover
// every function exactly once, and merging their JSON reports gives the
// report of the unsharded fleet, byte for byte.
func TestShardsMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("scans 240 functions")
	}
	s := fakelambda.New()
	defer s.Close()
	fleet120(t, s)
	cfg := fleetConfig(t, s)
	// Cataloging 240 functions takes minutes on two shared cores: the
	// findings compared here are the secrets stage's (leaked keys in
	// functions and a layer); TestFleetSharedLayerOnce covers
	// vulnerabilities.
	cfg.Scan.Catalog, cfg.Scan.Vulns = false, false
	whole, err := aws.RunFleet(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Functions) != 120 || whole.Summary.Errors != 1 || whole.Summary.Counts["SECRET"] != 18+24 || whole.Summary.Failed != 18+24-4 ||
		len(whole.Layers) != 2 || whole.Layers[0].Secrets != 1 || len(whole.Layers[0].Functions) != 24 {
		t.Fatalf("whole fleet: %d functions, summary %+v, layers %+v", len(whole.Functions), whole.Summary, whole.Layers)
	}
	seen := map[string]int{}
	var shards []*aws.FleetReport
	for i := 1; i <= 3; i++ {
		c := cfg
		c.Shard = aws.Shard{I: i, N: 3}
		r, err := aws.RunFleet(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if r.Shard != fmt.Sprintf("%d/3", i) || len(r.Functions) < 20 {
			t.Errorf("shard %d: %q with %d functions", i, r.Shard, len(r.Functions))
		}
		for _, f := range r.Functions {
			seen[f.ARN]++
		}
		// Through JSON, as shard reports travel.
		back, err := aws.ReadFleetReport(bytes.NewReader(encodeFleet(t, r)))
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, back)
	}
	for _, f := range whole.Functions {
		if seen[f.ARN] != 1 {
			t.Errorf("%s scanned by %d shards", f.ARN, seen[f.ARN])
		}
	}
	if len(seen) != 120 {
		t.Errorf("shards scanned %d functions", len(seen))
	}
	m, err := aws.Merge(shards...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := encodeFleet(t, m), encodeFleet(t, whole); !bytes.Equal(got, want) {
		t.Errorf("merged report differs from the unsharded one (summary %+v vs %+v)", m.Summary, whole.Summary)
	}
	if _, err := aws.Merge(shards[0], shards[0]); err == nil {
		t.Error("merging a shard with itself: no error")
	}
}

// The shard of an ARN is stable and the shards partition any list.
func TestShardPartition(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 64} {
		counts := map[int]int{}
		for k := range 1000 {
			arn := fmt.Sprintf("arn:aws:lambda:eu-west-%d:123456789012:function:f-%d", k%3, k)
			owners := 0
			for i := 1; i <= n; i++ {
				if (aws.Shard{I: i, N: n}).Has(arn) {
					owners++
					counts[i]++
				}
			}
			if owners != 1 {
				t.Fatalf("%s: %d owners of %d shards", arn, owners, n)
			}
		}
		for i, c := range counts {
			if n <= 7 && c < 1000/n/2 {
				t.Errorf("%d shards: shard %d has %d of 1000", n, i, c)
			}
		}
	}
	if !(aws.Shard{I: 3, N: 3}).Has("arn:aws:lambda:us-east-1:123456789012:function:svc-000") {
		// A fixed answer: a change of hash would re-deal every fleet.
		t.Error("svc-000 moved shard: the shard hash changed")
	}
	for _, bad := range []string{"0/3", "4/3", "1/0", "a/b", "3", "-1/2"} {
		if _, err := aws.ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q): no error", bad)
		}
	}
	if s, err := aws.ParseShard("2/8"); err != nil || s != (aws.Shard{I: 2, N: 8}) {
		t.Errorf("ParseShard(2/8) = %v, %v", s, err)
	}
}

// leakedKey is a file with an AWS access key pair, different for each n.
func leakedKey(name string, n int) map[string]string {
	return map[string]string{name: fmt.Sprintf("module.exports = {\n  accessKeyId: 'AKIA%016d',\n  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY%010dKEY'\n}\n", 4700000000000000+n, n)}
}
