package secrets

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

// rule is one compiled detection rule, from gitleaks' default config or
// fnscan's own set.
type rule struct {
	id          string
	description string
	re          *pattern // nil for a rule on paths alone
	path        *regexp.Regexp
	secretGroup int
	entropy     float64
	keywords    []string
	allowlists  []*config.Allowlist
	// low marks rules that match on a variable name plus a loosely shaped
	// value; they are dropped in vendored, minified and test code.
	low bool
	// extra marks fnscan's own rules, which run after gitleaks' so that a
	// gitleaks rule wins a tie.
	extra bool
	kwIdx []int // indexes into ruleSet.keywords
	// What the regex tells about its matches, worked out the first time
	// the rule runs: most rules' keywords never occur in a target, and
	// the analysis of all of them took a tenth of a second every run.
	analyzed sync.Once
	window   window
	run      *runReq // a run every match holds; nil when none is useful
	lead     *lead   // how every match begins; nil when unknown
}

// pattern is a rule's expression, compiled on first use: most rules'
// keywords never occur in a target, and compiling all of gitleaks' took a
// third of loading the rules at every start.
type pattern struct {
	src  string
	once sync.Once
	re   *regexp.Regexp
}

func newPattern(src string) *pattern { return &pattern{src: src} }

// compiled is the expression; the default rules' all compile
// (TestRulesCompile).
func (p *pattern) compiled() *regexp.Regexp {
	p.once.Do(func() { p.re = regexp.MustCompile(p.src) })
	return p.re
}

func (p *pattern) String() string { return p.src }

func (r *rule) analyze() {
	r.analyzed.Do(func() {
		if r.re == nil {
			return
		}
		r.window = analyzeWindow(r.re.String(), r.keywords)
		r.run = analyzeRun(r.re.String())
		r.lead = analyzeLead(r.re.String())
	})
}

// ruleSet is shared by every Scanner; only each rule's lazy analysis
// (analyze, once) is written after load.
type ruleSet struct {
	rules     []*rule
	global    []*config.Allowlist
	keywords  []string // all keywords, index = pattern id in the trie
	byKeyword [][]int  // keyword index -> rule indexes
	always    []int    // content rules without keywords
	pathOnly  []int
	byID      map[string]*rule
}

var (
	loadOnce   sync.Once
	loadedSet  *ruleSet
	loadingErr error
)

func defaultRules() (*ruleSet, error) {
	loadOnce.Do(func() {
		cfg, regexes, err := gitleaksConfig()
		if err != nil {
			loadingErr = err
			return
		}
		loadedSet, loadingErr = buildRuleSet(cfg, regexes, fnscanRules())
	})
	return loadedSet, loadingErr
}

// gitleaksConfig translates gitleaks' embedded default TOML, allowlists
// included, the way gitleaks itself does, but without what most runs never
// use and every run paid for at its start: the rules' expressions, returned
// by rule ID to be compiled on first use, and the stop words' trie (60 ms
// and 8 MB), which gitleaks builds when it validates an allowlist. The stop
// words are held back while gitleaks translates, and given back after,
// lower-cased and deduplicated as gitleaks would: unvalidated stop words
// are matched by a loop, with the same answers.
func gitleaksConfig() (cfg config.Config, regexes map[string]string, err error) {
	vc, err := gitleaksViperConfig()
	if err != nil {
		return config.Config{}, nil, err
	}
	// gitleaks is given a placeholder with the groups its check of the
	// secret group counts (TestRulesCompile checks the real ones).
	regexes = map[string]string{}
	for i := range vc.Rules {
		if r := &vc.Rules[i]; r.Regex != "" {
			regexes[r.ID] = r.Regex
			r.Regex = strings.Repeat("()", max(r.SecretGroup, 1))
		}
	}
	// An allowlist is found again after translation by a mark on its
	// description: gitleaks moves allowlists between rules.
	const mark = "\x00stopwords:"
	var held [][]string
	hold := func(desc *string, words *[]string, checks int) {
		if len(*words) == 0 || checks == 0 {
			return // a stop-word-only allowlist must keep them to be valid
		}
		*desc = mark + strconv.Itoa(len(held)) + "\x00" + *desc
		held = append(held, lowerUnique(*words))
		*words = nil
	}
	if a := vc.AllowList; a != nil {
		hold(&a.Description, &a.StopWords, len(a.Commits)+len(a.Paths)+len(a.Regexes))
	}
	for _, a := range vc.Allowlists {
		hold(&a.Description, &a.StopWords, len(a.Commits)+len(a.Paths)+len(a.Regexes))
	}
	for i := range vc.Rules {
		r := &vc.Rules[i]
		if a := r.AllowList; a != nil {
			hold(&a.Description, &a.StopWords, len(a.Commits)+len(a.Paths)+len(a.Regexes))
		}
		for _, a := range r.Allowlists {
			hold(&a.Description, &a.StopWords, len(a.Commits)+len(a.Paths)+len(a.Regexes))
		}
	}
	if cfg, err = vc.Translate(); err != nil {
		return config.Config{}, nil, fmt.Errorf("translate gitleaks default config: %w", err)
	}
	giveBack := func(lists []*config.Allowlist) {
		for _, a := range lists {
			rest, ok := strings.CutPrefix(a.Description, mark)
			if !ok {
				continue // not held, or given back already (shared by rules)
			}
			n, desc, _ := strings.Cut(rest, "\x00")
			k, _ := strconv.Atoi(n)
			a.Description, a.StopWords = desc, held[k]
		}
	}
	giveBack(cfg.Allowlists)
	for _, r := range cfg.Rules {
		giveBack(r.Allowlists)
	}
	return cfg, regexes, nil
}

// gitleaksViperConfig reads gitleaks' embedded default TOML.
func gitleaksViperConfig() (config.ViperConfig, error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
		return config.ViperConfig{}, fmt.Errorf("read gitleaks default config: %w", err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return config.ViperConfig{}, fmt.Errorf("decode gitleaks default config: %w", err)
	}
	return vc, nil
}

// lowerUnique is what gitleaks' Validate makes of stop words, sorted (its
// order is a map's).
func lowerUnique(words []string) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		out = append(out, strings.ToLower(w))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// assignmentOp is the value separator of gitleaks' keyword=value rules;
// such rules key on a variable name, not on the shape of the secret.
const assignmentOp = `(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)`

// buildRuleSet makes the rules of cfg, whose expressions are in regexes by
// rule ID, and extra.
func buildRuleSet(cfg config.Config, regexes map[string]string, extra []*rule) (*ruleSet, error) {
	ids := append([]string(nil), cfg.OrderedRules...)
	sort.Strings(ids)
	set := &ruleSet{global: cfg.Allowlists}
	for _, id := range ids {
		gr, ok := cfg.Rules[id]
		if !ok {
			continue
		}
		if len(gr.RequiredRules) > 0 || gr.SkipReport {
			// Composite rules are not in the default set; refuse rather
			// than silently mis-evaluate one.
			return nil, fmt.Errorf("gitleaks rule %s: composite rules are not supported", id)
		}
		r := &rule{
			id:          gr.RuleID,
			description: gr.Description,
			path:        gr.Path,
			secretGroup: gr.SecretGroup,
			entropy:     gr.Entropy,
			keywords:    gr.Keywords,
			allowlists:  gr.Allowlists,
		}
		if src, ok := regexes[id]; ok {
			r.re = newPattern(src)
			r.low = strings.Contains(r.id, "generic") || strings.Contains(src, assignmentOp)
		}
		set.rules = append(set.rules, r)
	}
	for _, r := range extra {
		r.extra = true
		for _, a := range r.allowlists {
			if err := a.Validate(); err != nil {
				return nil, fmt.Errorf("fnscan rule %s: %w", r.id, err)
			}
		}
		set.rules = append(set.rules, r)
	}

	set.byID = map[string]*rule{}
	kwIndex := map[string]int{}
	for i, r := range set.rules {
		if set.byID[r.id] == nil { // gitleaks' rule before fnscan's
			set.byID[r.id] = r
		}
		for j, k := range r.keywords {
			r.keywords[j] = strings.ToLower(k)
		}
		if r.re == nil {
			set.pathOnly = append(set.pathOnly, i)
			continue
		}
		if len(r.keywords) == 0 {
			set.always = append(set.always, i)
			continue
		}
		for _, k := range r.keywords {
			ki, ok := kwIndex[k]
			if !ok {
				ki = len(set.keywords)
				kwIndex[k] = ki
				set.keywords = append(set.keywords, k)
				set.byKeyword = append(set.byKeyword, nil)
			}
			set.byKeyword[ki] = append(set.byKeyword[ki], i)
			r.kwIdx = append(r.kwIdx, ki)
		}
	}
	return set, nil
}
