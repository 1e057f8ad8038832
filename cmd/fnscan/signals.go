package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// interrupted is the cause of a run cancelled by a signal.
type interrupted struct{ sig syscall.Signal }

func (e interrupted) Error() string { return fmt.Sprintf("interrupted (%s)", signalName(e.sig)) }

// code is the status a shell gives a process the signal killed, which is
// what scripts test for: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP.
func (e interrupted) code() int { return 128 + int(e.sig) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}

// notifyContext cancels the context on the first of sigs with an
// interrupted cause; stages then stop and deferred cleanups remove work
// dirs. The signals' default action is restored at once, so a second one
// ends the process without waiting for cleanup.
func notifyContext(parent context.Context, sigs ...os.Signal) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case s := <-ch:
			signal.Reset(sigs...)
			sig, _ := s.(syscall.Signal)
			cancel(interrupted{sig})
		case <-ctx.Done():
			signal.Stop(ch)
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}

// interruption is the signal that cancelled ctx, if one did.
func interruption(ctx context.Context) (interrupted, bool) {
	var in interrupted
	if ctx.Err() == nil {
		return in, false
	}
	return in, errors.As(context.Cause(ctx), &in)
}
