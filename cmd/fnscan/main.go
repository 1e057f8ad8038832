// Command fnscan guards serverless deployments: SBOMs, vulnerabilities,
// secrets and a policy gate for Lambda packages, layers and images.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	_ "github.com/fnscan/fnscan/aws" // the lambda: target and fleets
	"github.com/fnscan/fnscan/scan"
)

func main() {
	if code, ok := scan.ChildMain(os.Args); ok {
		os.Exit(code)
	}
	// Ctrl-C cancels the context; deferred cleanups then remove work dirs
	// and the exit status says which signal (130 for SIGINT). A second
	// Ctrl-C kills at once. A closed pipe is a write error, so
	// `fnscan scan ... | head` still cleans up.
	ctx, stop := notifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	signal.Ignore(syscall.SIGPIPE)
	if os.Getenv("GOGC") == "" {
		// A scan holds large indexes (every file of an image, syft's file
		// tree) for a short while: collecting at half the default growth
		// keeps the peak about a third lower for a few percent of CPU.
		debug.SetGCPercent(50)
	}
	finish := profile()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	finish()
	stop()
	os.Exit(code)
}
