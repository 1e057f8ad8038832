package fakelambda

import (
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Role is an execution role: what IAM answers about it. A role a function
// names but that was never added has no policies.
type Role struct {
	Name string
	// Inline policy documents (JSON), by policy name.
	Inline map[string]string
	// Attached managed policy ARNs: AWS managed ones
	// (arn:aws:iam::aws:policy/...) or ones added with AddManagedPolicy.
	Attached []string
	// Denied makes every IAM call on the role answer 403 AccessDenied.
	Denied bool
}

// AddRole adds or replaces a role.
func (s *Server) AddRole(r Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := r
	s.roles[r.Name] = &c
}

// AddManagedPolicy adds a customer managed policy (default version v1)
// and returns its ARN.
func (s *Server) AddManagedPolicy(name, document string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := "arn:aws:iam::" + s.Account + ":policy/" + name
	s.policies[arn] = document
	return arn
}

// roleARN is the function's Role: in the fake's account unless Role is an
// ARN already.
func (s *Server) roleARN(f *Function) string {
	switch {
	case strings.HasPrefix(f.Role, "arn:"):
		return f.Role
	case f.Role != "":
		return "arn:aws:iam::" + s.Account + ":role/" + f.Role
	}
	return "arn:aws:iam::" + s.Account + ":role/" + f.Name + "-role"
}

type member struct {
	Name string `xml:",chardata"`
}

type attached struct {
	PolicyName string
	PolicyArn  string
}

// iam answers IAM's query protocol (form-encoded POST, XML answer) for
// the reads of a role's policies.
func (s *Server) iam(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		iamError(w, 400, "MalformedInput", err.Error())
		return
	}
	op := r.PostForm.Get("Action")
	s.count(op)
	s.mu.Lock()
	role := s.roles[r.PostForm.Get("RoleName")]
	if role == nil {
		role = &Role{}
	}
	role = &Role{Inline: maps.Clone(role.Inline), Attached: slices.Clone(role.Attached), Denied: role.Denied}
	doc, known := s.policies[r.PostForm.Get("PolicyArn")]
	s.mu.Unlock()
	if role.Denied && strings.Contains(op, "Role") {
		iamError(w, 403, "AccessDenied", "User: arn:aws:iam::"+s.Account+":user/scanner is not authorized to perform: iam:"+op)
		return
	}
	var result any
	switch op {
	case "GetRole":
		name := r.PostForm.Get("RoleName")
		result = struct {
			Role struct{ RoleName, Arn, Path string }
		}{Role: struct{ RoleName, Arn, Path string }{name, "arn:aws:iam::" + s.Account + ":role/" + name, "/"}}
	case "ListRolePolicies":
		result = struct {
			PolicyNames []member `xml:"PolicyNames>member"`
			IsTruncated bool
		}{PolicyNames: members(slices.Sorted(maps.Keys(role.Inline)))}
	case "GetRolePolicy":
		d, ok := role.Inline[r.PostForm.Get("PolicyName")]
		if !ok {
			iamError(w, 404, "NoSuchEntity", "The role policy with name "+r.PostForm.Get("PolicyName")+" cannot be found.")
			return
		}
		result = struct{ RoleName, PolicyName, PolicyDocument string }{r.PostForm.Get("RoleName"), r.PostForm.Get("PolicyName"), escape(d)}
	case "ListAttachedRolePolicies":
		var as []attached
		for _, arn := range role.Attached {
			as = append(as, attached{PolicyName: arn[strings.LastIndexByte(arn, '/')+1:], PolicyArn: arn})
		}
		result = struct {
			AttachedPolicies []attached `xml:"AttachedPolicies>member"`
			IsTruncated      bool
		}{AttachedPolicies: as}
	case "GetPolicy", "GetPolicyVersion":
		arn := r.PostForm.Get("PolicyArn")
		if !known {
			iamError(w, 404, "NoSuchEntity", "Policy "+arn+" does not exist or is not attachable.")
			return
		}
		if op == "GetPolicy" {
			result = struct {
				Policy struct{ PolicyName, Arn, DefaultVersionId string }
			}{Policy: struct{ PolicyName, Arn, DefaultVersionId string }{arn[strings.LastIndexByte(arn, '/')+1:], arn, "v1"}}
		} else {
			result = struct {
				PolicyVersion struct {
					Document, VersionId string
					IsDefaultVersion    bool
				}
			}{PolicyVersion: struct {
				Document, VersionId string
				IsDefaultVersion    bool
			}{escape(doc), "v1", true}}
		}
	default:
		iamError(w, 400, "InvalidAction", "the fake does not answer "+op)
		return
	}
	var body strings.Builder
	if err := xml.NewEncoder(&body).EncodeElement(result, xml.StartElement{Name: xml.Name{Local: op + "Result"}}); err != nil {
		iamError(w, 500, "ServiceFailure", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">%s<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></%sResponse>`,
		op, body.String(), op)
}

func members(names []string) []member {
	out := []member{}
	for _, n := range names {
		out = append(out, member{n})
	}
	return out
}

// escape URL-encodes a policy document as IAM does (RFC 3986).
func escape(doc string) string { return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20") }

func iamError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	var m strings.Builder
	xml.EscapeText(&m, []byte(msg))
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`, code, m.String())
}
