package aws_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/aws/fakelambda"
)

// Merge takes the shards of one split, each once, or whole-fleet reports
// only: anything else would pass part of a fleet as the whole.
func TestMergeNeedsEveryShard(t *testing.T) {
	rep := func(shard string, arns ...string) *aws.FleetReport {
		r := &aws.FleetReport{SchemaVersion: aws.FleetSchemaVersion, Shard: shard}
		for _, a := range arns {
			r.Functions = append(r.Functions, aws.FunctionResult{Name: a, ARN: "arn:aws:lambda:us-east-1:123456789012:function:" + a, Region: "us-east-1", Verdict: aws.VerdictPass})
		}
		return r
	}
	for _, c := range []struct {
		name    string
		reports []*aws.FleetReport
		want    string // "" merges
	}{
		{"all three", []*aws.FleetReport{rep("2/3", "b"), rep("1/3", "a"), rep("3/3")}, ""},
		{"whole fleets", []*aws.FleetReport{rep("", "a"), rep("", "b")}, ""},
		{"one of one", []*aws.FleetReport{rep("1/1", "a")}, ""},
		{"one missing", []*aws.FleetReport{rep("1/3", "a"), rep("2/3", "b")}, "not every shard of 3 exactly once: missing: 3/3"},
		{"alone", []*aws.FleetReport{rep("3/3", "c")}, "missing: 1/3, 2/3"},
		{"twice", []*aws.FleetReport{rep("1/2", "a"), rep("1/2", "a"), rep("2/2")}, "given more than once (the shards overlap): 1/2 in reports 1, 2"},
		{"twice and missing", []*aws.FleetReport{rep("1/2"), rep("1/2")}, "1/2 in reports 1, 2; missing: 2/2"},
		{"different splits", []*aws.FleetReport{rep("1/2", "a"), rep("2/3", "b"), rep("3/3", "c")}, "shards of different splits: 1/2 (report 1), 2/3 (report 2), 3/3 (report 3)"},
		{"whole with shards", []*aws.FleetReport{rep("", "a"), rep("1/2", "b"), rep("2/2")}, "report 1 is a whole fleet, the others shards"},
		{"bad shard", []*aws.FleetReport{rep("4/3", "a")}, `report 1: shard "4/3" is not I/N`},
		{"function twice", []*aws.FleetReport{rep("1/2", "a"), rep("2/2", "a")}, "in report 1 and report 2: the shards overlap"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := aws.Merge(c.reports...)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.want == "" && m.Shard != "":
				t.Errorf("merged report has shard %q", m.Shard)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

// A fleet report counts misconfigurations beside vulnerabilities and
// secrets; a layer is named by its own ARN even when another ARN with the
// same bytes was downloaded first; a layer that could not be fetched stays
// in the report with its error.
func TestFleetReportCountsAndLayers(t *testing.T) {
	s := fakelambda.New()
	defer s.Close()
	deps := zipOf(t, leakedKey("nodejs/config.js", 1))
	shared := s.AddLayer(fakelambda.Layer{Name: "shared-deps", Zip: deps})
	copied := s.AddLayer(fakelambda.Layer{Name: "copy-deps", Zip: deps})
	private := s.AddLayer(fakelambda.Layer{Name: "private", Zip: zipOf(t, map[string]string{"nodejs/p.js": "1"}), Denied: true})
	add := func(f fakelambda.Function) {
		f.Runtime, f.Handler, f.Zip = "nodejs24.x", "index.handler", fnZip(t, len(f.Name))
		s.AddFunction(f)
	}
	add(fakelambda.Function{Name: "a-shared", Layers: []string{shared}})
	add(fakelambda.Function{Name: "b-public", Policy: `{"Version":"2012-10-17","Statement":[{"Sid":"anyone","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + s.FunctionARN("b-public") + `"}]}`})
	add(fakelambda.Function{Name: "c-locked", Layers: []string{shared, private}})
	add(fakelambda.Function{Name: "z-copy", Layers: []string{copied}})
	cfg := fleetConfig(t, s)
	cfg.Scan.Catalog, cfg.Scan.Vulns = false, false
	cfg.Concurrency = 1 // shared-deps is fetched before copy-deps
	rep, err := aws.RunFleet(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	fns := map[string]aws.FunctionResult{}
	for _, f := range rep.Functions {
		fns[f.Name] = f
	}

	pub := fns["b-public"]
	if pub.Verdict != aws.VerdictFail || pub.Result == nil || pub.Result.Verdict.ConfigCounts["CRITICAL"] != 1 {
		t.Fatalf("b-public: %s %q %+v", pub.Verdict, pub.Error, pub.Result)
	}
	if rep.Summary.ConfigCounts["CRITICAL"] != 1 || rep.Summary.ConfigCounts["LOW"] == 0 {
		t.Errorf("summary configCounts %v", rep.Summary.ConfigCounts)
	}
	var table, md bytes.Buffer
	rep.Write(&table, "table")
	rep.Write(&md, "markdown")
	for _, want := range []string{"config: critical 1, low ", "\nfindings: secret 2; config: critical 1, low "} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if !strings.Contains(md.String(), "Findings: secret 2; config: critical 1, low ") {
		t.Errorf("markdown:\n%s", md.String())
	}

	for name, layer := range map[string]string{"a-shared": "shared-deps-1.zip", "z-copy": "copy-deps-1.zip"} {
		f := fns[name]
		if f.Result == nil || len(f.Result.Secrets) != 1 {
			t.Fatalf("%s: %s %q", name, f.Verdict, f.Error)
		}
		if sec := f.Result.Secrets[0]; sec.Origin.Name != layer || !strings.HasPrefix(sec.Path, layer+"!") {
			t.Errorf("%s: secret at %s in %s, want %s", name, sec.Path, sec.Origin.Name, layer)
		}
	}
	if n := s.Calls("download:layer:"+shared) + s.Calls("download:layer:"+copied); n != 1 {
		t.Errorf("the same bytes downloaded %d times", n)
	}

	locked := fns["c-locked"]
	if locked.Verdict != aws.VerdictError || len(locked.Layers) != 2 || locked.Layers[0].ARN != shared || locked.Layers[0].Error != "" ||
		locked.Layers[1].ARN != private || !strings.Contains(locked.Layers[1].Error, "GetLayerVersionByArn: AccessDeniedException (HTTP 403)") {
		t.Errorf("c-locked: %s %q layers %+v", locked.Verdict, locked.Error, locked.Layers)
	}
	var use *aws.LayerUse
	for i := range rep.Layers {
		if rep.Layers[i].ARN == private {
			use = &rep.Layers[i]
		}
	}
	if use == nil || use.Error == "" || len(use.Functions) != 1 {
		t.Errorf("layers %+v: want %s with its error", rep.Layers, private)
	}
	row := ""
	for _, line := range strings.Split(table.String(), "\n") {
		if strings.HasPrefix(line, private+" ") {
			row = strings.Join(strings.Fields(line)[1:], " ")
		}
	}
	if !strings.HasPrefix(row, "1 - - not fetched: GetLayerVersionByArn: AccessDeniedException") {
		t.Errorf("table:\n%s", table.String())
	}
}

// A pattern that matches no function is an error naming it and the
// regions listed; a shard dealt none of a matching fleet is not.
func TestFleetNothingMatched(t *testing.T) {
	s := fakelambda.New()
	defer s.Close()
	arn := s.AddFunction(fakelambda.Function{Name: "orders", Runtime: "nodejs24.x", Handler: "index.handler", Zip: fnZip(t, 1)})
	cfg := fleetConfig(t, s)
	cfg.Scan.Catalog, cfg.Scan.Vulns = false, false
	cfg.Pattern = "nomatch-*"
	if _, err := aws.RunFleet(context.Background(), cfg); err == nil || err.Error() != "lambda:nomatch-*: no function matches in us-east-1 (of 1 listed)" {
		t.Errorf("no match: %v", err)
	}
	cfg.Pattern = "*"
	cfg.Shard = aws.Shard{I: 1, N: 2}
	if cfg.Shard.Has(arn) {
		cfg.Shard.I = 2
	}
	rep, err := aws.RunFleet(context.Background(), cfg)
	if err != nil || len(rep.Functions) != 0 || rep.Summary.Worst != aws.VerdictPass {
		t.Fatalf("empty shard: %v %+v", err, rep)
	}
	var table bytes.Buffer
	rep.Write(&table, "table")
	if !strings.HasPrefix(table.String(), "fleet: 0 functions (shard "+cfg.Shard.String()+"): 0 passed") {
		t.Errorf("table:\n%s", table.String())
	}
}
