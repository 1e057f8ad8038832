package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/fnscan/fnscan/scan"
)

// Exit codes.
const (
	exitOK     = 0
	exitPolicy = 1 // the policy gate failed
	exitError  = 2 // bad input, bad usage, or a tool failure
)

// codeError carries the exit status for its error.
type codeError struct {
	code  int
	err   error
	usage string // a usage line printed after the error, for bad flags
}

func (e *codeError) Error() string { return e.err.Error() }

const usage = `fnscan guards serverless deployments.

Usage:
  fnscan sbom TARGET [--layer LAYER.zip]... [-o FORMAT[=FILE]]...
  fnscan scan TARGET [--layer LAYER.zip]... [--db DIR] [--fail-on SEVERITY] [--policy FILE] [--vex FILE]... [-o FORMAT[=FILE]]...
  fnscan secrets TARGET [--layer LAYER.zip]... [--baseline REPORT] [--policy FILE] [-o FORMAT[=FILE]]...
  fnscan config FILE... [--fail-on SEVERITY] [--policy FILE] [-o FORMAT[=FILE]]...
  fnscan scan lambda:NAME|ARN|NAME:ALIAS [--region R] [--profile P] [--endpoint-url URL] [scan flags]
  fnscan scan 'lambda:*' [--region R]... [--concurrency N] [--shard I/N] [-o FORMAT[=FILE]]...
  fnscan merge SHARD.json... [-o FORMAT[=FILE]]...
  fnscan db import [--db DIR] SOURCE...
  fnscan db update [--db DIR] [--ecosystem E]... [--url BASE]
  fnscan db status [--db DIR]
  fnscan keygen [--output-key-prefix P]
  fnscan sign --key KEY ARTIFACT [--bundle OUT]
  fnscan attest --key KEY --predicate-type cyclonedx|verdict --predicate FILE ARTIFACT [--bundle OUT]
  fnscan verify --key PUB --bundle B ARTIFACT|lambda:NAME [--attestation A]... [--require-verdict pass] [--max-age D]
  fnscan version

TARGET is a Lambda zip, a directory, a container image archive (docker save,
OCI archive or layout), an image in a registry (registry:REF, e.g.
registry:123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:1; --platform picks
from a multi-platform index) or an SBOM; force the kind with a prefix: zip:,
dir:, docker-archive:, oci-archive:, oci-dir:, registry:, sbom:.
Outputs (-o): sbom: cyclonedx-json (default), cyclonedx-xml, spdx-json; scan and
secrets and config: table (default), json, sarif, markdown, junit, cyclonedx-json,
cyclonedx-xml, cyclonedx-vex. Add =FILE to write a file; -o repeats.
A lambda: target is a deployed function, fetched from the Lambda API with its
layers and configuration; 'lambda:*' (or a name pattern) scans a fleet into one
report (table, json, markdown), which merge joins back from --shard reports
(docs/fleet.md).
Exit status: 0 pass, 1 policy failure, 2 error (for a fleet: a function not scanned),
128+N when interrupted by signal N (130 Ctrl-C, 143 SIGTERM; reports not written).
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	if in, ok := interruption(ctx); ok {
		// Whatever a stage made of the cancel, the run did not finish.
		fmt.Fprintln(stderr, "fnscan:", in.Error())
		return in.code()
	}
	if err == nil {
		return exitOK
	}
	var ce *codeError
	if errors.As(err, &ce) {
		if ce.err != nil && ce.code != exitPolicy {
			fmt.Fprintln(stderr, "fnscan:", oneLine(ce.err.Error()))
		}
		if ce.usage != "" {
			fmt.Fprintln(stderr, ce.usage)
		}
		return ce.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "fnscan: interrupted")
		return exitError
	}
	fmt.Fprintln(stderr, "fnscan:", oneLine(err.Error()))
	return exitError
}

func oneLine(s string) string { return scan.OneLine(s) }

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &codeError{code: exitError, err: errors.New("no command given")}
	}
	switch args[0] {
	case "sbom":
		return cmdSBOM(ctx, args[1:], stdout, stderr)
	case "scan":
		return cmdScan(ctx, args[1:], stdout, stderr)
	case "secrets":
		return cmdSecrets(ctx, args[1:], stdout, stderr)
	case "db":
		return cmdDB(ctx, args[1:], stdout, stderr)
	case "config":
		return cmdConfig(ctx, args[1:], stdout, stderr)
	case "keygen":
		return cmdKeygen(ctx, args[1:], stdout, stderr)
	case "sign":
		return cmdSign(ctx, args[1:], stdout, stderr)
	case "attest":
		return cmdAttest(ctx, args[1:], stdout, stderr)
	case "verify":
		return cmdVerify(ctx, args[1:], stdout, stderr)
	case "verify-bundle":
		return cmdVerifyBundle(ctx, args[1:], stdout, stderr)
	case "merge":
		return cmdMerge(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		return cmdVersion(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// targetHelp describes TARGET for every command that takes one.
const targetHelp = `TARGET is a Lambda zip (function; add layers with --layer), a directory, a
container image archive (docker save, OCI archive or layout), an image in a
registry (registry:REF) or an SBOM; the kind is recognised from the content,
or forced with a prefix: zip:, dir:, docker-archive:, oci-archive:, oci-dir:,
registry:, sbom:.
`

// commandHelp is each command's usage line and what it does, shown first
// by -h.
var commandHelp = map[string]string{
	"fnscan scan":      "Usage: fnscan scan TARGET [flags]\n\nThe gate: SBOM, vulnerabilities, secrets and deployment configuration checks.\nExit 0 pass, 1 gate failed (default: HIGH and above, any secret), 2 error.\n\n" + targetHelp,
	"fnscan secrets":   "Usage: fnscan secrets TARGET [flags]\n\nHardcoded secrets in every file, nested archive and image layer, and in\ndeployment configuration. Exit 0 none, 1 secrets found, 2 error.\n\n" + targetHelp,
	"fnscan sbom":      "Usage: fnscan sbom TARGET [flags]\n\nA CycloneDX (default) or SPDX SBOM of the target. Exit 0, or 2 on error.\n\n" + targetHelp,
	"fnscan config":    "Usage: fnscan config FILE... [flags]\n\nDeployment configuration checks alone (FNS-CFG rules, docs/config-checks.md)\non SAM/CloudFormation templates, serverless.yml and Terraform files.\nExit 0 pass, 1 gate failed (default: HIGH and above), 2 error.\n",
	"fnscan db import": "Usage: fnscan db import [--db DIR] SOURCE...\n\nImports OSV records: osv.dev export zips, zips or directories of OSV JSON/YAML.\n",
	"fnscan db update": "Usage: fnscan db update [--db DIR] [--ecosystem E]...\n\nDownloads osv.dev exports and imports them in one atomic step.\n",
	"fnscan db status": "Usage: fnscan db status [--db DIR]\n\nPer ecosystem: records, newest modification, source and age.\n",
}

// parse parses flags that may come before or after positional arguments,
// as users of syft and trivy expect. -h prints the command's usage line,
// what it does and its flags; a bad flag is one error line and the usage
// line, once.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	defer fs.SetOutput(out)
	help := commandHelp[fs.Name()]
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				if help == "" { // a command with its own usage text (sign, verify...)
					fs.Usage()
					return nil, err
				}
				fmt.Fprint(out, help)
				if help != "" {
					fmt.Fprintln(out, "\nFlags:")
				}
				fs.PrintDefaults()
				return nil, err
			}
			line, _, _ := strings.Cut(help, "\n")
			if line == "" {
				line = "Usage: " + fs.Name() + " [flags]"
			}
			return nil, &codeError{code: exitError, err: err, usage: line + " (-h for help)"}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// noEmpty refuses the named flags given with an empty value: for a
// threshold, empty would quietly mean the default ("--fail-on $LEVEL" with
// LEVEL unset gates at high).
func noEmpty(fs *flag.FlagSet, name, want string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name && strings.TrimSpace(f.Value.String()) == "" {
			err = fmt.Errorf("--%s: empty value (want %s)", name, want)
		}
	})
	return err
}

// given says whether a flag was on the command line.
func given(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// optBool is a boolean flag that knows whether it was given, so that
// either value overrides the policy file's.
type optBool struct{ v *bool }

func (b *optBool) String() string {
	if b == nil || b.v == nil {
		return ""
	}
	return strconv.FormatBool(*b.v)
}

func (b *optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.v = &v
	return nil
}

func (b *optBool) IsBoolFlag() bool { return true }

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// output is one -o FORMAT[=FILE].
type output struct {
	format string
	file   string    // "" or "-" is stdout
	note   io.Writer // where to say what was written (stderr; nil: quiet)
}

// announce makes each file output say, on w, what it wrote (unless quiet).
func announce(outs []output, w io.Writer, quiet bool) {
	if quiet {
		return
	}
	for i := range outs {
		outs[i].note = w
	}
}

func parseOutputs(specs []string, def string, valid func(string) bool, names string) ([]output, error) {
	if len(specs) == 0 {
		specs = []string{def}
	}
	var outs []output
	stdout := 0
	for _, s := range specs {
		f, file, _ := strings.Cut(s, "=")
		if !valid(f) {
			return nil, fmt.Errorf("-o %s: unknown format %q (want one of %s)", s, f, names)
		}
		if file == "" || file == "-" {
			stdout++
		} else if slices.ContainsFunc(outs, func(o output) bool { return o.file == file }) {
			return nil, fmt.Errorf("-o %s: %s is already an output", s, file)
		}
		outs = append(outs, output{format: f, file: file})
	}
	if stdout > 1 {
		return nil, errors.New("more than one -o writes to stdout: give each a file (-o FORMAT=FILE)")
	}
	return outs, nil
}

// checkOutputs makes sure every output file can be written before the scan
// starts: a typo in a directory should not cost a scan.
func checkOutputs(outs []output) error {
	for _, o := range outs {
		if o.file == "" || o.file == "-" {
			continue
		}
		fi, err := os.Stat(o.file)
		if err == nil && fi.IsDir() {
			return &codeError{code: exitError, err: fmt.Errorf("-o %s=%s: is a directory", o.format, o.file)}
		}
		if err == nil && !fi.Mode().IsRegular() {
			continue // a device or pipe, written in place
		}
		dir := filepath.Dir(o.file)
		di, err := os.Stat(dir)
		switch {
		case err != nil:
			return &codeError{code: exitError, err: fmt.Errorf("-o %s=%s: directory %s: %w", o.format, o.file, dir, unwrapPath(err))}
		case !di.IsDir():
			return &codeError{code: exitError, err: fmt.Errorf("-o %s=%s: %s is not a directory", o.format, o.file, dir)}
		}
		probe, err := os.CreateTemp(dir, ".fnscan-*")
		if err != nil {
			return &codeError{code: exitError, err: fmt.Errorf("-o %s=%s: cannot write in %s: %w", o.format, o.file, dir, unwrapPath(err))}
		}
		probe.Close()
		os.Remove(probe.Name())
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// errWriter remembers the first write error: formats write with fmt and
// tabwriter, which a full disk or closed pipe must not pass silently.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// writeTo runs write and returns its error or the first write error.
func writeTo(w io.Writer, write func(io.Writer) error) error {
	ew := &errWriter{w: w}
	if err := write(ew); err != nil {
		return err
	}
	return ew.err
}

// writeOutput writes to a temp file beside the destination and renames it
// into place, so a failure never leaves a half-written report. A destination
// that exists and is not a regular file (/dev/null, /dev/stdout, a pipe) is
// written directly: renaming over it would replace the device.
func writeOutput(ctx context.Context, o output, stdout io.Writer, write func(io.Writer) error) error {
	// An interrupted run writes nothing: a report of a scan that did not
	// finish would read as complete.
	if err := ctx.Err(); err != nil {
		return err
	}
	if o.file == "" || o.file == "-" {
		if err := writeTo(stdout, write); err != nil {
			return fmt.Errorf("writing %s to stdout: %w", o.format, err)
		}
		return nil
	}
	if fi, err := os.Stat(o.file); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return fmt.Errorf("-o %s=%s: is a directory", o.format, o.file)
		}
		f, err := os.OpenFile(o.file, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("-o %s=%s: %w", o.format, o.file, err)
		}
		if err := writeTo(f, write); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", o.file, unwrapPath(err))
		}
		return f.Close()
	}
	dir := filepath.Dir(o.file)
	tmp, err := os.CreateTemp(dir, ".fnscan-*")
	if err != nil {
		return fmt.Errorf("-o %s=%s: %w", o.format, o.file, unwrapPath(err))
	}
	defer os.Remove(tmp.Name())
	if err := writeTo(tmp, write); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", o.file, unwrapPath(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", o.file, unwrapPath(err))
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), o.file); err != nil {
		return err
	}
	if o.note != nil {
		fmt.Fprintf(o.note, "fnscan: wrote %s to %s\n", o.format, oneLine(o.file))
	}
	return nil
}

// targetFlags are shared by sbom, scan and secrets.
type targetFlags struct {
	layers       listFlag
	outputs      listFlag
	quiet        bool
	maxDepth     int
	maxTotal     int64
	maxEntries   int64
	maxEntrySize int64
	maxRatio     int64
	maxLinks     int
	tempDir      string
	reproducible bool
	platform     string
}

func (tf *targetFlags) register(fs *flag.FlagSet) {
	d := scan.DefaultConfig().Limits
	fs.Var(&tf.layers, "layer", "Lambda layer zip, mounted at /opt (repeatable, in layer order)")
	fs.Var(&tf.outputs, "o", "output FORMAT[=FILE] (repeatable)")
	fs.Var(&tf.outputs, "output", "same as -o")
	fs.BoolVar(&tf.quiet, "quiet", false, "no progress or warnings on stderr")
	fs.BoolVar(&tf.quiet, "q", false, "same as --quiet")
	fs.IntVar(&tf.maxDepth, "max-depth", d.MaxDepth, "nested archive depth to open")
	fs.Int64Var(&tf.maxTotal, "max-total-size", d.MaxTotalBytes, "bytes unpacked in total")
	fs.Int64Var(&tf.maxEntries, "max-entries", d.MaxEntries, "entries unpacked in total")
	fs.Int64Var(&tf.maxEntrySize, "max-entry-size", d.MaxEntryBytes, "bytes of one unpacked entry")
	fs.Int64Var(&tf.maxRatio, "max-ratio", d.MaxRatio, "compression ratio of one entry (zip bombs)")
	fs.IntVar(&tf.maxLinks, "max-symlink-depth", d.MaxLinkHops, "symlinks followed to resolve one path")
	fs.StringVar(&tf.tempDir, "temp-dir", "", "parent directory for the private work dir")
	if fs.Name() != "fnscan secrets" { // no SBOM in its outputs
		fs.BoolVar(&tf.reproducible, "reproducible", false, "same input, same bytes: derived serial number, no timestamp")
	}
	fs.StringVar(&tf.platform, "platform", "", "image to take from a multi-platform index, os/arch[/variant] (default "+scan.DefaultPlatform+"); a registry image for another platform is then an error")
}

// config is the scan these flags describe, reporting to stderr.
func (tf *targetFlags) config(spec string, stderr io.Writer) scan.Config {
	cfg := scan.DefaultConfig()
	cfg.Target, cfg.Layers, cfg.TempDir, cfg.Platform = spec, tf.layers, tf.tempDir, tf.platform
	cfg.Limits.MaxTotalBytes, cfg.Limits.MaxEntries, cfg.Limits.MaxEntryBytes = tf.maxTotal, tf.maxEntries, tf.maxEntrySize
	cfg.Limits.MaxRatio, cfg.Limits.MaxDepth, cfg.Limits.MaxLinkHops = tf.maxRatio, tf.maxDepth, tf.maxLinks
	cfg.Reproducible, cfg.ToolVersion = tf.reproducible, toolVersion()
	cfg.Handler = scan.NewTerminal(stderr, tf.quiet)
	return cfg
}

func target(args []string, cmd string) (string, error) {
	if len(args) != 1 {
		return "", &codeError{code: exitError, err: fmt.Errorf("%s needs exactly one TARGET (got %d); see fnscan help", cmd, len(args))}
	}
	return args[0], nil
}
