package secrets

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/fnscan/fnscan/artifact"
)

// SourceName is the Source of a finding in a name (a path, a symlink
// target) rather than in a file's content.
const SourceName = "name"

// Name kinds: which text of a target outside file contents a secret was in.
const (
	NamePath    = "path"           // a file's virtual path: a file or directory name
	NameLink    = "symlink target" // a symlink's target
	NameWarning = "warning"        // an entry a warning names (refused, corrupt)
)

var namePhrase = map[string]string{
	NamePath:    "in a file or directory name",
	NameLink:    "in a symlink target",
	NameWarning: "in a name a warning reports",
}

// Name is text of a target that is not a file's content. An archive entry's
// name is attacker-chosen text like any other: a file named after a token
// leaks it in every report that prints the path.
type Name struct {
	Kind string // NamePath, NameLink or NameWarning
	// Path is the entry the text belongs to: the file, the link, or the
	// warning's path. For NamePath it is also the text scanned.
	Path string
	// Text is the link's target or the warning's message.
	Text   string
	Origin artifact.Origin
}

// Redactor finds secrets in names and messages and hides them: every secret
// the rules find in a text it redacts, and every secret found before,
// wherever it appears again (a path repeats in warnings, locations and SBOM
// documents). It is safe for concurrent use.
type Redactor struct {
	mu    sync.Mutex
	known map[string]bool   // secrets found so far
	rep   *strings.Replacer // the known secrets as of the last build; nil before
	built int               // len(known) when rep was built
}

// nameEngine loads the rules once per process (a fleet scan makes one
// Redactor per function).
var nameEngine = sync.OnceValues(func() (*engine, error) {
	set, err := defaultRules()
	if err != nil {
		return nil, fmt.Errorf("secrets: load rules: %w", err)
	}
	return newEngine(set), nil
})

// StartRedactor returns at once, the rules loading in the background (a
// fifth of a second: as long as opening a Lambda zip); the first use waits
// for them. A Redactor whose rules did not load (see Ready) hides the whole
// of every text it is asked to redact.
func StartRedactor() *Redactor {
	go nameEngine()
	return &Redactor{known: map[string]bool{}}
}

// NewRedactor is StartRedactor, waiting for the rules.
func NewRedactor() (*Redactor, error) {
	r := StartRedactor()
	return r, r.Ready()
}

// Ready waits for the rules and says whether they loaded.
func (r *Redactor) Ready() error {
	_, err := nameEngine()
	return err
}

const unredactable = "(not shown: the secret rules did not load)"

// Redact returns s with every secret hidden, in the form findings use
// ("ghp_…(40 chars)"): those the rules find in s and those found earlier.
func (r *Redactor) Redact(s string) string {
	if s == "" {
		return s
	}
	e, err := nameEngine()
	if err != nil {
		return unredactable
	}
	hits := e.nameHits(nil, []string{s})
	r.learn(hits)
	if len(hits) > 0 {
		s = replacer(hits).Replace(s)
	}
	if rep := r.replacer(false); rep != nil {
		s = rep.Replace(s)
	}
	return s
}

// RedactKnown hides the secrets found so far without running the rules: for
// paths whose names were all scanned, and large documents (an SBOM).
func (r *Redactor) RedactKnown(s string) string {
	if rep := r.replacer(true); rep != nil {
		return rep.Replace(s)
	}
	return s
}

// Error returns err with its message redacted, still wrapping err; err
// itself when nothing was hidden.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := r.Redact(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (r *Redactor) learn(hits []hit) {
	if len(hits) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range hits {
		r.know(h.secret)
	}
}

// know adds a secret, and the forms catalogers and formats rewrite names
// into (lower case in a purl, "-" for "_" in a CPE, an SPDX ID's character
// set) when it is long enough for those to be as rare. r.mu is held.
func (r *Redactor) know(s string) {
	r.known[s] = true
	if len([]rune(s)) < minLearnt {
		return
	}
	dash := strings.ReplaceAll(s, "_", "-")
	for _, v := range []string{strings.ToLower(s), dash, strings.ToLower(dash), spdxIDChars.ReplaceAllString(s, "-")} {
		r.known[v] = true
	}
}

// Learn makes the secrets a scan found in files known to RedactKnown and
// Redact: a package's name, version or description, an allow comment's
// reason, can hold the same token. Short values (a generic rule's
// "password=hunter2") are not learnt: hiding every "hunter2" in a report
// would hide more than secrets.
func (r *Redactor) Learn(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if res.found == nil {
		return
	}
	for _, s := range res.found.list {
		if len([]rune(s)) >= minLearnt {
			r.know(s)
		}
	}
}

const minLearnt = 12

// LearnTexts runs the rules that names get (specific ones, no generic
// assignments) over texts and learns what they find, for RedactKnown: the
// texts of a report or an SBOM document, scanned at once before they are
// written.
func (r *Redactor) LearnTexts(texts []string) {
	e, err := nameEngine()
	if err != nil || len(texts) == 0 {
		return
	}
	r.learn(byRule(e.nameHits(nil, texts)))
}

// KnownFormat hides the tokens of a known format the rules find in s and
// says whether there were any: for a value whose variable's name says
// nothing (STRIPE_KEY: sk_live_…). What is only shaped like an AWS secret
// key is a guess for names, not found here.
func (r *Redactor) KnownFormat(s string) (string, bool) {
	e, err := nameEngine()
	if err != nil {
		return unredactable, true
	}
	hits := byRule(e.nameHits(nil, []string{s}))
	if len(hits) == 0 {
		return s, false
	}
	r.learn(hits)
	return replacer(hits).Replace(s), true
}

// byRule drops the hits of awsSecretShapes, found by shape alone.
func byRule(hits []hit) []hit {
	return slices.DeleteFunc(hits, func(h hit) bool { return h.description == awsSecretDesc })
}

var spdxIDChars = regexp.MustCompile(`[^A-Za-z0-9.-]`)

// replacer returns the replacer of the known secrets. Without force it is
// rebuilt only when the known set doubled: hostile input can name
// thousands of secrets one warning at a time, and Redact hides a text's
// own secrets anyway.
func (r *Redactor) replacer(force bool) *strings.Replacer {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.known); n > r.built && (force || n >= 2*r.built) {
		hs := make([]hit, 0, n)
		for k := range r.known {
			hs = append(hs, hit{secret: k})
		}
		r.rep, r.built = replacer(hs), n
	}
	return r.rep
}

// replacer hides each hit's secret, longest first: a secret that contains
// another is replaced whole.
func replacer(hits []hit) *strings.Replacer {
	secrets := make([]string, 0, len(hits))
	for _, h := range hits {
		secrets = append(secrets, h.secret)
	}
	slices.SortFunc(secrets, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	secrets = slices.Compact(secrets)
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, redact(s))
	}
	return strings.NewReplacer(pairs...)
}

// Names finds secrets in names, learns them for Redact and returns them as
// findings located at the entry: for a path, the file or directory whose
// name holds the secret. Findings are redacted, sorted and carry no line.
// None when the rules did not load (see Ready).
func (r *Redactor) Names(names []Name) []Finding {
	e, err := nameEngine()
	if err != nil {
		return nil
	}
	var paths, texts []string
	for _, n := range names {
		if n.Kind == NamePath {
			paths = append(paths, n.Path)
			continue
		}
		texts = append(texts, n.Path)
		if n.Text != "" {
			texts = append(texts, n.Text)
		}
	}
	hits := e.nameHits(paths, texts)
	r.learn(hits)
	if len(hits) == 0 {
		return nil
	}
	bySecret := map[string][]hit{}
	var found []string
	for _, h := range hits {
		if bySecret[h.secret] == nil {
			found = append(found, h.secret)
		}
		if !slices.ContainsFunc(bySecret[h.secret], func(o hit) bool { return o.ruleID == h.ruleID }) {
			bySecret[h.secret] = append(bySecret[h.secret], h)
		}
	}
	slices.Sort(found)

	seen := map[string]bool{}
	var out []Finding
	add := func(kind, loc string, origin artifact.Origin, secret string) {
		for _, h := range bySecret[secret] {
			fp := fingerprint(h.ruleID, SourceName+":"+kind+":"+loc, secret)
			if seen[fp] {
				continue
			}
			seen[fp] = true
			out = append(out, Finding{
				RuleID:      h.ruleID,
				Description: h.description + " (" + namePhrase[kind] + ")",
				Path:        r.RedactKnown(loc),
				Origin:      origin,
				Fingerprint: fp,
				Redacted:    redact(secret),
				Length:      len([]rune(secret)),
				Source:      SourceName,
			})
		}
	}
	for _, n := range names {
		for _, secret := range found {
			// A secret in the path is reported once, at the file or
			// directory whose name holds it: a directory named after a
			// token is one finding, not one per file under it.
			if i := strings.Index(n.Path, secret); i >= 0 {
				end := i + len(secret)
				if j := strings.IndexAny(n.Path[end:], "/!"); j >= 0 {
					end += j
				} else {
					end = len(n.Path)
				}
				add(NamePath, n.Path[:end], n.Origin, secret)
			}
			if n.Text != "" && strings.Contains(n.Text, secret) {
				add(n.Kind, n.Path, n.Origin, secret)
			}
		}
	}
	sortFindings(out)
	return out
}

// Merge adds findings from another pass (names), suppressing those the
// baseline lists, and keeps the order Scan gives.
func (res *Result) Merge(fs []Finding, baseline map[string]bool) {
	if len(fs) == 0 {
		return
	}
	for _, f := range fs {
		if baseline[f.Fingerprint] {
			f.Reason = "baseline"
			res.Suppressed = append(res.Suppressed, f)
		} else {
			res.Findings = append(res.Findings, f)
		}
	}
	sortFindings(res.Findings)
	sortFindings(res.Suppressed)
}

// nameSplit separates the pieces of a name: path separators, the nested
// archive separator, quotes and spacing in messages. Rules that want a
// boundary after a token ("…(?:['\"\s;]|$)") see one after each piece.
const nameSplit = "/!\\\"'`,;:()[]{}<>| \t\r\n"

// nameHits runs the specific rules over names: each text whole, each of its
// pieces, and each piece without its extension ("ghp_….env"). The
// keyword=value rules are left out: a name is not an assignment, and a
// finding in a name fails the gate. Every distinct line is scanned once, in
// one pass over all of them. paths are split at their separators only: a
// path's directories repeat from one path to the next and are skipped.
func (e *engine) nameHits(paths, texts []string) []hit {
	seen := map[string]bool{}
	var lines []string
	addLine := func(s string) {
		if len(s) < 8 || seen[s] { // no rule matches a shorter secret
			return
		}
		seen[s] = true
		lines = append(lines, s)
		if i := strings.LastIndexByte(s, '.'); i > 0 && len(s)-i <= 11 {
			if base := s[:i]; len(base) >= 8 && !seen[base] {
				seen[base] = true
				lines = append(lines, base)
			}
		}
	}
	var prev string
	for _, p := range paths {
		// Sorted paths share their leading directories with the previous one.
		same := 0
		for same < len(p) && same < len(prev) && p[same] == prev[same] {
			same++
		}
		if k := strings.LastIndexAny(p[:same], "/!"); k >= 0 && same < len(p) {
			same = k + 1
		} else if same < len(p) || len(p) != len(prev) {
			same = 0
		}
		prev = p
		for _, piece := range strings.FieldsFunc(p[same:], func(c rune) bool { return c == '/' || c == '!' }) {
			addLine(piece)
		}
	}
	for _, t := range texts {
		addLine(strings.Map(func(c rune) rune {
			if c == '\n' || c == '\r' {
				return ' '
			}
			return c
		}, t))
		for _, p := range strings.FieldsFunc(t, func(c rune) bool { return strings.ContainsRune(nameSplit, c) }) {
			addLine(p)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	text := strings.Join(lines, "\n") + "\n"
	var out []hit
	for _, h := range finish(e.scan("", text, scanOptions{dropLow: true, par: 1})) {
		if h.secret == "" || strings.ContainsAny(h.secret, "\r\n") {
			continue
		}
		// The keywords gate a rule per name, as they would per file: one
		// name mentioning "sourcegraph" must not open its rule to all.
		if kws := e.keywordsOf(h.ruleID); len(kws) > 0 && h.line <= len(lines) {
			line := strings.ToLower(lines[h.line-1])
			if !slices.ContainsFunc(kws, func(k string) bool { return strings.Contains(line, k) }) {
				continue
			}
		}
		out = append(out, h)
	}
	for _, l := range lines {
		out = append(out, awsSecretShapes(l)...)
	}
	slices.SortFunc(out, func(a, b hit) int {
		return cmp.Or(strings.Compare(a.secret, b.secret), strings.Compare(a.ruleID, b.ruleID))
	})
	return out
}

// keywordsOf returns a rule's keywords, lower case.
func (e *engine) keywordsOf(id string) []string {
	for _, r := range e.set.rules {
		if r.id == id {
			return r.keywords
		}
	}
	return nil
}

// awsSecretRule reports an AWS secret access key by its shape alone: in a
// name there is no "aws_secret_access_key =" for a keyword rule to key on.
const (
	awsSecretRule = "aws-secret-access-key"
	awsSecretDesc = "AWS secret access key, by its shape: 40 characters of base64"
)

// awsSecretShapes finds runs of exactly 40 base64 characters (no '/': it
// separates names) mixing upper case, lower case and digits with high
// entropy, and not made of words. Hashes in names are hex or longer;
// CamelCase names ("ValidBasicSelfIssuedCRLSigningKeyTest6EE") are words.
func awsSecretShapes(s string) []hit {
	var out []hit
	isB64 := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+'
	}
	for i := 0; i < len(s); {
		if !isB64(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isB64(s[j]) {
			j++
		}
		if run := s[i:j]; len(run) == 40 && mixedCase(run) && shannonEntropy(run) > 4.2 && wordy(run) < 24 && !isExampleSecret(run) {
			out = append(out, hit{ruleID: awsSecretRule, description: awsSecretDesc, line: 1, secret: run, source: SourceName})
		}
		i = j
	}
	return out
}

// wordy counts the characters in word-like runs ("Policy", "test"): over
// 30 of 40 in CamelCase names, under 24 in 99.8% of random keys.
func wordy(s string) int {
	n := 0
	for i := 0; i < len(s); {
		j := i
		if 'A' <= s[j] && s[j] <= 'Z' {
			j++
		}
		k := j
		for k < len(s) && 'a' <= s[k] && s[k] <= 'z' {
			k++
		}
		if k-j >= 3 {
			n += k - i
			i = k
		} else {
			i++
		}
	}
	return n
}

func mixedCase(s string) bool {
	var up, low, digit bool
	for i := range len(s) {
		c := s[i]
		up = up || 'A' <= c && c <= 'Z'
		low = low || 'a' <= c && c <= 'z'
		digit = digit || '0' <= c && c <= '9'
	}
	return up && low && digit
}
