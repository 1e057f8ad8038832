package secrets

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// maxBaseline bounds a baseline report.
const maxBaseline = 256 << 20

// LoadBaseline reads the fingerprints of a previous fnscan JSON report,
// whose top level holds {"secrets":[{"fingerprint":"..."}]}. Findings
// with these fingerprints are reported as suppressed.
func LoadBaseline(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", path, err)
	}
	defer f.Close()
	// Bounded by bytes read: a device (/dev/zero) has no size to check.
	data, err := io.ReadAll(io.LimitReader(f, maxBaseline+1))
	if err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", path, err)
	}
	if len(data) > maxBaseline {
		return nil, fmt.Errorf("baseline %s: over %d MiB: not an fnscan JSON report", path, maxBaseline>>20)
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
