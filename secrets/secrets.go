package secrets

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"github.com/fnscan/fnscan/artifact"
)

// Config tunes a Scanner.
type Config struct {
	// MaxFileSize skips larger files with a warning (default 64 MiB).
	MaxFileSize int64
	// MaxTotal stops reading once this many bytes were scanned, with a
	// warning per skipped file (default 1 GiB; negative means no limit).
	MaxTotal int64
	// Workers is the number of files scanned at once (default GOMAXPROCS),
	// and of goroutines sharing the rules of one large file.
	Workers int
	// Baseline holds fingerprints to report as suppressed.
	Baseline map[string]bool
}

// DefaultConfig returns the default limits.
func DefaultConfig() Config {
	return Config{
		MaxFileSize: 64 << 20,
		MaxTotal:    1 << 30,
		Workers:     runtime.GOMAXPROCS(0),
	}
}

// Finding sources.
const (
	sourceContent = "content"
	sourceConfig  = "config"
)

// Finding is one secret, located and redacted. It never holds the secret.
type Finding struct {
	RuleID      string `json:"ruleId"`
	Description string `json:"description"`
	// Path is the virtual path, e.g. "fn.zip!config/app.jar!application.properties".
	Path   string          `json:"path"`
	Line   int             `json:"line"`
	Origin artifact.Origin `json:"origin"`
	// Fingerprint is a stable hex hash of rule, path and secret.
	Fingerprint string `json:"fingerprint"`
	// Redacted is a short prefix and the length, e.g. "AKIA…(20 chars)".
	Redacted string `json:"redacted"`
	Length   int    `json:"length"`
	// Reason says why a suppressed finding was suppressed:
	// "fnscan:allow <reason>" or "baseline".
	Reason string `json:"reason,omitempty"`
	// Source is "content" for the rule pass, "config" for a deployment
	// config variable.
	Source string `json:"source"`
	// Variable names the deployment config variable, for Source "config".
	Variable string `json:"variable,omitempty"`
}

// Result is the outcome of one Scan.
type Result struct {
	Findings []Finding
	// Suppressed findings were allowed inline or by the baseline.
	Suppressed   []Finding
	Warnings     []artifact.Warning
	BytesScanned int64
	// found holds the secrets themselves, for a Redactor to learn (Learn):
	// package metadata, reasons and names can repeat them. Behind a
	// pointer, which fmt prints as an address: a Result printed with %+v
	// shows no secret.
	found *foundSecrets
}

type foundSecrets struct{ list []string }

// Scanner finds secrets in files. It is safe for concurrent use.
type Scanner struct {
	cfg    Config
	engine *engine
}

// New loads gitleaks' default rules (once per process) and fnscan's own.
func New(cfg Config) (*Scanner, error) {
	def := DefaultConfig()
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = def.MaxFileSize
	}
	if cfg.MaxTotal == 0 {
		cfg.MaxTotal = def.MaxTotal
	}
	if cfg.Workers <= 0 {
		cfg.Workers = def.Workers
	}
	set, err := defaultRules()
	if err != nil {
		return nil, fmt.Errorf("secrets: load rules: %w", err)
	}
	return &Scanner{cfg: cfg, engine: newEngine(set)}, nil
}

// fileResult is what one worker learns about one file.
type fileResult struct {
	hits     []hit
	warnings []artifact.Warning
	bytes    int64
}

// Scan reads each file's Real path and reports findings under its Virtual
// path and Origin. Findings are sorted by path, line and rule.
func (s *Scanner) Scan(ctx context.Context, files []artifact.File) (Result, error) {
	results := make([]fileResult, len(files))
	var total atomic.Int64
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(s.cfg.Workers, max(1, len(files))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte // reused from file to file: most are small
			for i := range next {
				results[i] = s.scanFile(files[i], &total, &buf)
			}
		}()
	}
feed:
	for i := range files {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-ctx.Done():
		// A worker may be seconds into a large file: its result is not
		// needed, and the caller removes the files under it.
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	var res Result
	for i, fr := range results {
		f := files[i]
		res.Warnings = append(res.Warnings, fr.warnings...)
		res.BytesScanned += fr.bytes
		for _, h := range fr.hits {
			// Only what specific rules found is learnt: a generic rule's
			// value ("lambda-layer-nodejs18") would be hidden everywhere.
			if !h.low {
				if res.found == nil {
					res.found = &foundSecrets{}
				}
				res.found.list = append(res.found.list, h.secret)
			}
			out := Finding{
				RuleID:      h.ruleID,
				Description: h.description,
				Path:        f.Virtual,
				Line:        h.line,
				Origin:      f.Origin,
				Fingerprint: fingerprint(h.ruleID, f.Virtual, h.secret),
				Source:      h.source,
				Variable:    h.variable,
			}
			if h.line > 0 || h.source == SourceBinary {
				out.Redacted = redact(h.secret)
				out.Length = len([]rune(h.secret))
			}
			switch {
			case h.allow != "":
				out.Reason = h.allow
				res.Suppressed = append(res.Suppressed, out)
			case s.cfg.Baseline[out.Fingerprint]:
				out.Reason = "baseline"
				res.Suppressed = append(res.Suppressed, out)
			default:
				res.Findings = append(res.Findings, out)
			}
		}
	}
	sortFindings(res.Findings)
	sortFindings(res.Suppressed)
	return res, nil
}

func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Fingerprint, b.Fingerprint),
		)
	})
}

func (s *Scanner) scanFile(f artifact.File, total *atomic.Int64, buf *[]byte) fileResult {
	var fr fileResult
	// unread: the file was not scanned, or only in part.
	warn := func(msg string, unread bool) {
		fr.warnings = append(fr.warnings, artifact.Warning{Path: f.Virtual, Message: msg, Unscanned: unread})
	}
	p := normalizePath(cmp.Or(f.Path, f.Virtual))
	vendored := isVendored(p)
	test := isTestPath(p)
	if vendored && (test || vendoredNoise(p)) {
		return fr
	}

	hits := s.engine.matchPath(p)
	// An executable is searched for exact-shaped credentials as it streams
	// by (scanBinary), whatever its size or name.
	// searchBinary searches the file if it is an executable (ok).
	searchBinary := func() (fileResult, bool) {
		bin, n, ok, err := s.engine.binaryHits(f, p)
		if err != nil {
			warn("cannot read file: "+err.Error(), true)
		}
		if !ok {
			return fr, false
		}
		fr.bytes = n
		fr.hits = keep(finish(append(hits, bin...)))
		return fr, true
	}
	// gitleaks skips vendored trees wholesale; fnscan scans them with
	// specific rules only, so its path allowlist applies to first-party paths.
	if (!vendored && pathAllowed(s.engine.set.global, p)) || binaryByName(p) {
		// Skipped by name for the text rules (gitleaks allowlists .exe and
		// .bin); an executable by that name is still searched.
		if executableName(p) {
			if r, ok := searchBinary(); ok {
				return r
			}
		}
		fr.hits = finish(hits)
		return fr
	}

	size := f.Size
	if f.Real != "" {
		st, err := os.Stat(f.Real)
		if err != nil {
			warn("cannot read file: "+err.Error(), true)
			fr.hits = finish(hits)
			return fr
		}
		size = st.Size()
	}
	if size > s.cfg.MaxFileSize {
		if r, ok := searchBinary(); ok {
			return r
		}
		warn(fmt.Sprintf("skipped for secrets: %d bytes is over the per-file limit of %d", size, s.cfg.MaxFileSize), true)
		fr.hits = finish(hits)
		return fr
	}
	content, binary, err := readLimited(f, size, s.cfg.MaxFileSize, buf)
	if err != nil {
		warn("cannot read file: "+err.Error(), true)
		fr.hits = finish(hits)
		return fr
	}
	if binary || looksBinary(content) {
		if executableHead(content) {
			if r, ok := searchBinary(); ok {
				return r
			}
		}
		fr.hits = finish(hits)
		return fr
	}
	// Charged only for text actually scanned: binary blobs must not use up
	// the budget before the application's own files are reached.
	if s.cfg.MaxTotal > 0 && total.Add(int64(len(content))) > s.cfg.MaxTotal {
		warn(fmt.Sprintf("skipped for secrets: total scan limit of %d bytes reached", s.cfg.MaxTotal), true)
		fr.hits = finish(hits)
		return fr
	}
	fr.bytes = int64(len(content))

	// content is not written while it is scanned: share its bytes instead of
	// copying every file once more. It is reused for the next file, so what
	// a hit keeps of it is copied below (keep).
	text := unsafe.String(unsafe.SliceData(content), len(content))
	// An image config is checked by its variables' names; generic rules
	// would take its hex (GPG_KEY fingerprints, --recv-keys in history) for keys.
	imageConfig := p == imageConfigPath && isImageConfig(content)
	opt := scanOptions{dropLow: vendored || test || imageConfig || isMinified(p, content), par: s.cfg.Workers}
	if !opt.dropLow {
		opt.vendored = bundleVendored(p, text)
	}
	hits = append(hits, s.engine.scan(p, text, opt)...)
	hits = append(hits, s.engine.scanDecoded(p, text, opt)...)
	if !vendored {
		cfgHits, cfgErr := scanConfig(p, content)
		if cfgErr != nil {
			warn(cfgErr.Error(), false) // the text was scanned all the same
		}
		hits = mergeConfig(hits, cfgHits)
	}
	fr.hits = keep(finish(hits))
	return fr
}

// keep copies what hits hold of a file's content, which is reused.
func keep(hits []hit) []hit {
	for i := range hits {
		h := &hits[i]
		h.secret, h.allow, h.source, h.variable = strings.Clone(h.secret), strings.Clone(h.allow), strings.Clone(h.source), strings.Clone(h.variable)
	}
	return hits
}

// readLimited reads a file whose size is known in one allocation (io.ReadAll
// grows and copies, which showed in profiles), tolerating a file that
// changed size since it was stat'ed. Its head is read first: a binary
// (looksBinary judges the head alone) is not read on, nor given a buffer
// of its size (a 24 MB native binary in a Lambda zip, every ELF file of an
// image); binary says so.
func readLimited(f artifact.File, size, limit int64, buf *[]byte) (content []byte, binary bool, err error) {
	fh, err := f.Open()
	if err != nil {
		return nil, false, err
	}
	defer fh.Close()
	n := min(size, limit) + 1
	h := min(n, int64(binaryHead))
	b := *buf
	if int64(cap(b)) < h {
		b = make([]byte, h, max(h, min(n, maxReused)))
		*buf = b
	}
	got, err := io.ReadFull(fh, b[:h])
	if err == io.ErrUnexpectedEOF || err == io.EOF || (err == nil && h == n) {
		return b[:got], false, ignoreEOF(err)
	}
	if err != nil {
		return nil, false, err
	}
	if looksBinary(b[:got]) {
		return b[:got], true, nil // the head alone
	}
	if int64(cap(b)) < n {
		nb := make([]byte, n)
		copy(nb, b[:got])
		b = nb
		if n <= maxReused {
			*buf = b
		}
	}
	b = b[:n]
	more, err := io.ReadFull(fh, b[got:])
	return b[:got+more], false, ignoreEOF(err)
}

func ignoreEOF(err error) error {
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return nil
	}
	return err
}

// binaryHead is what looksBinary reads of a file, and a rune's worth more
// so that a rune cut at its end is known to be cut.
const binaryHead = 8<<10 + utf8.UTFMax

// maxReused bounds the read buffer a worker keeps between files.
const maxReused = 8 << 20

// finish drops example credentials, references to a secret store (the
// content rules see "TOKEN=arn:aws:secretsmanager:…" as an assignment too)
// and repeated (line, secret) pairs.
func finish(hits []hit) []hit {
	type key struct {
		line   int
		secret string
	}
	seen := map[key]bool{}
	out := hits[:0]
	for _, h := range hits {
		if (h.line > 0 || h.source == SourceBinary) && (isExampleSecret(h.secret) || isReference(h.secret)) {
			continue
		}
		k := key{h.line, h.secret}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, h)
	}
	return out
}

// mergeConfig keeps one hit per (line, secret): a specific content rule
// beats the config variable check, which beats generic content rules.
func mergeConfig(content, cfg []hit) []hit {
	type key struct {
		line   int
		secret string
	}
	// Some rules keep the value's quotes (hashicorp-tf-password's
	// "…"): the same value all the same.
	keyOf := func(h hit) key { return key{h.line, strings.Trim(h.secret, "\"'`")} }
	specific := map[key]bool{}
	for _, h := range content {
		if !h.low {
			specific[keyOf(h)] = true
		}
	}
	replaced := map[key]bool{}
	var out []hit
	for _, c := range cfg {
		k := keyOf(c)
		if !specific[k] {
			replaced[k] = true
			out = append(out, c)
		}
	}
	for _, h := range content {
		if h.low && replaced[keyOf(h)] {
			continue
		}
		out = append(out, h)
	}
	return out
}
