package aws

import (
	"context"
	"sync"
)

// flights runs one fetch per key and keeps its result for every later
// caller: a fleet shares layers and execution roles between functions.
// Concurrent callers of one key wait for the first; a waiter whose context
// ends gets cancelled(err) instead; a fetch cut short by its own context is
// not kept, so a later caller tries again.
type flights[V any] struct {
	mu sync.Mutex
	m  map[string]*flight[V]
}

type flight[V any] struct {
	done chan struct{}
	v    V
}

func (f *flights[V]) do(ctx context.Context, key string, fetch func() V, cancelled func(error) V) V {
	f.mu.Lock()
	if f.m == nil {
		f.m = map[string]*flight[V]{}
	}
	fl, ok := f.m[key]
	if !ok {
		fl = &flight[V]{done: make(chan struct{})}
		f.m[key] = fl
	}
	f.mu.Unlock()
	if ok {
		select {
		case <-fl.done:
			return fl.v
		case <-ctx.Done():
			return cancelled(ctx.Err())
		}
	}
	fl.v = fetch()
	if ctx.Err() != nil {
		f.mu.Lock()
		delete(f.m, key)
		f.mu.Unlock()
	}
	close(fl.done)
	return fl.v
}
