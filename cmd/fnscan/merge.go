package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fnscan/fnscan/aws"
)

// cmdMerge joins the fleet JSON reports of shards into one report; its
// exit status is the merged fleet's, as scan's would have been.
func cmdMerge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnscan merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var outputs listFlag
	fs.Var(&outputs, "o", "output FORMAT[=FILE] (repeatable): "+strings.Join(aws.FleetFormats, ", "))
	fs.Var(&outputs, "output", "same as -o")
	files, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if len(files) == 0 {
		return usageErr(errors.New("merge needs the shard reports (fnscan scan 'lambda:*' --shard I/N -o json=FILE)"))
	}
	outs, err := parseOutputs(outputs, "table", isFleetFormat, strings.Join(aws.FleetFormats, ", "))
	if err != nil {
		return usageErr(err)
	}
	if err := checkOutputs(outs); err != nil {
		return err
	}
	var reps []*aws.FleetReport
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, unwrapPath(err))
		}
		r, err := aws.ReadFleetReport(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		reps = append(reps, r)
	}
	m, err := aws.Merge(reps...)
	if err != nil {
		return err
	}
	return writeFleet(ctx, m, outs, stdout, stderr)
}
