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

// cmdConfig runs the configuration checks alone on template files.
func cmdConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnscan config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var outputs listFlag
	var failOn, policyFile string
	var quiet bool
	fs.Var(&outputs, "o", "output FORMAT[=FILE] (repeatable)")
	fs.Var(&outputs, "output", "same as -o")
	fs.StringVar(&failOn, "fail-on", "", "exit 1 on a misconfiguration at or above this severity (low, medium, high, critical, none)")
	fs.StringVar(&policyFile, "policy", "", "policy file (YAML): failOn, ignores by rule and resource (see docs/policy.md)")
	fs.BoolVar(&quiet, "quiet", false, "no warnings on stderr")
	fs.BoolVar(&quiet, "q", false, "same as --quiet")
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if err := noEmpty(fs, "fail-on", "none, low, medium, high or critical"); err != nil {
		return usageErr(err)
	}
	if len(pos) == 0 {
		return &codeError{code: exitError, err: errors.New("config needs at least one FILE (a SAM/CloudFormation template, serverless.yml or Terraform file)")}
	}
	outs, err := parseOutputs(outputs, "table", func(n string) bool { _, ok := report.Lookup(n); return ok }, strings.Join(report.Names(), ", "))
	if err != nil {
		return usageErr(err)
	}
	if err := checkOutputs(outs); err != nil {
		return err
	}
	announce(outs, stderr, quiet)
	cfg := scan.DefaultConfig()
	cfg.Catalog, cfg.Vulns, cfg.Secrets = false, false, false
	cfg.ConfigFiles, cfg.FailOn, cfg.PolicyFile, cfg.ToolVersion = pos, failOn, policyFile, toolVersion()
	cfg.Handler = scan.NewTerminal(stderr, quiet)
	res, err := scan.Run(ctx, cfg)
	if err != nil {
		return err
	}
	for _, o := range outs {
		f, _ := report.Lookup(o.format)
		if err := writeOutput(ctx, o, stdout, func(w io.Writer) error { return f.Write(w, res) }); err != nil {
			return err
		}
	}
	if v := res.Verdict; v != nil && !v.Pass {
		fmt.Fprintf(stderr, "fnscan: policy failed: %s\n", scan.OneLine(strings.Join(v.Reasons, "; ")))
		return &codeError{code: exitPolicy, err: errors.New(strings.Join(v.Reasons, "; "))}
	}
	return nil
}
