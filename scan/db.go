package scan

import (
	"context"

	"github.com/fnscan/fnscan/vuln"
)

// The vulnerability database, for the CLI's `db` commands.

// DBStats counts what an import or update did.
type DBStats = vuln.ImportStats

// DBEcosystem is one ecosystem's status in the database.
type DBEcosystem = vuln.EcosystemStatus

// DefaultDBDir is $FNSCAN_DB, else the user cache dir.
func DefaultDBDir() string { return vuln.DefaultDir() }

// DefaultDBUpdateURL is where `db update` downloads osv.dev exports from.
func DefaultDBUpdateURL() string { return vuln.DefaultUpdateOptions().BaseURL }

// ImportDB imports OSV sources (export zips, zips or directories of
// records) into the database at dir; warn receives skipped records.
func ImportDB(ctx context.Context, dir string, sources []string, warn func(string)) (DBStats, error) {
	return vuln.Import(ctx, dir, sources, vuln.ImportOptions{Warn: warn})
}

// UpdateDB downloads the named ecosystems' osv.dev exports (the common
// ones, when none are named) and imports them in one atomic import.
func UpdateDB(ctx context.Context, dir, baseURL string, ecosystems []string, warn func(string)) (DBStats, error) {
	return vuln.Update(ctx, dir, vuln.UpdateOptions{BaseURL: baseURL, Ecosystems: ecosystems, Warn: warn})
}

// DBStatus lists the database's ecosystems.
func DBStatus(dir string) ([]DBEcosystem, error) { return vuln.Status(dir) }
