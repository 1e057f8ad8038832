package sbom

import (
	"cmp"
	"context"
	"os"
	"slices"
	"sync"

	"fmt"
	"path"
	"runtime"
	"sort"
	"strings"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"

	"github.com/anchore/packageurl-go"
	"github.com/anchore/syft/syft"
	syftart "github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/cataloging"
	"github.com/anchore/syft/syft/file"
	"github.com/anchore/syft/syft/pkg"
	syftsbom "github.com/anchore/syft/syft/sbom"
	"github.com/anchore/syft/syft/source"
	"github.com/anchore/syft/syft/source/directorysource"

	"github.com/fnscan/fnscan/artifact"

	// syft's RPM cataloger reads newer rpmdbs through database/sql.
	_ "modernc.org/sqlite"
)

// Location is one place a component was found.
type Location struct {
	Path   string          `json:"path"` // virtual path, e.g. "fn.zip!node_modules/qs/package.json"
	Origin artifact.Origin `json:"origin"`
}

// Component is a package found in the target.
type Component struct {
	Ref     string `json:"bomRef"` // CycloneDX bom-ref
	Name    string `json:"name"`
	Version string `json:"version"`
	PURL    string `json:"purl,omitempty"`
	Type    string `json:"type"` // syft package type: npm, python, java-archive, go-module, apk, ...
	// Source is the distro source package (apk origin, deb source), which
	// distro advisories are often filed under.
	Source    string     `json:"source,omitempty"`
	Licenses  []string   `json:"licenses,omitempty"`
	FoundBy   string     `json:"foundBy,omitempty"`
	Locations []Location `json:"locations"`
}

// Distro identifies a Linux distribution (os-release).
type Distro struct {
	ID        string // "alpine", "debian", ...
	VersionID string // "3.10.9", "12"
	Name      string
}

// Subject describes the scanned artifact itself.
type Subject struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	SHA256     string `json:"sha256,omitempty"`
	CodeSHA256 string `json:"codeSha256,omitempty"` // base64 sha256, as AWS Lambda reports it
	ImageID    string `json:"imageId,omitempty"`
	Platform   string `json:"platform,omitempty"`
	Size       int64  `json:"size,omitempty"`
}

// Result is a cataloged target.
type Result struct {
	Subject    Subject
	Components []Component
	Parts      []artifact.Origin
	Warnings   []artifact.Warning
	// Distro is the Linux distribution of an image, nil for others.
	Distro *Distro
	// Applications are the function's own packages (its top-level
	// package.json, its Go binary's main module): what the SBOM describes,
	// not dependencies, so never matched against advisories.
	Applications []Component
	// syft holds the merged syft document the encoders start from.
	syft *syftsbom.SBOM
	// origins maps a syft package ID to where it was found.
	origins map[syftart.ID][]Location
	// bom is the CycloneDX model without serial number and timestamp.
	bom *cyclonedx.BOM
	// raw is a CycloneDX JSON input, re-emitted as is; inputMeta its metadata.
	raw       []byte
	inputMeta *cyclonedx.Metadata
	// refs maps a syft package ID to its bom-ref.
	refs map[syftart.ID]string
	// apps holds the syft IDs of Applications; appComps are their
	// CycloneDX components, nested under metadata.component.
	apps     map[syftart.ID]bool
	appComps []cyclonedx.Component
	// redact is applied to every text of the documents (see Redact).
	redact func(string) string
	learn  func([]string)
	// serials are the serial numbers of the result's documents, random
	// and reproducible, made once (serial).
	serialMu sync.Mutex
	serials  map[serialKey]string
}

// Config chooses what cataloging does.
type Config struct {
	Parallelism int
	ToolName    string
	ToolVersion string
	Warn        func(artifact.Warning) // called for each warning cataloging adds; may be nil
	// TempDir holds syft's temp files (unpacked jars and the like); ""
	// means a directory inside the target's work dir, removed with it.
	TempDir string
}

// DefaultConfig catalogs with all cores.
func DefaultConfig() Config {
	return Config{Parallelism: runtime.GOMAXPROCS(0), ToolName: "fnscan", ToolVersion: "dev"}
}

// Deployed packages hold what is installed, so syft's "image" (installed)
// catalogers fit them; lockfiles are added for functions shipped without
// node_modules, and dropped where node_modules is present.
func selection() cataloging.SelectionRequest {
	return cataloging.NewSelectionRequest().
		WithDefaults("image").
		WithAdditions("javascript-lock-cataloger")
}

// Uncataloged describes a target without cataloging it (for stages that
// only read its files, like the secrets scan).
func Uncataloged(t *artifact.Target) *Result {
	res := &Result{
		Subject:  Subject{Name: t.Name, Kind: string(t.Kind), SHA256: t.SHA256, CodeSHA256: t.CodeSHA256, ImageID: t.ImageID, Platform: t.Platform, Size: t.Size},
		Parts:    t.Parts,
		Warnings: t.Warnings,
	}
	return res
}

// Catalog runs syft over every root of the target that holds packages and
// merges the results into one document.
func Catalog(ctx context.Context, t *artifact.Target, cfg Config) (*Result, error) {
	if cfg.Parallelism <= 0 {
		cfg.Parallelism = runtime.GOMAXPROCS(0)
	}
	res := &Result{
		Subject: Subject{Name: t.Name, Kind: string(t.Kind), SHA256: t.SHA256, CodeSHA256: t.CodeSHA256, ImageID: t.ImageID, Platform: t.Platform, Size: t.Size},
		Parts:   t.Parts,
		origins: map[syftart.ID][]Location{},
	}
	merged := &syftsbom.SBOM{
		Artifacts: syftsbom.Artifacts{Packages: pkg.NewCollection()},
		Source:    sourceOf(t),
		Descriptor: syftsbom.Descriptor{
			Name: cfg.ToolName, Version: cfg.ToolVersion,
		},
	}
	// syft makes its temp dir only when a cataloger needs one (a jar to
	// copy), so a zip of scripts writes nothing at all.
	tmp := cfg.TempDir
	if tmp == "" {
		var cleanup func()
		ctx, cleanup = withLazyTempDir(ctx, "fnscan-syft")
		defer cleanup()
	} else {
		if err := os.MkdirAll(tmp, 0o700); err != nil {
			return nil, fmt.Errorf("cataloging temp dir: %w", err)
		}
		ctx = withTempDir(ctx, tmp)
	}
	// Roots on disk are cataloged one by one; archives read in place are
	// mounted in one tree and cataloged once, however many there are.
	// One licence scanner for every syft run of the process.
	lic, err := licenseContext()
	if err != nil {
		return nil, err
	}
	ctx = withValuesOf{ctx, lic}
	var (
		warnMu       sync.Mutex // catalogers read files in parallel
		treeWarnings []artifact.Warning
	)
	var mounts []*mount
	var inPlace []*artifact.Root
	for _, r := range t.Roots {
		if !r.Catalog {
			continue
		}
		if r.Tree != nil {
			inPlace = append(inPlace, r)
		} else {
			mounts = append(mounts, newMount([]*artifact.Root{r}))
		}
	}
	if len(inPlace) > 0 {
		mounts = append(mounts, newMount(inPlace))
	}
	for _, m := range mounts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var src source.Source
		var err error
		if m.roots[0].Tree != nil {
			src, err = newTreeSource(ctx, t.Name, m, ctx, func(w artifact.Warning) {
				warnMu.Lock()
				treeWarnings = append(treeWarnings, w)
				warnMu.Unlock()
				if cfg.Warn != nil {
					cfg.Warn(w)
				}
			})
		} else {
			r := m.roots[0]
			var ex source.ExcludeConfig
			for p := range r.NotCataloged {
				ex.Paths = append(ex.Paths, "./"+globEscape(p))
			}
			src, err = directorysource.New(directorysource.Config{Path: r.Dir, Base: r.Dir, Exclude: ex})
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", displayRoot(m.roots[0]), err)
		}
		scfg := newSBOMConfig().
			WithTool(cfg.ToolName, cfg.ToolVersion).
			WithParallelism(cfg.Parallelism).
			WithCatalogerSelection(selection()).
			WithoutFiles()
		s, err := createSBOM(ctx, src, scfg)
		src.Close()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("cataloging %s: %w", displayRoot(m.roots[0]), err)
		}
		if d := s.Artifacts.LinuxDistribution; d != nil && res.Distro == nil {
			res.Distro = &Distro{ID: d.ID, VersionID: d.VersionID, Name: d.Name}
			merged.Artifacts.LinuxDistribution = s.Artifacts.LinuxDistribution
		}
		mergeRoot(res, merged, s, m)
	}
	res.syft = merged
	// syft copies every package it enumerates, by reflection: one copy
	// serves both (ToFormatModel makes its own).
	packages := merged.Artifacts.Packages.Sorted()
	res.bom = toCycloneDX(res, packages)
	res.Components, res.Applications = components(res, packages)
	warnMu.Lock()
	res.Warnings = append(slices.Clip(t.Warnings), treeWarnings...)
	warnMu.Unlock()
	for _, w := range bundleWarnings(t, res.Components) {
		res.Warnings = append(res.Warnings, w)
		if cfg.Warn != nil {
			cfg.Warn(w)
		}
	}
	return res, nil
}

// warm holds a syft default config being made ahead of cataloging (Warm).
var warm struct {
	mu sync.Mutex
	c  chan *syft.CreateSBOMConfig
}

// Warm starts making what cataloging needs before the target is open:
// syft's default config compiles every binary classifier's expressions.
func Warm() {
	warm.mu.Lock()
	defer warm.mu.Unlock()
	if warm.c == nil {
		c := make(chan *syft.CreateSBOMConfig, 1)
		warm.c = c
		go func() { c <- syft.DefaultCreateSBOMConfig() }()
	}
}

// newSBOMConfig is syft's default config: the one Warm made, else a new
// one (each run has its own, as syft's With methods change it).
func newSBOMConfig() *syft.CreateSBOMConfig {
	warm.mu.Lock()
	c := warm.c
	warm.c = nil
	warm.mu.Unlock()
	if c != nil {
		return <-c
	}
	return syft.DefaultCreateSBOMConfig()
}

// sourceOf describes the target as syft's SPDX encoder makes its document
// root from: an image is a container with its manifest digest (a registry's;
// an archive's own digest is the file's, added as a checksum), anything else
// a file or directory with its checksum.
func sourceOf(t *artifact.Target) source.Description {
	d := source.Description{Name: t.Name}
	switch t.Kind {
	case artifact.KindDockerArchive, artifact.KindOCIArchive, artifact.KindOCIDir, artifact.KindRegistry:
		m := source.ImageMetadata{UserInput: t.Name, ID: t.ImageID, Tags: t.RepoTags}
		if _, arch, ok := strings.Cut(t.Platform, "/"); ok {
			m.Architecture, _, _ = strings.Cut(arch, "/")
		}
		if (t.Kind == artifact.KindRegistry || t.Kind == artifact.KindOCIDir) && t.SHA256 != "" {
			m.ManifestDigest = "sha256:" + t.SHA256
		}
		d.Metadata = m
	case artifact.KindDir:
		d.Metadata = source.DirectoryMetadata{Path: t.Name}
	default:
		m := source.FileMetadata{Path: t.Name}
		if t.SHA256 != "" {
			m.Digests = []file.Digest{{Algorithm: "sha256", Value: t.SHA256}}
		}
		d.Metadata = m
	}
	return d
}

// createSBOM runs syft until it finishes or ctx ends. A cancelled syft
// returns the document it has so far, without an error, while its
// catalogers still run and add to it: that document is never used. What
// syft leaves running only reads the work dir, which the caller removes.
func createSBOM(ctx context.Context, src source.Source, cfg *syft.CreateSBOMConfig) (*syftsbom.SBOM, error) {
	type created struct {
		s   *syftsbom.SBOM
		err error
	}
	done := make(chan created, 1)
	go func() {
		s, err := syft.CreateSBOM(ctx, src, cfg)
		done <- created{s, err}
	}()
	select {
	case c := <-done:
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return c.s, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func displayRoot(r *artifact.Root) string {
	if r.Virtual == "" {
		return r.Origin.String()
	}
	return r.Virtual
}

// mergeRoot moves one root's packages into the merged document with virtual
// paths as locations. Package IDs are recomputed (they hash the locations, so
// the same package in two layers stays two packages) and relationships are
// remapped to the new IDs.
func mergeRoot(res *Result, merged, s *syftsbom.SBOM, m *mount) {
	if res.apps == nil {
		res.apps = map[syftart.ID]bool{}
	}
	// A snapshot: the loop must not hold the collection's read lock.
	var pkgs []pkg.Package
	for p := range s.Artifacts.Packages.Enumerate() {
		pkgs = append(pkgs, p)
	}
	lockDirs := installedNodeDirs(pkgs)
	appDir := functionDir(m)
	inImage := imageMount(m)
	manifests := manifestsByDir(pkgs)
	newID := map[syftart.ID]pkg.Package{}
	// A lockfile beside node_modules is dropped as a package source, but its
	// dependency edges are kept: they are moved onto the installed package
	// of the same name and version.
	lockKey := map[syftart.ID]string{}
	installed := map[string]pkg.Package{}
	npmByDir := map[string]pkg.Package{}
	// The lockfile's entry for its own project stands for the application.
	var app *pkg.Package
	lockApp := map[syftart.ID]bool{}
	// dropped packages take their relationships with them.
	dropped := map[syftart.ID]bool{}
	for _, p := range pkgs {
		old := p.ID()
		isApp := false
		manifest := npmManifest(p)
		switch p.FoundBy {
		case "javascript-package-cataloger":
			switch {
			case appDir != "" && manifest == path.Join(appDir, "package.json"):
				isApp = true
			case !installedManifest(manifest):
				// A package's test fixture or a layer's own manifest:
				// not something npm installed.
				dropped[old] = true
				continue
			}
		case "javascript-lock-cataloger":
			if strayLock(p, appDir, inImage) {
				dropped[old] = true
				continue
			}
			if lockDir, own := ownLockEntry(p, manifests); own {
				// Beside node_modules the installed tree gives the
				// application's edges (syft resolves lock entries by name).
				if lockDir == appDir && !lockDirs[lockDir] {
					lockApp[old] = true
				}
				dropped[old] = true
				continue
			}
		}
		if m, ok := p.Metadata.(pkg.DotnetDepsEntry); ok {
			// A self-contained app lists its runtime as "runtimepack.<name>":
			// advisories name the NuGet package.
			if len(p.Name) > len(runtimePack) && strings.EqualFold(p.Name[:len(runtimePack)], runtimePack) {
				p.Name = p.Name[len(runtimePack):]
				p.PURL = packageurl.NewPackageURL(packageurl.TypeNuget, "", p.Name, p.Version, nil, "").ToString()
			}
			// The project the deps.json is named after (no package hash) is
			// the function itself, as syft finds a deps.json's root.
			isApp = isApp || (appDir != "" && m.Sha512 == "" && depsRoot(p, appDir))
		}
		if m, ok := p.Metadata.(pkg.GolangBinaryBuildinfoEntry); ok && appDir != "" && m.MainModule == p.Name {
			for _, l := range p.Locations.ToSlice() {
				isApp = isApp || path.Dir(l.RealPath) == appDir
			}
		}
		var locs []file.Location
		var where []Location
		beside := false
		for _, l := range p.Locations.ToSlice() {
			if p.FoundBy == "javascript-lock-cataloger" && lockDirs[path.Dir(l.RealPath)] {
				beside = true
				break
			}
			r, rel := m.locate(l.RealPath)
			virt, origin := r.Locate(rel)
			// Inside an archive syft opened itself (a jar in a jar target),
			// the access path chains its entries: "/app.jar:BOOT-INF/lib/x.jar".
			if rest, ok := strings.CutPrefix(l.AccessPath, l.RealPath+":"); ok && rest != "" {
				for _, e := range strings.Split(rest, ":") {
					virt += "!" + strings.ReplaceAll(strings.ReplaceAll(e, "%3A", ":"), "%25", "%")
				}
			}
			if m, ok := p.Metadata.(pkg.JavaArchive); ok && m.PomProperties != nil && m.PomProperties.Path != "" && len(where) == 0 {
				virt += "!" + m.PomProperties.Path
			}
			locs = append(locs, file.NewVirtualLocationFromCoordinates(file.Coordinates{RealPath: virt}, virt))
			where = append(where, Location{Path: virt, Origin: origin})
		}
		if beside {
			lockKey[old] = p.Name + "@" + p.Version
			dropped[old] = true
			continue
		}
		p.Locations = file.NewLocationSet(locs...)
		if isApp {
			// Its purl and CPEs would name a registry package of the same
			// name, which is how fixtures and apps became false matches.
			p.PURL, p.CPEs = "", nil
		}
		p.SetID()
		newID[old] = p
		if isApp {
			res.apps[p.ID()] = true
			if p.FoundBy == "javascript-package-cataloger" {
				app = &p
			}
		}
		if p.FoundBy == "javascript-package-cataloger" {
			if _, dup := installed[p.Name+"@"+p.Version]; !dup && !isApp {
				installed[p.Name+"@"+p.Version] = p
			}
			npmByDir[strings.TrimPrefix(path.Dir(manifest), "/")] = p
		}
		res.origins[p.ID()] = append(res.origins[p.ID()], where...)
		merged.Artifacts.Packages.Add(p)
	}
	lookup := func(id syftart.ID) (pkg.Package, bool) {
		if p, ok := newID[id]; ok {
			return p, true
		}
		if lockApp[id] && app != nil {
			return *app, true
		}
		if k, ok := lockKey[id]; ok {
			p, ok := installed[k]
			return p, ok
		}
		return pkg.Package{}, false
	}
	seen := map[[2]syftart.ID]bool{}
	rels := append(s.Relationships, npmDependencies(m, npmByDir)...)
	for _, rel := range rels {
		from, ok1 := rel.From.(pkg.Package)
		to, ok2 := rel.To.(pkg.Package)
		if !ok1 || !ok2 {
			continue
		}
		nf, ok1 := lookupAny(lookup, dropped, from)
		nt, ok2 := lookupAny(lookup, dropped, to)
		if !ok1 || !ok2 || nf.ID() == nt.ID() || seen[[2]syftart.ID{nf.ID(), nt.ID()}] {
			continue
		}
		seen[[2]syftart.ID{nf.ID(), nt.ID()}] = true
		rel.From, rel.To = nf, nt
		merged.Relationships = append(merged.Relationships, rel)
	}
}

// lookupAny maps a package of this root's syft document, or one already
// renumbered (npmDependencies works on renumbered packages), to the merged
// one; a dropped package with nothing standing for it maps to none.
func lookupAny(lookup func(syftart.ID) (pkg.Package, bool), dropped map[syftart.ID]bool, p pkg.Package) (pkg.Package, bool) {
	if n, ok := lookup(p.ID()); ok {
		return n, true
	}
	return p, p.ID() != "" && !dropped[p.ID()]
}

// installedNodeDirs lists directories whose node_modules syft cataloged, so
// a lockfile there is not counted twice (and its dev-only entries, which were
// never shipped, are not invented).
func installedNodeDirs(pkgs []pkg.Package) map[string]bool {
	dirs := map[string]bool{}
	for _, p := range pkgs {
		if p.FoundBy != "javascript-package-cataloger" {
			continue
		}
		for _, l := range p.Locations.ToSlice() {
			rp := l.RealPath
			if i := strings.Index(rp, "/node_modules/"); i >= 0 {
				dirs[rp[:i]] = true
			} else if strings.HasPrefix(rp, "node_modules/") {
				dirs["."] = true
			}
		}
	}
	// Root-level lockfiles report "/package-lock.json": path.Dir gives "/".
	if dirs[""] {
		dirs["/"] = true
	}
	return dirs
}

// installedManifest says whether a package.json is that of a package npm
// (or pnpm) installed: from the first node_modules on, the path is only
// node_modules/<name> or node_modules/@scope/<name>, nested in each other
// (or in pnpm's store, node_modules/.pnpm/<id>/node_modules/...). A
// node_modules under a package's own test/fixtures is not one.
func installedManifest(manifest string) bool {
	segs := strings.Split(manifest, "/")
	if len(segs) < 3 || segs[len(segs)-1] != "package.json" {
		return false
	}
	i := slices.Index(segs, "node_modules")
	if i < 0 {
		return false
	}
	segs = segs[i : len(segs)-1]
	for len(segs) > 0 {
		if segs[0] != "node_modules" || len(segs) < 2 {
			return false
		}
		rest := segs[1:]
		switch {
		case rest[0] == ".pnpm" && len(rest) >= 3:
			segs = rest[2:] // the store entry's own node_modules follows
			continue
		case strings.HasPrefix(rest[0], "@") && len(rest) >= 2 && npmName(rest[1]):
			segs = rest[2:]
		case npmName(rest[0]):
			segs = rest[1:]
		default:
			return false
		}
	}
	return true
}

func npmName(s string) bool { return s != "" && s[0] != '.' && s[0] != '@' }

// functionDir is where a root holds the function's own code, whose manifest
// and binaries are the application: the top of a function zip or directory
// target, LAMBDA_TASK_ROOT in an image. Layers and nested archives have
// none.
func functionDir(m *mount) string {
	for i, r := range m.roots {
		if r.Depth > 0 {
			continue
		}
		switch r.Origin.Kind {
		case artifact.OriginFunction, artifact.OriginDirectory:
			return path.Join("/", m.prefixes[i])
		case artifact.OriginImageLayer:
			return path.Join("/", m.prefixes[i], cmp.Or(r.AppDir, "var/task"))
		}
	}
	return ""
}

// imageMount says m holds an image's layers.
func imageMount(m *mount) bool {
	for _, r := range m.roots {
		if r.Origin.Kind == artifact.OriginImageLayer {
			return true
		}
	}
	return false
}

// strayLock says a lockfile entry describes nothing that was installed
// here: a lockfile inside node_modules is a dependency's own (its tests,
// its examples: npm installs from the top-level one), and in an image only
// the function's lockfile counts (syft catalogs images without lockfiles:
// a Go toolchain or JupyterLab ships lockfiles of projects nobody installed).
func strayLock(p pkg.Package, appDir string, inImage bool) bool {
	for _, l := range p.Locations.ToSlice() {
		dir := path.Dir(l.RealPath)
		if strings.Contains(dir+"/", "/node_modules/") || strings.HasPrefix(dir, "node_modules/") {
			return true
		}
		if inImage && dir != appDir {
			return true
		}
	}
	return false
}

const runtimePack = "runtimepack."

// depsRoot says p is the project a deps.json in dir is named after
// ("OrdersFn" of OrdersFn.deps.json).
func depsRoot(p pkg.Package, dir string) bool {
	for _, l := range p.Locations.ToSlice() {
		name, ok := strings.CutSuffix(path.Base(l.RealPath), ".deps.json")
		if ok && path.Dir(l.RealPath) == dir && strings.EqualFold(name, p.Name) {
			return true
		}
	}
	return false
}

// npmManifest is the root-relative path of the package.json an npm package
// was read from ("/node_modules/qs/package.json"), or "".
func npmManifest(p pkg.Package) string {
	if p.FoundBy != "javascript-package-cataloger" {
		return ""
	}
	for _, l := range p.Locations.ToSlice() {
		if path.Base(l.RealPath) == "package.json" {
			return l.RealPath
		}
	}
	return ""
}

// manifestsByDir gives, per directory, the name@version of the package.json
// there.
func manifestsByDir(pkgs []pkg.Package) map[string]string {
	out := map[string]string{}
	for _, p := range pkgs {
		if m := npmManifest(p); m != "" {
			out[path.Dir(m)] = p.Name + "@" + p.Version
		}
	}
	return out
}

// ownLockEntry reports whether p is a lockfile's entry for the project the
// lockfile belongs to (package-lock's "" entry: the package.json beside it,
// never fetched from a registry), and the lockfile's directory.
func ownLockEntry(p pkg.Package, manifests map[string]string) (string, bool) {
	m, ok := p.Metadata.(pkg.NpmPackageLockEntry)
	if !ok || m.Resolved != "" || m.Integrity != "" {
		return "", false
	}
	for _, l := range p.Locations.ToSlice() {
		// By name: a lockfile not regenerated after a version bump still
		// describes the project beside it.
		if d := path.Dir(l.RealPath); strings.HasPrefix(manifests[d], p.Name+"@") {
			return d, true
		}
	}
	return "", false
}

// components lists the packages of res, dependencies and applications apart.
func components(res *Result, packages []pkg.Package) (deps, apps []Component) {
	for _, p := range packages {
		c := Component{
			Ref: res.refs[p.ID()], Name: p.Name, Version: p.Version, PURL: p.PURL, Type: string(p.Type),
			FoundBy: p.FoundBy, Locations: res.origins[p.ID()],
		}
		switch m := p.Metadata.(type) {
		case pkg.ApkDBEntry:
			c.Source = m.OriginPackage
		case pkg.DpkgDBEntry:
			c.Source = m.Source
		}
		for _, l := range p.Licenses.ToSlice() {
			if l.SPDXExpression != "" {
				c.Licenses = append(c.Licenses, l.SPDXExpression)
			} else if l.Value != "" {
				c.Licenses = append(c.Licenses, l.Value)
			}
		}
		if res.apps[p.ID()] {
			apps = append(apps, c)
		} else {
			deps = append(deps, c)
		}
	}
	sortComponents(deps)
	sortComponents(apps)
	return deps, apps
}

func sortComponents(cs []Component) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return firstPath(a) < firstPath(b)
	})
}

func firstPath(c Component) string {
	if len(c.Locations) == 0 {
		return ""
	}
	return c.Locations[0].Path
}

// globEscape quotes a path for syft's exclude globs.
func globEscape(p string) string {
	var b strings.Builder
	for _, c := range p {
		if strings.ContainsRune(`*?[]{}\\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
