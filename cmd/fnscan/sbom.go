package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"

	"github.com/fnscan/fnscan/report"
	"github.com/fnscan/fnscan/scan"
)

func cmdSBOM(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnscan sbom", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf targetFlags
	tf.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	spec, err := target(pos, "sbom")
	if err != nil {
		return err
	}
	outs, err := parseOutputs(tf.outputs, "cyclonedx-json", report.IsSBOMFormat, strings.Join(report.SBOMFormats, ", "))
	if err != nil {
		return usageErr(err)
	}
	if err := checkOutputs(outs); err != nil {
		return err
	}
	announce(outs, stderr, tf.quiet)
	cfg := tf.config(spec, stderr)
	cfg.Vulns, cfg.Secrets, cfg.Deploy = false, false, false
	res, err := scan.Run(ctx, cfg)
	if err != nil {
		return err
	}
	for _, o := range outs {
		if err := writeOutput(ctx, o, stdout, func(w io.Writer) error { return report.WriteSBOM(w, res, o.format) }); err != nil {
			return err
		}
	}
	return nil
}

func usageErr(err error) error {
	var ce *codeError
	if err == flag.ErrHelp || errors.As(err, &ce) {
		return err
	}
	return &codeError{code: exitError, err: err}
}
