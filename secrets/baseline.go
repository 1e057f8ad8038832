package secrets

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fnscan/fnscan/artifact"
)

// maxBaseline bounds a baseline report.
const maxBaseline = 256 << 20

// LoadBaseline reads the fingerprints of a previous fnscan JSON report,
// whose top level holds {"secrets":[{"fingerprint":"..."}]}. Findings
// with these fingerprints are reported as suppressed.
func LoadBaseline(path string) (map[string]bool, error) {
	data, err := artifact.ReadFileBounded(path, maxBaseline)
	if errors.Is(err, artifact.ErrTooLarge) {
		return nil, fmt.Errorf("baseline %s: %v: not an fnscan JSON report", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", path, err)
	}
	var report struct {
		Secrets []struct {
			Fingerprint string `json:"fingerprint"`
		} `json:"secrets"`
	}
	if err := json.Unmarshal(data, &report); err != nil {
		return nil, fmt.Errorf("parse baseline %s: %w", path, err)
	}
	out := make(map[string]bool, len(report.Secrets))
	for _, s := range report.Secrets {
		if s.Fingerprint != "" {
			out[s.Fingerprint] = true
		}
	}
	return out, nil
}
