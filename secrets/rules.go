package secrets

import (
	"fmt"
	"regexp"
	"sort"
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
	re          *regexp.Regexp
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
		cfg, err := gitleaksConfig()
		if err != nil {
			loadingErr = err
			return
		}
		loadedSet, loadingErr = buildRuleSet(cfg, fnscanRules())
	})
	return loadedSet, loadingErr
}

// gitleaksConfig translates gitleaks' embedded default TOML, allowlists
// included, the way gitleaks itself does.
func gitleaksConfig() (config.Config, error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
		return config.Config{}, fmt.Errorf("read gitleaks default config: %w", err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return config.Config{}, fmt.Errorf("decode gitleaks default config: %w", err)
	}
	cfg, err := vc.Translate()
	if err != nil {
		return config.Config{}, fmt.Errorf("translate gitleaks default config: %w", err)
	}
	return cfg, nil
}

// leanAllowlists copies allowlists without gitleaks' stop-word trie: 8 MB,
// held by every fnscan run for a check made only on candidate secrets.
// Each copy is validated without its stop words (Validate joins the regexes
// into one, and a leading (?i) then holds for the patterns after it:
// gitleaks' answers depend on that), and given them back after:
// unvalidated stop words are matched by a loop, with the same answers.
func leanAllowlists(lists []*config.Allowlist) []*config.Allowlist {
	out := make([]*config.Allowlist, len(lists))
	for i, a := range lists {
		c := &config.Allowlist{
			Description: a.Description, MatchCondition: a.MatchCondition, Commits: a.Commits,
			Paths: a.Paths, RegexTarget: a.RegexTarget, Regexes: a.Regexes,
		}
		if len(c.Commits)+len(c.Paths)+len(c.Regexes) > 0 {
			// Cannot fail: it only refuses an empty allowlist.
			_ = c.Validate()
		}
		c.StopWords = a.StopWords // lower-cased and deduplicated by a's Validate
		out[i] = c
	}
	return out
}

// assignmentOp is the value separator of gitleaks' keyword=value rules;
// such rules key on a variable name, not on the shape of the secret.
const assignmentOp = `(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)`

func buildRuleSet(cfg config.Config, extra []*rule) (*ruleSet, error) {
	ids := append([]string(nil), cfg.OrderedRules...)
	sort.Strings(ids)
	set := &ruleSet{global: leanAllowlists(cfg.Allowlists)}
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
			re:          gr.Regex,
			path:        gr.Path,
			secretGroup: gr.SecretGroup,
			entropy:     gr.Entropy,
			keywords:    gr.Keywords,
			allowlists:  leanAllowlists(gr.Allowlists),
		}
		if r.re != nil {
			r.low = strings.Contains(r.id, "generic") || strings.Contains(r.re.String(), assignmentOp)
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
