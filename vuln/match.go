package vuln

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/osv-scalibr/semantic"
	bolt "go.etcd.io/bbolt"
)

// Package is one package instance to check. Ecosystem uses the OSV spelling
// ("npm", "PyPI", "Maven", "Go", "crates.io", "RubyGems", "NuGet",
// "Packagist", "Alpine:v3.10", "Debian:10", ...); when empty it is derived
// from PURL, as are a missing Name and Version. Source is the optional source
// package name for distro packages (Alpine origin, Debian source): records
// for either name match. Go's standard library is Name "stdlib" with a
// version such as "go1.21.3" or "1.21.3".
type Package struct {
	Name      string
	Version   string
	Ecosystem string
	PURL      string
	Source    string
}

// Finding is one vulnerability affecting one package name+version+ecosystem.
type Finding struct {
	ID            string   // canonical ID, see the package documentation
	Aliases       []string // every other ID of the merged records and their aliases, sorted
	Summary       string   // the canonical record's summary, else the first line of its details
	Severity      Severity // the highest of the merged records
	CVSS          []CVSS
	FixedVersions []string // fixed versions above the package version, ascending
	PackageIndex  []int    // indexes into the input of every instance of the package, ascending
	Package       Package  // the input package at PackageIndex[0]
	Modified      time.Time
	References    []string // reference URLs
}

// hit is a record that affects a package, with the affected entries that matched.
type hit struct {
	entry    *brief
	affected []int
	fixed    []string
}

// brief is the part of a record a Finding needs, stored apart from the
// full record so matching never inflates details, symbol lists and the like.
type brief struct {
	ID               string
	Aliases          []string
	Summary          string
	Modified         time.Time
	Severity         []SeverityEntry
	AffectedSeverity map[int][]SeverityEntry
	GHSASeverity     string
	References       []string
}

func briefOf(e *Entry) *brief {
	b := &brief{
		ID:           e.ID,
		Aliases:      e.Aliases,
		Summary:      e.Summary,
		Modified:     e.Modified,
		Severity:     e.Severity,
		GHSASeverity: databaseSeverity(e.DatabaseSpecific),
	}
	if b.Summary == "" {
		// PyPA records have only details: use their first line.
		b.Summary, _, _ = strings.Cut(strings.TrimSpace(e.Details), "\n")
		if len(b.Summary) > 200 {
			b.Summary = b.Summary[:197] + "..."
		}
	}
	for i, a := range e.Affected {
		if len(a.Severity) > 0 {
			if b.AffectedSeverity == nil {
				b.AffectedSeverity = map[int][]SeverityEntry{}
			}
			b.AffectedSeverity[i] = a.Severity
		}
	}
	for _, r := range e.References {
		if r.URL != "" && !containsString(b.References, r.URL) {
			b.References = append(b.References, r.URL)
		}
	}
	return b
}

// compactAffected is the matching part of one affected entry, kept in the
// index so a scan reads full records only for packages that are hit.
type compactAffected struct {
	I int    // index into Entry.Affected
	E string // full ecosystem, e.g. "Alpine:v3.10"
	R []Range
	V []string
}

// Matcher finds the vulnerabilities affecting packages: the local DB and
// the online client are two implementations. A Finding's PackageIndex
// points into pkgs.
type Matcher interface {
	Match(ctx context.Context, pkgs []Package) ([]Finding, error)
}

var _ Matcher = (*DB)(nil)

// Match finds the vulnerabilities affecting pkgs. Instances of the same
// package version are matched once and reported together.
func (db *DB) Match(ctx context.Context, pkgs []Package) ([]Finding, error) {
	groups := groupPackages(pkgs)
	var out []Finding
	err := view(db.bolt, db.dir, func(tx *bolt.Tx) error {
		idx := tx.Bucket(bucketAffected)
		briefs := tx.Bucket(bucketBriefs)
		if idx == nil || briefs == nil {
			return damaged(db.dir, "no affected or briefs bucket")
		}
		entries := map[string]*brief{}
		prefixes := map[string][]indexed{}
		vc := &versionCache{}
		for _, g := range groups {
			if err := ctx.Err(); err != nil {
				return err
			}
			var hits []hit
			seen := map[string]bool{}
			for _, name := range g.r.names {
				prefix := g.r.base + "\x00" + name + "\x00"
				list, ok := prefixes[prefix]
				if !ok {
					var err error
					if list, err = scanPrefix(idx, prefix); err != nil {
						return err
					}
					prefixes[prefix] = list
				}
				for _, it := range list {
					if err := ctx.Err(); err != nil {
						return err
					}
					if seen[it.id] {
						continue
					}
					affIdx, fixed := evaluate(ctx, it.affected, g.r, vc)
					if err := ctx.Err(); err != nil {
						return err // evaluate stopped early
					}
					if len(affIdx) == 0 {
						continue
					}
					seen[it.id] = true
					e, ok := entries[it.id]
					if !ok {
						var err error
						if e, err = loadBrief(briefs, it.id); err != nil {
							return err
						}
						entries[it.id] = e
					}
					if e == nil {
						continue
					}
					hits = append(hits, hit{entry: e, affected: affIdx, fixed: fixed})
				}
			}
			out = append(out, buildFindings(g, pkgs, hits)...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortFindings(out)
	return out, nil
}

type indexed struct {
	id       string
	affected []compactAffected
}

func loadBrief(b *bolt.Bucket, id string) (*brief, error) {
	v := b.Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	br, err := decodeBrief(v)
	if err != nil {
		return nil, fmt.Errorf("vulnerability record %s: %w", id, err)
	}
	return br, nil
}

func scanPrefix(b *bolt.Bucket, prefix string) ([]indexed, error) {
	var out []indexed
	c := b.Cursor()
	p := []byte(prefix)
	for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), prefix); k, v = c.Next() {
		ca, err := decodeAffected(v)
		if err != nil {
			return nil, fmt.Errorf("vulnerability index entry %q: %w", k, err)
		}
		out = append(out, indexed{id: string(k[len(p):]), affected: ca})
	}
	return out, nil
}

// pkgGroup is one distinct package (ecosystem, names, version) of the input.
type pkgGroup struct {
	r       resolved
	indexes []int
}

func groupPackages(pkgs []Package) []*pkgGroup {
	byKey := map[string]*pkgGroup{}
	var groups []*pkgGroup
	for i, p := range pkgs {
		r, ok := resolve(p)
		if !ok {
			continue
		}
		key := r.eco + "\x00" + strings.Join(r.names, "\x00") + "\x00\x00" + r.version
		g := byKey[key]
		if g == nil {
			g = &pkgGroup{r: r}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.indexes = append(g.indexes, i)
	}
	return groups
}

// evaluate applies https://ossf.github.io/osv-schema/#evaluation to the
// affected entries of one record that name the package. It returns the
// entries that include the version and the fixed versions above it.
//
// It stops early, with a partial answer, when ctx is done: callers check
// ctx afterwards.
func evaluate(ctx context.Context, affected []compactAffected, r resolved, vc *versionCache) (matched []int, fixed []string) {
	ecoParse := func(s string) (semantic.Version, error) { return vc.parse(r.base, s) }
	semverParse := func(s string) (semantic.Version, error) { return vc.parse(RangeSemver, s) }
	ev, evErr := ecoParse(r.version)
	versionOK := looksLikeVersion(r.version)
	for _, a := range affected {
		if !ecosystemMatches(a.E, r.eco) {
			continue
		}
		hitHere := false
		for _, rg := range a.R {
			if ctx.Err() != nil {
				return nil, nil
			}
			parse := ecoParse
			switch rg.Type {
			case RangeSemver:
				parse = semverParse
			case RangeEcosystem:
			default:
				continue // GIT ranges are covered by the versions list
			}
			v, err := parse(r.version)
			if err != nil || !versionOK {
				continue // unparseable version: only the versions list applies
			}
			evs, ok := sortedEvents(rg.Events, parse)
			if !ok {
				continue // the range cannot be ordered: it includes nothing
			}
			if !hitHere && beforeLimits(v, rg.Events, parse) && includedInRange(v, evs) {
				hitHere = true
			}
			for _, e := range evs {
				if e.Fixed != "" {
					if c, err := v.Compare(e.at); err == nil && c < 0 {
						fixed = append(fixed, e.Fixed)
					}
				}
			}
		}
		if hitHere || includedInVersions(r.version, ev, evErr, a.V, ecoParse) {
			matched = append(matched, a.I)
		}
	}
	if len(matched) == 0 {
		return nil, nil
	}
	return matched, fixed
}

// includedInVersions compares exactly, then by ecosystem ordering so that
// e.g. PyPI "1.0" equals "1.0.0".
// looksLikeVersion rejects strings the parsers would accept leniently (a
// PyPI legacy version, a SemVer with no numbers) but that no range can
// meaningfully contain: every ecosystem's versions start with a digit,
// after an optional "v".
func looksLikeVersion(v string) bool {
	if len(v) > maxVersionLen {
		return false
	}
	v = strings.TrimPrefix(strings.TrimPrefix(v, "v"), "V")
	return v != "" && v[0] >= '0' && v[0] <= '9'
}

func includedInVersions(version string, v semantic.Version, verr error, versions []string, parse parseFunc) bool {
	if slices.Contains(versions, version) {
		return true
	}
	if verr != nil {
		return false
	}
	lead := leadingNumber(version)
	for _, s := range versions {
		// Versions with different leading numbers cannot be equal; skip the parse.
		if leadingNumber(s) != lead {
			continue
		}
		if w, err := parse(s); err == nil {
			if c, err := v.Compare(w); err == nil && c == 0 {
				return true
			}
		}
	}
	return false
}

func leadingNumber(s string) string {
	s = strings.TrimPrefix(s, "v")
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return strings.TrimLeft(s[:i], "0")
}

// versionCache parses each version string once per Match call.
type versionCache struct {
	m map[[2]string]cachedVersion
}

type cachedVersion struct {
	v   semantic.Version
	err error
}

// parse parses s in the ecosystem base, or as SemVer for RangeSemver.
func (vc *versionCache) parse(eco, s string) (semantic.Version, error) {
	if vc.m == nil {
		vc.m = map[[2]string]cachedVersion{}
	}
	if len(s) > maxVersionLen {
		// The parsers take time quadratic in the length: no real version
		// is this long, and none is parsed.
		return nil, errVersionTooLong
	}
	k := [2]string{eco, s}
	if c, ok := vc.m[k]; ok {
		return c.v, c.err
	}
	var c cachedVersion
	if eco == RangeSemver {
		c.v = semantic.ParseSemverVersion(s)
	} else {
		c.v, c.err = semantic.Parse(s, eco)
	}
	vc.m[k] = c
	return c.v, c.err
}

var errVersionTooLong = fmt.Errorf("version longer than %d bytes", maxVersionLen)

type parseFunc func(string) (semantic.Version, error)

type parsedEvent struct {
	Event
	at   semantic.Version // nil for introduced "0"
	zero bool
}

// sortedEvents parses and sorts the non-limit events by version, "0" first.
// If one does not parse it returns false: the range cannot be evaluated,
// and dropping only that event could turn "introduced 0, fixed X" into
// "every version". Import drops such ranges already (dropBadRanges).
func sortedEvents(events []Event, parse parseFunc) ([]parsedEvent, bool) {
	var out []parsedEvent
	for _, e := range events {
		var s string
		switch {
		case e.Introduced != "":
			if e.Introduced == "0" {
				out = append(out, parsedEvent{Event: e, zero: true})
				continue
			}
			s = e.Introduced
		case e.Fixed != "":
			s = e.Fixed
		case e.LastAffected != "":
			s = e.LastAffected
		default:
			continue
		}
		at, err := parse(s)
		if err != nil {
			return nil, false
		}
		out = append(out, parsedEvent{Event: e, at: at})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].zero || out[j].zero {
			return out[i].zero && !out[j].zero
		}
		c, err := out[i].at.Compare(out[j].at)
		return err == nil && c < 0
	})
	return out, true
}

// includedInRange is the loop of the spec's IncludedInRanges for one range.
func includedInRange(v semantic.Version, events []parsedEvent) bool {
	vulnerable := false
	for _, e := range events {
		c := 0
		if !e.zero {
			var err error
			if c, err = v.Compare(e.at); err != nil {
				continue
			}
		}
		switch {
		case e.Introduced != "" && (e.zero || c >= 0):
			vulnerable = true
		case e.Fixed != "" && c >= 0:
			vulnerable = false
		case e.LastAffected != "" && c > 0:
			vulnerable = false
		}
	}
	return vulnerable
}

// beforeLimits is the spec's BeforeLimits: without limit events every
// version is in; "*" means no upper limit.
func beforeLimits(v semantic.Version, events []Event, parse parseFunc) bool {
	has := false
	for _, e := range events {
		if e.Limit == "" {
			continue
		}
		has = true
		if e.Limit == "*" {
			return true
		}
		l, err := parse(e.Limit)
		if err != nil {
			continue
		}
		if c, err := v.Compare(l); err == nil && c < 0 {
			return true
		}
	}
	return !has
}

// buildFindings merges the hits of one package into findings, one per
// group of records that alias each other.
func buildFindings(g *pkgGroup, pkgs []Package, hits []hit) []Finding {
	if len(hits) == 0 {
		return nil
	}
	// Union-find over record IDs and aliases.
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if _, ok := parent[x]; !ok {
			parent[x] = x
		}
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	union := func(a, b string) {
		ra, rb := find(a), find(b)
		if ra != rb {
			parent[ra] = rb
		}
	}
	for _, h := range hits {
		find(h.entry.ID)
		for _, a := range h.entry.Aliases {
			union(h.entry.ID, a)
		}
	}
	byRoot := map[string][]hit{}
	var roots []string
	for _, h := range hits {
		r := find(h.entry.ID)
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], h)
	}
	first := pkgs[g.indexes[0]]
	var out []Finding
	for _, r := range roots {
		out = append(out, mergeHits(byRoot[r], g, first))
	}
	return out
}

func mergeHits(hits []hit, g *pkgGroup, first Package) Finding {
	sort.Slice(hits, func(i, j int) bool {
		ri, rj := idRank(hits[i].entry.ID), idRank(hits[j].entry.ID)
		if ri != rj {
			return ri < rj
		}
		return hits[i].entry.ID < hits[j].entry.ID
	})
	canon := hits[0].entry
	f := Finding{
		ID:           canon.ID,
		Summary:      canon.Summary,
		Severity:     Severity{Level: LevelUnknown},
		PackageIndex: slices.Clone(g.indexes),
		Package:      first,
	}
	ids := map[string]bool{}
	fixed := map[string]bool{}
	refs := map[string]bool{}
	vectors := map[string]bool{}
	for _, h := range hits {
		e := h.entry
		ids[e.ID] = true
		for _, a := range e.Aliases {
			ids[a] = true
		}
		if f.Summary == "" {
			f.Summary = e.Summary
		}
		if e.Modified.After(f.Modified) {
			f.Modified = e.Modified
		}
		sev, cvss := recordSeverity(e, h.affected)
		if f.Severity.Level == LevelUnknown || higher(sev, f.Severity) {
			f.Severity = sev
		}
		for _, c := range cvss {
			if !vectors[c.Vector] {
				vectors[c.Vector] = true
				f.CVSS = append(f.CVSS, c)
			}
		}
		for _, v := range h.fixed {
			fixed[v] = true
		}
		for _, r := range e.References {
			if !refs[r] {
				refs[r] = true
				f.References = append(f.References, r)
			}
		}
	}
	delete(ids, f.ID)
	for id := range ids {
		f.Aliases = append(f.Aliases, id)
	}
	sort.Strings(f.Aliases)
	for v := range fixed {
		f.FixedVersions = append(f.FixedVersions, v)
	}
	sortVersions(f.FixedVersions, g.r.eco)
	return f
}

// idRank orders IDs for the canonical choice: native database IDs, then
// GHSA, then CVE.
func idRank(id string) int {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return 2
	case strings.HasPrefix(id, "GHSA-"):
		return 1
	}
	return 0
}

// sortVersions orders vs by the ecosystem's ordering, parsing each once
// (a comparison-time parse made sorting n log n parses); versions that do
// not parse, or are longer than maxVersionLen, sort by text.
func sortVersions(vs []string, eco string) {
	type parsed struct {
		s string
		v semantic.Version
	}
	ps := make([]parsed, len(vs))
	for i, s := range vs {
		ps[i].s = s
		if len(s) <= maxVersionLen {
			if v, err := semantic.Parse(s, eco); err == nil {
				ps[i].v = v
			}
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].v != nil && ps[j].v != nil {
			if c, err := ps[i].v.Compare(ps[j].v); err == nil {
				return c < 0
			}
		}
		return ps[i].s < ps[j].s
	})
	for i := range ps {
		vs[i] = ps[i].s
	}
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].PackageIndex[0] != fs[j].PackageIndex[0] {
			return fs[i].PackageIndex[0] < fs[j].PackageIndex[0]
		}
		return fs[i].ID < fs[j].ID
	})
}
