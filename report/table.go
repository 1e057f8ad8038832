package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/fnscan/fnscan/result"
)

type tableFormat struct{}

func init() { register(tableFormat{}) }

func (tableFormat) Name() string { return "table" }

func (tableFormat) Write(w io.Writer, r *result.Result) error {
	// Names, paths and reasons come from the target or the user: each is
	// made one printable line before layout, so none can add a line (a fake
	// verdict), break a column or reach the terminal as an escape sequence.
	p := func(s string) string { return Printable(s, "") }
	fmt.Fprintf(w, "%s (%s", p(r.Target.Name), r.Target.Kind)
	if r.Target.SHA256 != "" {
		fmt.Fprintf(w, ", sha256:%s", r.Target.SHA256[:12])
	}
	fmt.Fprintf(w, "): %s", summary(r))
	if n := len(r.SuppressedVulnerabilities) + len(r.Suppressed) + len(r.SuppressedMisconfigurations); n > 0 {
		fmt.Fprintf(w, " (%d more suppressed)", n)
	}
	fmt.Fprintln(w)
	if len(r.Vulnerabilities) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PACKAGE\tVERSION\tID\tSEVERITY\tFIXED IN\tWHERE")
		for _, v := range r.Vulnerabilities {
			sev := v.Severity
			if v.SeverityScore > 0 {
				sev = fmt.Sprintf("%s %.1f", v.Severity, v.SeverityScore)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p(v.Package.Name), p(v.Package.Version), p(v.ID), sev, fixedCell(v.FixedVersions), p(where(v.Locations)))
		}
		tw.Flush()
	}
	if len(r.SuppressedVulnerabilities) > 0 {
		fmt.Fprintf(w, "\n%d suppressed:\n", len(r.SuppressedVulnerabilities))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, v := range r.SuppressedVulnerabilities {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", p(v.Package.Name), p(v.Package.Version), p(v.ID), p(v.Suppression.String()), p(where(v.Locations)))
		}
		tw.Flush()
	}
	if len(r.Secrets) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SECRET\tVALUE\tWHERE\tORIGIN")
		for _, s := range r.Secrets {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p(secretRule(s)), p(s.Redacted), p(lineRef(s.Path, s.Line)), p(s.Origin.String()))
		}
		tw.Flush()
	}
	if n := len(r.Suppressed); n > 0 {
		fmt.Fprintf(w, "\n%s suppressed (inline allow, baseline or ignore; see -o json)\n", plural(n, "secret", "secrets"))
	}
	if len(r.Misconfigurations) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RESOURCE\tRULE\tSEVERITY\tMISCONFIGURATION\tWHERE\tEVIDENCE")
		for _, g := range byResource(r.Misconfigurations) {
			for i, m := range g.items {
				name := ""
				if i == 0 {
					name = g.name
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p(name), m.RuleID, m.Severity, p(m.Title), p(lineRef(m.File, m.Line)), p(clipText(m.Evidence, 60)))
			}
		}
		tw.Flush()
	}
	if n := len(r.SuppressedMisconfigurations); n > 0 {
		fmt.Fprintf(w, "\n%s suppressed:\n", plural(n, "misconfiguration", "misconfigurations"))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, m := range r.SuppressedMisconfigurations {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.RuleID, p(m.Resource), p(m.Suppression.String()))
		}
		tw.Flush()
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "\n%s:\n", plural(len(r.Warnings), "warning", "warnings"))
		for i, wn := range r.Warnings {
			if i == 20 {
				fmt.Fprintf(w, "  … and %d more (see -o json)\n", len(r.Warnings)-20)
				break
			}
			fmt.Fprintf(w, "  %s\n", p(wn.String()))
		}
	}
	if d := r.Database; d != nil && len(d.Ecosystems) > 0 {
		fmt.Fprintf(w, "\ndatabase: %s\n", p(dbAges(d, r.ScanTime)))
	}
	if v := r.Verdict; v != nil {
		if v.Pass {
			fmt.Fprintf(w, "\nverdict: PASS%s\n", threshold(r))
		} else {
			fmt.Fprintf(w, "\nverdict: FAIL: %s\n", p(strings.Join(v.Reasons, "; ")))
		}
	}
	return nil
}

// maxFixedShown and maxFixedWidth keep the FIXED IN column narrow: every row
// is padded to the widest cell, so one record with thousands of fixed
// versions (or one very long one) would widen every line of the table.
// The versions are ascending, so the first ones are the nearest upgrades;
// JSON keeps the full list.
const (
	maxFixedShown = 3
	maxFixedWidth = 24
)

// fixedCell lists the first fixed versions, each made printable and clipped,
// and how many more there are.
func fixedCell(vs []string) string {
	n := min(len(vs), maxFixedShown)
	parts := make([]string, n)
	for i, v := range vs[:n] {
		parts[i] = clipText(Printable(v, ""), maxFixedWidth)
	}
	s := strings.Join(parts, ", ")
	if more := len(vs) - n; more > 0 {
		s += fmt.Sprintf(" (+%d more)", more)
	}
	return s
}
