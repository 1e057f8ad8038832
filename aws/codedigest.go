package aws

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
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
	// Layers are the function's layers in order, as it runs them.
	Layers []DeployedLayer
}

// DeployedLayer is one layer version a function runs.
type DeployedLayer struct {
	ARN    string
	SHA256 string // hex sha256 of the layer's zip (the API's CodeSha256, decoded)
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
	// Layers run with the code: their digests come from
	// GetLayerVersionByArn, their zips are not downloaded either.
	for _, l := range conf.Layers {
		arn := awssdk.ToString(l.Arn)
		sha, err := layerDigest(ctx, s, c, arn)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out.Layers = append(out.Layers, DeployedLayer{ARN: arn, SHA256: sha})
	}
	return out, nil
}

// layerDigest is a layer version's hex sha256, from its CodeSha256.
func layerDigest(ctx context.Context, s *session, c *lambda.Client, arn string) (string, error) {
	out, _, err := getLayer(ctx, s, c, arn)
	if err != nil {
		return "", err
	}
	sha := awssdk.ToString(out.Content.CodeSha256)
	sum, err := base64.StdEncoding.DecodeString(sha)
	if err != nil || len(sum) != sha256.Size {
		return "", fmt.Errorf("layer %s: CodeSha256 %q from the API is not a base64 sha256", arn, sha)
	}
	return hex.EncodeToString(sum), nil
}
