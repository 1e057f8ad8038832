package artifact

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
)

// Limits bound what unpacking may cost. Targets come from untrusted builds, so
// every archive is treated as a possible bomb.
type Limits struct {
	MaxTotalBytes int64 // all bytes written to the work dir, nested archives included
	MaxEntries    int64 // all entries unpacked, nested archives included
	MaxEntryBytes int64 // one entry's uncompressed size
	MaxRatio      int64 // uncompressed/compressed for one entry (checked above 1 MiB)
	MaxDepth      int   // nested archive depth; the target itself is depth 0
	MaxLinkHops   int   // symlinks followed while resolving one path
}

// DefaultLimits fit the largest real serverless targets: a Lambda package is at
// most 250 MB unpacked, a container image 10 GB.
func DefaultLimits() Limits {
	return Limits{
		MaxTotalBytes: 16 << 30,
		MaxEntries:    1_000_000,
		MaxEntryBytes: 4 << 30,
		MaxRatio:      1000,
		MaxDepth:      5,
		MaxLinkHops:   6, // as osv-scalibr; real alternatives chains are 2–4 deep
	}
}

// Validate rejects limits that would disable a guard by accident.
func (l Limits) Validate() error {
	switch {
	case l.MaxTotalBytes <= 0:
		return errors.New("--max-total-size must be positive")
	case l.MaxEntries <= 0:
		return errors.New("--max-entries must be positive")
	case l.MaxEntryBytes <= 0:
		return errors.New("--max-entry-size must be positive")
	case l.MaxRatio <= 0:
		return errors.New("--max-ratio must be positive")
	case l.MaxDepth < 0:
		return errors.New("--max-depth must not be negative")
	case l.MaxLinkHops <= 0:
		return errors.New("--max-symlink-depth must be positive")
	}
	return nil
}

// ErrLimit marks an error caused by a limit; the message says which.
var ErrLimit = errors.New("limit exceeded")

// budget is shared by every archive unpacked for one target.
type budget struct {
	limits  Limits
	ctx     context.Context // nil: never cancelled
	bytes   atomic.Int64
	entries atomic.Int64
	read    atomic.Int64 // decompressed bytes read from compressed streams
	names   atomic.Int64 // bytes of entry names and link targets held in indexes
}

func (b *budget) entry() error {
	if n := b.entries.Add(1); n > b.limits.MaxEntries {
		return fmt.Errorf("%w: more than %d entries (raise --max-entries)", ErrLimit, b.limits.MaxEntries)
	}
	return nil
}

// maxNameBytes bounds the names an index holds for one target: a gzipped
// tar can declare a million long names in a few kilobytes.
const maxNameBytes = 256 << 20

func (b *budget) name(n int) error {
	if b.names.Add(int64(n)) > maxNameBytes {
		return fmt.Errorf("%w: more than %d MiB of entry names", ErrLimit, maxNameBytes>>20)
	}
	return nil
}

func (b *budget) add(n int64) error {
	// Checked per write: one entry may take seconds to inflate, and Ctrl-C
	// must not wait for it.
	if b.ctx != nil && b.ctx.Err() != nil {
		return b.ctx.Err()
	}
	if t := b.bytes.Add(n); t > b.limits.MaxTotalBytes {
		return fmt.Errorf("%w: more than %d bytes unpacked in total (raise --max-total-size)", ErrLimit, b.limits.MaxTotalBytes)
	}
	return nil
}

// limitedWriter copies at most the entry limit and charges the total budget
// as it goes, so a bomb stops at the limit rather than after filling the disk.
type limitedWriter struct {
	w          interface{ Write([]byte) (int, error) }
	b          *budget
	n          int64
	compressed int64 // 0 when unknown
}

func (lw *limitedWriter) Write(p []byte) (int, error) {
	lw.n += int64(len(p))
	if lw.n > lw.b.limits.MaxEntryBytes {
		return 0, fmt.Errorf("%w: entry larger than %d bytes (raise --max-entry-size)", ErrLimit, lw.b.limits.MaxEntryBytes)
	}
	if lw.compressed > 0 && lw.n > 1<<20 && lw.n/lw.compressed > lw.b.limits.MaxRatio {
		return 0, fmt.Errorf("%w: compression ratio above %d:1 (zip bomb? raise --max-ratio)", ErrLimit, lw.b.limits.MaxRatio)
	}
	if err := lw.b.add(int64(len(p))); err != nil {
		return 0, err
	}
	return lw.w.Write(p)
}
