package vuln

import (
	"reflect"
	"testing"
	"time"
)

func TestCodecRoundTrip(t *testing.T) {
	list := []compactAffected{
		{I: 0, E: "PyPI", R: []Range{{Type: RangeEcosystem, Events: []Event{{Introduced: "0"}, {Fixed: "1.0"}, {LastAffected: "0.9"}, {Limit: "*"}}}}, V: []string{"0.1", "0.2"}},
		{I: 3, E: "Alpine:v3.10"},
	}
	enc := encodeAffected(list)
	got, err := decodeAffected(enc)
	if err != nil || !reflect.DeepEqual(got, list) {
		t.Errorf("affected round trip = %+v, %v", got, err)
	}
	b := &brief{
		ID: "GHSA-x", Aliases: []string{"CVE-1"}, Summary: "s", Modified: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC),
		Severity:         []SeverityEntry{{Type: SeverityCVSSV3, Score: "CVSS:3.1/AV:N"}},
		AffectedSeverity: map[int][]SeverityEntry{2: {{Type: SeverityCVSSV4, Score: "v"}}},
		GHSASeverity:     "HIGH", References: []string{"https://example.com"},
	}
	gb, err := decodeBrief(encodeBrief(b))
	if err != nil || !reflect.DeepEqual(gb, b) {
		t.Errorf("brief round trip = %+v, %v", gb, err)
	}
	// Truncated or damaged entries give an error, never a panic.
	for i := range enc {
		decodeAffected(enc[:i])
		bad := append([]byte(nil), enc...)
		bad[i] ^= 0xff
		decodeAffected(bad)
	}
	if _, err := decodeAffected(enc[:len(enc)-1]); err == nil {
		t.Error("truncated entry decoded without error")
	}
}
