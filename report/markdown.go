package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/fnscan/fnscan/result"
)

type markdownFormat struct{}

func init() { register(markdownFormat{}) }

func (markdownFormat) Name() string { return "markdown" }

// mdEscape makes a name inert in Markdown: a package called
// "[x](https://evil)" or "@org/team" must not become a link, an image or a
// mention in a pull request comment.
func mdEscape(s string) string {
	return Printable(mdReplacer.Replace(s), "")
}

// mdCode is for text inside a code span, where only the span's own
// delimiter and the table's need care.
func mdCode(s string) string {
	return Printable(strings.NewReplacer("|", `\|`, "\n", " ", "`", "'").Replace(s), "")
}

var mdReplacer = strings.NewReplacer("|", `\|`, "\n", " ", "`", "'",
	`\`, `\\`, "[", `\[`, "]", `\]`, "<", `&lt;`, ">", `&gt;`,
	"*", `\*`, "@", `\@`, "#", `\#`)

func (markdownFormat) Write(out io.Writer, r *result.Result) error {
	w := &mdBudget{left: mdLimit}
	fmt.Fprintf(w, "# fnscan: %s\n\n", mdEscape(r.Target.Name))
	fmt.Fprintf(w, "%s.\n", summary(r))
	if v := r.Verdict; v != nil {
		if v.Pass {
			fmt.Fprintf(w, "\n**Verdict: pass**%s\n", threshold(r))
		} else {
			fmt.Fprintf(w, "\n**Verdict: fail** — %s\n", mdEscape(strings.Join(v.Reasons, "; ")))
		}
	}
	if d := r.Database; d != nil && len(d.Ecosystems) > 0 {
		fmt.Fprintf(w, "\nVulnerability data: %s.\n", mdEscape(dbAges(d, r.ScanTime)))
	}
	if len(r.Vulnerabilities) > 0 {
		fmt.Fprint(w, "\n## Vulnerabilities\n\n| Package | Version | ID | Severity | Fixed in | Where |\n|---|---|---|---|---|---|\n")
		for _, v := range r.Vulnerabilities {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | `%s` |\n", mdEscape(v.Package.Name), mdEscape(v.Package.Version), mdEscape(v.ID), v.Severity,
				mdEscape(strings.Join(v.FixedVersions, ", ")), mdCode(where(v.Locations)))
		}
	}
	if len(r.Secrets) > 0 {
		fmt.Fprint(w, "\n## Secrets\n\n| Rule | Value | Where | Origin |\n|---|---|---|---|\n")
		for _, s := range r.Secrets {
			fmt.Fprintf(w, "| %s | `%s` | `%s` | %s |\n", mdEscape(secretRule(s)), mdCode(s.Redacted), mdCode(lineRef(s.Path, s.Line)), mdEscape(s.Origin.String()))
		}
	}
	if len(r.Misconfigurations) > 0 {
		fmt.Fprint(w, "\n## Misconfigurations\n")
		for _, g := range byResource(r.Misconfigurations) {
			fmt.Fprintf(w, "\n### %s\n\n| Rule | Severity | Finding | Where | Evidence |\n|---|---|---|---|---|\n", mdEscape(g.name))
			for _, m := range g.items {
				fmt.Fprintf(w, "| %s | %s | %s | `%s` | %s |\n", m.RuleID, m.Severity, mdEscape(m.Title), mdCode(lineRef(m.File, m.Line)), mdEscape(m.Evidence))
			}
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "\n## Warnings\n\n")
		for _, wn := range r.Warnings {
			fmt.Fprintf(w, "- `%s`: %s\n", mdCode(wn.Path), mdEscape(wn.Message))
		}
	}
	if len(r.SuppressedVulnerabilities)+len(r.Suppressed)+len(r.SuppressedMisconfigurations) > 0 {
		fmt.Fprint(w, "\n## Suppressed\n\n| Finding | Where | Why |\n|---|---|---|\n")
		for _, v := range r.SuppressedVulnerabilities {
			fmt.Fprintf(w, "| %s in %s %s | `%s` | %s |\n", mdEscape(v.ID), mdEscape(v.Package.Name), mdEscape(v.Package.Version), mdCode(where(v.Locations)), mdEscape(v.Suppression.String()))
		}
		for _, s := range r.Suppressed {
			fmt.Fprintf(w, "| %s `%s` | `%s` | %s |\n", mdEscape(secretRule(s)), mdCode(s.Redacted), mdCode(lineRef(s.Path, s.Line)), mdEscape(s.Reason))
		}
		for _, m := range r.SuppressedMisconfigurations {
			fmt.Fprintf(w, "| %s on %s | `%s` | %s |\n", m.RuleID, mdEscape(m.Resource), mdCode(lineRef(m.File, m.Line)), mdEscape(m.Suppression.String()))
		}
	}
	if w.omitted > 0 {
		w.left, w.full = 1<<30, false
		fmt.Fprintf(w, "\n_%d more rows not shown: a pull request comment holds at most 65,536 characters. The JSON and SARIF reports list every finding._\n", w.omitted)
	}
	_, err := io.WriteString(out, w.b.String())
	return err
}

// mdLimit keeps the document under GitHub's 65,536 characters for a pull
// request comment (bytes are at least as many), with room for the note
// that says what was left out.
const mdLimit = 65536 - 512

// mdBudget is a writer that stops taking table rows and list items once
// the document would pass its limit, and counts the rows it left out; the
// heading, summary and verdict always fit (they come first).
type mdBudget struct {
	b       strings.Builder
	left    int
	omitted int
	full    bool // once something is left out, so is all that follows
}

func (m *mdBudget) Write(p []byte) (int, error) {
	if m.full || len(p) > m.left {
		m.full = true
		if t := strings.TrimLeft(string(p), "\n"); strings.HasPrefix(t, "|") || strings.HasPrefix(t, "- ") {
			m.omitted++
		}
		return len(p), nil
	}
	m.left -= len(p)
	return m.b.Write(p)
}
