package aws

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// roleCache reads each execution role once per session: many functions
// of a fleet share a role.
type roleCache struct{ f flights[*roleEntry] }

// roleEntry is what a role grants, as artifact.Deployed takes it, and
// what could not be read (a warning for each function using the role).
type roleEntry struct {
	policies []string // inline and customer managed policy documents (JSON)
	names    []string // each policy's name: inline name, or customer managed ARN
	managed  []string // AWS managed policy ARNs, and customer managed ones not read
	problems []string
}

func newRoleCache() *roleCache { return &roleCache{} }

func (rc *roleCache) get(ctx context.Context, c *iam.Client, roleARN string) *roleEntry {
	return rc.f.do(ctx, roleARN, func() *roleEntry {
		e := &roleEntry{}
		e.read(ctx, c, roleARN)
		return e
	}, func(err error) *roleEntry { return &roleEntry{problems: []string{err.Error()}} })
}

// read checks the role is the caller's (GetRole), then lists its inline
// policies (ListRolePolicies, GetRolePolicy) and attached ones
// (ListAttachedRolePolicies); a customer managed policy's document is its
// default version (GetPolicy, GetPolicyVersion). AWS managed policies go
// by ARN to deploy's table of them.
func (e *roleEntry) read(ctx context.Context, c *iam.Client, roleARN string) {
	fail := func(what string, err error) {
		e.problems = append(e.problems, fmt.Sprintf("%s: %v", what, apiError(err)))
	}
	_, rest, ok := strings.Cut(roleARN, ":role/")
	if !ok || !strings.HasPrefix(roleARN, "arn:") {
		e.problems = append(e.problems, "not a role ARN")
		return
	}
	name := rest[strings.LastIndexByte(rest, '/')+1:] // after the role's path

	// IAM finds a role by name in the caller's account: make sure it is
	// the function's (a function read by ARN may be another account's).
	r, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: awssdk.String(name)})
	switch {
	case statusOf(apiError(err)) == http.StatusNotFound:
		return // a role that does not exist grants nothing
	case err != nil:
		fail("role", err)
		return
	case r.Role == nil || awssdk.ToString(r.Role.Arn) != roleARN:
		e.problems = append(e.problems, "the role is in another account than the scanning credentials'")
		return
	}

	inline := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: awssdk.String(name)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			fail("inline policies", err)
			break
		}
		for _, p := range page.PolicyNames {
			out, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: awssdk.String(name), PolicyName: awssdk.String(p)})
			if err != nil {
				fail("inline policy "+p, err)
				continue
			}
			doc, err := policyDocument(awssdk.ToString(out.PolicyDocument))
			if err != nil {
				fail("inline policy "+p, err)
				continue
			}
			e.policies, e.names = append(e.policies, doc), append(e.names, p)
		}
	}

	attached := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: awssdk.String(name)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			fail("attached policies", err)
			break
		}
		for _, p := range page.AttachedPolicies {
			arn := awssdk.ToString(p.PolicyArn)
			if strings.Contains(arn, ":iam::aws:policy/") {
				e.managed = append(e.managed, arn)
				continue
			}
			doc, err := customerPolicy(ctx, c, arn)
			if err != nil {
				fail("managed policy "+arn, err)
				// Named, though its statements are unknown.
				e.managed = append(e.managed, arn)
				continue
			}
			e.policies, e.names = append(e.policies, doc), append(e.names, arn)
		}
	}
}

// customerPolicy is the document of a customer managed policy's default
// version.
func customerPolicy(ctx context.Context, c *iam.Client, arn string) (string, error) {
	p, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: awssdk.String(arn)})
	if err != nil {
		return "", err
	}
	if p.Policy == nil || awssdk.ToString(p.Policy.DefaultVersionId) == "" {
		return "", fmt.Errorf("GetPolicy: no DefaultVersionId")
	}
	v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: awssdk.String(arn), VersionId: p.Policy.DefaultVersionId})
	if err != nil {
		return "", err
	}
	if v.PolicyVersion == nil {
		return "", fmt.Errorf("GetPolicyVersion: no PolicyVersion")
	}
	return policyDocument(awssdk.ToString(v.PolicyVersion.Document))
}

// policyDocument decodes IAM's URL-encoded policy JSON. A document that is
// JSON already (some emulators send it so) is taken as it is.
func policyDocument(raw string) (string, error) {
	if t := strings.TrimSpace(raw); strings.HasPrefix(t, "{") {
		return t, nil
	}
	doc, err := url.PathUnescape(raw) // RFC 3986: "+" is a plus
	if err != nil {
		return "", fmt.Errorf("policy document is not URL-encoded JSON: %v", err)
	}
	return doc, nil
}
