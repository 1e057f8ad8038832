package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/scan"
)

// awsFlags are scan's flags for lambda: targets.
type awsFlags struct {
	regions     listFlag
	profile     string
	endpointURL string
	concurrency int
	shard       string
}

func (a *awsFlags) register(fs *flag.FlagSet) {
	fs.Var(&a.regions, "region", "AWS region of lambda: targets (repeatable for 'lambda:*'; default $AWS_REGION or the profile's)")
	fs.StringVar(&a.profile, "profile", "", "AWS shared config profile for lambda: targets (default $AWS_PROFILE)")
	fs.StringVar(&a.endpointURL, "endpoint-url", "", "endpoint URL of the Lambda and IAM APIs (an emulator), as the AWS CLI's --endpoint-url")
	fs.IntVar(&a.concurrency, "concurrency", 4, "functions scanned at once for 'lambda:*'")
	fs.StringVar(&a.shard, "shard", "", "I/N: scan only this worker's share of 'lambda:*' (by a stable hash of the ARN)")
}

func (a *awsFlags) client() aws.ClientOptions {
	o := aws.DefaultClientOptions()
	o.Profile, o.EndpointURL = a.profile, a.endpointURL
	if len(a.regions) > 0 {
		o.Region = a.regions[0]
	}
	return o
}

// lambdaTarget sets up the lambda: provider from the flags; fleet says
// the spec is a fleet ('lambda:*').
func (a *awsFlags) lambdaTarget(spec string) (fleet bool, err error) {
	isLambda := strings.HasPrefix(spec, aws.ProviderName+":")
	fleet = aws.IsFleetSpec(spec)
	switch {
	case !isLambda && (len(a.regions) > 0 || a.profile != "" || a.endpointURL != "" || a.shard != ""):
		return false, usageErr(errors.New("--region, --profile, --endpoint-url and --shard apply to lambda: targets"))
	case !isLambda:
		return false, nil
	case !fleet && len(a.regions) > 1:
		return false, usageErr(fmt.Errorf("%s is one function: give one --region (several are for 'lambda:*')", spec))
	case !fleet && a.shard != "":
		return false, usageErr(fmt.Errorf("--shard applies to 'lambda:*', not to one function (%s)", spec))
	case a.concurrency < 1:
		return false, usageErr(errors.New("--concurrency must be at least 1"))
	}
	aws.Register(a.client())
	return fleet, nil
}

// scanFleet scans every function the spec matches: per-function results
// and a fleet summary, exit 2 when a function could not be scanned, else
// 1 when one failed the gate.
func scanFleet(ctx context.Context, spec string, a *awsFlags, cfg scan.Config, outputs []string, stdout, stderr io.Writer) error {
	outs, err := parseOutputs(outputs, "table", isFleetFormat, strings.Join(aws.FleetFormats, ", "))
	if err != nil {
		return usageErr(err)
	}
	if err := checkOutputs(outs); err != nil {
		return err
	}
	fc := aws.DefaultFleetConfig()
	fc.Scan, fc.Client, fc.Regions, fc.Concurrency = cfg, a.client(), a.regions, a.concurrency
	fc.Pattern = aws.FleetPattern(spec)
	if a.shard != "" {
		if fc.Shard, err = aws.ParseShard(a.shard); err != nil {
			return usageErr(err)
		}
	}
	rep, err := aws.RunFleet(ctx, fc)
	if err != nil {
		return err
	}
	return writeFleet(ctx, rep, outs, stdout, stderr)
}

func isFleetFormat(f string) bool {
	for _, n := range aws.FleetFormats {
		if f == n {
			return true
		}
	}
	return false
}

// writeFleet writes the report and turns its worst verdict into the exit
// status.
func writeFleet(ctx context.Context, rep *aws.FleetReport, outs []output, stdout, stderr io.Writer) error {
	for _, o := range outs {
		if err := writeOutput(ctx, o, stdout, func(w io.Writer) error { return rep.Write(w, o.format) }); err != nil {
			return err
		}
	}
	s := rep.Summary
	switch s.Worst {
	case aws.VerdictError:
		for _, u := range rep.Unlisted {
			fmt.Fprintf(stderr, "fnscan: %s\n", scan.OneLine(u.Error))
		}
		for _, f := range rep.Functions {
			if f.Error != "" {
				fmt.Fprintf(stderr, "fnscan: %s\n", scan.OneLine(f.Error))
			}
		}
		var why []string
		if n := len(rep.Unlisted); n > 0 {
			why = append(why, fmt.Sprintf("%d regions could not be listed", n))
		}
		if s.Errors > 0 {
			why = append(why, fmt.Sprintf("%d of %d functions could not be scanned", s.Errors, s.Functions))
		}
		return &codeError{code: exitError, err: errors.New(strings.Join(why, "; "))}
	case aws.VerdictFail:
		fmt.Fprintf(stderr, "fnscan: policy failed for %d of %d functions\n", s.Failed, s.Functions)
		return &codeError{code: exitPolicy, err: errors.New("policy failed")}
	}
	return nil
}
