package aws

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
)

// DeployedCode identifies the code a function runs, as the Lambda API
// reports it, without downloading it.
type DeployedCode struct {
	Name   string // the function's name
	ARN    string // its ARN, as GetFunction returns it
	Region string
	// CodeSha256 is the API's value: base64 of the sha256 of the
	// deployment zip.
	CodeSha256 string
	// SHA256 is CodeSha256 decoded: the zip's sha256.
	SHA256 []byte
}

// CodeDigest asks GetFunction (and nothing else: the code is not
// downloaded) for the digest of a function's deployment zip. ref is what
// follows "lambda:" in a target: a function name, NAME:QUALIFIER or a
// function ARN, as the lambda: provider takes it; opts are the provider's.
// An image function (PackageType Image) has no zip: it is refused with
// the image to verify instead.
func CodeDigest(ctx context.Context, ref string, opts ClientOptions) (*DeployedCode, error) {
	fn, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	s := newSession(opts)
	c, err := s.client(ctx, fn.region)
	if err != nil {
		return nil, fmt.Errorf("lambda:%s: %w", fn.shown, err)
	}
	d, err := s.describe(ctx, c, fn)
	if err != nil {
		return nil, err
	}
	conf := d.out.Configuration
	out := &DeployedCode{
		Name:       awssdk.ToString(conf.FunctionName),
		ARN:        awssdk.ToString(conf.FunctionArn),
		Region:     regionOf(c),
		CodeSha256: awssdk.ToString(conf.CodeSha256),
	}
	if m := fnARN.FindStringSubmatch(out.ARN); m != nil {
		out.Region = m[2]
	}
	what := "lambda:" + cmp.Or(out.ARN, fn.shown)
	if conf.PackageType == "Image" {
		uri := cmp.Or(awssdk.ToString(d.out.Code.ResolvedImageUri), awssdk.ToString(d.out.Code.ImageUri))
		if uri == "" {
			return nil, fmt.Errorf("%s is an image function (PackageType Image) and the API gave no image URI", what)
		}
		return nil, fmt.Errorf("%s is an image function (PackageType Image): its code is the image %s, not a zip; verify it with: fnscan verify registry:%s", what, uri, uri)
	}
	sum, err := base64.StdEncoding.DecodeString(out.CodeSha256)
	if err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("%s: CodeSha256 %q from the API is not a base64 sha256", what, out.CodeSha256)
	}
	out.SHA256 = sum
	return out, nil
}
