// Package vuln matches software packages against OSV vulnerability records.
//
// It owns the offline vulnerability database: Import and Update build an
// on-disk bbolt index from OSV exports (zip files or directories of OSV
// JSON/YAML), Open gives a cheap read-only handle, and Match evaluates
// packages with the OSV range semantics
// (https://ossf.github.io/osv-schema/#evaluation). OnlineMatch asks the
// osv.dev API instead.
//
// The package is independent of the rest of fnscan: it imports no other
// fnscan package, and callers convert their components to Package.
// Allowed imports: the standard library, go.etcd.io/bbolt,
// github.com/google/osv-scalibr/semantic, github.com/pandatix/go-cvss and
// gopkg.in/yaml.v3.
//
// # Finding identity
//
// A Finding is one vulnerability affecting one package name+version+ecosystem;
// every input index carrying that package is listed in PackageIndex. Records
// that alias each other (directly or through a shared alias such as a CVE)
// are merged into one Finding. The canonical ID is chosen among the merged
// record IDs: ecosystem-native IDs first (GO-, PYSEC-, RUSTSEC-, DSA-, ...),
// then GHSA-, then CVE-; ties go to the lexically smallest. All other IDs and
// aliases are listed in Aliases.
//
// # Versions
//
// Versions are ordered with github.com/google/osv-scalibr/semantic: SEMVER
// ranges with its SemVer parser, ECOSYSTEM ranges with the ecosystem's.
// Go versions drop the "v"; stdlib and toolchain versions follow the Go
// vulndb convention (go1.21rc2 -> 1.21.0-rc.2). A version that does not
// start with a digit (after an optional "v") is matched only against
// explicit versions lists, never against ranges. GIT ranges are ignored:
// their versions lists carry them.
//
// # Release ecosystems
//
// osv.dev publishes Alpine and Debian records with a release in the
// ecosystem ("Alpine:v3.10", "Debian:10"). A package whose ecosystem names a
// release matches records for that release and records without a release; a
// package without a release ("Alpine") matches records of every release.
package vuln
