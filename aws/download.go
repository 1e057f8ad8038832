package aws

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// errExpired is a presigned URL that was refused (HTTP 403): Code.Location
// lives 10 minutes, so the caller asks the API for a fresh one.
var errExpired = errors.New("download URL refused (HTTP 403): expired")

var errStalled = errors.New("download stalled")

// download streams a presigned URL into path, bounded in size and time,
// and checks the bytes against the API's CodeSha256 (base64 sha256) and
// CodeSize. what names the function or layer for errors. The URL's query
// (the signature) never appears in an error.
func (s *session) download(ctx context.Context, rawURL, path string, size int64, wantSHA, what string) (err error) {
	if wantSHA == "" {
		return fmt.Errorf("%s: the API gave no CodeSha256 to check the download against", what)
	}
	u, perr := url.Parse(rawURL)
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s: code location is not an http(s) URL", what)
	}
	shown := u.Scheme + "://" + u.Host + u.Path
	limit := s.opts.MaxDownloadBytes
	if size > limit {
		return fmt.Errorf("%s: CodeSize %d bytes is above the download limit of %d bytes", what, size, limit)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.DownloadTimeout)
	defer cancel()
	ctx, stall := context.WithCancelCause(ctx)
	defer stall(nil)
	idle := time.AfterFunc(s.opts.DownloadIdleTimeout, func() { stall(errStalled) })
	defer idle.Stop()
	defer func() {
		if err == nil {
			return
		}
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, errStalled):
			err = fmt.Errorf("%s: downloading %s: no data for %s", what, shown, s.opts.DownloadIdleTimeout)
		case errors.Is(cause, context.DeadlineExceeded) && !errors.Is(err, errExpired):
			err = fmt.Errorf("%s: downloading %s: not done after %s", what, shown, s.opts.DownloadTimeout)
		}
	}()

	req, perr := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if perr != nil {
		return fmt.Errorf("%s: %w", what, perr)
	}
	resp, derr := s.downloader().Do(req)
	if derr != nil {
		var ue *url.Error
		if errors.As(derr, &ue) {
			derr = ue.Err // its text repeats the signed URL
		}
		return fmt.Errorf("%s: downloading %s: %w", what, shown, derr)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%s: %w", what, errExpired)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%s: downloading %s: HTTP %d", what, shown, resp.StatusCode)
	case resp.ContentLength > limit:
		return fmt.Errorf("%s: download is %d bytes, above the limit of %d bytes", what, resp.ContentLength, limit)
	}
	if size > 0 {
		limit = size
	}
	f, ferr := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if ferr != nil {
		return fmt.Errorf("%s: %w", what, ferr)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("%s: %w", what, cerr)
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	h := sha256.New()
	body := &idleReader{r: resp.Body, idle: idle, d: s.opts.DownloadIdleTimeout}
	n, cerr := io.Copy(io.MultiWriter(f, h), io.LimitReader(body, limit+1))
	switch {
	case cerr != nil && n < size:
		return fmt.Errorf("%s: download truncated after %d of %d bytes: %w", what, n, size, cerr)
	case cerr != nil:
		return fmt.Errorf("%s: downloading %s: %w", what, shown, cerr)
	case n > limit && size > 0:
		return fmt.Errorf("%s: download is larger than its CodeSize of %d bytes", what, size)
	case n > limit:
		return fmt.Errorf("%s: download is above the limit of %d bytes", what, limit)
	case size > 0 && n < size:
		return fmt.Errorf("%s: download truncated: %d of %d bytes", what, n, size)
	}
	if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != wantSHA {
		return fmt.Errorf("%s: CodeSha256 mismatch: the API says %s, the downloaded %d bytes hash to %s; not scanned", what, wantSHA, n, got)
	}
	return nil
}

// idleReader pushes the stall timer back on every read that returns data.
type idleReader struct {
	r    io.Reader
	idle *time.Timer
	d    time.Duration
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.idle.Reset(r.d)
	}
	return n, err
}
