package secrets

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect/codec"
)

// checkDecoder runs both decoders pass after pass over s and compares the
// text, the segments' count, and for ranges of each pass's text the
// segments' tags and the range mapped back to the file.
func checkDecoder(t *testing.T, name, s string, rng *rand.Rand) {
	t.Helper()
	gdec := codec.NewDecoder()
	graw, mraw := s, s
	var gsegs []*codec.EncodedSegment
	var msegs []*segment
	for pass := range maxDecodeDepth {
		graw, gsegs = gdec.Decode(graw, gsegs)
		mraw, msegs = decodePass(mraw, msegs)
		if graw != mraw || len(gsegs) != len(msegs) {
			t.Fatalf("%s: pass %d: %d segments, text %q; gitleaks %d, %q (input %q)", name, pass+1, len(msegs), clip(mraw), len(gsegs), clip(graw), clip(s))
		}
		if len(msegs) == 0 {
			return
		}
		ranges := [][2]int{}
		for _, m := range msegs {
			ranges = append(ranges, [2]int{m.decoded.start, m.decoded.end}, [2]int{max(0, m.decoded.start-3), min(len(mraw), m.decoded.start+2)},
				[2]int{max(0, m.decoded.end-1), min(len(mraw), m.decoded.end+4)})
		}
		for range 20 {
			a := rng.IntN(len(mraw) + 1)
			ranges = append(ranges, [2]int{a, min(len(mraw), a+rng.IntN(40))})
		}
		for _, r := range ranges {
			gt := codec.Tags(codec.SegmentsWithDecodedOverlap(gsegs, r[0], r[1]))
			mt := segmentTags(decodedOverlap(msegs, r[0], r[1]))
			ga := codec.AdjustMatchIndex(gsegs, []int{r[0], r[1]})
			ma := toOriginal(msegs, span{r[0], r[1]})
			if !slices.Equal(gt, mt) || ga[0] != ma.start || ga[1] != ma.end {
				t.Fatalf("%s: pass %d, range %v: tags %v at %v; gitleaks %v at %v (input %q)", name, pass+1, r, mt, ma, gt, ga, clip(s))
			}
		}
	}
}

func TestDecoderMatchesGitleaks(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	secret := "AKIA" + "IOSFODNN7" + "EXAMPLE"
	enc := []func(string) string{
		func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) },
		func(s string) string { return hex.EncodeToString([]byte(s)) },
		func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") },
		func(s string) string {
			var b strings.Builder
			for _, r := range s {
				fmt.Fprintf(&b, "\\u%04x", r)
			}
			return b.String()
		},
		func(s string) string {
			var b strings.Builder
			for _, r := range s {
				fmt.Fprintf(&b, "U+%04X ", r)
			}
			return b.String()
		},
	}
	words := []string{secret, "password=hunter2!", "token: ghp_" + strings.Repeat("x1", 18), "{\"k\":\"v w\"}", "é ü", "%41", "a\nb"}
	for i := range 3000 {
		// Nested encodings of a few words, in noise.
		var b strings.Builder
		for range 1 + rng.IntN(4) {
			w := words[rng.IntN(len(words))]
			for range rng.IntN(4) {
				w = enc[rng.IntN(len(enc))](w)
			}
			b.WriteString([]string{" ", "\n", "=", "\"", "x", ""}[rng.IntN(6)])
			b.WriteString(w)
		}
		checkDecoder(t, fmt.Sprint("nested ", i), b.String(), rng)
	}
	const alpha = "%%UU++\\\\uu00aAfF9gG==__--//  \n\t\xffé" + "0123456789abcdefABCDEFxyz"
	for range 5000 {
		b := make([]byte, rng.IntN(150))
		for j := range b {
			b[j] = alpha[rng.IntN(len(alpha))]
		}
		checkDecoder(t, "random", string(b), rng)
	}
	n := 0
	for _, root := range []string{filepath.Join(runtime.GOROOT(), "src", "net", "url"), filepath.Join(runtime.GOROOT(), "src", "encoding", "json"), "../testdata"} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || n >= 300 {
				return nil
			}
			if b, err := os.ReadFile(p); err == nil && len(b) <= 1<<20 {
				n++
				checkDecoder(t, p, string(b), rng)
			}
			return nil
		})
	}
	if n < 50 {
		t.Fatalf("only %d real files", n)
	}
}
