package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fnscan/fnscan/scan"
)

func cmdDB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &codeError{code: exitError, err: fmt.Errorf("db needs a subcommand: import, update or status")}
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, "Usage: fnscan db import|update|status [--db DIR] ...\n\nThe local OSV vulnerability database ($FNSCAN_DB, else the user cache).\n\n")
		for _, sub := range []string{"import", "update", "status"} {
			fmt.Fprint(stdout, "  "+strings.ReplaceAll(commandHelp["fnscan db "+sub], "\n\n", "\n    "))
		}
		return nil
	}
	fs := flag.NewFlagSet("fnscan db "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("db", scan.DefaultDBDir(), "database directory ($FNSCAN_DB)")
	quiet := fs.Bool("quiet", false, "no warnings on stderr")
	var ecos listFlag
	var base string
	if args[0] == "update" {
		fs.Var(&ecos, "ecosystem", "OSV ecosystem to download (repeatable)")
		fs.StringVar(&base, "url", scan.DefaultDBUpdateURL(), "base URL of the osv.dev export layout")
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return usageErr(err)
	}
	warn := func(s string) {
		if !*quiet {
			fmt.Fprintln(stderr, "fnscan: warning:", scan.OneLine(s))
		}
	}
	var st scan.DBStats
	switch args[0] {
	case "import":
		if len(pos) == 0 {
			return &codeError{code: exitError, err: fmt.Errorf("db import needs at least one SOURCE (an osv.dev export zip, a zip or directory of OSV JSON/YAML)")}
		}
		st, err = scan.ImportDB(ctx, *dir, pos, warn)
	case "update":
		st, err = scan.UpdateDB(ctx, *dir, base, ecos, warn)
	case "status":
		return dbStatus(*dir, stdout)
	default:
		return &codeError{code: exitError, err: fmt.Errorf("unknown db subcommand %q (want import, update or status)", args[0])}
	}
	if err != nil {
		return err
	}
	if st.Read == 0 && st.Withdrawn == 0 {
		return &codeError{code: exitError, err: fmt.Errorf("%s: no OSV records found in %v", *dir, pos)}
	}
	fmt.Fprintf(stdout, "%s: %d records read, %d added, %d updated, %d unchanged, %d withdrawn ignored, %d removed, %d skipped\n",
		*dir, st.Read, st.Added, st.Updated, st.Unchanged, st.Withdrawn, st.Removed, st.Skipped)
	if st.DroppedRanges > 0 {
		fmt.Fprintf(stdout, "%s: %d invalid ranges dropped (see the warnings)\n", *dir, st.DroppedRanges)
	}
	return nil
}

func dbStatus(dir string, stdout io.Writer) error {
	st, err := scan.DBStatus(dir)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ECOSYSTEM\tRECORDS\tNEWEST MODIFIED\tIMPORTED\tSOURCE")
	for _, s := range st {
		age := time.Since(s.ImportedAt).Round(time.Minute)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s ago\t%s\n", s.Ecosystem, s.Records, s.NewestModified.Format("2006-01-02"), age, s.Source)
	}
	return tw.Flush()
}
