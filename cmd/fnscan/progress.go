package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/report"
)

// progress shows status on stderr only when it is a terminal, and warnings
// unless --quiet.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	quiet bool
	shown bool
}

func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) status(msg string) {
	if !p.tty || p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r\033[K%s…", report.Printable(msg, ""))
	p.shown = true
}

func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

func (p *progress) warn(w artifact.Warning) {
	if p.quiet {
		return
	}
	p.clear()
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "fnscan: warning: %s\n", oneLine(w.String()))
}
