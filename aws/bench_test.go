package aws_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/aws/fakelambda"
)

// BenchmarkFleet scans fleets of 50, 100 and 200 functions sharing 5
// layers on the fake and reports functions/second and the peak heap:
// with bounded concurrency and per-function cleanup the peak stays flat
// as the fleet grows. The scan is the secrets stage alone unless
// FNSCAN_BENCH_FULL=1 (cataloging and matching too, minutes on 2 cores).
//
//	go test ./aws -run '^$' -bench Fleet -benchtime 1x
func BenchmarkFleet(b *testing.B) {
	for _, n := range []int{50, 100, 200} {
		b.Run(fmt.Sprintf("functions=%d", n), func(b *testing.B) {
			s := fakelambda.New()
			defer s.Close()
			var layers []string
			for i := range 5 {
				layers = append(layers, s.AddLayer(fakelambda.Layer{Name: fmt.Sprintf("lib-%d", i),
					Zip: zipOf(b, merged(npmPackage("nodejs/", "axios", "0.18.0"), map[string]string{"nodejs/pad.bin": string(make([]byte, 256<<10)), "nodejs/id.txt": fmt.Sprint(i)}))}))
			}
			for i := range n {
				s.AddFunction(fakelambda.Function{Name: fmt.Sprintf("fn-%04d", i), Runtime: "nodejs24.x", Handler: "index.handler",
					Zip: fnZip(b, i, map[string]string{"data.json": fmt.Sprintf(`{"n": %d, "pad": "%0512d"}`, i, i)}), Layers: []string{layers[i%5], layers[(i+1)%5]}})
			}
			cfg := fleetConfig(b, s)
			if os.Getenv("FNSCAN_BENCH_FULL") != "1" {
				cfg.Scan.Catalog, cfg.Scan.Vulns = false, false
			}
			var peak atomic.Uint64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				var ms runtime.MemStats
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				rep, err := aws.RunFleet(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				if rep.Summary.Functions != n || rep.Summary.Errors != 0 {
					b.Fatalf("summary %+v", rep.Summary)
				}
			}
			took := time.Since(start)
			close(stop)
			<-done
			for i := range 5 {
				if d := s.Calls("download:layer:" + layers[i]); d != b.N {
					b.Errorf("layer %d downloaded %d times in %d runs", i, d, b.N)
				}
			}
			b.ReportMetric(float64(n*b.N)/took.Seconds(), "functions/s")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}
