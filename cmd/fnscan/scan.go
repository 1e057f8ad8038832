package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/fnscan/fnscan/report"
	"github.com/fnscan/fnscan/scan"
)

type scanFlags struct {
	targetFlags
	db        string
	failOn    string
	noSecrets bool
	baseline  string
	online    bool
	onlineURL string
	policy    string
	vex       listFlag
	aws       awsFlags
}

func cmdScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return scanCommand(ctx, "scan", args, stdout, stderr)
}

// cmdSecrets is scan with only the secrets stage.
func cmdSecrets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return scanCommand(ctx, "secrets", args, stdout, stderr)
}

func scanCommand(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnscan "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := scan.DefaultConfig()
	var sf scanFlags
	sf.register(fs)
	fs.StringVar(&sf.failOn, "fail-on", "", "exit 1 when a vulnerability at or above this severity is found (low, medium, high, critical); secrets always fail when set")
	fs.StringVar(&sf.baseline, "baseline", "", "previous JSON report: secrets with fingerprints in it are suppressed")
	fs.StringVar(&sf.policy, "policy", "", "policy file (YAML): failOn, ignores with reason and expiry, VEX documents (see docs/policy.md)")
	if cmd == "scan" {
		fs.StringVar(&sf.db, "db", def.DB, "vulnerability database directory ($FNSCAN_DB)")
		fs.BoolVar(&sf.noSecrets, "no-secrets", false, "skip the secrets stage")
		fs.BoolVar(&sf.online, "online", false, "query the osv.dev API instead of the local database")
		fs.StringVar(&sf.onlineURL, "online-url", def.OnlineURL, "base URL of the OSV API for --online")
		fs.Var(&sf.vex, "vex", "VEX document (OpenVEX or CycloneDX JSON): not_affected and fixed statements suppress (repeatable)")
		sf.aws.register(fs)
	}
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	spec, err := target(pos, cmd)
	if err != nil {
		return err
	}
	fleet, err := sf.aws.lambdaTarget(spec)
	if err != nil {
		return err
	}
	outs, err := parseOutputs(sf.outputs, "table", func(n string) bool { _, ok := report.Lookup(n); return ok }, strings.Join(report.Names(), ", "))
	if err != nil {
		return usageErr(err)
	}
	if err := checkOutputs(outs); err != nil {
		return err
	}
	cfg := sf.config(spec, stderr)
	cfg.DB, cfg.Online, cfg.OnlineURL = sf.db, sf.online, sf.onlineURL
	cfg.FailOn, cfg.PolicyFile, cfg.VEX, cfg.Baseline = sf.failOn, sf.policy, sf.vex, sf.baseline
	cfg.Secrets = !sf.noSecrets
	if cmd == "secrets" {
		// Secrets alone, failing on any, as gitleaks does.
		cfg.Catalog, cfg.Vulns, cfg.AnySecretFails = false, false, true
	}
	if fleet {
		return scanFleet(ctx, spec, &sf.aws, cfg, sf.outputs, stdout, stderr)
	}
	res, err := scan.Run(ctx, cfg)
	if err != nil {
		return err
	}
	for _, o := range outs {
		f, _ := report.Lookup(o.format)
		if err := writeOutput(o, stdout, func(w io.Writer) error { return f.Write(w, res) }); err != nil {
			return err
		}
	}
	if v := res.Verdict; v != nil && !v.Pass {
		fmt.Fprintf(stderr, "fnscan: policy failed: %s\n", scan.OneLine(strings.Join(v.Reasons, "; ")))
		return &codeError{code: exitPolicy, err: errors.New(strings.Join(v.Reasons, "; "))}
	}
	return nil
}
