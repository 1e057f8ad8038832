package sign

import (
	"bytes"
	"encoding/json"

	"context"
	"github.com/santhosh-tekuri/jsonschema/v6"
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

// TestVerdictSchema: the predicate validates against docs/verdict.schema.json,
// and the schema is strict enough to refuse a wrong one.
func TestVerdictSchema(t *testing.T) {
	s, err := jsonschema.NewCompiler().Compile("../docs/verdict.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	subj := Subject{Name: "fn.zip", SHA256: strings.Repeat("0f", 32), CodeSHA256: "Dw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8="}
	v := testVerdict(subj, false, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	v.PolicySHA256 = strings.Repeat("ab", 32)
	v.Layers = []VerdictTarget{{Name: "layer.zip", SHA256: strings.Repeat("cd", 32)}}
	good, _ := json.Marshal(v)
	if err := validate(s, good); err != nil {
		t.Fatalf("%s\n%v", good, err)
	}
	for _, bad := range []string{
		strings.Replace(string(good), `"pass":false`, `"pass":"no"`, 1),
		strings.Replace(string(good), `"sha256":"0f0f`, `"sha256":"XX0f`, 1),
		strings.Replace(string(good), `"scanTime"`, `"scantime"`, 1),
		strings.Replace(string(good), `"low":2`, `"severe":2`, 1),
	} {
		if err := validate(s, []byte(bad)); err == nil {
			t.Errorf("schema accepts %s", bad)
		}
	}
}

func validate(s *jsonschema.Schema, b []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return s.Validate(doc)
}
