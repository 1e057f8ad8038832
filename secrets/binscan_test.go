package secrets

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeKey is an AWS access key ID of the real shape, made at run time so
// that no binary of this repository holds it.
func fakeKey() string { return "AKIA" + strings.ToUpper("q7wertyuiopasdf2") }

// TestBinarySecrets: executables are searched for exact-shaped credentials
// where their string literals lie packed end to end, and only there.
func TestBinarySecrets(t *testing.T) {
	t.Parallel()
	key := fakeKey()
	// A PE file: MZ, the PE header's offset at 0x3c, the header there.
	pe := func(body string) string {
		h := make([]byte, 0x40)
		copy(h, "MZ\x90\x00")
		h[0x3c] = 0x40
		return string(h) + "PE\x00\x00\x00" + body + "\x00"
	}
	elf := func(body ...string) string {
		return "\x7fELF\x02\x01\x01\x00\x00\x00" + strings.Join(body, "")
	}
	big := make([]byte, binaryChunk+1000)
	copy(big, "\x7fELF\x02\x01\x01\x00")
	at := binaryChunk - 7 // the key straddles the first chunk's end
	copy(big[at-3:], "\x00ab"+key+"\x00")
	files := writeFiles(t, map[string]string{
		// A Go binary's rodata: literals packed, no separators.
		"bootstrap": elf("\x00\x00maxheaders", key, "floating point errorGC sweep termination\x00"),
		// A word table of capitals (libunistring's character names).
		"lib/libwords.so": elf("\x00AMMADANDADANGODARA3DARA4THEASIAQUICKBROWNFXJMPSVLZYDOGWORDS\x00"),
		// Public examples: AWS's documentation key, gitleaks' allowlisted one.
		"bin/examples": elf("\x00AKIAIOSFODNN7EXAMPLE\x00AIzaSyabcdefghijklmnopqrstuvwxyz1234567\x00"),
		"bin/big":      string(big),
		// node's binary embeds WASM as base64, key-shaped runs and all.
		"bin/node": elf("\x00", strings.Repeat("CyABIEAgAEECRg0JDIECCyAEIAFBAWoiAUcNAAtBMCEDDPgCC0", 6),
			"CyABIARHBEADQCABLQAAQYAai0AAC", strings.Repeat("QQFqIQELQSkhAwwIC0E4IQMMBwsCQCABIARH", 6), "\x00"),
		// Names the text rules skip (gitleaks allowlists .exe and .bin).
		"bootstrap.exe": pe(key),
		"app.bin":       elf("\x00", key, "\x00"),
		// Not an executable: binary data is not searched.
		"data.bin.x": "\x00\x01\x02" + key + "\x00",
		"image.png":  "\x89PNG\x00" + key,
	})
	res := scan(t, files, DefaultConfig())
	got := map[string]int{}
	for _, f := range res.Findings {
		got[f.Path]++
		if f.Source != SourceBinary || f.RuleID != "aws-access-token" || f.Line != 0 || f.Length != 20 || !strings.HasPrefix(f.Redacted, "AKIA") || strings.Contains(f.Redacted, key) {
			t.Errorf("finding %+v", f)
		}
	}
	want := map[string]int{"fn.zip!bootstrap": 1, "fn.zip!bin/big": 1, "fn.zip!bootstrap.exe": 1, "fn.zip!app.bin": 1}
	if len(got) != len(want) || got["fn.zip!bootstrap"] != 1 || got["fn.zip!bin/big"] != 1 || got["fn.zip!bootstrap.exe"] != 1 || got["fn.zip!app.bin"] != 1 {
		t.Errorf("findings by file %v, want %v", got, want)
	}

	// Over the per-file limit an executable is still searched, streamed;
	// a text that begins with MZ is not an executable, and is warned about.
	cfg := DefaultConfig()
	cfg.MaxFileSize = 1 << 20
	files = append(files, writeFiles(t, map[string]string{"MZ.txt": "MZ is how this notes file begins.\n" + strings.Repeat("line of text\n", 1<<17)})...)
	res = scan(t, files, cfg)
	warned := false
	for _, w := range res.Warnings {
		warned = warned || strings.HasSuffix(w.Path, "MZ.txt") && w.Unscanned
	}
	if !warned {
		t.Errorf("a text over the limit that begins with MZ: no warning (%v)", res.Warnings)
	}
	n := 0
	for _, f := range res.Findings {
		if f.Path == "fn.zip!bin/big" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("an executable over the file limit: %d findings, want 1", n)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w.Path, "bin/big") {
			t.Errorf("warned about a file it searched: %v", w)
		}
	}
}

// TestGoBinarySecret builds a real Go program with a key in a constant, as
// a custom runtime's bootstrap would hold it, and finds it there.
func TestGoBinarySecret(t *testing.T) {
	t.Parallel()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	dir := t.TempDir()
	src := "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nconst accessKey = \"" + fakeKey() + "\"\n\n" +
		"func main() { fmt.Println(os.Getenv(\"X\"), accessKey, \"hello\") }\n"
	for name, data := range map[string]string{"main.go": src, "go.mod": "module bootstrap\n\ngo 1.21\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(gobin, "build", "-o", filepath.Join(dir, "out", "bootstrap"), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "out", "bootstrap"))
	if err != nil || !bytes.Contains(bin, []byte(fakeKey())) {
		t.Fatalf("the key is not in the binary: %v", err)
	}
	res := scan(t, dirFiles(t, filepath.Join(dir, "out"), "fn.zip"), DefaultConfig())
	if len(res.Findings) != 1 || res.Findings[0].RuleID != "aws-access-token" || res.Findings[0].Path != "fn.zip!bootstrap" {
		t.Fatalf("findings %+v, want the key in fn.zip!bootstrap", res.Findings)
	}
}

// TestBinaryChunkCuts: wherever a chunk cut falls around a key, it is found
// once; a word table of capitals across a cut stays a word table; npm
// tokens mix cases.
func TestBinaryChunkCuts(t *testing.T) {
	t.Parallel()
	key := fakeKey()
	for _, off := range []int{binaryChunk - 300, binaryChunk - 130, binaryChunk - 21, binaryChunk - 10, binaryChunk - 1, binaryChunk, binaryChunk + 1, binaryChunk + binaryCarry - 128} {
		b := make([]byte, 2*binaryChunk+100)
		copy(b, "\x7fELF")
		copy(b[off-1:], "x"+key+"y")
		ms, _, err := scanBinary(bytes.NewReader(b), -1)
		if err != nil || len(ms) != 1 || ms[0].secret != key {
			t.Errorf("key at %d: %d matches, %v", off-binaryChunk, len(ms), err)
		}
		// Capitals on both sides: a word table when the run has no digit,
		// keys packed end to end when it has.
		b = make([]byte, 2*binaryChunk+100)
		copy(b[off-1:], "XASIAQUICKBROWNFXJMPSY")
		if ms, _, _ := scanBinary(bytes.NewReader(b), -1); len(ms) != 0 {
			t.Errorf("capitals around a key-shaped word run at %d: %d matches", off-binaryChunk, len(ms))
		}
		b = make([]byte, 2*binaryChunk+100)
		copy(b[off-1:], "X"+key+"Y")
		if ms, _, _ := scanBinary(bytes.NewReader(b), -1); len(ms) != 1 {
			t.Errorf("a key between capitals at %d: %d matches", off-binaryChunk, len(ms))
		}
		// Inside base64 (node's embedded WASM), wherever the cut falls.
		b = make([]byte, 2*binaryChunk+100)
		b64 := strings.Repeat("CyQ9a+LQAAQYAaiZ", 8)
		copy(b[off-1-len(b64):], b64+"x"+"ABIA"+strings.ToUpper("rhbeadqcablqaaq2")+"A+ai0"+b64)
		if ms, _, _ := scanBinary(bytes.NewReader(b), -1); len(ms) != 0 {
			t.Errorf("a key-shaped run inside base64 at %d: %d matches", off-binaryChunk, len(ms))
		}
	}
	// A Go binary's literals packed end to end, three keys in a row after
	// words: all three are keys, not base64.
	k1, k2, k3 := "AKIA"+strings.ToUpper("q3mz7txwbrj5vlna"), "AKIA"+strings.ToUpper("r6ykd2hp4wsj7tce"), "AKIA"+strings.ToUpper("u2nxf5lq7zbmk3dg")
	packed := "\x7fELF\x00gotestjsonbuildtextmultipartmaxheaders" + k1 + k2 + k3 + "floatingpointerrorsweepterminationresetdebuglog\x00"
	if ms, _, _ := scanBinary(strings.NewReader(packed), int64(len(packed))); len(ms) != 3 {
		t.Errorf("three keys packed after words: %d matches", len(ms))
	}
	// A key right after a base64 blob, words after it, is a key.
	blob := strings.Repeat("QQFqIQELQSkhAwwIC0E4IQMMBwsCQCABIARH+/", 16)
	if ms, _, _ := scanBinary(strings.NewReader("\x7fELF\x00"+blob+k1+"floatingpoint\x00"), -1); len(ms) != 1 {
		t.Errorf("a key after base64: %d matches", len(ms))
	}
	tok := "npm_" + "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kLm"[:36]
	if ms, _, _ := scanBinary(strings.NewReader("\x7fELF\x00"+tok+"\x00"), 3); len(ms) != 1 {
		t.Errorf("npm token of mixed case: %d matches", len(ms))
	}
}
