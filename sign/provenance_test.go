package sign

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSignAndAttest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key, pubPEM := testKey(t, "pw")
	pub := mustPub(t, pubPEM)
	zip, err := os.ReadFile(filepath.Join("..", "testdata", "lambda", "serverless-goat-convert.zip"))
	if err != nil {
		t.Fatal(err)
	}
	art := writeFile(t, dir, "fn.zip", zip)
	now := time.Now().UTC().Truncate(time.Second)
	bom := []byte(strings.Replace(testBOM, "%s", now.Format(time.RFC3339), 1))
	out := filepath.Join(dir, "out")

	// A failing verdict signs nothing.
	subj, _ := SubjectOf(art)
	if err := SignAndAttest(ctx, key, art, bom, testVerdict(subj, false, now), out); err == nil {
		t.Fatal("signed a failed verdict")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("out dir made for a failed verdict: %v", err)
	}
	// A verdict about other bytes is refused.
	wrong := testVerdict(Subject{Name: "x", SHA256: strings.Repeat("ab", 32)}, true, now)
	if err := SignAndAttest(ctx, key, art, bom, wrong, out); err == nil {
		t.Fatal("signed a verdict about other bytes")
	}

	v := testVerdict(subj, true, now)
	v.Target = VerdictTarget{} // filled in
	if err := SignAndAttest(ctx, key, art, bom, v, out); err != nil {
		t.Fatal(err)
	}
	o := OutputsFor(out, art)
	var ev []Evidence
	for _, p := range []string{o.Signature, o.SBOM, o.Verdict} {
		e, err := ReadEvidence(p)
		if err != nil {
			t.Fatal(err)
		}
		ev = append(ev, e)
	}
	got, err := VerifyFile(art, ev[0], ev[1:], Policy{Key: pub, RequireVerdictPass: true, MaxAge: time.Hour,
		PredicateTypes: []string{PredicateCycloneDX, PredicateVerdict}})
	if err != nil {
		t.Fatal(err)
	}
	if vd := got.Attestations[1].Verdict; vd == nil || vd.Target.SHA256 != subj.SHA256 || vd.Target.CodeSHA256 == "" {
		t.Fatalf("verdict target not filled in: %+v", got.Attestations[1])
	}
}
