package aws_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/aws/fakelambda"
)

// CodeDigest reads the deployed zip's sha256 from GetFunction alone: by
// name, alias and ARN, never downloading the code; an image function is
// refused pointing at its image, a missing one is an API error.
func TestCodeDigest(t *testing.T) {
	s := fakelambda.New()
	defer s.Close()
	zip := fnZip(t, 7)
	arn := s.AddFunction(fakelambda.Function{Name: "orders", Runtime: "nodejs24.x", Handler: "index.handler", Zip: zip, Aliases: []string{"live"}})
	s.AddFunction(fakelambda.Function{Name: "img", Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/img@sha256:" + strings.Repeat("ab", 32)})
	s.AddFunction(fakelambda.Function{Name: "liar", Runtime: "nodejs24.x", Handler: "index.handler", Zip: zip, LieSHA: true})
	opts := clientFor(s)
	ctx := context.Background()
	want := sha256.Sum256(zip)

	refs := []string{"orders", "orders:live", arn, arn + ":live"}
	for _, ref := range refs {
		d, err := aws.CodeDigest(ctx, ref, opts)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if !bytes.Equal(d.SHA256, want[:]) || d.CodeSha256 != base64.StdEncoding.EncodeToString(want[:]) ||
			d.Name != "orders" || d.ARN != arn || d.Region != s.Region {
			t.Errorf("%s: %+v, want sha256 %x", ref, d, want)
		}
	}
	// What the API says is what is returned: the LieSHA function's
	// CodeSha256 is not its zip's, and CodeDigest does not fetch the zip.
	d, err := aws.CodeDigest(ctx, "liar", opts)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(d.SHA256, want[:]) {
		t.Error("liar: the zip's own sha256, not the API's CodeSha256")
	}
	if n := s.Calls("GetFunction"); n != len(refs)+1 {
		t.Errorf("GetFunction called %d times, want %d", n, len(refs)+1)
	}
	for _, k := range []string{"download:function:orders", "download:function:liar", "GetPolicy", "GetFunctionUrlConfig", "GetFunctionCodeSigningConfig", "ListFunctions"} {
		if n := s.Calls(k); n != 0 {
			t.Errorf("%s: %d requests, want none", k, n)
		}
	}

	_, err = aws.CodeDigest(ctx, "img", opts)
	if err == nil || !strings.Contains(err.Error(), "PackageType Image") ||
		!strings.Contains(err.Error(), "fnscan verify registry:123456789012.dkr.ecr.us-east-1.amazonaws.com/img@sha256:abab") {
		t.Errorf("image function: %v", err)
	}
	_, err = aws.CodeDigest(ctx, "missing", opts)
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") || !strings.Contains(err.Error(), "lambda:missing") {
		t.Errorf("missing function: %v", err)
	}
	if _, err := aws.CodeDigest(ctx, "orders*", opts); err == nil {
		t.Error("a pattern was taken for a function")
	}
}
