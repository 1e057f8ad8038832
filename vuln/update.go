package vuln

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultBaseURL is where osv.dev publishes <Ecosystem>/all.zip exports.
const DefaultBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"

// UpdateOptions configures Update.
type UpdateOptions struct {
	BaseURL    string       // default DefaultBaseURL
	Ecosystems []string     // OSV ecosystem names; default DefaultUpdateOptions().Ecosystems
	Client     *http.Client // default: a client with a 10 minute timeout
	Warn       func(string) // see ImportOptions.Warn
}

// DefaultUpdateOptions downloads the ecosystems found in Lambda functions
// and their container images.
func DefaultUpdateOptions() UpdateOptions {
	return UpdateOptions{
		BaseURL: DefaultBaseURL,
		Ecosystems: []string{
			"npm", "PyPI", "Maven", "Go", "RubyGems", "NuGet", "crates.io", "Packagist", "Alpine", "Debian",
		},
	}
}

// Update downloads BaseURL/<Ecosystem>/all.zip for each ecosystem into a
// temporary directory and imports them all in one atomic import. Any failed
// download fails the update and leaves the database unchanged.
func Update(ctx context.Context, dir string, opts UpdateOptions) (ImportStats, error) {
	def := DefaultUpdateOptions()
	if opts.BaseURL == "" {
		opts.BaseURL = def.BaseURL
	}
	if len(opts.Ecosystems) == 0 {
		opts.Ecosystems = def.Ecosystems
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	tmp, err := os.MkdirTemp("", "fnscan-osv-")
	if err != nil {
		return ImportStats{}, fmt.Errorf("vulnerability update: %w", err)
	}
	defer os.RemoveAll(tmp)

	base := strings.TrimRight(opts.BaseURL, "/")
	var sources []source
	for i, eco := range opts.Ecosystems {
		u := base + "/" + url.PathEscape(eco) + "/all.zip"
		path := filepath.Join(tmp, fmt.Sprintf("%02d.zip", i))
		if err := download(ctx, opts.Client, u, path); err != nil {
			return ImportStats{}, err
		}
		sources = append(sources, source{path: path, label: u})
	}
	return importSources(ctx, dir, sources, ImportOptions{Warn: opts.Warn})
}

func download(ctx context.Context, client *http.Client, u, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("vulnerability update: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("vulnerability update: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("vulnerability update: GET %s: %s", u, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("vulnerability update: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("vulnerability update: GET %s: %w", u, err)
	}
	return f.Close()
}
