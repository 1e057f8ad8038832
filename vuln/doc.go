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
// # Hostile or malformed records
//
// Import skips a record (a warning naming the file and the record, counted
// in ImportStats.Skipped) when any version in its ranges or versions lists
// is longer than 256 bytes: the parsers take time quadratic in a version's
// length, and real versions are under 60 bytes. Matching never parses a
// longer string either, on the record side or the package side; a package
// version over 256 bytes matches nothing.
//
// A SEMVER range must hold SemVer 2.0.0 versions; a leading "v", which the
// OSV schema does not allow but some sources write, is accepted and orders
// the same. An ECOSYSTEM range must hold versions the ecosystem's parser
// accepts (PyPI, Debian, Alpine, CRAN, Hackage can reject one). "introduced":
// "0" and "limit": "*" are valid in both. A range with an invalid version is
// dropped whole, never one event of it, with a warning naming the file, the
// record and the version (ImportStats.DroppedRanges); the rest of the record
// is imported, without that range. An affected entry left without ranges
// matches only its versions list, and one without either matches nothing. A
// range that reaches matching with an event that does not parse includes
// nothing.
//
// Matching checks its context between records and between ranges, so a
// cancelled scan returns promptly with the context's error.
//
// # Withdrawn records
//
// A copy of a record replaces the stored one only if it is not older
// (modified); identical copies change nothing. That holds for withdrawn
// copies too, which date from the later of modified and withdrawn (Go
// vulndb writes withdrawn records with a zero modified): a newer withdrawn
// copy removes the record and leaves a tombstone that keeps older copies out;
// an older withdrawn copy changes nothing. A withdrawn time after the import
// is not in effect yet: the record is active. An ecosystem's Source and
// ImportedAt in Status change only when an import added, updated or removed
// records of that ecosystem.
//
// # Release ecosystems
//
// osv.dev publishes Alpine and Debian records with a release in the
// ecosystem ("Alpine:v3.10", "Debian:10"). A package whose ecosystem names a
// release matches records for that release and records without a release; a
// package without a release ("Alpine") matches records of every release.
package vuln
