package vuln

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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

	base, err := url.Parse(opts.BaseURL)
	if err != nil {
		// url.Parse's error quotes the whole URL, credentials included.
		return ImportStats{}, errors.New("vulnerability update: base URL is not a valid URL")
	}
	var sources []source
	for i, eco := range opts.Ecosystems {
		// Join the path and keep the query (e.g. a signed URL's token).
		u := base.JoinPath(url.PathEscape(eco), "all.zip")
		shown := redactURL(u)
		path := filepath.Join(tmp, fmt.Sprintf("%02d.zip", i))
		if err := download(ctx, opts.Client, u.String(), shown, path); err != nil {
			return ImportStats{}, err
		}
		sources = append(sources, source{path: path, label: shown, name: eco + " export " + shown})
	}
	return importSources(ctx, dir, sources, ImportOptions{Warn: opts.Warn})
}

// redactURL is u as shown and stored: without user info and query, which
// may hold credentials.
func redactURL(u *url.URL) string {
	r := *u
	r.User, r.RawQuery, r.ForceQuery, r.Fragment, r.RawFragment = nil, "", false, "", ""
	return r.String()
}

// maxDownloadSize bounds one export; the largest osv.dev export is under
// 1 GiB. downloadIdleTimeout ends a download that stalls.
var (
	maxDownloadSize     int64 = 4 << 30
	downloadIdleTimeout       = 60 * time.Second
)

var errIdle = errors.New("no data received")

// download GETs u into path; shown stands for u in errors.
func download(ctx context.Context, client *http.Client, u, shown, path string) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(downloadIdleTimeout, func() {
		cancel(fmt.Errorf("%w for %v", errIdle, downloadIdleTimeout))
	})
	defer idle.Stop()
	fail := func(err error) error {
		if c := context.Cause(ctx); errors.Is(c, errIdle) {
			err = c
		} else if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // its URL is not redacted
		}
		return fmt.Errorf("vulnerability update: GET %s: %w", shown, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fail(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("vulnerability update: GET %s: %s", shown, resp.Status)
	}
	tooLarge := fmt.Errorf("vulnerability update: GET %s: larger than %d bytes", shown, maxDownloadSize)
	if resp.ContentLength > maxDownloadSize {
		return tooLarge
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("vulnerability update: %w", err)
	}
	body := &idleReader{r: resp.Body, t: idle}
	n, err := io.Copy(f, io.LimitReader(body, maxDownloadSize+1))
	if err != nil {
		f.Close()
		return fail(err)
	}
	if n > maxDownloadSize {
		f.Close()
		return tooLarge
	}
	return f.Close()
}

// idleReader restarts the idle timer whenever data arrives.
type idleReader struct {
	r io.Reader
	t *time.Timer
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.t.Reset(downloadIdleTimeout)
	}
	return n, err
}
