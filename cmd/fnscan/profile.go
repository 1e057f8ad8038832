package main

import (
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"time"
)

// profile writes profiles for the benchmarks when asked by environment:
// FNSCAN_CPUPROFILE (the whole run), FNSCAN_TRACE (an execution trace, for
// what waits on what) and FNSCAN_HEAPPROFILE (the live heap
// after the collection that found it largest, checked every 20 ms: the peak
// is what the memory targets are about, not the end). The returned func
// finishes them.
func profile() func() {
	var stops []func()
	if p := os.Getenv("FNSCAN_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil && pprof.StartCPUProfile(f) == nil {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if p := os.Getenv("FNSCAN_TRACE"); p != "" {
		if f, err := os.Create(p); err == nil && trace.Start(f) == nil {
			stops = append(stops, func() { trace.Stop(); f.Close() })
		}
	}
	if p := os.Getenv("FNSCAN_HEAPPROFILE"); p != "" {
		done := make(chan struct{})
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			var peak uint64
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
			for {
				metrics.Read(live)
				if v := live[0].Value.Uint64(); v > peak {
					peak = v
					if f, err := os.Create(p); err == nil {
						pprof.Lookup("heap").WriteTo(f, 0)
						f.Close()
					}
				}
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		}()
		stops = append(stops, func() { close(done); <-finished })
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}
