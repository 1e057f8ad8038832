package aws

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/internal/jsonerr"
	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/scan"
)

// FleetSchemaVersion versions the fleet JSON report (docs/fleet.md).
const FleetSchemaVersion = "fleet/1"

// Verdicts of a function and of a fleet, worst last.
const (
	VerdictPass  = "pass"
	VerdictFail  = "fail"  // the policy gate failed
	VerdictError = "error" // the function could not be scanned
)

// FleetReport is a fleet scan, or shards of one merged: one entry per
// function, sorted by ARN; the layers they use; a summary. Everything but
// Functions is derived from Functions, so shard reports merge exactly.
type FleetReport struct {
	SchemaVersion string      `json:"schemaVersion"`
	Tool          result.Tool `json:"tool"`
	// Shard is "I/N" for one shard's report, "" for a whole fleet.
	Shard   string   `json:"shard,omitempty"`
	Regions []string `json:"regions"`
	// Unlisted are the regions whose functions could not be listed: none
	// of theirs is in the report, and the worst verdict is error.
	Unlisted  []RegionError    `json:"unlisted,omitempty"`
	Summary   Summary          `json:"summary"`
	Layers    []LayerUse       `json:"layers"`
	Functions []FunctionResult `json:"functions"`
}

// RegionError is a region whose functions could not be listed, and why.
type RegionError struct {
	Region string `json:"region"`
	Error  string `json:"error"`
}

// FunctionResult is one function: what it is, and its scan's Result or
// the error that kept it from being scanned.
type FunctionResult struct {
	Name        string     `json:"name"`
	ARN         string     `json:"arn"`
	Region      string     `json:"region"`
	Runtime     string     `json:"runtime,omitempty"`
	PackageType string     `json:"packageType,omitempty"`
	CodeSha256  string     `json:"codeSha256,omitempty"`
	Layers      []LayerRef `json:"layers,omitempty"`
	// Verdict is pass, fail or error.
	Verdict string `json:"verdict"`
	// Error says why the function could not be scanned.
	Error  string         `json:"error,omitempty"`
	Result *result.Result `json:"result,omitempty"`
}

// LayerUse is one layer version and every function of the report that
// uses it. Its findings are counted once, from the files of that layer.
type LayerUse struct {
	ARN             string   `json:"arn"`
	CodeSha256      string   `json:"codeSha256"`
	Functions       []string `json:"functions"`
	Vulnerabilities int      `json:"vulnerabilities"`
	Secrets         int      `json:"secrets"`
	// Error says why the layer could not be fetched (its functions are
	// errors too).
	Error string `json:"error,omitempty"`
}

// Summary is the fleet at a glance.
type Summary struct {
	// Worst is the worst function verdict: error, fail, pass.
	Worst     string `json:"worst"`
	Functions int    `json:"functions"`
	Passed    int    `json:"passed"`
	Failed    int    `json:"failed"`
	Errors    int    `json:"errors"`
	// Counts adds up the functions' verdict counts (findings by severity,
	// SECRET).
	Counts map[string]int `json:"counts"`
	// ConfigCounts adds up their misconfigurations by severity.
	ConfigCounts map[string]int `json:"configCounts"`
	// VulnerableLayers are the layers with vulnerabilities, with the
	// functions they reach in Layers.
	VulnerableLayers []string `json:"vulnerableLayers"`
}

// finish sorts the functions and derives everything else from them.
func (r *FleetReport) finish(toolVersion string) {
	r.SchemaVersion = FleetSchemaVersion
	if r.Tool.Name == "" {
		r.Tool = result.Tool{Name: "fnscan", Version: toolVersion}
	}
	slices.SortFunc(r.Functions, func(a, b FunctionResult) int { return cmp.Compare(a.ARN, b.ARN) })
	regions := map[string]bool{}
	s := Summary{Worst: VerdictPass, Counts: map[string]int{}, ConfigCounts: map[string]int{}, VulnerableLayers: []string{}}
	layers := map[string]*LayerUse{}
	type key struct{ layer, finding string }
	vulns, secrets := map[key]bool{}, map[key]bool{}
	for _, f := range r.Functions {
		regions[f.Region] = true
		s.Functions++
		switch f.Verdict {
		case VerdictError:
			s.Errors++
			s.Worst = VerdictError
		case VerdictFail:
			s.Failed++
			if s.Worst == VerdictPass {
				s.Worst = VerdictFail
			}
		default:
			s.Passed++
		}
		bySHA := map[string]string{} // hex sha256 of a layer zip -> its ARN
		for _, l := range f.Layers {
			u := layers[l.ARN]
			if u == nil {
				u = &LayerUse{ARN: l.ARN}
				layers[l.ARN] = u
			}
			u.CodeSha256, u.Error = cmp.Or(u.CodeSha256, l.CodeSha256), cmp.Or(u.Error, l.Error)
			u.Functions = append(u.Functions, f.ARN)
			if raw, err := base64.StdEncoding.DecodeString(l.CodeSha256); err == nil {
				bySHA[hex.EncodeToString(raw)] = l.ARN
			}
		}
		if f.Result == nil {
			continue
		}
		if v := f.Result.Verdict; v != nil {
			for k, n := range v.Counts {
				s.Counts[k] += n
			}
			for k, n := range v.ConfigCounts {
				s.ConfigCounts[k] += n
			}
		}
		// The same layer gives the same findings in every function: count
		// each (finding, file) of a layer once.
		for _, v := range f.Result.Vulnerabilities {
			for _, loc := range v.Locations {
				if arn, ok := layerOf(loc.Origin, bySHA); ok {
					vulns[key{arn, v.ID + "\x00" + v.Package.Name + "\x00" + v.Package.Version + "\x00" + loc.Path}] = true
				}
			}
		}
		for _, sec := range f.Result.Secrets {
			if arn, ok := layerOf(sec.Origin, bySHA); ok {
				secrets[key{arn, sec.Fingerprint}] = true
			}
		}
	}
	for k := range vulns {
		layers[k.layer].Vulnerabilities++
	}
	for k := range secrets {
		layers[k.layer].Secrets++
	}
	r.Layers = []LayerUse{}
	for _, arn := range slices.Sorted(maps.Keys(layers)) {
		u := layers[arn]
		slices.Sort(u.Functions)
		u.Functions = slices.Compact(u.Functions)
		r.Layers = append(r.Layers, *u)
		if u.Vulnerabilities > 0 {
			s.VulnerableLayers = append(s.VulnerableLayers, arn)
		}
	}
	r.Regions = slices.Sorted(maps.Keys(regions))
	slices.SortFunc(r.Unlisted, func(a, b RegionError) int { return cmp.Compare(a.Region, b.Region) })
	if len(r.Unlisted) > 0 {
		s.Worst = VerdictError
	}
	if r.Functions == nil {
		r.Functions = []FunctionResult{}
	}
	r.Summary = s
}

func layerOf(o artifact.Origin, bySHA map[string]string) (string, bool) {
	if o.Kind != artifact.OriginLayer {
		return "", false
	}
	arn, ok := bySHA[o.SHA256]
	return arn, ok
}

// Merge joins shard reports into one report of the whole fleet, as one
// process scanning every shard would have written it. The reports must be
// shards 1/N … N/N of one split, each once, or all whole-fleet reports (of
// other regions, say): a missing shard would pass as the whole fleet. A
// function in two reports is an error: the shards overlap.
func Merge(reports ...*FleetReport) (*FleetReport, error) {
	if len(reports) == 0 {
		return nil, errors.New("nothing to merge")
	}
	for i, r := range reports {
		if r.SchemaVersion != FleetSchemaVersion {
			return nil, fmt.Errorf("report %d: schemaVersion %q, want %q (a fleet report from fnscan scan 'lambda:*' -o json)", i+1, r.SchemaVersion, FleetSchemaVersion)
		}
	}
	if err := checkShards(reports); err != nil {
		return nil, err
	}
	out := &FleetReport{Tool: reports[0].Tool}
	where := map[string]int{}
	unlisted := map[string]bool{}
	for i, r := range reports {
		for _, u := range r.Unlisted {
			if !unlisted[u.Region] {
				unlisted[u.Region] = true
				out.Unlisted = append(out.Unlisted, u)
			}
		}
		for _, f := range r.Functions {
			if j, dup := where[f.ARN]; dup {
				return nil, fmt.Errorf("%s is in report %d and report %d: the shards overlap", f.ARN, j+1, i+1)
			}
			where[f.ARN] = i
			out.Functions = append(out.Functions, f)
		}
	}
	out.finish("")
	return out, nil
}

// checkShards says what keeps the reports from being one whole split.
func checkShards(reports []*FleetReport) error {
	var whole []string
	by := map[int]bool{}       // the N of every shard
	at := map[Shard][]string{} // report numbers
	for i, r := range reports {
		if r.Shard == "" {
			whole = append(whole, fmt.Sprint(i+1))
			continue
		}
		sh, err := ParseShard(r.Shard)
		if err != nil {
			return fmt.Errorf("report %d: shard %q is not I/N", i+1, r.Shard)
		}
		by[sh.N] = true
		at[sh] = append(at[sh], fmt.Sprint(i+1))
	}
	switch {
	case len(by) == 0:
		return nil
	case len(whole) > 0:
		what := "report " + whole[0] + " is a whole fleet"
		if len(whole) > 1 {
			what = "reports " + strings.Join(whole, ", ") + " are whole fleets"
		}
		return fmt.Errorf("%s, the others shards: a whole-fleet report cannot be merged with shards", what)
	case len(by) > 1:
		var splits []string
		for i, r := range reports {
			splits = append(splits, fmt.Sprintf("%s (report %d)", r.Shard, i+1))
		}
		return fmt.Errorf("the reports are shards of different splits: %s; merge the shards of one split", strings.Join(splits, ", "))
	}
	n := slices.Collect(maps.Keys(by))[0]
	var missing, twice []string
	for i := 1; i <= n; i++ {
		switch rs := at[Shard{I: i, N: n}]; {
		case len(rs) == 0:
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		case len(rs) > 1:
			twice = append(twice, fmt.Sprintf("%d/%d in reports %s", i, n, strings.Join(rs, ", ")))
		}
	}
	var problems []string
	if len(twice) > 0 {
		problems = append(problems, "given more than once (the shards overlap): "+strings.Join(twice, "; "))
	}
	if len(missing) > 0 {
		problems = append(problems, "missing: "+strings.Join(missing, ", "))
	}
	if len(problems) > 0 {
		return fmt.Errorf("not every shard of %d exactly once: %s", n, strings.Join(problems, "; "))
	}
	return nil
}

// ReadFleetReport decodes a fleet JSON report.
func ReadFleetReport(r io.Reader) (*FleetReport, error) {
	var rep FleetReport
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("not a fleet report (fnscan scan 'lambda:*' -o json): %w", jsonerr.Plain(err, ""))
	}
	if rep.SchemaVersion != FleetSchemaVersion {
		return nil, fmt.Errorf("schemaVersion %q, want %q (a fleet report from fnscan scan 'lambda:*' -o json)", rep.SchemaVersion, FleetSchemaVersion)
	}
	return &rep, nil
}

// FleetFormats are the formats a FleetReport is written in.
var FleetFormats = []string{"json", "markdown", "table"}

// Write renders the report in one of FleetFormats.
func (r *FleetReport) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	case "table":
		return r.writeTable(w)
	case "markdown":
		return r.writeMarkdown(w)
	}
	return fmt.Errorf("unknown fleet format %q (want one of %s)", format, strings.Join(FleetFormats, ", "))
}

// counts shows findings (vulnerabilities by severity, secrets) and, after
// "config:", misconfigurations by severity: a gate may fail on either.
func counts(c, config map[string]int) string {
	var parts []string
	for _, k := range []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN", "SECRET"} {
		if c[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ToLower(k), c[k]))
		}
	}
	out := strings.Join(parts, ", ")
	parts = nil
	for _, k := range []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"} {
		if config[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ToLower(k), config[k]))
		}
	}
	if len(parts) > 0 {
		out = strings.TrimPrefix(out+"; config: "+strings.Join(parts, ", "), "; ")
	}
	return cmp.Or(out, "-")
}

// findings is a function's cell: its counts, or why it was not scanned.
func (f FunctionResult) findings() string {
	switch {
	case f.Error != "":
		return f.Error
	case f.Result != nil && f.Result.Verdict != nil:
		return counts(f.Result.Verdict.Counts, f.Result.Verdict.ConfigCounts)
	}
	return "-"
}

func (r *FleetReport) writeTable(w io.Writer) error {
	p := scan.OneLine
	s := r.Summary
	in := ""
	if len(r.Regions) > 0 {
		in = " in " + p(strings.Join(r.Regions, ", "))
	}
	if r.Shard != "" {
		in += " (shard " + r.Shard + ")"
	}
	fmt.Fprintf(w, "fleet: %d functions%s: %d passed, %d failed, %d not scanned; worst: %s\n",
		s.Functions, in, s.Passed, s.Failed, s.Errors, s.Worst)
	for _, u := range r.Unlisted {
		fmt.Fprintf(w, "not listed: %s: %s\n", p(u.Region), p(u.Error))
	}
	if len(r.Functions) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FUNCTION\tREGION\tRUNTIME\tLAYERS\tVERDICT\tFINDINGS")
		for _, f := range r.Functions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", p(f.Name), p(f.Region), p(cmp.Or(f.Runtime, f.PackageType, "-")), len(f.Layers), f.Verdict, p(f.findings()))
		}
		tw.Flush()
	}
	if len(r.Layers) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "LAYER\tFUNCTIONS\tVULNERABILITIES\tSECRETS")
		for _, l := range r.Layers {
			if l.Error != "" {
				fmt.Fprintf(tw, "%s\t%d\t-\t-\tnot fetched: %s\n", p(l.ARN), len(l.Functions), p(l.Error))
				continue
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", p(l.ARN), len(l.Functions), l.Vulnerabilities, l.Secrets)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nfindings: %s\n", counts(s.Counts, s.ConfigCounts))
	return nil
}

func (r *FleetReport) writeMarkdown(w io.Writer) error {
	md := func(s string) string {
		return scan.OneLine(strings.NewReplacer("|", `\|`, "`", "'").Replace(s))
	}
	s := r.Summary
	fmt.Fprintf(w, "# fnscan fleet: %d functions\n\n", s.Functions)
	fmt.Fprintf(w, "**Worst verdict: %s** — %d passed, %d failed, %d not scanned. Regions: %s. Findings: %s.\n",
		s.Worst, s.Passed, s.Failed, s.Errors, cmp.Or(md(strings.Join(r.Regions, ", ")), "none"), counts(s.Counts, s.ConfigCounts))
	if len(r.Unlisted) > 0 {
		fmt.Fprint(w, "\n## Regions not listed\n\nNone of their functions is in this report.\n\n| Region | Error |\n|---|---|\n")
		for _, u := range r.Unlisted {
			fmt.Fprintf(w, "| %s | %s |\n", md(u.Region), md(u.Error))
		}
	}
	fmt.Fprint(w, "\n## Functions\n\n| Function | Region | Runtime | Layers | Verdict | Findings |\n|---|---|---|---|---|---|\n")
	for _, f := range r.Functions {
		fmt.Fprintf(w, "| `%s` | %s | %s | %d | %s | %s |\n", md(f.ARN), md(f.Region), md(cmp.Or(f.Runtime, f.PackageType, "-")), len(f.Layers), f.Verdict, md(f.findings()))
	}
	if len(r.Layers) > 0 {
		fmt.Fprint(w, "\n## Layers\n\n| Layer | Functions | Vulnerabilities | Secrets |\n|---|---|---|---|\n")
		for _, l := range r.Layers {
			if l.Error != "" {
				fmt.Fprintf(w, "| `%s` | %d | - | - (not fetched: %s) |\n", md(l.ARN), len(l.Functions), md(l.Error))
				continue
			}
			fmt.Fprintf(w, "| `%s` | %d | %d | %d |\n", md(l.ARN), len(l.Functions), l.Vulnerabilities, l.Secrets)
		}
	}
	return nil
}
