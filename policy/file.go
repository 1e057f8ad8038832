package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fnscan/fnscan/artifact"
	"gopkg.in/yaml.v3"
)

// File is a policy file (--policy), kept in the function's repository next
// to its code:
//
//	failOn: high
//	ignore:
//	  - id: CVE-2021-23337            # a vulnerability ID or any alias
//	    package: lodash               # optional: only in this package
//	    reason: template() is never called with user input
//	    expires: 2027-03-31           # optional: after it, the finding counts again
//	  - rule: generic-api-key         # secrets: by rule and path glob,
//	    path: "**/test/**"
//	    reason: test fixtures
//	  - fingerprint: 3f2a…            # or one exact finding
//	    reason: rotated, kept for the audit trail
//	  - rule: FNS-CFG-030             # misconfigurations: by rule, and
//	    resource: OrdersFunction      # optionally resource and path glob
//	    reason: signing arrives with the new pipeline
//	vex:
//	  - vex/openvex.json              # relative to this file
//	failOnIncomplete: true            # fail when part of the target was not scanned
//
// Every ignore needs a reason. An expired ignore stops applying, with a
// warning, so a deferral cannot silently become permanent.
type File struct {
	FailOn string `yaml:"failOn"`
	// MaxDBAge is how old the newest record of an ecosystem the target
	// needs may be ("30d", "720h"); older data is an error, not a pass.
	MaxDBAge string   `yaml:"maxDbAge"`
	Ignore   []Ignore `yaml:"ignore"`
	VEX      []string `yaml:"vex"`
	// FailOnIncomplete fails the gate on a file or archive left unscanned
	// (Config.FailOnIncomplete); nil leaves it to the flag, else false.
	FailOnIncomplete *bool `yaml:"failOnIncomplete"`

	path string
	// SHA256 is the hex sha256 of the file's bytes: the verdict names the
	// policy it applied.
	SHA256 string `yaml:"-"`
}

// Ignore suppresses matching findings.
type Ignore struct {
	ID          string `yaml:"id"`
	Package     string `yaml:"package"`
	Fingerprint string `yaml:"fingerprint"`
	Rule        string `yaml:"rule"`
	Path        string `yaml:"path"`
	Resource    string `yaml:"resource"`
	Reason      string `yaml:"reason"`
	Expires     string `yaml:"expires"`

	until  time.Time      // end of the Expires day (UTC), zero when none
	pathRe *regexp.Regexp // Path compiled
}

// LoadFile reads and checks a policy file.
func LoadFile(p string) (*File, error) {
	b, err := readBounded(p, maxPolicyFile)
	if err != nil {
		return nil, err
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: one YAML document expected", p)
	}
	f.path = p
	sum := sha256.Sum256(b)
	f.SHA256 = hex.EncodeToString(sum[:])
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &f, nil
}

func (f *File) check() error {
	if err := (Config{FailOn: f.FailOn}).Validate(); err != nil {
		return fmt.Errorf("failOn %q: want none, low, medium, high or critical", f.FailOn)
	}
	if f.MaxDBAge != "" {
		if _, err := ParseAge(f.MaxDBAge); err != nil {
			return fmt.Errorf("maxDbAge: %w", err)
		}
	}
	for i := range f.Ignore {
		ig := &f.Ignore[i]
		where := fmt.Sprintf("ignore %d", i+1)
		kinds := 0
		for _, set := range []bool{ig.ID != "", ig.Fingerprint != "", ig.Rule != ""} {
			if set {
				kinds++
			}
		}
		switch {
		case kinds != 1:
			return fmt.Errorf("%s: give exactly one of id (a vulnerability), rule (secrets or misconfigurations, with an optional path or resource) or fingerprint (one secret)", where)
		case strings.TrimSpace(ig.Reason) == "":
			return fmt.Errorf("%s (%s): a reason is required", where, ig.label())
		case ig.Package != "" && ig.ID == "":
			return fmt.Errorf("%s: package applies to an id ignore", where)
		case ig.Path != "" && ig.Rule == "":
			return fmt.Errorf("%s: path applies to a rule ignore", where)
		case ig.Resource != "" && ig.Rule == "":
			return fmt.Errorf("%s: resource applies to a rule ignore", where)
		}
		if ig.Path != "" {
			re, err := globRegexp(ig.Path)
			if err != nil {
				return fmt.Errorf("%s: path %q: %w", where, ig.Path, err)
			}
			ig.pathRe = re
		}
		if ig.Expires != "" {
			t, err := parseDate(ig.Expires)
			if err != nil {
				return fmt.Errorf("%s (%s): expires %q: want YYYY-MM-DD or RFC 3339", where, ig.label(), ig.Expires)
			}
			ig.until = t
		}
	}
	return nil
}

// parseDate takes a day (valid through its end, UTC) or an RFC 3339 time.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Add(24*time.Hour - time.Nanosecond), nil
	}
	return time.Parse(time.RFC3339, s)
}

func (ig *Ignore) label() string {
	switch {
	case ig.ID != "" && ig.Package != "":
		return ig.ID + " in " + ig.Package
	case ig.ID != "":
		return ig.ID
	case ig.Rule != "" && ig.Resource != "":
		return ig.Rule + " on " + ig.Resource
	case ig.Rule != "" && ig.Path != "":
		return ig.Rule + " in " + ig.Path
	case ig.Rule != "":
		return ig.Rule
	}
	return "secret " + ig.Fingerprint
}

// VEXPaths resolves the file's VEX documents against its directory.
func (f *File) VEXPaths() []string {
	var out []string
	for _, v := range f.VEX {
		if !filepath.IsAbs(v) {
			v = filepath.Join(filepath.Dir(f.path), v)
		}
		out = append(out, v)
	}
	return out
}

// maxPolicyFile bounds a policy file: real ones are a few KB.
const maxPolicyFile = 4 << 20

// readBounded reads a policy or VEX file; over max it is neither.
func readBounded(p string, max int64) ([]byte, error) {
	b, err := artifact.ReadFileBounded(p, max)
	if errors.Is(err, artifact.ErrTooLarge) {
		return nil, fmt.Errorf("%s: %v: not a policy or VEX document", p, err)
	}
	if err != nil && !strings.Contains(err.Error(), p) {
		err = fmt.Errorf("%s: %w", p, err)
	}
	return b, err
}

// ParseAge reads a maximum age: "30d" (days), or a Go duration ("720h").
func ParseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
		n, err := strconv.Atoi(d)
		// Past 106751 days a Duration wraps, and a negative age turns the
		// check off.
		if err != nil || n <= 0 || n > int(math.MaxInt64/(24*time.Hour)) {
			return 0, fmt.Errorf("%q: want a number of days (30d, at most 106751d) or a duration (720h)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a number of days (30d) or a duration (720h)", s)
	}
	return d, nil
}
