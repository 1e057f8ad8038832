package vuln

import (
	"net/url"
	"regexp"
	"strings"
)

// knownEcosystems maps a lower-cased spelling to the OSV spelling.
var knownEcosystems = map[string]string{
	"npm": "npm", "pypi": "PyPI", "maven": "Maven", "go": "Go", "golang": "Go",
	"crates.io": "crates.io", "cargo": "crates.io", "rubygems": "RubyGems", "gem": "RubyGems",
	"nuget": "NuGet", "packagist": "Packagist", "composer": "Packagist",
	"alpine": "Alpine", "debian": "Debian", "ubuntu": "Ubuntu", "wolfi": "Wolfi",
	"chainguard": "Chainguard", "hex": "Hex", "pub": "Pub", "swifturl": "SwiftURL",
}

// canonicalEcosystem fixes the case of well-known ecosystems and keeps the
// release suffix ("alpine:v3.10" -> "Alpine:v3.10").
func canonicalEcosystem(eco string) string {
	eco = strings.TrimSpace(eco)
	base, release, hasRelease := strings.Cut(eco, ":")
	if c, ok := knownEcosystems[strings.ToLower(base)]; ok {
		base = c
	}
	if hasRelease {
		return base + ":" + release
	}
	return base
}

// ecosystemBase drops the release: "Alpine:v3.10" -> "Alpine".
func ecosystemBase(eco string) string {
	base, _, _ := strings.Cut(eco, ":")
	return base
}

// ecosystemMatches reports whether a record's ecosystem applies to a package's.
// A missing release on either side matches every release.
func ecosystemMatches(record, pkg string) bool {
	if record == pkg {
		return true
	}
	rb, rr, _ := strings.Cut(record, ":")
	pb, pr, _ := strings.Cut(pkg, ":")
	if rb == "Ubuntu" {
		// Whether a release is LTS is inferred from its number on the
		// package side; a record may spell it either way.
		rr, pr = strings.TrimSuffix(rr, ":LTS"), strings.TrimSuffix(pr, ":LTS")
	}
	return rb == pb && (rr == "" || pr == "" || rr == pr)
}

var pep503 = regexp.MustCompile(`[-_.]+`)

// normalizeName gives the index form of a package name in an ecosystem (base).
func normalizeName(base, name string) string {
	name = strings.TrimSpace(name)
	switch base {
	case "PyPI":
		// PEP 503: names differ only by case and runs of -_. are the same project.
		return pep503.ReplaceAllString(strings.ToLower(name), "-")
	case "NuGet", "Packagist":
		// Both registries treat names case-insensitively.
		return strings.ToLower(name)
	}
	return name
}

// purl is the part of a package URL fnscan needs.
type purl struct {
	Type, Namespace, Name, Version string
	Qualifiers                     url.Values
}

func parsePURL(s string) (purl, bool) {
	var p purl
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "pkg:")
	if !ok {
		return p, false
	}
	rest = strings.TrimLeft(rest, "/")
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		p.Qualifiers, _ = url.ParseQuery(rest[i+1:])
		rest = rest[:i]
	}
	// The version follows the last '@' of the last path segment, so an
	// unencoded npm scope ("@babel/core") is not mistaken for it.
	if i := strings.LastIndexByte(rest, '@'); i > strings.LastIndexByte(rest, '/') {
		p.Version = unescape(rest[i+1:])
		rest = rest[:i]
	}
	typ, path, ok := strings.Cut(rest, "/")
	if !ok || typ == "" || path == "" {
		return p, false
	}
	p.Type = strings.ToLower(typ)
	path = strings.Trim(path, "/")
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		segs := strings.Split(path[:i], "/")
		for j := range segs {
			segs[j] = unescape(segs[j])
		}
		p.Namespace = strings.Join(segs, "/")
		path = path[i+1:]
	}
	p.Name = unescape(path)
	return p, p.Name != ""
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

var debianCodenames = map[string]string{
	"jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13",
}

// fromPURL derives the OSV ecosystem and name from a package URL.
func fromPURL(p purl) (eco, name string) {
	joined := p.Name
	if p.Namespace != "" {
		joined = p.Namespace + "/" + p.Name
	}
	distro := p.Qualifiers.Get("distro")
	switch p.Type {
	case "npm":
		return "npm", joined
	case "pypi":
		return "PyPI", p.Name
	case "maven":
		return "Maven", p.Namespace + ":" + p.Name
	case "golang":
		return "Go", joined
	case "gem":
		return "RubyGems", p.Name
	case "cargo":
		return "crates.io", p.Name
	case "nuget":
		return "NuGet", p.Name
	case "composer":
		return "Packagist", joined
	case "hex":
		return "Hex", p.Name
	case "pub":
		return "Pub", p.Name
	case "swift":
		// OSV names a Swift package by its repository URL without the
		// scheme: pkg:swift/github.com/apple/swift-nio is
		// github.com/apple/swift-nio.
		return "SwiftURL", strings.TrimSuffix(joined, ".git")
	case "apk":
		switch strings.ToLower(p.Namespace) {
		case "wolfi":
			return "Wolfi", p.Name
		case "chainguard":
			return "Chainguard", p.Name
		}
		return "Alpine" + alpineRelease(distro), p.Name
	case "deb":
		if strings.ToLower(p.Namespace) == "ubuntu" {
			return "Ubuntu" + ubuntuRelease(distro), p.Name
		}
		return "Debian" + debianRelease(distro), p.Name
	}
	return "", ""
}

var majorMinor = regexp.MustCompile(`^v?(\d+)\.(\d+)`)

// alpineRelease turns "alpine-3.10.9" or "3.10" into ":v3.10".
func alpineRelease(distro string) string {
	d := strings.TrimPrefix(strings.ToLower(distro), "alpine-")
	if m := majorMinor.FindStringSubmatch(d); m != nil {
		return ":v" + m[1] + "." + m[2]
	}
	return ""
}

// ubuntuCodenames maps the codenames osv-scalibr writes as the distro
// qualifier (distro=jammy) to release numbers.
var ubuntuCodenames = map[string]string{
	"trusty": "14.04", "xenial": "16.04", "bionic": "18.04", "focal": "20.04", "jammy": "22.04",
	"kinetic": "22.10", "lunar": "23.04", "mantic": "23.10", "noble": "24.04", "oracular": "24.10",
	"plucky": "25.04", "questing": "25.10",
}

var ubuntuVersion = regexp.MustCompile(`^(\d{2})\.(\d{2})`)

// ubuntuRelease turns "ubuntu-22.04", "22.04" or "jammy" into OSV's
// ":22.04:LTS", and "ubuntu-23.10" into ":23.10": OSV marks long-term
// releases, which are the April releases of even years.
func ubuntuRelease(distro string) string {
	d := strings.TrimPrefix(strings.ToLower(distro), "ubuntu-")
	if v, ok := ubuntuCodenames[d]; ok {
		d = v
	}
	m := ubuntuVersion.FindStringSubmatch(d)
	if m == nil {
		return ""
	}
	if yy := m[1]; m[2] == "04" && (yy[1]-'0')%2 == 0 {
		return ":" + m[0] + ":LTS"
	}
	return ":" + m[0]
}

var leadingDigits = regexp.MustCompile(`^\d+`)

// debianRelease turns "debian-10", "debian-10.13", "10" or "buster" into ":10".
func debianRelease(distro string) string {
	d := strings.TrimPrefix(strings.ToLower(distro), "debian-")
	if n, ok := debianCodenames[d]; ok {
		return ":" + n
	}
	if m := leadingDigits.FindString(d); m != "" {
		return ":" + m
	}
	return ""
}

// resolved is a Package in the form the index uses.
type resolved struct {
	eco     string // full OSV ecosystem, with release if known
	base    string
	name    string   // as given, for the online API
	names   []string // normalised name, then the source package name if different
	version string
}

// resolve fills in ecosystem, name and version from the PURL where missing
// and normalises them; ok is false when the package cannot be matched.
func resolve(p Package) (r resolved, ok bool) {
	eco, name, version := p.Ecosystem, p.Name, p.Version
	if pu, isPURL := parsePURL(p.PURL); isPURL {
		pe, pn := fromPURL(pu)
		if eco == "" {
			// The purl spells the name as its ecosystem does (Maven
			// group:artifact, npm @scope/name); catalogers' display
			// names often do not (syft names a jar by artifact only).
			eco = pe
			if pn != "" {
				name = pn
			}
		}
		if name == "" {
			name = pn
		}
		if version == "" {
			version = pu.Version
		}
	}
	eco = canonicalEcosystem(eco)
	if eco == "" || strings.TrimSpace(name) == "" {
		return r, false
	}
	r.eco = eco
	r.base = ecosystemBase(eco)
	r.name = strings.TrimSpace(name)
	r.names = []string{normalizeName(r.base, name)}
	if p.Source != "" {
		if s := normalizeName(r.base, p.Source); s != r.names[0] {
			r.names = append(r.names, s)
		}
	}
	r.version = normalizeVersion(r.base, r.names[0], version)
	return r, r.version != ""
}

// EcosystemOf returns the OSV ecosystem a package is matched in ("" when it
// cannot be matched), for reports.
func EcosystemOf(p Package) string {
	r, ok := resolve(p)
	if !ok {
		return ""
	}
	return r.eco
}

// normalizeVersion turns versions as found in artifacts into the form OSV
// records use: Go drops the "v", the Go toolchain tags become semver.
func normalizeVersion(base, name, v string) string {
	v = strings.TrimSpace(v)
	if base != "Go" {
		return v
	}
	if name == "stdlib" || name == "toolchain" {
		return goTagToSemver(v)
	}
	return strings.TrimPrefix(v, "v")
}

var goTag = regexp.MustCompile(`^(?:go)?v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(beta|rc)(\d+))?$`)

// goTagToSemver follows the Go vulndb convention: go1.21 -> 1.21.0,
// go1.21rc2 -> 1.21.0-rc.2, go1.9beta1 -> 1.9.0-beta.1. Extra text such as
// " X:boringcrypto" or "-bigcorp" after the tag is dropped.
func goTagToSemver(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, " +"); i >= 0 {
		tag = tag[:i]
	}
	if i := strings.Index(tag, "-"); i >= 0 && !strings.Contains(tag[i:], "rc.") && !strings.Contains(tag[i:], "beta.") {
		tag = tag[:i]
	}
	m := goTag.FindStringSubmatch(tag)
	if m == nil {
		return strings.TrimPrefix(strings.TrimPrefix(tag, "go"), "v")
	}
	minor, patch := m[2], m[3]
	if minor == "" {
		minor = "0"
	}
	if patch == "" {
		patch = "0"
	}
	s := m[1] + "." + minor + "." + patch
	if m[4] != "" {
		s += "-" + m[4] + "." + m[5]
	}
	return s
}
