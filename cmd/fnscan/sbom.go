package main

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/sbom"
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
	outs, err := parseOutputs(tf.outputs, "cyclonedx-json", sbom.IsFormat, strings.Join(sbom.Formats, ", "))
	if err != nil {
		return usageErr(err)
	}
	res, t, err := catalog(ctx, spec, &tf, stderr)
	if err != nil {
		return err
	}
	t.Close()
	meta := sbom.Meta{Reproducible: tf.reproducible, ToolVersion: version}
	for _, o := range outs {
		if err := writeOutput(o, stdout, func(w io.Writer) error { return res.Encode(w, o.format, meta) }); err != nil {
			return err
		}
	}
	return nil
}

func usageErr(err error) error {
	if err == flag.ErrHelp {
		return err
	}
	return &codeError{code: exitError, err: err}
}

// catalog opens any target (an SBOM file included) and returns its
// components, and the unpacked target (nil for an SBOM) for the caller to
// scan further and Close.
func catalog(ctx context.Context, spec string, tf *targetFlags, stderr io.Writer) (*sbom.Result, *artifact.Target, error) {
	return openTarget(ctx, spec, tf, stderr, true)
}

// openTarget is catalog with cataloging optional: `fnscan secrets` only
// reads files.
func openTarget(ctx context.Context, spec string, tf *targetFlags, stderr io.Writer, withCatalog bool) (*sbom.Result, *artifact.Target, error) {
	kind, p := artifact.ParseSpec(spec)
	if kind == "" {
		if k, err := artifact.Detect(p); err == nil && k == artifact.KindSBOM {
			kind = k
		}
	}
	if kind == artifact.KindSBOM {
		res, err := sbom.Read(p)
		return res, nil, err
	}
	prog := newProgress(stderr, tf.quiet)
	opts := tf.options(prog)
	t, err := artifact.Open(ctx, spec, opts)
	if err != nil {
		return nil, nil, err
	}
	if !withCatalog {
		return sbom.Uncataloged(t), t, nil
	}
	prog.status("cataloging packages")
	cfg := sbom.DefaultConfig()
	cfg.ToolVersion = version
	cfg.Warn = prog.warn
	// syft unpacks jars into os.TempDir(); keep that inside the work dir,
	// which Close removes.
	restore := tempDirInside(t.WorkDir())
	res, err := sbom.Catalog(ctx, t, cfg)
	restore()
	prog.clear()
	if err != nil {
		t.Close()
		return nil, nil, err
	}
	return res, t, nil
}

func tempDirInside(work string) func() {
	dir := filepath.Join(work, "tmp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return func() {}
	}
	old, had := os.LookupEnv("TMPDIR")
	os.Setenv("TMPDIR", dir)
	return func() {
		if had {
			os.Setenv("TMPDIR", old)
		} else {
			os.Unsetenv("TMPDIR")
		}
	}
}
