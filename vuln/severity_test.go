package vuln

import "testing"

func TestScoreCVSS(t *testing.T) {
	tests := []struct {
		source, vector string
		version        string
		score          float64
		level          string
	}{
		// FIRST CVSS v3.1 Examples document.
		{"CVE-2013-1937 phpMyAdmin XSS", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "3.1", 6.1, LevelMedium},
		{"CVE-2014-0160 Heartbleed", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "3.1", 7.5, LevelHigh},
		{"CVE-2014-6271 Shellshock", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.1", 9.8, LevelCritical},
		// The same base metrics score identically under v3.0.
		{"Heartbleed as v3.0", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "3.0", 7.5, LevelHigh},
		// CVSS v2 guide base equation results.
		{"v2 complete", "AV:N/AC:L/Au:N/C:C/I:C/A:C", "2.0", 10.0, LevelHigh},
		{"v2 partial", "AV:N/AC:M/Au:N/C:P/I:P/A:P", "2.0", 6.8, LevelMedium},
		{"v2 in parentheses", "(AV:N/AC:M/Au:N/C:P/I:P/A:P)", "2.0", 6.8, LevelMedium},
		// FIRST CVSS v4.0 calculator / examples.
		{"v4 network, all high", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", 9.3, LevelCritical},
		// 8.4 as published by NVD and CISA for CVE-2024-12834 (not 8.5).
		{"v4 local, active UI", "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", 8.4, LevelHigh},
		{"v4 example 7.3", "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", 7.3, LevelHigh},
		{"v4 example 7.7", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", 7.7, LevelHigh},
		{"v4 example with threat E:U", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", "4.0", 5.2, LevelMedium},
		{"v4 example 4.6", "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", "4.0", 4.6, LevelMedium},
		{"v4 low impact", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", "4.0", 6.9, LevelMedium},
		{"v4 no impact", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", "4.0", 0, LevelNone},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			c, err := ScoreCVSS(tt.vector)
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != tt.version || c.Score != tt.score {
				t.Errorf("ScoreCVSS(%s) = %s %.1f, want %s %.1f", tt.vector, c.Version, c.Score, tt.version, tt.score)
			}
			if l := Level(c.Version, c.Score); l != tt.level {
				t.Errorf("level = %s, want %s", l, tt.level)
			}
		})
	}
	for _, bad := range []string{"", "CVSS:3.1/AV:N", "CVSS:4.0/AV:X/AC:L", "CVSS:9.9/AV:N", "AV:N/AC:L"} {
		if _, err := ScoreCVSS(bad); err == nil {
			t.Errorf("ScoreCVSS(%q) succeeded, want an error", bad)
		}
	}
}

func TestLevelBoundaries(t *testing.T) {
	tests := []struct {
		version string
		score   float64
		want    string
	}{
		{"3.1", 0, LevelNone}, {"3.1", 0.1, LevelLow}, {"3.1", 3.9, LevelLow}, {"3.1", 4.0, LevelMedium},
		{"3.1", 6.9, LevelMedium}, {"3.1", 7.0, LevelHigh}, {"3.1", 8.9, LevelHigh}, {"3.1", 9.0, LevelCritical},
		{"4.0", 10, LevelCritical},
		{"2.0", 0, LevelLow}, {"2.0", 3.9, LevelLow}, {"2.0", 4.0, LevelMedium}, {"2.0", 6.9, LevelMedium},
		{"2.0", 7.0, LevelHigh}, {"2.0", 10, LevelHigh},
	}
	for _, tt := range tests {
		if got := Level(tt.version, tt.score); got != tt.want {
			t.Errorf("Level(%s, %.1f) = %s, want %s", tt.version, tt.score, got, tt.want)
		}
	}
}

func TestRecordSeverity(t *testing.T) {
	v31 := SeverityEntry{Type: SeverityCVSSV3, Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}                    // 7.5
	v40 := SeverityEntry{Type: SeverityCVSSV4, Score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"} // 9.3
	v2 := SeverityEntry{Type: SeverityCVSSV2, Score: "AV:N/AC:M/Au:N/C:P/I:P/A:P"}                                       // 6.8
	bad := SeverityEntry{Type: SeverityCVSSV3, Score: "CVSS:3.1/AV:N"}
	tests := []struct {
		name string
		b    brief
		aff  []int
		want Severity
		n    int
	}{
		{"highest CVSS wins", brief{Severity: []SeverityEntry{v31, v40, v2}, GHSASeverity: "LOW"}, nil, Severity{LevelCritical, 9.3, "CVSS:4.0"}, 3},
		{"affected severity counts", brief{Severity: []SeverityEntry{v2}, AffectedSeverity: map[int][]SeverityEntry{1: {v31}}}, []int{1}, Severity{LevelHigh, 7.5, "CVSS:3.1"}, 2},
		{"other affected entries do not", brief{Severity: []SeverityEntry{v2}, AffectedSeverity: map[int][]SeverityEntry{1: {v40}}}, []int{0}, Severity{LevelMedium, 6.8, "CVSS:2.0"}, 1},
		{"ghsa fallback", brief{Severity: []SeverityEntry{bad}, GHSASeverity: "MODERATE"}, nil, Severity{LevelMedium, 0, "ghsa"}, 0},
		{"ghsa above cvss", brief{Severity: []SeverityEntry{v2}, GHSASeverity: "HIGH"}, nil, Severity{LevelHigh, 0, "ghsa"}, 1},
		{"ghsa critical above cvss high", brief{Severity: []SeverityEntry{v31}, GHSASeverity: "CRITICAL"}, nil, Severity{LevelCritical, 0, "ghsa"}, 1},
		{"tie keeps the cvss score", brief{Severity: []SeverityEntry{v31}, GHSASeverity: "HIGH"}, nil, Severity{LevelHigh, 7.5, "CVSS:3.1"}, 1},
		{"ghsa critical", brief{GHSASeverity: "CRITICAL"}, nil, Severity{LevelCritical, 0, "ghsa"}, 0},
		{"unknown", brief{GHSASeverity: "whatever"}, nil, Severity{Level: LevelUnknown}, 0},
		{"ubuntu priority alone", brief{Severity: []SeverityEntry{{Type: SeverityUbuntu, Score: "high"}}}, nil, Severity{LevelHigh, 0, "ubuntu"}, 0},
		{"ubuntu negligible is low", brief{Severity: []SeverityEntry{{Type: SeverityUbuntu, Score: "negligible"}}}, nil, Severity{LevelLow, 0, "ubuntu"}, 0},
		{"ubuntu untriaged", brief{Severity: []SeverityEntry{{Type: SeverityUbuntu, Score: "untriaged"}}}, nil, Severity{Level: LevelUnknown}, 0},
		{"ubuntu below cvss", brief{Severity: []SeverityEntry{v31, {Type: SeverityUbuntu, Score: "medium"}}}, nil, Severity{LevelHigh, 7.5, "CVSS:3.1"}, 1},
		{"ubuntu above cvss", brief{Severity: []SeverityEntry{v2, {Type: SeverityUbuntu, Score: "critical"}}}, nil, Severity{LevelCritical, 0, "ubuntu"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cvss := recordSeverity(&tt.b, tt.aff)
			if got != tt.want || len(cvss) != tt.n {
				t.Errorf("got %+v with %d vectors, want %+v with %d", got, len(cvss), tt.want, tt.n)
			}
		})
	}
}
