package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set by the release build (goreleaser's ldflags); otherwise read from the
// build info Go records (`go install …@v1.2.3` gives the module version,
// a build in a git checkout the commit and its time).
var (
	version = ""
	commit  = ""
	date    = ""
)

// versionInfo is what `fnscan version` reports.
type versionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Date      string `json:"date,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func buildVersion() versionInfo {
	v := versionInfo{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if v.Commit == "" {
					v.Commit = s.Value
				}
			case "vcs.time":
				if v.Date == "" {
					v.Date = s.Value
				}
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	return v
}

// toolVersion is the version reports and attestations name.
func toolVersion() string { return buildVersion().Version }

func cmdVersion(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnscan version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print as JSON")
	if _, err := parse(fs, args); err != nil {
		return usageErr(err)
	}
	v := buildVersion()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	fmt.Fprintf(stdout, "fnscan %s\n", v.Version)
	if v.Commit != "" {
		mod := ""
		if v.Modified {
			mod = " (modified)"
		}
		fmt.Fprintf(stdout, "commit: %s%s\n", v.Commit, mod)
	}
	if v.Date != "" {
		fmt.Fprintf(stdout, "built:  %s\n", v.Date)
	}
	fmt.Fprintf(stdout, "go:     %s %s\n", v.GoVersion, v.Platform)
	return nil
}
