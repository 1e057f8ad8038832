package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/policy"
	"github.com/fnscan/fnscan/report"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
	"github.com/fnscan/fnscan/vuln"
)

type scanFlags struct {
	targetFlags
	db        string
	failOn    string
	noSecrets bool
	noVulns   bool
	baseline  string
	online    bool
	onlineURL string
	policy    string
	vex       listFlag
}

func cmdScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runScan(ctx, "scan", args, stdout, stderr)
}

// cmdSecrets is scan with only the secrets stage.
func cmdSecrets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runScan(ctx, "secrets", args, stdout, stderr)
}

func runScan(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnscan "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf scanFlags
	sf.register(fs)
	fs.StringVar(&sf.failOn, "fail-on", "", "exit 1 when a vulnerability at or above this severity is found (low, medium, high, critical); secrets always fail when set")
	fs.StringVar(&sf.baseline, "baseline", "", "previous JSON report: secrets with fingerprints in it are suppressed")
	fs.StringVar(&sf.policy, "policy", "", "policy file (YAML): failOn, ignores with reason and expiry, VEX documents (see docs/policy.md)")
	if cmd == "scan" {
		fs.StringVar(&sf.db, "db", vuln.DefaultDir(), "vulnerability database directory ($FNSCAN_DB)")
		fs.BoolVar(&sf.noSecrets, "no-secrets", false, "skip the secrets stage")
		fs.BoolVar(&sf.online, "online", false, "query the osv.dev API instead of the local database")
		fs.StringVar(&sf.onlineURL, "online-url", vuln.DefaultAPIURL, "base URL of the OSV API for --online")
		fs.Var(&sf.vex, "vex", "VEX document (OpenVEX or CycloneDX JSON): not_affected and fixed statements suppress (repeatable)")
	} else {
		sf.noVulns = true
	}
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	spec, err := target(pos, cmd)
	if err != nil {
		return err
	}
	outs, err := parseOutputs(sf.outputs, "table", func(n string) bool { _, ok := report.Lookup(n); return ok }, strings.Join(report.Names(), ", "))
	if err != nil {
		return usageErr(err)
	}
	rules, failOn, err := loadRules(sf.policy, sf.vex, cmd == "scan")
	if err != nil {
		return err
	}
	if sf.failOn != "" { // the flag overrides the file
		failOn = sf.failOn
	}
	// `fnscan secrets` fails on any secret, as gitleaks does; `scan` when a
	// threshold is set.
	pol := policy.Config{FailOn: failOn, Secrets: (failOn != "" && !strings.EqualFold(failOn, "none")) || cmd == "secrets"}
	if err := pol.Validate(); err != nil {
		return usageErr(err)
	}
	// Open the database first: a missing one is an error before any work.
	var db *vuln.DB
	if !sf.noVulns && !sf.online {
		if db, err = vuln.Open(sf.db); err != nil {
			return err
		}
		defer db.Close()
	}
	scfg := secrets.DefaultConfig()
	if sf.baseline != "" {
		if scfg.Baseline, err = secrets.LoadBaseline(sf.baseline); err != nil {
			return fmt.Errorf("--baseline %s: %w", sf.baseline, err)
		}
	}
	res, t, err := openTarget(ctx, spec, &sf.targetFlags, stderr, cmd == "scan")
	if err != nil {
		return err
	}
	if t != nil {
		defer t.Close()
	}
	var warnings []artifact.Warning
	if t != nil {
		// The target's and cataloging's (a bundle whose packages are unchecked).
		warnings = append(warnings, res.Warnings...)
	}
	pkgs := packages(res)
	var found []vuln.Finding
	switch {
	case sf.online && !sf.noVulns:
		if found, err = vuln.OnlineMatch(ctx, sf.onlineURL, pkgs, nil); err != nil {
			return fmt.Errorf("querying %s: %w", sf.onlineURL, err)
		}
	case db != nil:
		if found, err = db.Match(ctx, pkgs); err != nil {
			return fmt.Errorf("matching: %w", err)
		}
	}
	if t == nil && cmd == "secrets" {
		return &codeError{code: exitError, err: fmt.Errorf("%s: an SBOM has no files to scan for secrets; give the package, directory or image", spec)}
	}
	if t == nil && !sf.noSecrets {
		warnings = append(warnings, artifact.Warning{Path: res.Subject.Name, Message: "secrets not scanned: the target is an SBOM"})
	}
	if db != nil {
		warnings = append(warnings, missingEcosystems(db, sf.db, pkgs)...)
	}
	var sec secrets.Result
	if !sf.noSecrets && t != nil {
		scanner, err := secrets.New(scfg)
		if err != nil {
			return err
		}
		files, err := t.Files()
		if err != nil {
			return err
		}
		if sec, err = scanner.Scan(ctx, files); err != nil {
			return err
		}
		if !sf.quiet {
			for _, w := range sec.Warnings {
				fmt.Fprintf(stderr, "fnscan: warning: %s\n", oneLine(w.String()))
			}
		}
	}
	// Nothing below reads the unpacked files: remove them before writing,
	// so an output error or a closed pipe cannot leave them behind.
	if t != nil {
		t.Close()
	}
	if !sf.quiet {
		for _, w := range warnings {
			if w.Path == res.Subject.Name || strings.HasPrefix(w.Message, "no vulnerability records") {
				fmt.Fprintf(stderr, "fnscan: warning: %s\n", oneLine(w.String()))
			}
		}
	}
	// Ignores and VEX statements take findings out of the gate; the report
	// keeps them, with the reason.
	rules.Targets = []string{res.Subject.SHA256, res.Subject.ImageID}
	rules.TargetName = res.Subject.Name
	out := rules.Apply(found, sec.Findings)
	found, sec.Findings = out.Vulns, out.Secrets
	sec.Suppressed = append(sec.Suppressed, out.SuppressedSecrets...)
	for _, w := range out.Warnings {
		warnings = append(warnings, artifact.Warning{Path: rules.Source, Message: w})
		if !sf.quiet {
			fmt.Fprintf(stderr, "fnscan: warning: %s: %s\n", rules.Source, oneLine(w))
		}
	}
	rep := report.Build(res, found, out.SuppressedVulns, pkgs, sec, warnings, version)
	rep.Reproducible = sf.reproducible
	verdict := policy.Evaluate(found, sec.Findings, pol)
	rep.Verdict = &verdict
	for _, o := range outs {
		f, _ := report.Lookup(o.format)
		if err := writeOutput(o, stdout, func(w io.Writer) error { return f.Write(w, rep) }); err != nil {
			return err
		}
	}
	if !verdict.Pass {
		fmt.Fprintf(stderr, "fnscan: policy failed: %s\n", oneLine(strings.Join(verdict.Reasons, "; ")))
		return &codeError{code: exitPolicy, err: errors.New(strings.Join(verdict.Reasons, "; "))}
	}
	return nil
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
	var out []artifact.Warning
	for _, eco := range sortedKeys(count) {
		out = append(out, artifact.Warning{Path: dir, Message: fmt.Sprintf("no vulnerability records for %s (%d components not checked): run `fnscan db import` or `fnscan db update --ecosystem %s`", eco, count[eco], eco)})
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// packages turns components into match input, index for index.
func packages(res *sbom.Result) []vuln.Package {
	out := make([]vuln.Package, len(res.Components))
	for i, c := range res.Components {
		out[i] = vuln.Package{Name: c.Name, Version: c.Version, PURL: c.PURL, Source: c.Source}
	}
	return out
}

// loadRules reads the policy file and VEX documents; the file's failOn is
// returned for the caller to weigh against the flag.
func loadRules(policyFile string, vexFiles []string, withVEX bool) (policy.Rules, string, error) {
	var rules policy.Rules
	var failOn string
	vexPaths := append([]string(nil), vexFiles...)
	if policyFile != "" {
		f, err := policy.LoadFile(policyFile)
		if err != nil {
			return rules, "", &codeError{code: exitError, err: fmt.Errorf("--policy %w", err)}
		}
		rules.Ignores, rules.Source, failOn = f.Ignore, policyFile, f.FailOn
		if withVEX { // `fnscan secrets` has no vulnerabilities for VEX to speak of
			vexPaths = append(f.VEXPaths(), vexPaths...)
		}
	}
	for _, p := range vexPaths {
		st, err := policy.LoadVEX(p)
		if err != nil {
			return rules, "", &codeError{code: exitError, err: fmt.Errorf("VEX %w", err)}
		}
		rules.VEX = append(rules.VEX, st...)
	}
	return rules, failOn, nil
}
