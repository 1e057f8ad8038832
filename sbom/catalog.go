package sbom

import (
	"context"
	"os"
	"path/filepath"

	"fmt"
	"path"
	"runtime"
	"sort"
	"strings"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"

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
	// redact is applied to every text of the documents (see Redact).
	redact func(string) string
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
		Source:    source.Description{Name: t.Name, Metadata: source.FileMetadata{Path: t.Name}},
		Descriptor: syftsbom.Descriptor{
			Name: cfg.ToolName, Version: cfg.ToolVersion,
		},
	}
	tmp := cfg.TempDir
	if tmp == "" {
		tmp = filepath.Join(t.WorkDir(), "tmp")
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("cataloging temp dir: %w", err)
	}
	ctx = withTempDir(ctx, tmp)
	for _, r := range t.Roots {
		if !r.Catalog {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		src, err := directorysource.New(directorysource.Config{Path: r.Dir, Base: r.Dir})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", displayRoot(r), err)
		}
		scfg := syft.DefaultCreateSBOMConfig().
			WithTool(cfg.ToolName, cfg.ToolVersion).
			WithParallelism(cfg.Parallelism).
			WithCatalogerSelection(selection()).
			WithoutFiles()
		s, err := syft.CreateSBOM(ctx, src, scfg)
		src.Close()
		if err != nil {
			return nil, fmt.Errorf("cataloging %s: %w", displayRoot(r), err)
		}
		if d := s.Artifacts.LinuxDistribution; d != nil && res.Distro == nil {
			res.Distro = &Distro{ID: d.ID, VersionID: d.VersionID, Name: d.Name}
			merged.Artifacts.LinuxDistribution = s.Artifacts.LinuxDistribution
		}
		mergeRoot(res, merged, s, r)
	}
	res.syft = merged
	res.bom = toCycloneDX(res)
	res.Components = components(res)
	res.Warnings = t.Warnings
	for _, w := range bundleWarnings(t, res.Components) {
		res.Warnings = append(res.Warnings, w)
		if cfg.Warn != nil {
			cfg.Warn(w)
		}
	}
	return res, nil
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
func mergeRoot(res *Result, merged, s *syftsbom.SBOM, r *artifact.Root) {
	lockDirs := installedNodeDirs(s)
	newID := map[syftart.ID]pkg.Package{}
	// A lockfile beside node_modules is dropped as a package source, but its
	// dependency edges are kept: they are moved onto the installed package
	// of the same name and version.
	lockKey := map[syftart.ID]string{}
	installed := map[string]pkg.Package{}
	npmByDir := map[string]pkg.Package{}
	for p := range s.Artifacts.Packages.Enumerate() {
		old := p.ID()
		var locs []file.Location
		var where []Location
		dropped := false
		for _, l := range p.Locations.ToSlice() {
			if p.FoundBy == "javascript-lock-cataloger" && lockDirs[path.Dir(l.RealPath)] {
				dropped = true
				break
			}
			virt, origin := r.Locate(l.RealPath)
			if m, ok := p.Metadata.(pkg.JavaArchive); ok && m.PomProperties != nil && m.PomProperties.Path != "" && len(where) == 0 {
				virt += "!" + m.PomProperties.Path
			}
			locs = append(locs, file.NewVirtualLocationFromCoordinates(file.Coordinates{RealPath: virt}, virt))
			where = append(where, Location{Path: virt, Origin: origin})
		}
		if dropped {
			lockKey[old] = p.Name + "@" + p.Version
			continue
		}
		p.Locations = file.NewLocationSet(locs...)
		p.SetID()
		newID[old] = p
		if p.FoundBy == "javascript-package-cataloger" {
			if _, dup := installed[p.Name+"@"+p.Version]; !dup {
				installed[p.Name+"@"+p.Version] = p
			}
			if ls := s.Artifacts.Packages.Package(old); ls != nil {
				for _, l := range ls.Locations.ToSlice() {
					if strings.HasSuffix(l.RealPath, "/package.json") {
						npmByDir[strings.TrimPrefix(path.Dir(l.RealPath), "/")] = p
					}
				}
			}
		}
		res.origins[p.ID()] = append(res.origins[p.ID()], where...)
		merged.Artifacts.Packages.Add(p)
	}
	lookup := func(id syftart.ID) (pkg.Package, bool) {
		if p, ok := newID[id]; ok {
			return p, true
		}
		if k, ok := lockKey[id]; ok {
			p, ok := installed[k]
			return p, ok
		}
		return pkg.Package{}, false
	}
	seen := map[[2]syftart.ID]bool{}
	rels := append(s.Relationships, npmDependencies(r.Dir, npmByDir)...)
	for _, rel := range rels {
		from, ok1 := rel.From.(pkg.Package)
		to, ok2 := rel.To.(pkg.Package)
		if !ok1 || !ok2 {
			continue
		}
		nf, ok1 := lookupAny(lookup, from)
		nt, ok2 := lookupAny(lookup, to)
		if !ok1 || !ok2 || nf.ID() == nt.ID() || seen[[2]syftart.ID{nf.ID(), nt.ID()}] {
			continue
		}
		seen[[2]syftart.ID{nf.ID(), nt.ID()}] = true
		rel.From, rel.To = nf, nt
		merged.Relationships = append(merged.Relationships, rel)
	}
}

// lookupAny maps a package of this root's syft document, or one already
// renumbered (npmDependencies works on renumbered packages), to the merged one.
func lookupAny(lookup func(syftart.ID) (pkg.Package, bool), p pkg.Package) (pkg.Package, bool) {
	if n, ok := lookup(p.ID()); ok {
		return n, true
	}
	return p, p.ID() != ""
}

// installedNodeDirs lists directories whose node_modules syft cataloged, so
// a lockfile there is not counted twice (and its dev-only entries, which were
// never shipped, are not invented).
func installedNodeDirs(s *syftsbom.SBOM) map[string]bool {
	dirs := map[string]bool{}
	for p := range s.Artifacts.Packages.Enumerate() {
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

func components(res *Result) []Component {
	var out []Component
	for p := range res.syft.Artifacts.Packages.Enumerate() {
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
		out = append(out, c)
	}
	sortComponents(out)
	return out
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
