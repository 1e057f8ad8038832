package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fnscan/fnscan/report"
	"github.com/fnscan/fnscan/scan"
	"github.com/fnscan/fnscan/sign"
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
	partial   optBool // --fail-on-incomplete
	vex       listFlag
	configs   listFlag
	noConfig  bool
	maxDBAge  string
	signKey   string
	attestDir string
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
	if cmd == "scan" {
		fs.StringVar(&sf.failOn, "fail-on", "", "exit 1 on a vulnerability or misconfiguration at or above this severity (low, medium, high, critical; default high, or the policy file's), on an unrated vulnerability and on any secret; none only reports")
	}
	fs.StringVar(&sf.baseline, "baseline", "", "previous JSON report: secrets with fingerprints in it are suppressed")
	fs.StringVar(&sf.policy, "policy", "", "policy file (YAML): failOn, ignores with reason and expiry, VEX documents (see docs/policy.md)")
	fs.Var(&sf.partial, "fail-on-incomplete", "exit 1 when a file or archive was left unscanned by a limit, a refused entry or corruption (default false, or the policy file's failOnIncomplete)")
	if cmd == "scan" {
		fs.StringVar(&sf.db, "db", def.DB, "vulnerability database directory ($FNSCAN_DB)")
		fs.BoolVar(&sf.noSecrets, "no-secrets", false, "skip the secrets stage")
		fs.BoolVar(&sf.online, "online", false, "query the osv.dev API instead of the local database")
		fs.StringVar(&sf.onlineURL, "online-url", def.OnlineURL, "base URL of the OSV API for --online")
		fs.Var(&sf.vex, "vex", "VEX document (OpenVEX or CycloneDX JSON): not_affected and fixed statements suppress (repeatable)")
		fs.Var(&sf.configs, "config", "deployment config file to check beside the target: SAM/CloudFormation, serverless.yml, Terraform (repeatable)")
		fs.BoolVar(&sf.noConfig, "no-config", false, "skip the deployment configuration checks")
		fs.StringVar(&sf.maxDBAge, "max-db-age", "", "fail (exit 2) when the newest record of an ecosystem the target needs is older, e.g. 30d or 720h")
		fs.StringVar(&sf.signKey, "sign-key", "", "when the gate passes, sign the target and attest its SBOM and verdict with this key (cosign format or KMS reference)")
		fs.StringVar(&sf.attestDir, "attest-dir", ".", "directory for the signature and attestation bundles of --sign-key")
		sf.aws.register(fs)
	}
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if err := noEmpty(fs, "fail-on", "none, low, medium, high or critical"); err != nil {
		return usageErr(err)
	}
	if sf.signKey != "" && strings.EqualFold(strings.TrimSpace(sf.failOn), "none") {
		return usageErr(errors.New("--sign-key attests a gate, and --fail-on none turns it off"))
	}
	spec, err := target(pos, cmd)
	if err != nil {
		return err
	}
	if given(fs, "attest-dir") {
		// Never silently unused: bundles go there only from a file target's
		// gate.
		switch {
		case sf.signKey == "":
			return usageErr(errors.New("--attest-dir holds the bundles of --sign-key, which is not given"))
		case imageSpec(spec):
			return usageErr(errors.New("--attest-dir is for file targets: an image's signature and attestations go beside it, in its registry or OCI layout"))
		}
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
	announce(outs, stderr, sf.quiet)
	cfg := sf.config(spec, stderr)
	cfg.DB, cfg.Online, cfg.OnlineURL = sf.db, sf.online, sf.onlineURL
	cfg.FailOn, cfg.PolicyFile, cfg.VEX, cfg.Baseline = sf.failOn, sf.policy, sf.vex, sf.baseline
	cfg.FailOnIncomplete = sf.partial.v
	cfg.Secrets = !sf.noSecrets
	cfg.Deploy, cfg.ConfigFiles = !sf.noConfig, sf.configs
	if cmd == "secrets" {
		// Secrets alone, failing on any, as gitleaks does.
		cfg.Catalog, cfg.Vulns, cfg.Deploy, cfg.AnySecretFails = false, false, false, true
	}
	if sf.maxDBAge != "" {
		if cfg.MaxDBAge, err = scan.ParseAge(sf.maxDBAge); err != nil {
			return usageErr(fmt.Errorf("--max-db-age %w", err))
		}
	}
	var key *sign.Key
	if sf.signKey != "" {
		if key, err = loadKey(ctx, sf.signKey); err != nil {
			return err
		}
		if err := checkSignable(spec, sf.attestDir); err != nil {
			return err
		}
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
		if err := writeOutput(ctx, o, stdout, func(w io.Writer) error { return f.Write(w, res) }); err != nil {
			return err
		}
	}
	if v := res.Verdict; v != nil && !v.Pass {
		fmt.Fprintf(stderr, "fnscan: policy failed: %s\n", scan.OneLine(strings.Join(v.Reasons, "; ")))
		if key != nil && imageSpec(spec) {
			// An attestation cannot be taken back: the failure is attested
			// so that it outranks an earlier pass (the newest decides).
			d, err := sign.SignAndAttestImage(ctx, key, spec, nil, sign.VerdictOf(res))
			if err != nil {
				return &codeError{code: exitError, err: fmt.Errorf("the gate failed, and its verdict could not be attested: %w", err)}
			}
			fmt.Fprintf(stderr, "fnscan: nothing signed: the gate failed; its verdict is attested to %s\n", d)
		} else if key != nil {
			fmt.Fprintln(stderr, "fnscan: nothing signed: the gate failed")
			if res.Target.Kind != "sbom" {
				removed, err := sign.RemoveOutputs(sf.attestDir, signablePath(spec))
				if len(removed) > 0 {
					fmt.Fprintf(stderr, "fnscan: removed the bundles of an earlier pass: %s\n", strings.Join(removed, ", "))
				}
				if err != nil {
					return &codeError{code: exitError, err: fmt.Errorf("the gate failed, and a bundle of an earlier pass could not be removed: %w", err)}
				}
			}
		}
		return &codeError{code: exitPolicy, err: errors.New(strings.Join(v.Reasons, "; "))}
	}
	if key != nil {
		if v := res.Verdict; v == nil || v.FailOn == "" || v.FailOn == "NONE" {
			return &codeError{code: exitError, err: errors.New("nothing signed: --sign-key attests a gate, and --fail-on none (or failOn: none) turned it off")}
		}
		return signPassed(ctx, key, spec, sf.attestDir, res, sf.quiet, stderr)
	}
	return nil
}

// checkSignable refuses, before the scan, what --sign-key cannot sign.
func checkSignable(spec, dir string) error {
	if strings.HasPrefix(spec, "registry:") {
		return nil // signed and attested in the registry, at the scanned digest
	}
	if path, ok := strings.CutPrefix(spec, "oci-dir:"); ok {
		if fi, err := os.Stat(filepath.Join(path, "index.json")); err != nil || !fi.Mode().IsRegular() {
			return usageErr(fmt.Errorf("--sign-key: %s is not an OCI layout (no index.json)", spec))
		}
		return nil // signed and attested in the layout
	}
	path := signablePath(spec)
	if strings.HasPrefix(spec, "sbom:") {
		return usageErr(fmt.Errorf("--sign-key signs a deployable file; %s is an SBOM", spec))
	}
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return usageErr(fmt.Errorf("--sign-key signs a file target (a function zip or an image archive), an OCI layout (oci-dir:) or a registry image; %s is none of them", spec))
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usageErr(fmt.Errorf("--attest-dir %s: not a directory", dir))
	}
	return nil
}

// signPassed signs the target that passed and attests its SBOM and verdict.
func signPassed(ctx context.Context, key *sign.Key, spec, dir string, res *scan.Result, quiet bool, stderr io.Writer) error {
	if res.Target.Kind == "sbom" {
		return &codeError{code: exitError, err: fmt.Errorf("nothing signed: %s is an SBOM, not a deployable file", spec)}
	}
	path := signablePath(spec)
	var bom bytes.Buffer
	if err := report.WriteSBOM(&bom, res, "cyclonedx-json"); err != nil {
		return err
	}
	if imageSpec(spec) {
		d, err := sign.SignAndAttestImage(ctx, key, spec, bom.Bytes(), sign.VerdictOf(res))
		if err != nil {
			return err
		}
		if !quiet {
			fmt.Fprintf(stderr, "fnscan: signed %s, attested its SBOM and verdict\n", d)
		}
		return nil
	}
	if err := sign.SignAndAttest(ctx, key, path, bom.Bytes(), sign.VerdictOf(res), dir); err != nil {
		return err
	}
	if !quiet {
		o := sign.OutputsFor(dir, path)
		fmt.Fprintf(stderr, "fnscan: signed %s: %s, %s, %s\n", filepath.Base(path), o.Signature, o.SBOM, o.Verdict)
	}
	return nil
}

// imageSpec: an image signed and attested where it is (a registry, an OCI
// layout), not beside it in files.
func imageSpec(spec string) bool {
	return strings.HasPrefix(spec, "registry:") || strings.HasPrefix(spec, "oci-dir:")
}

// signablePath is the file a target spec names: a function zip or an image
// archive, with or without its kind prefix.
func signablePath(spec string) string {
	for _, p := range []string{"zip:", "tar:", "docker-archive:", "oci-archive:"} {
		if rest, ok := strings.CutPrefix(spec, p); ok {
			return rest
		}
	}
	return spec
}
