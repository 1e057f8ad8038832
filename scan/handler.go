package scan

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/report"
	"github.com/fnscan/fnscan/secrets"
)

// Handler receives a scan's events as they happen. Every warning of every
// stage reaches it exactly once; Run also puts them in the Result.
// Implementations must be safe for concurrent use: stages warn from
// several goroutines.
type Handler interface {
	// Progress names the stage that starts; "" means the scan is done with
	// the status line.
	Progress(msg string)
	// Warning is something skipped, refused or doubtful.
	Warning(w artifact.Warning)
}

// Collector keeps every warning, in the order they came.
type Collector struct {
	mu       sync.Mutex
	warnings []artifact.Warning
}

func (c *Collector) Progress(string) {}

func (c *Collector) Warning(w artifact.Warning) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.warnings = append(c.warnings, w)
}

// Warnings returns what was collected.
func (c *Collector) Warnings() []artifact.Warning {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]artifact.Warning{}, c.warnings...)
}

// Terminal shows progress on a terminal (a status line, only when w is
// one) and every warning as a line, unless quiet.
type Terminal struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	quiet bool
	shown bool
}

// NewTerminal writes to w, usually stderr.
func NewTerminal(w io.Writer, quiet bool) *Terminal {
	t := &Terminal{w: w, quiet: quiet}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			t.tty = true
		}
	}
	return t
}

func (t *Terminal) showsProgress() bool { return t.tty && !t.quiet }

func (t *Terminal) Progress(msg string) {
	if !t.showsProgress() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if msg == "" {
		t.clear()
		return
	}
	fmt.Fprintf(t.w, "\r\033[K%s…", report.Printable(msg, ""))
	t.shown = true
}

func (t *Terminal) clear() {
	if t.shown {
		fmt.Fprint(t.w, "\r\033[K")
		t.shown = false
	}
}

func (t *Terminal) Warning(w artifact.Warning) {
	if t.quiet {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clear()
	fmt.Fprintf(t.w, "fnscan: warning: %s\n", OneLine(w.String()))
}

// OneLine makes a message one printable line: names in it may come from a
// hostile archive or registry.
func OneLine(s string) string {
	return report.Printable(strings.Join(strings.Fields(s), " "), "")
}

// both sends events to the Result's collector and the caller's handler,
// redacted: a warning names entries, and an entry's name (a file, a
// symlink's target) can hold a secret.
type both struct {
	c   *Collector
	h   Handler
	red *secrets.Redactor
}

func (b both) Progress(msg string) {
	// Redacting waits for the secret rules: not for a line nobody sees.
	if t, ok := b.h.(*Terminal); ok && !t.showsProgress() {
		return
	}
	if b.h != nil {
		b.h.Progress(b.red.Redact(msg))
	}
}

func (b both) Warning(w artifact.Warning) {
	w.Path, w.Message = b.red.Redact(w.Path), b.red.Redact(w.Message)
	b.c.Warning(w)
	if b.h != nil {
		b.h.Warning(w)
	}
}
