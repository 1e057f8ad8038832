package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/fnscan/fnscan/policy"
	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/secrets"
)

// junitFormat writes JUnit XML for CI systems that read only test reports
// (GitLab's artifacts:reports:junit, CodeBuild report groups, Jenkins):
// one test suite per stage that ran, one test case per finding (a failure
// when it counts against the gate, skipped when suppressed, passing when
// below the threshold), and a suite for the gate's verdict. The output is
// valid against Jenkins' junit-10.xsd (testdata/junit).
type junitFormat struct{}

func init() { register(junitFormat{}) }

func (junitFormat) Name() string { return "junit" }

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure"`
	Skipped   *junitMessage `xml:"skipped"`
	SystemOut junitText     `xml:"system-out,omitempty"`
	// where tells apart cases of one name (see add).
	where string
}

// junitMessage is a failure or skipped element: a one-line message, a
// type (the severity) and the details as text.
type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"` // decoding; MarshalXML writes it
}

// MarshalXML writes the details as text with their newlines as they are
// (a chardata field would write each as &#xA;); characters XML cannot
// hold are still replaced.
func (m junitMessage) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "message"}, Value: m.Message})
	if m.Type != "" {
		start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "type"}, Value: m.Type})
	}
	return encodeText(e, start, m.Text)
}

// junitText is an element of text, newlines kept.
type junitText string

func (t junitText) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return encodeText(e, start, string(t))
}

func encodeText(e *xml.Encoder, start xml.StartElement, text string) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if text != "" {
		if err := e.EncodeToken(xml.CharData(text)); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// Suite names, one per stage, and the gate's.
const (
	junitSuiteVulns   = "fnscan.vulnerabilities"
	junitSuiteSecrets = "fnscan.secrets"
	junitSuiteConfig  = "fnscan.config"
	junitSuiteGate    = "fnscan.gate"
)

func (junitFormat) Write(w io.Writer, r *result.Result) error {
	// Every name, path and reason comes from the target or the user: each
	// is made one printable line (control characters, bidi overrides and
	// invalid UTF-8 shown escaped), and encoding/xml escapes markup and
	// replaces what XML 1.0 cannot hold, so the document stays well-formed
	// whatever bytes a path has.
	p := func(s string) string { return Printable(s, "") }
	target := p(r.Target.Name)
	failOn := ""
	if r.Verdict != nil {
		failOn = r.Verdict.FailOn
	}
	doc := junitSuites{Name: "fnscan " + target, Time: "0"}

	if r.Ran(result.StageVulns) {
		s := junitSuite{Name: junitSuiteVulns}
		for _, v := range r.Vulnerabilities {
			c := vulnCase(v, target, p)
			if policy.Fails(v.Severity, failOn) {
				c.Failure = &junitMessage{Message: vulnMessage(v, p), Type: v.Severity, Text: string(c.SystemOut)}
				c.SystemOut = ""
			}
			s.Cases = append(s.Cases, c)
		}
		s.Cases = append(s.Cases, noneFound(len(r.Vulnerabilities), len(r.SuppressedVulnerabilities), "vulnerabilities", target)...)
		for _, v := range r.SuppressedVulnerabilities {
			c := vulnCase(v, target, p)
			c.Skipped = suppressedMessage(v.Suppression, string(c.SystemOut), p)
			c.SystemOut = ""
			s.Cases = append(s.Cases, c)
		}
		doc.add(s)
	}

	if r.Ran(result.StageSecrets) {
		s := junitSuite{Name: junitSuiteSecrets}
		counts := secretsCount(r)
		for _, f := range r.Secrets {
			c := secretCase(f, p)
			if counts {
				c.Failure = &junitMessage{Message: p(f.Description) + ": " + p(f.Redacted), Type: "SECRET", Text: string(c.SystemOut)}
				c.SystemOut = ""
			}
			s.Cases = append(s.Cases, c)
		}
		s.Cases = append(s.Cases, noneFound(len(r.Secrets), len(r.Suppressed), "secrets", target)...)
		for _, f := range r.Suppressed {
			c := secretCase(f, p)
			why := "suppressed"
			if f.Reason != "" {
				why += ": " + p(f.Reason)
			}
			c.Skipped = &junitMessage{Message: why, Text: string(c.SystemOut)}
			c.SystemOut = ""
			s.Cases = append(s.Cases, c)
		}
		doc.add(s)
	}

	if r.Ran(result.StageConfig) {
		s := junitSuite{Name: junitSuiteConfig}
		for _, m := range r.Misconfigurations {
			c := misconfigCase(m, p)
			if policy.Fails(m.Severity, failOn) {
				msg := p(m.Resource) + ": " + p(m.Title)
				if m.Evidence != "" {
					msg += " (" + p(m.Evidence) + ")"
				}
				c.Failure = &junitMessage{Message: msg, Type: m.Severity, Text: string(c.SystemOut)}
				c.SystemOut = ""
			}
			s.Cases = append(s.Cases, c)
		}
		s.Cases = append(s.Cases, noneFound(len(r.Misconfigurations), len(r.SuppressedMisconfigurations), "misconfigurations", target)...)
		for _, m := range r.SuppressedMisconfigurations {
			c := misconfigCase(m, p)
			c.Skipped = suppressedMessage(m.Suppression, string(c.SystemOut), p)
			c.SystemOut = ""
			s.Cases = append(s.Cases, c)
		}
		doc.add(s)
	}

	if v := r.Verdict; v != nil {
		c := junitCase{Name: "verdict", Classname: target, Time: "0"}
		var out []string
		if v.Pass {
			out = append(out, "PASS"+threshold(r))
		} else {
			reasons := p(strings.Join(v.Reasons, "; "))
			out = append(out, "FAIL: "+reasons)
			c.Failure = &junitMessage{Message: "gate failed: " + reasons, Type: "fail-on " + v.FailOn}
		}
		out = append(out, "found: "+summary(r))
		if n := len(r.SuppressedVulnerabilities) + len(r.Suppressed) + len(r.SuppressedMisconfigurations); n > 0 {
			out = append(out, fmt.Sprintf("suppressed: %d", n))
		}
		if d := r.Database; d != nil && len(d.Ecosystems) > 0 {
			out = append(out, "database: "+p(dbAges(d, r.ScanTime)))
		}
		if v.PolicySHA256 != "" {
			out = append(out, "policy sha256: "+v.PolicySHA256)
		}
		if len(r.Warnings) > 0 {
			out = append(out, plural(len(r.Warnings), "warning", "warnings")+":")
			for i, wn := range r.Warnings {
				if i == 20 {
					out = append(out, fmt.Sprintf("  … and %d more (see -o json)", len(r.Warnings)-20))
					break
				}
				out = append(out, "  "+p(wn.String()))
			}
		}
		text := strings.Join(out, "\n") + "\n"
		if c.Failure != nil {
			c.Failure.Text = text
		} else {
			c.SystemOut = junitText(text)
		}
		doc.add(junitSuite{Name: junitSuiteGate, Cases: []junitCase{c}})
	}

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// add counts a suite's test cases and appends it.
func (d *junitSuites) add(s junitSuite) {
	s.Time = "0"
	// GitLab and Jenkins key a test case by classname and name and keep one
	// of each: two findings of a rule on one resource (two statements, two
	// templates) must not collapse into one. A repeated name gets where it is.
	seen := map[[2]string]int{}
	for _, c := range s.Cases {
		seen[[2]string{c.Classname, c.Name}]++
	}
	n := map[[2]string]int{}
	for i := range s.Cases {
		c := &s.Cases[i]
		k := [2]string{c.Classname, c.Name}
		if seen[k] < 2 {
			continue
		}
		n[k]++
		if c.where != "" {
			c.Name += " at " + c.where
		}
		if k2 := [2]string{c.Classname, c.Name}; k2 == k || seen[k2] > 0 {
			c.Name += fmt.Sprintf(" #%d", n[k])
		}
		seen[[2]string{c.Classname, c.Name}]++
	}
	for _, c := range s.Cases {
		s.Tests++
		if c.Failure != nil {
			s.Failures++
		}
		if c.Skipped != nil {
			s.Skipped++
		}
	}
	d.Tests += s.Tests
	d.Failures += s.Failures
	d.Suites = append(d.Suites, s)
}

// noneFound is the passing test case of a stage that found nothing (some
// may have been suppressed), so that CI shows the stage ran.
func noneFound(found, suppressed int, what, target string) []junitCase {
	if found > 0 {
		return nil
	}
	out := "nothing found"
	if suppressed > 0 {
		out = fmt.Sprintf("nothing found that is not suppressed (%d suppressed)", suppressed)
	}
	return []junitCase{{Name: "no " + what, Classname: target, Time: "0", SystemOut: junitText(out + "\n")}}
}

func vulnCase(v result.Vulnerability, target string, p func(string) string) junitCase {
	loc := p(where(v.Locations))
	if loc == "" {
		loc = target
	}
	id := p(v.ID)
	if len(v.Aliases) > 0 {
		id += " (" + p(strings.Join(v.Aliases, ", ")) + ")"
	}
	lines := []string{id + ": " + p(v.Summary)}
	pkg := p(v.Package.Name) + " " + p(v.Package.Version)
	if v.Package.PURL != "" {
		pkg += " (" + p(v.Package.PURL) + ")"
	}
	lines = append(lines, "package: "+pkg, "severity: "+severityText(v))
	if len(v.FixedVersions) > 0 {
		lines = append(lines, "fixed in: "+p(strings.Join(v.FixedVersions, ", ")))
	}
	lines = append(lines, "where: "+loc)
	return junitCase{Name: p(v.ID) + " " + p(v.Package.Name) + " " + p(v.Package.Version), Classname: loc, Time: "0",
		SystemOut: junitText(strings.Join(lines, "\n") + "\n")}
}

func severityText(v result.Vulnerability) string {
	s := v.Severity
	if v.SeverityScore > 0 {
		s += fmt.Sprintf(" %.1f", v.SeverityScore)
	}
	if v.SeveritySource != "" {
		s += " (" + v.SeveritySource + ")"
	}
	return s
}

func vulnMessage(v result.Vulnerability, p func(string) string) string {
	return fmt.Sprintf("%s %s is affected by %s (%s)%s", p(v.Package.Name), p(v.Package.Version), p(v.ID), v.Severity, p(fixedText(v.FixedVersions)))
}

// secretCase shows a secret by its redacted form only, never its value.
func secretCase(f secrets.Finding, p func(string) string) junitCase {
	rule := p(secretRule(f))
	place := p(lineRef(f.Path, f.Line))
	lines := []string{p(f.Description) + ": " + p(f.Redacted), "rule: " + rule, "where: " + place, "origin: " + p(f.Origin.String())}
	return junitCase{Name: rule + " " + place, Classname: p(f.Path), Time: "0", SystemOut: junitText(strings.Join(lines, "\n") + "\n")}
}

func misconfigCase(m result.Misconfiguration, p func(string) string) junitCase {
	res := p(m.Resource)
	if m.ResourceType != "" {
		res += " (" + p(m.ResourceType) + ")"
	}
	lines := []string{p(m.RuleID) + " " + m.Severity + ": " + p(m.Title), "resource: " + res, "where: " + p(lineRef(m.File, m.Line))}
	if m.Evidence != "" {
		lines = append(lines, "evidence: "+p(m.Evidence))
	}
	if m.Remediation != "" {
		lines = append(lines, "remediation: "+p(m.Remediation))
	}
	if m.CheckovID != "" {
		lines = append(lines, "checkov: "+p(m.CheckovID))
	}
	return junitCase{Name: p(m.RuleID) + " " + p(m.Resource), Classname: res, Time: "0", SystemOut: junitText(strings.Join(lines, "\n") + "\n"),
		where: p(lineRef(m.File, m.Line))}
}

// suppressedMessage says why a finding is out of the gate.
func suppressedMessage(s *result.Suppression, details string, p func(string) string) *junitMessage {
	if s == nil {
		return &junitMessage{Message: "suppressed", Text: details}
	}
	if s.Kind == "vex" && s.Reason != "" {
		details += "VEX detail: " + p(s.Reason) + "\n"
	}
	if s.Source != "" {
		details += "suppressed by: " + p(s.Source) + "\n"
	}
	return &junitMessage{Message: "suppressed: " + p(s.String()), Text: details}
}

// secretsCount: secrets count against the gate when the verdict names
// them among its reasons (the policy does whenever secrets fail the gate,
// and does not under --fail-on none).
func secretsCount(r *result.Result) bool {
	if r.Verdict == nil {
		return false
	}
	for _, reason := range r.Verdict.Reasons {
		if strings.HasSuffix(reason, "hardcoded secret") || strings.HasSuffix(reason, "hardcoded secrets") {
			return true
		}
	}
	return false
}
