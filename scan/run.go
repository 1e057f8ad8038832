package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/policy"
	"github.com/fnscan/fnscan/result"
	"github.com/fnscan/fnscan/sbom"
	"github.com/fnscan/fnscan/secrets"
	"github.com/fnscan/fnscan/vuln"
)

// Result is what Run returns: the one result every output reads.
type Result = result.Result

// Run scans one target. Errors are the scan's own (bad input, a limit, no
// database); a failed gate is a Result whose Verdict does not pass. Nothing
// the scan unpacked is left when Run returns.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	// The rules load while the target opens, as does syft's config.
	red := secrets.StartRedactor()
	if cfg.Catalog {
		sbom.Warm()
	}
	res, err := run(ctx, cfg, red)
	if rerr := red.Ready(); rerr != nil {
		return nil, rerr
	}
	if err != nil {
		// Errors name inputs and entries, whose names can hold a secret.
		return nil, red.Error(err)
	}
	return res, nil
}

// scanSecrets runs the secrets stage over every file of the target and its
// deployed configuration.
func scanSecrets(ctx context.Context, t *artifact.Target, scfg secrets.Config) (secrets.Result, error) {
	scanner, err := secrets.New(scfg)
	if err != nil {
		return secrets.Result{}, err
	}
	files, err := t.Files()
	if err != nil {
		return secrets.Result{}, err
	}
	if len(t.Deployed) > 0 || len(t.ImageConfig) > 0 {
		if files, err = withDeployed(t, files); err != nil {
			return secrets.Result{}, err
		}
	}
	return scanner.Scan(ctx, files)
}

func run(ctx context.Context, cfg Config, red *secrets.Redactor) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	col := &Collector{}
	h := both{c: col, h: cfg.Handler, red: red}
	defer h.Progress("")

	now := time.Now()
	rules, gate, maxAge, err := loadPolicy(cfg)
	if err != nil {
		return nil, err
	}
	// Open the database first: a missing one is an error before any work.
	matcher := cfg.Matcher
	var db *vuln.DB
	fromSource := false // --db named OSV records, imported into the cache
	if cfg.Vulns && matcher == nil {
		if cfg.Online {
			matcher = vuln.Online{URL: cfg.OnlineURL}
		} else {
			dir, err := resolveDB(ctx, cfg.DB, h)
			if err != nil {
				return nil, err
			}
			fromSource = dir != cfg.DB
			db, err = vuln.Open(dir)
			if err != nil && fromSource && errors.Is(err, vuln.ErrDamaged) {
				// The cache's import of --db is damaged (a crash, a full
				// disk): made again from the source, once.
				h.Warning(artifact.Warning{Path: cfg.DB, Message: "the cached import was damaged: importing it again"})
				os.RemoveAll(dir)
				if dir, err = resolveDB(ctx, cfg.DB, h); err != nil {
					return nil, err
				}
				db, err = vuln.Open(dir)
			}
			if err != nil {
				return nil, err
			}
			defer db.Close()
			matcher = db
		}
	}
	scfg := secrets.DefaultConfig()
	if cfg.Baseline != "" {
		if scfg.Baseline, err = secrets.LoadBaseline(cfg.Baseline); err != nil {
			return nil, fmt.Errorf("--baseline %s: %w", cfg.Baseline, err)
		}
	}

	if cfg.Target == "" {
		return runConfigOnly(ctx, cfg, rules, gate, h, col, red)
	}
	// Warnings of opening are held until the target opens: a file that is
	// not what it was said to be ends in one error, not a list of its
	// entries first.
	var (
		openMu    sync.Mutex
		opened    bool
		openWarns []artifact.Warning
	)
	t, err := artifact.Open(ctx, cfg.Target, artifact.Options{
		Layers: cfg.Layers, Limits: cfg.Limits, TempDir: cfg.TempDir, Platform: cfg.Platform,
		Warn: func(w artifact.Warning) {
			openMu.Lock()
			defer openMu.Unlock()
			if !opened {
				openWarns = append(openWarns, w)
				return
			}
			h.Warning(w)
		},
		Status: h.Progress,
	})
	openMu.Lock()
	opened = true
	held := openWarns
	openMu.Unlock()
	if err != nil {
		return nil, err
	}
	for _, w := range held {
		h.Warning(w)
	}
	// Nothing after the stages reads the unpacked files: Run removes them
	// before returning, so an output error or a closed pipe cannot leave
	// them behind.
	defer t.Close()

	var inNames []secrets.Finding
	namesDone := make(chan struct{})
	if t.Kind != artifact.KindSBOM {
		// An empty target must not pass silently: nothing in it was checked.
		if !hasFiles(t) && len(t.Deployed) == 0 {
			h.Warning(artifact.Warning{Path: t.Name, Message: "the target holds no files that could be read: nothing was scanned"})
		}
		// Names are scanned whatever the stages: what is found in them is
		// redacted from every output, and is a finding when secrets are.
		// Beside cataloging: the rules may still be loading.
		go func() {
			defer close(namesDone)
			inNames = red.Names(targetNames(t))
		}()
	} else {
		close(namesDone)
	}
	// Every early return waits: the names' secrets are learnt for the
	// redaction of the error.
	defer func() { <-namesDone }()
	// The secrets stage reads every file while the catalogers run: they
	// are independent, and syft leaves cores idle (its licence scanner is
	// built on one).
	var sec secrets.Result
	var secWait func() (secrets.Result, error)
	if cfg.Secrets && t.Kind != artifact.KindSBOM {
		sctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		var out secrets.Result
		go func() {
			var err error
			out, err = scanSecrets(sctx, t, scfg)
			done <- err
		}()
		waited := false
		secWait = func() (secrets.Result, error) {
			waited = true
			err := <-done
			return out, err
		}
		// An early return stops the scan and waits for it before the
		// target's files are removed.
		defer func() {
			stop()
			if !waited {
				<-done
			}
		}()
	}
	var sres *sbom.Result
	switch {
	case t.Kind == artifact.KindSBOM:
		if cfg.Secrets && !cfg.Catalog {
			return nil, fmt.Errorf("%s: an SBOM has no files to scan for secrets; give the package, directory or image", cfg.Target)
		}
		if sres, err = sbom.Read(t.Input); err != nil {
			return nil, err
		}
		for _, w := range sres.Warnings {
			h.Warning(w)
		}
	case cfg.Catalog:
		h.Progress("cataloging packages")
		c := sbom.DefaultConfig()
		c.ToolVersion = cfg.ToolVersion
		c.Warn = h.Warning
		sres, err = sbom.Catalog(ctx, t, c)
		h.Progress("")
		if err != nil {
			return nil, err
		}
	default:
		sres = sbom.Uncataloged(t)
	}
	<-namesDone
	if err := red.Ready(); err != nil {
		return nil, err
	}

	var found []vuln.Finding
	var dbInfo *result.Database
	if matcher != nil && len(sres.Components) == 0 {
		h.Warning(artifact.Warning{Path: sres.Subject.Name, Message: "no components found: the vulnerability stage had nothing to check"})
	}
	if matcher != nil {
		pkgs := make([]vuln.Package, len(sres.Components))
		for i, c := range sres.Components {
			pkgs[i] = result.Match(c)
		}
		if found, err = matcher.Match(ctx, pkgs); err != nil {
			if db != nil {
				return nil, fmt.Errorf("matching: %w", err)
			}
			return nil, err
		}
		if db != nil {
			var warnings []artifact.Warning
			var missing []string
			dbInfo, warnings, missing, err = coverage(db, cfg.DB, fromSource, pkgs)
			if err != nil {
				return nil, err
			}
			for _, w := range warnings {
				h.Warning(w)
			}
			if err := checkAge(dbInfo, missing, maxAge, cfg.DB, fromSource, now); err != nil {
				return nil, err
			}
		} else {
			dbInfo = &result.Database{Source: cmp.Or(cfg.OnlineURL, vuln.DefaultAPIURL)}
			if cfg.Matcher != nil {
				dbInfo.Source = fmt.Sprintf("%T", cfg.Matcher)
			}
		}
	}
	if t.Kind == artifact.KindSBOM && cfg.Secrets {
		h.Warning(artifact.Warning{Path: sres.Subject.Name, Message: "secrets not scanned: the target is an SBOM"})
	}

	if secWait != nil {
		if sec, err = secWait(); err != nil {
			return nil, err
		}
		red.Learn(sec)
		sec.Merge(inNames, scfg.Baseline)
		for _, w := range sec.Warnings {
			h.Warning(w)
		}
	}
	var mis []result.Misconfiguration
	if cfg.Deploy {
		h.Progress("checking deployment configuration")
		if t.Kind == artifact.KindSBOM {
			if len(cfg.ConfigFiles) == 0 {
				h.Warning(artifact.Warning{Path: t.Name, Message: "deployment configuration not checked: the target is an SBOM (give templates with --config)"})
			}
			mis, err = configStage(nil, cfg.ConfigFiles, h)
		} else {
			mis, err = configStage(t, cfg.ConfigFiles, h)
		}
		if err != nil {
			return nil, err
		}
	}
	t.Close()
	// Every stage stops on cancel, but one that finished regardless must
	// not make an interrupted scan look complete.
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	res := result.New(sres, cfg.ToolVersion)
	if t.Kind == artifact.KindDir && len(t.Roots) > 0 && t.Roots[0].Dir != "" {
		res.Target.Dir, _ = filepath.Abs(t.Roots[0].Dir)
	}
	res.Reproducible, res.ScanTime, res.Database = cfg.Reproducible, now, dbInfo
	res.Stages = stages(cfg, t.Kind == artifact.KindSBOM, len(cfg.ConfigFiles) > 0)
	res.AddVulnerabilities(found, sres.Components)
	res.Secrets = append(res.Secrets, sec.Findings...)
	res.Suppressed = sec.Suppressed
	res.Misconfigurations = append(res.Misconfigurations, mis...)
	return finish(res, rules, gate, h, col, red), nil
}

// targetNames lists the target's names for the secret rules: every file's
// path, every symlink's target, and the entries warnings name (a refused
// entry or symlink exists nowhere else).
func targetNames(t *artifact.Target) []secrets.Name {
	links, _ := t.Links()
	names := make([]secrets.Name, 0, len(links)+len(t.Warnings))
	t.EachFile(func(f artifact.File) bool {
		names = append(names, secrets.Name{Kind: secrets.NamePath, Path: f.Virtual, Origin: f.Origin})
		return true
	})
	for _, l := range links {
		names = append(names, secrets.Name{Kind: secrets.NameLink, Path: l.Virtual, Text: l.Target, Origin: l.Origin})
	}
	for _, w := range t.Warnings {
		names = append(names, secrets.Name{Kind: secrets.NameWarning, Path: w.Path, Text: w.Message, Origin: originOf(t, w.Path)})
	}
	return names
}

// hasFiles says whether the target holds a file that could be read.
func hasFiles(t *artifact.Target) bool {
	any := false
	t.EachFile(func(artifact.File) bool {
		any = true
		return false
	})
	return any
}

// originOf is the origin of the deepest root holding virtual path p.
func originOf(t *artifact.Target, p string) artifact.Origin {
	var o artifact.Origin
	best := -1
	for _, r := range t.Roots {
		switch {
		case r.Virtual == "" && best < 0 && strings.HasPrefix(p, "/"):
			// An image's filesystem: the layer that wrote the path.
			_, o = r.Locate(p)
			best = 0
		case r.Virtual != "" && len(r.Virtual) > best && strings.HasPrefix(p, r.Virtual):
			o, best = r.Origin, len(r.Virtual)
		}
	}
	if best < 0 && len(t.Parts) > 0 {
		o = t.Parts[0]
	}
	return o
}

// stages names what ran, for reports.
func stages(cfg Config, sbomTarget, configFiles bool) []string {
	out := []string{}
	if cfg.Catalog || sbomTarget {
		out = append(out, result.StageSBOM)
	}
	if cfg.Vulns {
		out = append(out, result.StageVulns)
	}
	if cfg.Secrets && !sbomTarget {
		out = append(out, result.StageSecrets)
	}
	if cfg.Deploy && (!sbomTarget || configFiles) {
		out = append(out, result.StageConfig)
	}
	return out
}

// runConfigOnly checks configuration files alone (`fnscan config`).
func runConfigOnly(ctx context.Context, cfg Config, rules policy.Rules, gate policy.Config, h Handler, col *Collector, red *secrets.Redactor) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mis, err := configStage(nil, cfg.ConfigFiles, h)
	if err != nil {
		return nil, err
	}
	name := cfg.ConfigFiles[0]
	if len(cfg.ConfigFiles) > 1 {
		name = fmt.Sprintf("%s (+%d)", name, len(cfg.ConfigFiles)-1)
	}
	res := result.New(&sbom.Result{Subject: sbom.Subject{Name: name, Kind: "config"}}, cfg.ToolVersion)
	res.ScanTime = time.Now()
	res.Stages = []string{result.StageConfig}
	res.Misconfigurations = append(res.Misconfigurations, mis...)
	return finish(res, rules, gate, h, col, red), nil
}

// finish applies the policy: ignores and VEX statements take findings out
// of the gate (the Result keeps them, with the reason), then the verdict.
func finish(res *Result, rules policy.Rules, gate policy.Config, h Handler, col *Collector, red *secrets.Redactor) *Result {
	// Before the policy: ignores match the paths users see.
	redactResult(res, red)
	rules.TargetName = res.Target.Name
	rules.Targets = []string{res.Target.SHA256, res.Target.ImageID}
	for _, w := range rules.Apply(res) {
		h.Warning(artifact.Warning{Path: rules.Source, Message: w})
	}
	res.Warnings = col.Warnings()
	for i, w := range res.Warnings {
		// A warning can name a secret found only later, in another name.
		res.Warnings[i].Path, res.Warnings[i].Message = red.RedactKnown(w.Path), red.RedactKnown(w.Message)
	}
	v := policy.Evaluate(res, gate)
	v.PolicySHA256 = rules.SHA256
	res.Verdict = &v
	return res
}

// loadPolicy reads the policy file and VEX documents and settles the gate:
// the options override the file's failOn and maxDbAge.
func loadPolicy(cfg Config) (rules policy.Rules, gate policy.Config, maxAge time.Duration, err error) {
	var failOn, fileAge string
	var incomplete *bool
	vexPaths := append([]string(nil), cfg.VEX...)
	if cfg.PolicyFile != "" {
		f, err := policy.LoadFile(cfg.PolicyFile)
		if err != nil {
			return rules, gate, 0, fmt.Errorf("--policy %w", err)
		}
		rules.Ignores, rules.Source, rules.SHA256, failOn, fileAge = f.Ignore, cfg.PolicyFile, f.SHA256, f.FailOn, f.MaxDBAge
		incomplete = f.FailOnIncomplete
		// Read even without vulnerabilities to speak of: a policy that
		// `scan` refuses is refused by every command.
		vexPaths = append(f.VEXPaths(), vexPaths...)
	}
	for _, p := range vexPaths {
		st, err := policy.LoadVEX(p)
		if err != nil {
			return rules, gate, 0, fmt.Errorf("VEX %w", err)
		}
		rules.VEX = append(rules.VEX, st...)
	}
	if cfg.FailOn != "" {
		failOn = cfg.FailOn
	}
	if failOn == "" {
		failOn = DefaultFailOn
	}
	gate = policy.Config{FailOn: failOn, Secrets: (failOn != "" && !strings.EqualFold(failOn, "none")) || cfg.AnySecretFails}
	if cfg.FailOnIncomplete != nil {
		incomplete = cfg.FailOnIncomplete
	}
	gate.FailOnIncomplete = incomplete != nil && *incomplete
	if err := gate.Validate(); err != nil {
		return rules, gate, 0, err
	}
	maxAge = cfg.MaxDBAge
	if maxAge == 0 && fileAge != "" {
		if maxAge, err = policy.ParseAge(fileAge); err != nil {
			return rules, gate, 0, fmt.Errorf("--policy %s: maxDbAge: %w", cfg.PolicyFile, err)
		}
	}
	return rules, gate, maxAge, nil
}

// coverage describes the database for the ecosystems of pkgs, and warns
// about components whose ecosystem has no records in it: a clean result
// for them would mean nothing.
func coverage(db *vuln.DB, dir string, fromSource bool, pkgs []vuln.Package) (*result.Database, []artifact.Warning, []string, error) {
	info := &result.Database{Source: dir}
	st, err := db.Status()
	if err != nil {
		// Without its status the database cannot be dated: --max-db-age
		// would check nothing.
		return nil, nil, nil, err
	}
	have := map[string]bool{}
	for _, e := range st {
		have[strings.SplitN(e.Ecosystem, ":", 2)[0]] = true
	}
	count := map[string]int{}
	needed := map[string]bool{}
	for _, p := range pkgs {
		if eco := vuln.EcosystemOf(p); eco != "" {
			base := strings.SplitN(eco, ":", 2)[0]
			needed[base] = true
			if !have[base] {
				count[base]++
			}
		}
	}
	for _, e := range st {
		if needed[strings.SplitN(e.Ecosystem, ":", 2)[0]] {
			info.Ecosystems = append(info.Ecosystems, result.DatabaseEcosystem{Ecosystem: e.Ecosystem, Records: e.Records, NewestModified: e.NewestModified.UTC()})
		}
	}
	ecos := make([]string, 0, len(count))
	for k := range count {
		ecos = append(ecos, k)
	}
	sort.Strings(ecos)
	var out []artifact.Warning
	for _, eco := range ecos {
		advice := fmt.Sprintf("run `fnscan db import` or `fnscan db update --ecosystem %s`", eco)
		if fromSource {
			advice = "give --db records of that ecosystem too (an osv.dev export zip, or a directory of records)"
		}
		out = append(out, artifact.Warning{Path: dir, Message: fmt.Sprintf("no vulnerability records for %s (%d components not checked): %s", eco, count[eco], advice)})
	}
	return info, out, ecos, nil
}

// checkAge fails closed on data older than maxAge: a gate that passes on a
// stale database passes what it no longer knows about.
func checkAge(info *result.Database, missing []string, maxAge time.Duration, dir string, fromSource bool, now time.Time) error {
	if maxAge <= 0 || info == nil {
		return nil
	}
	// No records at all are older than any age: the gate asked for data
	// this fresh, and there is none.
	if len(missing) > 0 {
		advice := fmt.Sprintf("run `fnscan db update --db %s --ecosystem %s`, or import records of it", dir, strings.Join(missing, " --ecosystem "))
		if fromSource {
			advice = "give --db records of it too"
		}
		return fmt.Errorf("vulnerability database %s: no records for %s, which the target's components need, so --max-db-age %s cannot hold: %s",
			dir, strings.Join(missing, ", "), days(maxAge), advice)
	}
	for _, e := range info.Ecosystems {
		if age := now.Sub(e.NewestModified); age > maxAge {
			advice := fmt.Sprintf("run `fnscan db update --db %s`, or import newer records", dir)
			if fromSource {
				advice = "give --db a newer OSV export"
			}
			return fmt.Errorf("vulnerability database %s: its newest %s record is %s old (%s), over the maximum age %s: %s",
				dir, e.Ecosystem, days(age), e.NewestModified.Format("2006-01-02"), days(maxAge), advice)
		}
	}
	return nil
}

func days(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	return d.Round(time.Minute).String()
}

// ChildMain runs the helper child processes the scan re-executes its own
// binary as (7z extraction in a memory-limited process). A main calls it
// first: ok means this process was such a child and should exit with code.
func ChildMain(args []string) (code int, ok bool) {
	return artifact.ChildMain(args)
}
