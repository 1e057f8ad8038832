package aws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/fnscan/fnscan/scan"
)

// FleetConfig is a scan of many functions. Start from DefaultFleetConfig.
type FleetConfig struct {
	// Scan is the scan run for each function; its Target is ignored (each
	// function is "lambda:ARN") and its Handler, if any, must be safe for
	// concurrent use (scan's are).
	Scan   scan.Config
	Client ClientOptions
	// Regions to list; none means the client's region.
	Regions []string
	// Pattern matches function names (path.Match syntax); "*" is all.
	Pattern string
	// Concurrency is how many functions are scanned at once.
	Concurrency int
	// Shard picks this worker's part of the fleet; the zero Shard is all.
	Shard Shard
	// Done, when set, is called after each function (from the scanning
	// goroutine; calls are serialised).
	Done func(FunctionResult)
}

// DefaultFleetConfig scans every function of the default region, four at
// a time.
func DefaultFleetConfig() FleetConfig {
	return FleetConfig{Scan: scan.DefaultConfig(), Client: DefaultClientOptions(), Pattern: "*", Concurrency: 4}
}

// IsFleetSpec tells a fleet target ("lambda:*", "lambda:orders-*") from
// one function.
func IsFleetSpec(spec string) bool {
	ref, ok := strings.CutPrefix(spec, ProviderName+":")
	return ok && strings.ContainsAny(ref, "*?[")
}

// FleetPattern is the name pattern of a fleet spec.
func FleetPattern(spec string) string {
	return strings.TrimPrefix(spec, ProviderName+":")
}

// Shard is worker I of N (1-based): it scans the functions whose ARN
// hashes to it, so N workers given 1/N … N/N cover every function exactly
// once with no coordination.
type Shard struct{ I, N int }

// ParseShard reads "I/N".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("--shard %q: want I/N with 1 ≤ I ≤ N, e.g. 2/8", s)
	}
	return Shard{I: i, N: n}, nil
}

func (s Shard) String() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

// Has says whether the function with this ARN belongs to the shard: FNV-1a
// of the ARN, modulo N. The ARN is stable across runs and machines.
func (s Shard) Has(arn string) bool {
	if s.N <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(arn))
	return int(h.Sum64()%uint64(s.N)) == s.I-1
}

// listed is a function as ListFunctions names it.
type listed struct{ name, arn, region string }

// RunFleet lists the functions of every region, keeps this shard's and
// the pattern's, and scans each with cfg.Scan. A function that cannot be
// scanned is reported in its FunctionResult and the rest go on; an error
// is returned only when the fleet itself cannot be listed.
func RunFleet(ctx context.Context, cfg FleetConfig) (*FleetReport, error) {
	if cfg.Pattern == "" {
		cfg.Pattern = "*"
	}
	if _, err := path.Match(cfg.Pattern, ""); err != nil {
		return nil, fmt.Errorf("lambda:%s: bad pattern: %w", cfg.Pattern, err)
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	probe := cfg.Scan
	probe.Target = "lambda:*"
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	sess := newSession(cfg.Client)
	work, err := os.MkdirTemp(cfg.Scan.TempDir, "fnscan-fleet-")
	if err != nil {
		return nil, fmt.Errorf("creating work dir: %w", err)
	}
	defer os.RemoveAll(work)
	sess.layers = newLayerCache(work)

	regions := slices.Clone(cfg.Regions)
	if len(regions) == 0 {
		regions = []string{cfg.Client.Region}
	}
	// A region that cannot be listed (an opt-in region not enabled, a
	// denied ListFunctions) does not discard the others' work: it is in
	// the report, whose worst verdict is then error.
	var fns []listed
	var listedIn []string
	var unlisted []RegionError
	var firstErr error
	for _, r := range regions {
		got, region, err := sess.list(ctx, r)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			firstErr = cmp.Or(firstErr, err)
			unlisted = append(unlisted, RegionError{Region: cmp.Or(region, r), Error: err.Error()})
			continue
		}
		fns = append(fns, got...)
		listedIn = append(listedIn, region)
	}
	if len(listedIn) == 0 {
		return nil, firstErr
	}
	var todo []listed
	seen := map[string]bool{}
	matched := 0
	for _, f := range fns {
		if ok, _ := path.Match(cfg.Pattern, f.name); !ok || seen[f.arn] {
			continue
		}
		seen[f.arn] = true
		matched++
		if cfg.Shard.Has(f.arn) {
			todo = append(todo, f)
		}
	}
	// A gate that scanned nothing must not pass. A shard dealt none of a
	// matching fleet is fine: the other shards have them.
	if matched == 0 {
		err := fmt.Errorf("lambda:%s: no function matches in %s (of %d listed)", cfg.Pattern, strings.Join(listedIn, ", "), len(fns))
		if firstErr != nil {
			err = fmt.Errorf("%w; and %w", err, firstErr)
		}
		return nil, err
	}
	slices.SortFunc(todo, func(a, b listed) int { return cmp.Compare(a.arn, b.arn) })

	rep := &FleetReport{Shard: cfg.Shard.String(), Unlisted: unlisted, Functions: make([]FunctionResult, len(todo))}
	var mu sync.Mutex
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(cfg.Concurrency, max(len(todo), 1)) {
		wg.Go(func() {
			for i := range jobs {
				fr := scanOne(ctx, sess, cfg.Scan, todo[i])
				mu.Lock()
				rep.Functions[i] = fr
				if cfg.Done != nil {
					cfg.Done(fr)
				}
				mu.Unlock()
			}
		})
	}
	for i := range todo {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.finish(cfg.Scan.ToolVersion)
	return rep, nil
}

// scanOne runs the pipeline on one function of the fleet.
func scanOne(ctx context.Context, sess *session, sc scan.Config, f listed) FunctionResult {
	info := &functionInfo{}
	ctx = context.WithValue(context.WithValue(ctx, sessionKey{}, sess), infoKey{}, info)
	sc.Target = ProviderName + ":" + f.arn
	res, err := scan.Run(ctx, sc)
	fr := FunctionResult{
		Name: cmp.Or(info.Name, f.name), ARN: cmp.Or(info.ARN, f.arn), Region: f.region,
		Runtime: info.Runtime, PackageType: info.PackageType, CodeSha256: info.CodeSha256, Layers: info.Layers,
	}
	if err != nil {
		fr.Verdict, fr.Error = VerdictError, scan.OneLine(err.Error())
		return fr
	}
	// The SBOM is not part of a fleet report: drop it, so memory holds
	// only what is reported.
	res.SBOM = nil
	fr.Result = res
	fr.Verdict = VerdictPass
	if res.Verdict != nil && !res.Verdict.Pass {
		fr.Verdict = VerdictFail
	}
	return fr
}

// list pages through ListFunctions (50 a page, Marker/NextMarker) and
// says which region it listed ("" is resolved by the SDK's chain).
func (s *session) list(ctx context.Context, region string) ([]listed, string, error) {
	c, err := s.client(ctx, region)
	if err != nil {
		return nil, region, err
	}
	region = regionOf(c)
	var out []listed
	var marker *string
	for page := 1; ; page++ {
		res, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: marker, MaxItems: awssdk.Int32(50)})
		if err != nil {
			return nil, region, fmt.Errorf("listing functions in %s (page %d): %w", region, page, apiError(err))
		}
		for _, f := range res.Functions {
			out = append(out, listed{name: awssdk.ToString(f.FunctionName), arn: awssdk.ToString(f.FunctionArn), region: region})
		}
		if awssdk.ToString(res.NextMarker) == "" {
			return out, region, nil
		}
		if marker != nil && *marker == *res.NextMarker {
			return nil, region, errors.New("listing functions in " + region + ": the API returned the same marker twice")
		}
		marker = res.NextMarker
		if page > 100_000 {
			return nil, region, errors.New("listing functions in " + region + ": more than 100000 pages")
		}
	}
}
