package sbom

import (
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	stfile "github.com/anchore/stereoscope/pkg/file"
	"github.com/bmatcuk/doublestar/v4"
)

// The index answers syft's path, glob and MIME-type queries itself, as
// stereoscope's search context answers them from its file tree: that tree
// keeps three maps' entries, a node and a reference for every path (about
// 350 bytes each, the largest structure fnscan kept per file of an image),
// where the index needs two record numbers. Symlinks come resolved from the
// archive (every hop followed, inside the root), so a path resolves one
// component at a time with at most one jump per link.
// TestSearchMatchesStereoscope holds the answers to stereoscope's on the
// same records.

// seek is where p is, or would be, in the path order.
func (x *treeIndex) seek(p string) (int, bool) {
	return slices.BinarySearchFunc(x.byPath, p, func(n int32, p string) int {
		return strings.Compare(string(x.recs[n].ref.RealPath), p)
	})
}

// lookup finds the record at a literal path (no link followed).
func (x *treeIndex) lookup(p string) (int32, bool) {
	i, ok := x.seek(p)
	if !ok {
		return -1, false
	}
	return x.byPath[i], true
}

// sealLinks orders the records by path and records each symlink's target
// and, per target, the links to it (by path, as stereoscope lists them).
func (x *treeIndex) sealLinks() {
	x.byPath = make([]int32, len(x.recs))
	for i := range x.byPath {
		x.byPath[i] = int32(i)
	}
	slices.SortStableFunc(x.byPath, func(a, b int32) int {
		return strings.Compare(string(x.recs[a].ref.RealPath), string(x.recs[b].ref.RealPath))
	})
	// A path added twice (never, from trees) is its later record.
	kept := x.byPath[:0]
	for i, n := range x.byPath {
		if i+1 < len(x.byPath) && x.recs[x.byPath[i+1]].ref.RealPath == x.recs[n].ref.RealPath {
			continue
		}
		kept = append(kept, n)
	}
	x.byPath = kept
	x.dest = map[int32]int32{}
	x.back = map[int32][]int32{}
	for _, n := range x.byType[stfile.TypeSymLink] {
		t, ok := x.lookup(normalPath(x.recs[n].link))
		if !ok {
			continue // dead
		}
		x.dest[n] = t
		x.back[t] = append(x.back[t], n)
	}
	for _, links := range x.back {
		slices.SortFunc(links, func(a, b int32) int {
			return strings.Compare(string(x.recs[a].ref.RealPath), string(x.recs[b].ref.RealPath))
		})
	}
}

// requestForm is stereoscope's normal form of a request path, as results
// show it: clean, no trailing slash (and relative if asked so).
func requestForm(p string) string {
	if strings.Count(p, " ") < len(p) {
		p = strings.TrimLeft(p, " ")
	}
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "/"
	}
	return path.Clean(p)
}

// normalPath is a request's path in the index: absolute and clean.
func normalPath(p string) string {
	if p = requestForm(p); !strings.HasPrefix(p, "/") {
		p = path.Clean("/" + p) // a leading ".." stays at the root
	}
	return p
}

// resolve finds what a path leads to, its ancestors' links followed and,
// if follow, its own: the record reached, or -1 (absent, or a dead link).
func (x *treeIndex) resolve(p string, follow bool) int32 {
	p = normalPath(p)
	n, ok := x.lookup(p)
	if !ok {
		n = x.ancestors(p)
	}
	if n < 0 {
		return -1
	}
	if follow && x.recs[n].typ == stfile.TypeSymLink {
		t, ok := x.dest[n]
		if !ok {
			return -1
		}
		return t
	}
	return n
}

// maxPathLinks bounds the links one request goes through, as
// stereoscope's budget does (100 steps, two a link): /a/self/self/... .
const maxPathLinks = 49

// ancestors resolves a path through the links among its directories; the
// basename is not followed.
func (x *treeIndex) ancestors(p string) int32 {
	cur := ""
	rest := p[1:]
	n := int32(-1)
	hops := 0
	for rest != "" {
		comp, after, more := strings.Cut(rest, "/")
		rest = after
		var ok bool
		if n, ok = x.lookup(cur + "/" + comp); !ok {
			return -1
		}
		if more && x.recs[n].typ == stfile.TypeSymLink {
			if hops++; hops > maxPathLinks {
				return -1 // stereoscope gives up too
			}
			if n, ok = x.dest[n]; !ok {
				return -1
			}
		}
		if cur = string(x.recs[n].ref.RealPath); cur == "/" {
			cur = ""
		}
	}
	return n
}

// file is stereoscope's File(p, FollowBasenameLinks): the resolution of a
// request, nil when it leads nowhere.
func (x *treeIndex) file(p string) *stfile.Resolution {
	p = requestForm(p)
	n := x.resolve(p, true)
	if n < 0 {
		return nil
	}
	return &stfile.Resolution{RequestPath: stfile.Path(p), Reference: &x.recs[n].ref}
}

// searchGlob is SearchByGlob: every path matching the pattern that leads to
// a record (a path through a symlinked directory counts when the record's
// own path does not match), one per path, real paths first.
func (x *treeIndex) searchGlob(pattern string) ([]stfile.Resolution, error) {
	if strings.Contains(pattern, `\`) && strings.ContainsAny(pattern, "*?[]{}") {
		// Escapes are doublestar's alone: the whole pattern is walked.
		if !doublestar.ValidatePattern(pattern) {
			return nil, doublestar.ErrBadPattern
		}
		return x.walkGlob(pattern)
	}
	glob, ok := cleanGlob(pattern)
	var out []stfile.Resolution
	if !strings.ContainsAny(glob, "*?[]{}") {
		if r := x.file(glob); r != nil {
			out = append(out, *r)
		}
		return out, nil
	}
	if !ok {
		return nil, doublestar.ErrBadPattern
	}
	cands, walk := x.candidates(glob)
	if walk {
		return x.walkGlob(glob)
	}
	for _, n := range cands {
		if r := x.firstPath(map[string]bool{}, glob, string(x.recs[n].ref.RealPath), ""); r != nil {
			out = append(out, *r)
		}
	}
	return sortResolutions(out), nil
}

// searchMIME is SearchByMIMEType.
func (x *treeIndex) searchMIME(types ...string) []stfile.Resolution {
	var out []stfile.Resolution
	seen := map[string]bool{}
	for _, t := range types {
		if seen[t] {
			continue
		}
		seen[t] = true
		for _, n := range x.byMIME[t] {
			if r := x.firstPath(map[string]bool{}, "**/*", string(x.recs[n].ref.RealPath), ""); r != nil {
				out = append(out, *r)
			}
		}
	}
	sort.Sort(stfile.Resolutions(out))
	return out
}

// sortResolutions orders as stereoscope does and keeps one per request path.
func sortResolutions(rs []stfile.Resolution) []stfile.Resolution {
	sort.Sort(stfile.Resolutions(rs))
	seen := map[stfile.Path]bool{}
	return slices.DeleteFunc(rs, func(r stfile.Resolution) bool {
		if seen[r.RequestPath] {
			return true
		}
		seen[r.RequestPath] = true
		return false
	})
}

// cleanGlob puts a pattern in the form stereoscope matches it in: no
// repeated slashes, a segment of stars alone is "**" (or "*"), stars
// inside a segment are one "*", runs of "**" segments are one, absolute
// unless it starts with "**", no trailing slash.
func cleanGlob(g string) (string, bool) {
	g = strings.TrimSpace(g)
	segs := strings.Split(g, "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		if seg == "" && i > 0 && i < len(segs)-1 {
			continue // a repeated slash
		}
		switch {
		case seg != "" && strings.Trim(seg, "*") == "":
			seg = "*"
			if len(segs[i]) > 1 {
				seg = "**"
			}
		case strings.Contains(seg, "**"):
			for strings.Contains(seg, "**") {
				seg = strings.ReplaceAll(seg, "**", "*")
			}
		}
		if seg == "**" && len(out) > 0 && out[len(out)-1] == "**" {
			continue
		}
		out = append(out, seg)
	}
	g = strings.Join(out, "/")
	if len(g) > 1 {
		g = strings.TrimRight(g, "/")
	}
	if strings.HasPrefix(g, "/**/") || g == "/**" {
		g = g[1:]
	}
	if !strings.HasPrefix(g, "/") && !strings.HasPrefix(g, "**") {
		g = "/" + g
	}
	return g, doublestar.ValidatePattern(g)
}

// candidates lists the records a glob could reach, from its basename when
// that narrows it (a name, an extension, a name pattern, the entries of
// directories of a name); walk says none does.
func (x *treeIndex) candidates(glob string) (_ []int32, walk bool) {
	dir, base := "", glob
	if i := strings.LastIndexByte(glob, '/'); i >= 0 {
		dir, base = glob[:i], glob[i+1:]
	}
	balanced := strings.Count(base, "{") == strings.Count(base, "}") && strings.Count(base, "[") == strings.Count(base, "]") &&
		doublestar.ValidatePattern(base)
	switch {
	case !balanced || strings.Trim(base, "*?") == "" && base != "*":
		return nil, true
	case base == "*":
		parent := dir[strings.LastIndexByte(dir, '/')+1:]
		if strings.ContainsAny(parent, "*?[]{}") {
			return nil, true
		}
		return x.children(parent), false
	case !strings.ContainsAny(base, "*?[]{}"):
		return x.withName(base), false
	case strings.HasPrefix(base, "*.") && !strings.ContainsAny(base[2:], "*?[]{}"):
		return x.byExt["."+base[2:]], false
	}
	return x.nameGlob(base), false
}

// nameGlob lists the records whose basename matches a (valid) pattern.
func (x *treeIndex) nameGlob(g string) []int32 {
	var out []int32
	for i, name := range x.names {
		if doublestar.MatchUnvalidated(g, name) {
			out = append(out, x.named(i)...)
		}
	}
	return out
}

// withName lists the records with a basename.
func (x *treeIndex) withName(base string) []int32 {
	if i, ok := slices.BinarySearch(x.names, base); ok {
		return x.byBase[x.at[i]:x.at[i+1]]
	}
	return nil
}

// children lists what the directories named name hold (each directory
// resolved to where it really is, listed once).
func (x *treeIndex) children(name string) []int32 {
	var out []int32
	listed := map[int32]bool{}
	for _, n := range x.withName(name) {
		d := x.resolve(string(x.recs[n].ref.RealPath), true)
		if d < 0 || listed[d] || x.recs[d].typ != stfile.TypeDirectory {
			continue
		}
		listed[d] = true
		out = append(out, x.listDir(d)...)
	}
	return out
}

// listDir lists a directory's records, skipping what its subdirectories
// hold.
func (x *treeIndex) listDir(d int32) []int32 {
	prefix := string(x.recs[d].ref.RealPath)
	if prefix != "/" {
		prefix += "/"
	}
	at := func(p string) int {
		i, _ := x.seek(p)
		return i
	}
	var out []int32
	for i := at(prefix); i < len(x.byPath); {
		p := string(x.recs[x.byPath[i]].ref.RealPath)
		if !strings.HasPrefix(p, prefix) {
			break
		}
		rel := p[len(prefix):]
		if rel == "" {
			i++
			continue
		}
		if j := strings.IndexByte(rel, '/'); j >= 0 {
			// Inside a subdirectory: what it holds sorts together, up
			// to its name and "0" ("/" + 1).
			i = max(i+1, at(prefix+rel[:j]+"0"))
			continue
		}
		out = append(out, x.byPath[i])
		i++
	}
	return out
}

// walkGlob matches a pattern no index narrows by walking the tree with
// doublestar, as stereoscope does: directories through symlinks included
// (unless they loop), directories themselves left out.
func (x *treeIndex) walkGlob(glob string) ([]stfile.Resolution, error) {
	if !strings.HasPrefix(glob, "/") {
		glob = "/" + glob
	}
	matches, err := doublestar.Glob(globFS{x}, glob)
	if err != nil {
		return nil, err
	}
	var out []stfile.Resolution
	for _, m := range matches {
		if !path.IsAbs(m) {
			m = path.Join("/", m)
		}
		n := x.resolve(m, true)
		if n < 0 || x.recs[n].typ == stfile.TypeDirectory {
			continue
		}
		out = append(out, stfile.Resolution{RequestPath: stfile.Path(m), Reference: &x.recs[n].ref})
	}
	return sortResolutions(out), nil
}

// globFS shows the index to doublestar as stereoscope's osAdapter shows
// its tree: a directory reached through links lists its entries under the
// path asked for, unless the path resolves in a loop.
type globFS struct{ x *treeIndex }

func (g globFS) Open(name string) (fs.File, error) { return globDir{g, name}, nil }

func (g globFS) ReadDir(name string) ([]fs.DirEntry, error) {
	x := g.x
	d := x.resolve(name, true)
	if d < 0 || g.loops(name) {
		return []fs.DirEntry{}, nil
	}
	var out []fs.DirEntry
	for _, c := range x.listDir(d) {
		req := path.Join(name, path.Base(string(x.recs[c].ref.RealPath)))
		if fi, err := g.Lstat(req); err == nil {
			out = append(out, fi.(globInfo))
		}
	}
	return out, nil
}

// loops: more than one of the path's prefixes resolves to where another
// does (or nowhere).
func (g globFS) loops(name string) bool {
	p := normalPath(name)
	all := []string{"/"}
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			all = append(all, p[:i])
		}
	}
	if p != "/" {
		all = append(all, p)
	}
	seen := map[int32]bool{}
	for _, q := range all {
		if n := g.x.resolve(q, true); n >= 0 {
			seen[n] = true
		}
	}
	return len(all)-len(seen) > 1
}

func (g globFS) Lstat(name string) (fs.FileInfo, error) { return g.stat(name, false) }
func (g globFS) Stat(name string) (fs.FileInfo, error)  { return g.stat(name, true) }

func (g globFS) stat(name string, follow bool) (fs.FileInfo, error) {
	n := g.x.resolve(name, follow)
	if n < 0 {
		return globInfo{}, fs.ErrNotExist
	}
	return globInfo{name: path.Base(normalPath(name)), typ: g.x.recs[n].typ}, nil
}

type globDir struct {
	g    globFS
	name string
}

// globInfo is what Lstat or Stat tells of a path.
type globInfo struct {
	name string
	typ  stfile.Type
}

func (d globDir) Stat() (fs.FileInfo, error)         { return d.g.Stat(d.name) }
func (d globDir) Read([]byte) (int, error)           { return 0, fs.ErrInvalid }
func (d globDir) Close() error                       { return nil }
func (d globDir) ReadDir(int) ([]fs.DirEntry, error) { return d.g.ReadDir(d.name) }
func (i globInfo) Name() string                      { return i.name }
func (i globInfo) Size() int64                       { return 0 }
func (i globInfo) ModTime() time.Time                { return time.Time{} }
func (i globInfo) IsDir() bool                       { return i.typ == stfile.TypeDirectory }
func (i globInfo) Sys() any                          { return nil }
func (i globInfo) Type() fs.FileMode                 { return i.Mode().Type() }
func (i globInfo) Info() (fs.FileInfo, error)        { return i, nil }

func (i globInfo) Mode() fs.FileMode {
	m := fs.FileMode(0o755)
	if i.IsDir() {
		m |= fs.ModeDir
	}
	if i.typ == stfile.TypeSymLink || i.typ == stfile.TypeHardLink {
		m |= fs.ModeSymlink
	}
	return m
}

// firstPath finds the first path to a record that matches the glob: its own,
// else one through a link to one of its directories (or to it), the links
// tried in path order, each path once.
func (x *treeIndex) firstPath(seen map[string]bool, glob, checked, suffix string) *stfile.Resolution {
	full := checked
	if suffix != "" {
		if strings.HasPrefix(suffix, "/") {
			full = checked + suffix
		} else {
			full = path.Join(checked, suffix)
		}
	}
	if seen[full] {
		return nil
	}
	seen[full] = true
	if r := x.file(full); r != nil && doublestar.MatchUnvalidated(glob, string(r.RequestPath)) {
		return r
	}
	if !strings.HasPrefix(checked, "/") {
		checked = "/" + checked
	}
	for i := nextSlash(checked, 1); i > 0; i = nextSlash(checked, i+1) {
		dir, remain := checked[:i], full[i:]
		if seen[dir] {
			continue
		}
		seen[dir] = true
		n, ok := x.lookup(dir)
		if !ok {
			continue
		}
		for _, l := range x.back[n] {
			if r := x.firstPath(seen, glob, string(x.recs[l].ref.RealPath), remain); r != nil {
				return r
			}
		}
	}
	return nil
}

// nextSlash is the index of the next "/" from start, the end of s, or -1
// past it.
func nextSlash(s string, start int) int {
	if start >= len(s) {
		return -1
	}
	if i := strings.IndexByte(s[start:], '/'); i >= 0 {
		return start + i
	}
	return len(s)
}
