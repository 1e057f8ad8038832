package scan

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/policy"
	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
	"github.com/fnscan/fnscan/vuln"
)

// Result is what Run returns: the one result every output reads.
type Result = result.Result

// Run scans one target. Errors are the scan's own (bad input, a limit, no
// database); a failed gate is a Result whose Verdict does not pass. Nothing
// the scan unpacked is left when Run returns.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	col := &Collector{}
	h := both{c: col, h: cfg.Handler}
	defer h.Progress("")

	rules, gate, err := loadPolicy(cfg)
	if err != nil {
		return nil, err
	}
	// Open the database first: a missing one is an error before any work.
	matcher := cfg.Matcher
	var db *vuln.DB
	if cfg.Vulns && matcher == nil {
		if cfg.Online {
			matcher = vuln.Online{URL: cfg.OnlineURL}
		} else {
			if db, err = vuln.Open(cfg.DB); err != nil {
				return nil, err
			}
			defer db.Close()
			matcher = db
		}
	}
	scfg := secrets.DefaultConfig()
	if cfg.Baseline != "" {
		if scfg.Baseline, err = secrets.LoadBaseline(cfg.Baseline); err != nil {
			return nil, fmt.Errorf("--baseline %s: %w", cfg.Baseline, err)
		}
	}

	if cfg.Target == "" {
		return runConfigOnly(ctx, cfg, rules, gate, h, col)
	}
	t, err := artifact.Open(ctx, cfg.Target, artifact.Options{
		Layers: cfg.Layers, Limits: cfg.Limits, TempDir: cfg.TempDir, Platform: cfg.Platform,
		Warn: h.Warning, Status: h.Progress,
	})
	if err != nil {
		return nil, err
	}
	// Nothing after the stages reads the unpacked files: Run removes them
	// before returning, so an output error or a closed pipe cannot leave
	// them behind.
	defer t.Close()

	var sres *sbom.Result
	switch {
	case t.Kind == artifact.KindSBOM:
		if cfg.Secrets && !cfg.Catalog {
			return nil, fmt.Errorf("%s: an SBOM has no files to scan for secrets; give the package, directory or image", cfg.Target)
		}
		if sres, err = sbom.Read(t.Input); err != nil {
			return nil, err
		}
	case cfg.Catalog:
		h.Progress("cataloging packages")
		c := sbom.DefaultConfig()
		c.ToolVersion = cfg.ToolVersion
		c.Warn = h.Warning
		sres, err = sbom.Catalog(ctx, t, c)
		h.Progress("")
		if err != nil {
			return nil, err
		}
	default:
		sres = sbom.Uncataloged(t)
	}

	var found []vuln.Finding
	if matcher != nil {
		pkgs := make([]vuln.Package, len(sres.Components))
		for i, c := range sres.Components {
			pkgs[i] = result.Match(c)
		}
		if found, err = matcher.Match(ctx, pkgs); err != nil {
			if db != nil {
				return nil, fmt.Errorf("matching: %w", err)
			}
			return nil, err
		}
		if t.Kind == artifact.KindSBOM && cfg.Secrets {
			h.Warning(artifact.Warning{Path: sres.Subject.Name, Message: "secrets not scanned: the target is an SBOM"})
		}
		if db != nil {
			for _, w := range missingEcosystems(db, cfg.DB, pkgs) {
				h.Warning(w)
			}
		}
	} else if t.Kind == artifact.KindSBOM && cfg.Secrets {
		h.Warning(artifact.Warning{Path: sres.Subject.Name, Message: "secrets not scanned: the target is an SBOM"})
	}

	var sec secrets.Result
	if cfg.Secrets && t.Kind != artifact.KindSBOM {
		scanner, err := secrets.New(scfg)
		if err != nil {
			return nil, err
		}
		files, err := t.Files()
		if err != nil {
			return nil, err
		}
		if sec, err = scanner.Scan(ctx, files); err != nil {
			return nil, err
		}
		for _, w := range sec.Warnings {
			h.Warning(w)
		}
	}
	var mis []result.Misconfiguration
	if cfg.Deploy {
		h.Progress("checking deployment configuration")
		if t.Kind == artifact.KindSBOM {
			mis, err = configStage(nil, cfg.ConfigFiles, h)
		} else {
			mis, err = configStage(t, cfg.ConfigFiles, h)
		}
		if err != nil {
			return nil, err
		}
	}
	t.Close()

	res := result.New(sres, cfg.ToolVersion)
	res.Reproducible = cfg.Reproducible
	res.Stages = stages(cfg, t.Kind == artifact.KindSBOM)
	res.AddVulnerabilities(found, sres.Components)
	res.Secrets = append(res.Secrets, sec.Findings...)
	res.Suppressed = sec.Suppressed
	res.Misconfigurations = append(res.Misconfigurations, mis...)
	return finish(res, rules, gate, h, col), nil
}

// stages names what ran, for reports.
func stages(cfg Config, sbomTarget bool) []string {
	out := []string{}
	if cfg.Catalog || sbomTarget {
		out = append(out, result.StageSBOM)
	}
	if cfg.Vulns {
		out = append(out, result.StageVulns)
	}
	if cfg.Secrets && !sbomTarget {
		out = append(out, result.StageSecrets)
	}
	if cfg.Deploy {
		out = append(out, result.StageConfig)
	}
	return out
}

// runConfigOnly checks configuration files alone (`fnscan config`).
func runConfigOnly(ctx context.Context, cfg Config, rules policy.Rules, gate policy.Config, h Handler, col *Collector) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mis, err := configStage(nil, cfg.ConfigFiles, h)
	if err != nil {
		return nil, err
	}
	name := cfg.ConfigFiles[0]
	if len(cfg.ConfigFiles) > 1 {
		name = fmt.Sprintf("%s (+%d)", name, len(cfg.ConfigFiles)-1)
	}
	res := result.New(&sbom.Result{Subject: sbom.Subject{Name: name, Kind: "config"}}, cfg.ToolVersion)
	res.Stages = []string{result.StageConfig}
	res.Misconfigurations = append(res.Misconfigurations, mis...)
	return finish(res, rules, gate, h, col), nil
}

// finish applies the policy: ignores and VEX statements take findings out
// of the gate (the Result keeps them, with the reason), then the verdict.
func finish(res *Result, rules policy.Rules, gate policy.Config, h Handler, col *Collector) *Result {
	rules.TargetName = res.Target.Name
	rules.Targets = []string{res.Target.SHA256, res.Target.ImageID}
	for _, w := range rules.Apply(res) {
		h.Warning(artifact.Warning{Path: rules.Source, Message: w})
	}
	res.Warnings = col.Warnings()
	v := policy.Evaluate(res, gate)
	res.Verdict = &v
	return res
}

// loadPolicy reads the policy file and VEX documents and settles the gate:
// the FailOn option overrides the file's.
func loadPolicy(cfg Config) (policy.Rules, policy.Config, error) {
	var rules policy.Rules
	var failOn string
	vexPaths := append([]string(nil), cfg.VEX...)
	if cfg.PolicyFile != "" {
		f, err := policy.LoadFile(cfg.PolicyFile)
		if err != nil {
			return rules, policy.Config{}, fmt.Errorf("--policy %w", err)
		}
		rules.Ignores, rules.Source, failOn = f.Ignore, cfg.PolicyFile, f.FailOn
		if cfg.Vulns { // without vulnerabilities VEX has nothing to speak of
			vexPaths = append(f.VEXPaths(), vexPaths...)
		}
	}
	for _, p := range vexPaths {
		st, err := policy.LoadVEX(p)
		if err != nil {
			return rules, policy.Config{}, fmt.Errorf("VEX %w", err)
		}
		rules.VEX = append(rules.VEX, st...)
	}
	if cfg.FailOn != "" {
		failOn = cfg.FailOn
	}
	gate := policy.Config{FailOn: failOn, Secrets: (failOn != "" && !strings.EqualFold(failOn, "none")) || cfg.AnySecretFails}
	if err := gate.Validate(); err != nil {
		return rules, gate, err
	}
	return rules, gate, nil
}

// missingEcosystems warns about components whose ecosystem has no records
// in the database: a clean result for them would mean nothing.
func missingEcosystems(db *vuln.DB, dir string, pkgs []vuln.Package) []artifact.Warning {
	st, err := db.Status()
	if err != nil {
		return nil
	}
	have := map[string]bool{}
	for _, e := range st {
		have[strings.SplitN(e.Ecosystem, ":", 2)[0]] = true
	}
	count := map[string]int{}
	for _, p := range pkgs {
		if eco := vuln.EcosystemOf(p); eco != "" {
			if base := strings.SplitN(eco, ":", 2)[0]; !have[base] {
				count[base]++
			}
		}
	}
	ecos := make([]string, 0, len(count))
	for k := range count {
		ecos = append(ecos, k)
	}
	sort.Strings(ecos)
	var out []artifact.Warning
	for _, eco := range ecos {
		out = append(out, artifact.Warning{Path: dir, Message: fmt.Sprintf("no vulnerability records for %s (%d components not checked): run `fnscan db import` or `fnscan db update --ecosystem %s`", eco, count[eco], eco)})
	}
	return out
}

// ChildMain runs the helper child processes the scan re-executes its own
// binary as (7z extraction in a memory-limited process). A main calls it
// first: ok means this process was such a child and should exit with code.
func ChildMain(args []string) (code int, ok bool) {
	return artifact.ChildMain(args)
}
