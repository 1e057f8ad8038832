package secrets

import (
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/zricethezav/gitleaks/v8/config"
)

// hit is a finding inside the package: it still holds the secret, which
// is turned into a fingerprint and a redacted form before leaving.
type hit struct {
	ruleID      string
	description string
	low         bool
	extra       bool
	line        int // 1-based; 0 for path-only rules
	offset      int
	secret      string
	allow       string // inline allow comment, if any
	source      string
	variable    string
}

// engine runs a ruleSet over file contents. It is safe for concurrent use.
type engine struct {
	set *ruleSet
	kws *keywordDFA
}

func newEngine(set *ruleSet) *engine {
	return &engine{set: set, kws: newKeywordDFA(set.keywords)}
}

// matchPath runs the path-only rules.
func (e *engine) matchPath(path string) []hit {
	var out []hit
	for _, ri := range e.set.pathOnly {
		r := e.set.rules[ri]
		if pathAllowed(r.allowlists, path) || !r.path.MatchString(path) {
			continue
		}
		out = append(out, hit{ruleID: r.id, description: r.description, low: r.low, extra: r.extra, secret: path, source: sourceContent})
	}
	return out
}

// lines indexes newline positions of one file, built on first use.
type lines struct {
	text string
	nl   []int
	done bool
}

func (l *lines) index() []int {
	if !l.done {
		l.done = true
		l.nl = make([]int, 0, strings.Count(l.text, "\n"))
		for i := 0; i < len(l.text); {
			j := strings.IndexByte(l.text[i:], '\n')
			if j < 0 {
				break
			}
			l.nl = append(l.nl, i+j)
			i += j + 1
		}
	}
	return l.nl
}

// lineOf returns the 0-based line holding byte offset pos.
func (l *lines) lineOf(pos int) int { return sort.SearchInts(l.index(), pos) }

func (l *lines) start(line int) int {
	if line <= 0 {
		return 0
	}
	nl := l.index()
	if line > len(nl) {
		return len(l.text)
	}
	return nl[line-1] + 1
}

// end returns the offset just past line's newline (or the text end).
func (l *lines) end(line int) int {
	nl := l.index()
	if line < 0 {
		return 0
	}
	if line >= len(nl) {
		return len(l.text)
	}
	return nl[line] + 1
}

// scanOptions narrows the rules for one file.
type scanOptions struct {
	dropLow bool // vendored, minified or test code
	// vendored regions inside the file (a bundle's inlined node_modules),
	// where low-confidence rules do not report.
	vendored []span
	// par runs the rules of a large file on this many goroutines.
	par int
}

// parallelMin is the file size from which one file's rules are spread
// over several goroutines: a bundled Lambda is often a single large file.
const parallelMin = 2 << 20

// scan runs every candidate content rule over text, in one keyword pass.
func (e *engine) scan(path, text string, opt scanOptions) []hit {
	set := e.set
	hitsByKw := make([][]int, len(set.keywords))
	candidate := make([]bool, len(set.rules))
	e.kws.walk(text, func(start int, kw int32) {
		hitsByKw[kw] = append(hitsByKw[kw], start)
		for _, ri := range set.byKeyword[kw] {
			candidate[ri] = true
		}
	})
	for _, ri := range set.always {
		candidate[ri] = true
	}
	// Low-confidence rules only look at keyword hits outside vendored regions.
	lowHits := hitsByKw
	if len(opt.vendored) > 0 {
		lowHits = make([][]int, len(hitsByKw))
		for k, h := range hitsByKw {
			lowHits[k] = outsideSpans(opt.vendored, h)
		}
	}

	var todo []*rule
	for ri, r := range set.rules {
		if !candidate[ri] || r.re == nil || (opt.dropLow && r.low) {
			continue
		}
		if pathAllowed(r.allowlists, path) || (r.path != nil && !r.path.MatchString(path)) {
			continue
		}
		todo = append(todo, r)
	}
	if len(todo) == 0 {
		return nil
	}

	// Most files reach here with no rule to run; the others need a
	// lower-cased copy for the rules' literal searches.
	lower := asciiLower(text)
	ln := &lines{text: text}
	results := make([][]hit, len(todo))
	run := func(i int) {
		r := todo[i]
		hits, vendored := hitsByKw, []span(nil)
		if r.low {
			hits, vendored = lowHits, opt.vendored
		}
		for _, m := range e.matches(r, text, lower, ln, hits, vendored) {
			if vendored != nil && inSpans(vendored, m[0]) {
				continue
			}
			if h, ok := evaluate(set, r, path, text, ln, m); ok {
				results[i] = append(results[i], h)
			}
		}
	}
	if par := min(opt.par, len(todo)); par > 1 && len(text) >= parallelMin {
		ln.index() // built once, before the goroutines share it
		var next atomic.Int64
		var wg sync.WaitGroup
		for range par {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(todo); i = int(next.Add(1) - 1) {
					run(i)
				}
			})
		}
		wg.Wait()
	} else {
		for i := range todo {
			run(i)
		}
	}
	var out []hit
	for _, h := range results {
		out = append(out, h...)
	}
	return preferSpecific(out)
}

// matches finds r's matches: anchored at the places a match can begin,
// on keyword windows, or on the whole text, whichever is exact and
// cheapest. Starts inside vendored spans are skipped.
func (e *engine) matches(r *rule, text string, lower []byte, ln *lines, hitsByKw [][]int, vendored []span) [][]int {
	r.analyze()
	if r.lead != nil && r.lead.usable(text) {
		if starts, ok := r.lead.starts(text, lower, vendored); ok {
			if ms, ok := r.lead.findAll(text, lower, starts); ok {
				return ms
			}
		}
	}
	if !r.window.ok {
		if r.run != nil && !r.run.present(text) {
			return nil
		}
		return r.re.compiled().FindAllStringIndex(text, -1)
	}
	var spans [][2]int
	for _, ki := range r.kwIdx {
		kw := e.set.keywords[ki]
		for _, pos := range hitsByKw[ki] {
			first := ln.lineOf(pos)
			last := ln.lineOf(pos + len(kw) - 1)
			spans = append(spans, [2]int{ln.start(first - r.window.before), ln.end(last + r.window.after)})
		}
	}
	if len(spans) == 0 {
		return nil
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	merged := spans[:1]
	for _, s := range spans[1:] {
		last := &merged[len(merged)-1]
		if s[0] <= last[1] {
			last[1] = max(last[1], s[1])
			continue
		}
		merged = append(merged, s)
	}
	covered := 0
	for _, s := range merged {
		covered += s[1] - s[0]
	}
	if covered*10 > len(text)*7 {
		if r.run != nil && !r.run.present(text) {
			return nil
		}
		return r.re.compiled().FindAllStringIndex(text, -1)
	}
	var out [][]int
	for _, s := range merged {
		for _, m := range r.re.compiled().FindAllStringIndex(text[s[0]:s[1]], -1) {
			out = append(out, []int{m[0] + s[0], m[1] + s[0]})
		}
	}
	return out
}

// evaluate applies gitleaks' per-match logic: trim, secret group, entropy
// and allowlists.
func evaluate(set *ruleSet, r *rule, path, text string, ln *lines, m []int) (hit, bool) {
	match := strings.Trim(text[m[0]:m[1]], "\n")
	start := m[0]
	end := start + len(match)
	first := ln.lineOf(start)
	lineText := text[ln.start(first):min(len(text), max(end, ln.end(ln.lineOf(end))))]
	lineText = strings.TrimRight(lineText, "\r\n")

	secret := match
	// gitleaks re-runs the rule on the match alone to pick the group.
	if groups := r.re.compiled().FindStringSubmatch(match); len(groups) >= 2 {
		if r.secretGroup > 0 {
			if len(groups) <= r.secretGroup {
				return hit{}, false
			}
			secret = groups[r.secretGroup]
		} else {
			for _, g := range groups[1:] {
				if g != "" {
					secret = g
					break
				}
			}
		}
	}
	if r.entropy != 0 && shannonEntropy(secret) <= r.entropy {
		return hit{}, false
	}
	if findingAllowed(set.global, path, secret, match, lineText) || findingAllowed(r.allowlists, path, secret, match, lineText) {
		return hit{}, false
	}
	return hit{
		ruleID:      r.id,
		description: r.description,
		low:         r.low,
		extra:       r.extra,
		line:        first + 1,
		offset:      start,
		secret:      strings.Clone(secret), // not a view pinning the whole file
		allow:       inlineAllow(lineText),
		source:      sourceContent,
	}, true
}

// preferSpecific drops a generic hit when another, specific rule found a
// secret containing it on the same line, as gitleaks does, and drops
// fnscan's extra hits that repeat a gitleaks hit.
func preferSpecific(hits []hit) []hit {
	out := hits[:0:0]
	for i, h := range hits {
		keep := true
		for j, o := range hits {
			if i == j || h.line != o.line || h.ruleID == o.ruleID {
				continue
			}
			contains := strings.Contains(o.secret, h.secret)
			if contains && !o.extra && strings.Contains(h.ruleID, "generic") && !strings.Contains(o.ruleID, "generic") {
				keep = false
				break
			}
			if h.extra && !o.extra && (contains || strings.Contains(h.secret, o.secret)) {
				keep = false
				break
			}
			if h.extra && o.extra && o.secret == h.secret && j < i {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, h)
		}
	}
	return out
}

func findingAllowed(lists []*config.Allowlist, path, secret, match, line string) bool {
	for _, a := range lists {
		target := secret
		switch a.RegexTarget {
		case "match":
			target = match
		case "line":
			target = line
		}
		regexOK := a.RegexAllowed(target)
		stopOK, _ := a.ContainsStopWord(secret)
		if a.MatchCondition == config.AllowlistMatchAnd {
			all := true
			if len(a.Commits) > 0 {
				all = false // no commits in a deployed artifact
			}
			if len(a.Paths) > 0 && !a.PathAllowed(path) {
				all = false
			}
			if len(a.Regexes) > 0 && !regexOK {
				all = false
			}
			if len(a.StopWords) > 0 && !stopOK {
				all = false
			}
			if all {
				return true
			}
		} else if regexOK || stopOK {
			return true
		}
	}
	return false
}

// pathAllowed is gitleaks' path-level allowlist check; AND lists with
// content conditions are left to findingAllowed.
func pathAllowed(lists []*config.Allowlist, path string) bool {
	for _, a := range lists {
		if a.MatchCondition == config.AllowlistMatchAnd {
			if len(a.Regexes) > 0 || len(a.StopWords) > 0 || len(a.Commits) > 0 {
				continue
			}
			if len(a.Paths) > 0 && a.PathAllowed(path) {
				return true
			}
			continue
		}
		if a.PathAllowed(path) {
			return true
		}
	}
	return false
}

// shannonEntropy matches gitleaks: counts per rune, length in bytes.
func shannonEntropy(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]int{}
	for _, c := range s {
		counts[c]++
	}
	inv := 1.0 / float64(len(s))
	var h float64
	for _, n := range counts {
		f := float64(n) * inv
		h -= f * math.Log2(f)
	}
	return h
}

// asciiLower keeps byte offsets aligned with the original, which
// strings.ToLower does not for some non-ASCII text.
func asciiLower(s string) []byte {
	out := make([]byte, len(s))
	for i := range len(s) {
		out[i] = lowerByte(s[i])
	}
	return out
}

const (
	allowMarker         = "fnscan:allow"
	gitleaksAllowMarker = "gitleaks:allow"
)

// inlineAllow returns the suppression reason written on the line, if any.
func inlineAllow(line string) string {
	if i := strings.Index(line, allowMarker); i >= 0 {
		reason := line[i+len(allowMarker):]
		for _, closer := range []string{"*/", "-->", "#}", "%}"} {
			if j := strings.Index(reason, closer); j >= 0 {
				reason = reason[:j]
			}
		}
		reason = strings.TrimSpace(reason)
		if reason == "" {
			return allowMarker
		}
		return allowMarker + " " + reason
	}
	if strings.Contains(line, gitleaksAllowMarker) {
		return gitleaksAllowMarker
	}
	return ""
}
