package artifact

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// OriginKind says which part of a composite target a file came from.
type OriginKind string

const (
	OriginFunction    OriginKind = "function"     // the function's own deployment package
	OriginLayer       OriginKind = "layer"        // a Lambda layer zip, mounted at /opt
	OriginImageLayer  OriginKind = "image-layer"  // one layer of a container image
	OriginDirectory   OriginKind = "directory"    // a plain directory target
	OriginImageConfig OriginKind = "image-config" // an image's config: its environment, its build history
)

// Origin identifies one part of a target. Components and findings carry it
// so a user can tell which layer to rebuild.
type Origin struct {
	Kind OriginKind `json:"kind"`
	// Name is the file name of the function zip or layer zip, the directory,
	// or for an image layer its diffID.
	Name string `json:"name"`
	// SHA256 is the hex sha256 of the zip (function/layer) or the layer
	// diffID digest without its "sha256:" prefix.
	SHA256 string `json:"sha256,omitempty"`
	// Index orders layers: Lambda layer order or image layer order.
	Index int `json:"index"`
}

// String is the short form used in tables: "function", "layer:deps.zip",
// "image-layer:sha256:abcd…".
func (o Origin) String() string {
	switch o.Kind {
	case OriginLayer:
		return "layer:" + o.Name
	case OriginImageLayer:
		return "image-layer:" + o.Name
	default:
		return string(o.Kind)
	}
}

// File is one regular file of an unpacked target, possibly inside a nested
// archive.
type File struct {
	// Virtual is the path users see: the target or layer name, then the path
	// inside it, with "!" separating nested archives, e.g.
	// "fn.zip!lib/app.jar!META-INF/maven/g/a/pom.properties".
	Virtual string
	// Path is the path inside the part's filesystem (slash separated, no
	// leading slash), e.g. "lib/app.jar!/META-INF/..." on disk.
	Path string
	// Real is the file's location on disk; empty for a file read from an
	// archive in place (use Open).
	Real   string
	Size   int64
	Origin Origin

	tree  *Tree
	entry *Entry
}

// Open reads the file, from disk or from its archive.
func (f File) Open() (io.ReadCloser, error) {
	if f.tree != nil {
		return f.tree.Open(f.entry)
	}
	return os.Open(f.Real)
}

// ReadBounded reads the file whole, refusing one over max bytes as read.
func (f File) ReadBounded(max int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readBounded(rc, max)
}

// ReadFile reads a regular file of the root by its slash path, refusing
// one over max bytes.
func (r *Root) ReadFile(rel string, max int64) ([]byte, error) {
	f := File{Real: filepath.Join(r.Dir, filepath.FromSlash(rel))}
	if r.Tree != nil {
		e := r.Tree.Lookup(rel)
		if e == nil || e.Type != EntryFile {
			return nil, os.ErrNotExist
		}
		if e.Size > max {
			return nil, fmt.Errorf("%w: over %d MiB", ErrTooLarge, max>>20)
		}
		f = File{tree: r.Tree, entry: e}
	}
	return f.ReadBounded(max)
}

func readBounded(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: over %d MiB", ErrTooLarge, max>>20)
	}
	return b, nil
}

// Link is a symlink of the target as unpacked. Its target is text from the
// input like a name, and is scanned for secrets like one.
type Link struct {
	Virtual string // the link's own virtual path
	Target  string // as on disk: an absolute target is made relative
	Origin  Origin
}

// Warning is a non-fatal problem: a corrupt nested archive, a limit that
// made fnscan skip an entry. It names the input.
type Warning struct {
	Path    string `json:"path"`
	Message string `json:"message"`
	// Unscanned says a stage did not read the file or archive at Path, or
	// read it only in part, because of a limit, a refusal or corruption:
	// what the policy's failOnIncomplete fails on. Set where the warning
	// is made, never inferred from Message.
	Unscanned bool `json:"unscanned,omitempty"`
}

func (w Warning) String() string { return w.Path + ": " + w.Message }

// Deployed is one deployed function's configuration: the Lambda API's
// responses, kept as returned (JSON). An empty field was not fetched.
type Deployed struct {
	// Name is how reports name it, e.g. "lambda:orders (us-east-1)".
	Name string
	// GetFunction is the GetFunction response (Configuration, Code, Tags).
	GetFunction []byte
	// Policy is GetPolicy's resource-based policy document (a JSON string).
	Policy string
	// URLConfig is the GetFunctionUrlConfig response; nil when none.
	URLConfig []byte
	// CodeSigning is the GetFunctionCodeSigningConfig response.
	CodeSigning []byte
	// RolePolicies are the execution role's policy documents (JSON) and
	// ManagedPolicyArns its attached managed policies, where readable.
	RolePolicies      []string
	ManagedPolicyArns []string
	// RolePolicyNames name RolePolicies, one each where known: the inline
	// policy's name, or a customer managed policy's ARN.
	RolePolicyNames []string
}

// ErrTooLarge marks a user-supplied file refused for its size.
var ErrTooLarge = errors.New("too large")

// ReadFileBounded reads a user-supplied file (a policy, VEX, baseline, SBOM,
// bundle), refusing one over max bytes as read: a device such as /dev/zero
// or a FIFO has no size to check first.
func ReadFileBounded(p string, max int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(f, max)
}

// ExecutableMagic says whether a file's head is an executable's or a
// library's: ELF, PE or Mach-O (a universal Mach-O shares its magic with a
// Java class).
func ExecutableMagic(head []byte) bool {
	if len(head) >= 2 && head[0] == 'M' && head[1] == 'Z' {
		return true
	}
	if len(head) < 4 {
		return false
	}
	switch string(head[:4]) {
	case "\x7fELF", "\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", "\xce\xfa\xed\xfe", "\xcf\xfa\xed\xfe", "\xca\xfe\xba\xbe":
		return true
	}
	return false
}
