package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
	if cmd == "scan" {
		fs.StringVar(&sf.db, "db", vuln.DefaultDir(), "vulnerability database directory ($FNSCAN_DB)")
		fs.BoolVar(&sf.noSecrets, "no-secrets", false, "skip the secrets stage")
		fs.BoolVar(&sf.online, "online", false, "query the osv.dev API instead of the local database")
		fs.StringVar(&sf.onlineURL, "online-url", vuln.DefaultAPIURL, "base URL of the OSV API for --online")
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
	// `fnscan secrets` fails on any secret, as gitleaks does; `scan` when a
	// threshold is set.
	pol := policy.Config{FailOn: sf.failOn, Secrets: sf.failOn != "" || cmd == "secrets"}
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
		warnings = t.Warnings
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
				fmt.Fprintf(stderr, "fnscan: warning: %s\n", w)
			}
		}
	}
	rep := report.Build(res, found, pkgs, sec, warnings, version)
	verdict := policy.Evaluate(found, sec.Findings, pol)
	rep.Verdict = &verdict
	for _, o := range outs {
		f, _ := report.Lookup(o.format)
		if err := writeOutput(o, stdout, func(w io.Writer) error { return f.Write(w, rep) }); err != nil {
			return err
		}
	}
	if !verdict.Pass {
		return &codeError{code: exitPolicy, err: errors.New(strings.Join(verdict.Reasons, "; "))}
	}
	return nil
}

// packages turns components into match input, index for index.
func packages(res *sbom.Result) []vuln.Package {
	out := make([]vuln.Package, len(res.Components))
	for i, c := range res.Components {
		out[i] = vuln.Package{Name: c.Name, Version: c.Version, PURL: c.PURL, Source: c.Source}
	}
	return out
}
