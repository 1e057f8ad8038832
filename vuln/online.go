package vuln

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultAPIURL is the osv.dev API.
const DefaultAPIURL = "https://api.osv.dev"

const (
	queryBatchSize = 1000 // osv.dev's limit per querybatch request
	maxPages       = 20
	fetchWorkers   = 8
)

type apiQuery struct {
	Package   apiPackage `json:"package"`
	Version   string     `json:"version"`
	PageToken string     `json:"page_token,omitempty"`
}

type apiPackage struct {
	Name      string `json:"name"`
	Ecosystem string `json:"ecosystem"`
}

type apiBatchResponse struct {
	Results []struct {
		Vulns []struct {
			ID string `json:"id"`
		} `json:"vulns"`
		NextPageToken string `json:"next_page_token"`
	} `json:"results"`
}

// Online matches through the osv.dev API; it is a Matcher.
type Online struct {
	URL    string       // base URL; "" means DefaultAPIURL
	Client *http.Client // nil means http.DefaultClient
}

// Match implements Matcher.
func (o Online) Match(ctx context.Context, pkgs []Package) ([]Finding, error) {
	found, err := OnlineMatch(ctx, o.URL, pkgs, o.Client)
	if err != nil {
		return nil, fmt.Errorf("querying %s: %w", cmp.Or(o.URL, DefaultAPIURL), err)
	}
	return found, nil
}

// OnlineMatch asks the osv.dev v1 API (POST /v1/querybatch, then
// GET /v1/vulns/{id}) instead of the local database. baseURL defaults to
// DefaultAPIURL and client to http.DefaultClient. Findings are built as by
// DB.Match.
func OnlineMatch(ctx context.Context, baseURL string, pkgs []Package, client *http.Client) ([]Finding, error) {
	if baseURL == "" {
		baseURL = DefaultAPIURL
	}
	baseURL = strings.TrimRight(baseURL, "/")
	if client == nil {
		client = http.DefaultClient
	}
	groups := groupPackages(pkgs)
	ids := make([][]string, len(groups))
	if err := queryGroups(ctx, client, baseURL, groups, ids); err != nil {
		return nil, err
	}
	entries, err := fetchVulns(ctx, client, baseURL, ids)
	if err != nil {
		return nil, err
	}
	var out []Finding
	now := time.Now()
	for gi, g := range groups {
		var hits []hit
		for _, id := range ids[gi] {
			if e := entries[id]; e != nil && !withdrawnAt(e, now) {
				hits = append(hits, onlineHit(ctx, e, g.r))
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = append(out, buildFindings(g, pkgs, hits)...)
	}
	sortFindings(out)
	return out, nil
}

// queryGroups fills ids[i] for groups[i], following next_page_token. A
// package is asked for by each of its names: distro records name the
// source package (openssl), not the binary one installed (libssl3).
func queryGroups(ctx context.Context, client *http.Client, baseURL string, groups []*pkgGroup, ids [][]string) error {
	type query struct {
		group       int
		name, token string
	}
	var pending []query
	for i, g := range groups {
		// The name as found (the API normalises where the ecosystem
		// does), then the source package's.
		pending = append(pending, query{group: i, name: g.r.name})
		for _, name := range g.r.names[1:] {
			pending = append(pending, query{group: i, name: name})
		}
	}
	seen := make([]map[string]bool, len(groups))
	for page := 0; len(pending) > 0; page++ {
		if page == maxPages {
			return fmt.Errorf("osv querybatch: more than %d pages of results", maxPages)
		}
		var next []query
		for start := 0; start < len(pending); start += queryBatchSize {
			batch := pending[start:min(start+queryBatchSize, len(pending))]
			var req struct {
				Queries []apiQuery `json:"queries"`
			}
			for _, q := range batch {
				r := groups[q.group].r
				req.Queries = append(req.Queries, apiQuery{
					Package:   apiPackage{Name: q.name, Ecosystem: r.eco},
					Version:   r.version,
					PageToken: q.token,
				})
			}
			var resp apiBatchResponse
			if err := postJSON(ctx, client, baseURL+"/v1/querybatch", req, &resp); err != nil {
				return err
			}
			if len(resp.Results) != len(batch) {
				return fmt.Errorf("osv querybatch: %d results for %d queries", len(resp.Results), len(batch))
			}
			for k, res := range resp.Results {
				q := batch[k]
				if seen[q.group] == nil {
					seen[q.group] = map[string]bool{}
				}
				for _, v := range res.Vulns {
					if !seen[q.group][v.ID] {
						seen[q.group][v.ID] = true
						ids[q.group] = append(ids[q.group], v.ID)
					}
				}
				if res.NextPageToken != "" {
					q.token = res.NextPageToken
					next = append(next, q)
				}
			}
		}
		pending = next
	}
	return nil
}

func fetchVulns(ctx context.Context, client *http.Client, baseURL string, ids [][]string) (map[string]*Entry, error) {
	entries := map[string]*Entry{}
	var todo []string
	for _, list := range ids {
		for _, id := range list {
			if _, ok := entries[id]; !ok {
				entries[id] = nil
				todo = append(todo, id)
			}
		}
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	work := make(chan string)
	for range min(fetchWorkers, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				var e Entry
				err := getJSON(ctx, client, baseURL+"/v1/vulns/"+url.PathEscape(id), &e)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				} else if err == nil {
					entries[id] = &e
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range todo {
		work <- id
	}
	close(work)
	wg.Wait()
	return entries, firstErr
}

// onlineHit trusts the server's answer but still picks the affected entries
// naming the package, for fixed versions and per-package severity.
func onlineHit(ctx context.Context, e *Entry, r resolved) hit {
	var mine []compactAffected
	for i, a := range e.Affected {
		eco := canonicalEcosystem(a.Package.Ecosystem)
		if ecosystemBase(eco) != r.base || !containsString(r.names, normalizeName(r.base, a.Package.Name)) {
			continue
		}
		ca := compactAffected{I: i, E: eco, V: a.Versions}
		for _, rg := range a.Ranges {
			ca.R = append(ca.R, Range{Type: rg.Type, Events: rg.Events})
		}
		mine = append(mine, ca)
	}
	h := hit{entry: briefOf(e)}
	h.affected, h.fixed = evaluate(ctx, mine, r, &versionCache{})
	if len(h.affected) == 0 {
		for _, ca := range mine {
			h.affected = append(h.affected, ca.I)
		}
	}
	return h
}

func postJSON(ctx context.Context, client *http.Client, u string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return doJSON(client, req, out)
}

func getJSON(ctx context.Context, client *http.Client, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	return doJSON(client, req, out)
}

func doJSON(client *http.Client, req *http.Request, out any) error {
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("osv api: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("osv api: %s %s: %s: %s", req.Method, req.URL, resp.Status, bytes.TrimSpace(msg))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("osv api: %s %s: %w", req.Method, req.URL, err)
	}
	return nil
}
