package aws

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// LayerRef is one layer of a function: its version ARN and the CodeSha256
// of the zip that was scanned, or the error that kept it from being
// fetched.
type LayerRef struct {
	ARN        string `json:"arn"`
	CodeSha256 string `json:"codeSha256"`
	Error      string `json:"error,omitempty"`
}

// layerCache downloads each layer version once per run, however many
// functions use it: entries are keyed by layer version ARN, and downloads
// by CodeSha256, so two ARNs with the same bytes are downloaded once (each
// gets a file named after itself).
type layerCache struct {
	dir    string
	f      flights[*layerEntry] // by layer version ARN
	mu     sync.Mutex
	byHash map[string]string // CodeSha256 -> downloaded file
	n      int               // fetches started, to keep their files apart
}

type layerEntry struct {
	path, sha string
	err       error
}

func newLayerCache(dir string) *layerCache {
	return &layerCache{dir: dir, byHash: map[string]string{}}
}

func (lc *layerCache) get(ctx context.Context, s *session, c *lambda.Client, arn string) *layerEntry {
	return lc.f.do(ctx, arn, func() *layerEntry {
		e := &layerEntry{}
		e.path, e.sha, e.err = lc.fetch(ctx, s, c, arn)
		return e
	}, func(err error) *layerEntry { return &layerEntry{err: err} })
}

var layerARN = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):\d{12}:layer:([a-zA-Z0-9_-]+):(\d+)$`)

// getLayer asks GetLayerVersionByArn, in the layer's own region; it also
// returns the ARN's layer name and version.
func getLayer(ctx context.Context, s *session, c *lambda.Client, arn string) (*lambda.GetLayerVersionByArnOutput, []string, error) {
	m := layerARN.FindStringSubmatch(arn)
	if m == nil {
		return nil, nil, fmt.Errorf("layer %s: not a layer version ARN", arn)
	}
	if m[1] != regionOf(c) {
		// A layer lives in the function's region, but be exact.
		var err error
		if c, err = s.client(ctx, m[1]); err != nil {
			return nil, nil, fmt.Errorf("layer %s: %w", arn, err)
		}
	}
	out, err := c.GetLayerVersionByArn(ctx, &lambda.GetLayerVersionByArnInput{Arn: awssdk.String(arn)})
	if err != nil {
		return nil, nil, fmt.Errorf("layer %s: %w", arn, apiError(err))
	}
	if out.Content == nil {
		return nil, nil, fmt.Errorf("layer %s: GetLayerVersionByArn response has no Content", arn)
	}
	return out, m[2:], nil
}

func (lc *layerCache) fetch(ctx context.Context, s *session, c *lambda.Client, arn string) (string, string, error) {
	what := "layer " + arn
	for try := 1; ; try++ {
		out, m, err := getLayer(ctx, s, c, arn)
		if err != nil {
			return "", "", err
		}
		sha := awssdk.ToString(out.Content.CodeSha256)
		// Two ARNs with the same bytes may be fetched at once before either
		// is in byHash: each file has a directory of its own.
		lc.mu.Lock()
		have, ok := lc.byHash[sha]
		lc.n++
		n := lc.n
		lc.mu.Unlock()
		raw, _ := base64.StdEncoding.DecodeString(sha)
		sub := filepath.Join(lc.dir, "layers", fmt.Sprintf("%s-%d", hex.EncodeToString(raw), n))
		if err := os.MkdirAll(sub, 0o700); err != nil {
			return "", "", err
		}
		// The file's name is the layer's name in findings: this ARN's.
		path := filepath.Join(sub, m[0]+"-"+m[1]+".zip")
		if ok {
			if err := linkOrCopy(have, path); err != nil {
				return "", "", fmt.Errorf("%s: %w", what, err)
			}
			return path, sha, nil
		}
		err = s.download(ctx, awssdk.ToString(out.Content.Location), path, out.Content.CodeSize, sha, what)
		if errors.Is(err, errExpired) && try < 3 {
			continue
		}
		if err != nil {
			return "", "", err
		}
		lc.mu.Lock()
		lc.byHash[sha] = path
		lc.mu.Unlock()
		return path, sha, nil
	}
}

// linkOrCopy gives the bytes of a downloaded layer another name.
func linkOrCopy(from, to string) error {
	if os.Link(from, to) == nil {
		return nil
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
