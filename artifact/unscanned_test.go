package artifact

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnscan/fnscan/internal/fixture"
)

// Warnings that leave content unread carry Unscanned (what failOnIncomplete
// fails on); those about entries with no content, or content scanned all
// the same, do not.
func TestUnscannedWarnings(t *testing.T) {
	deep := fixture.Zip(map[string][]byte{"secret.env": []byte("DB_PASSWORD=Xq7-Lk2mPz9Wv\n")})
	for range 3 {
		deep = fixture.Zip(map[string][]byte{"level.zip": deep})
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	add := func(h *zip.FileHeader, body string) {
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	add(&zip.FileHeader{Name: "../evil.txt"}, "x")
	link := &zip.FileHeader{Name: "link"}
	link.SetMode(os.ModeSymlink | 0o777)
	add(link, "../../etc/passwd")
	add(&zip.FileHeader{Name: "index.js"}, "1")
	add(&zip.FileHeader{Name: "index.js"}, "2")
	add(&zip.FileHeader{Name: "vendor/broken.zip"}, "PK\x03\x04 truncated")
	add(&zip.FileHeader{Name: "deep.zip"}, string(deep))
	zw.Close()
	p := filepath.Join(t.TempDir(), "fn.zip")
	os.WriteFile(p, b.Bytes(), 0o644)

	lim := DefaultLimits()
	lim.MaxDepth = 2
	tg, err := Open(context.Background(), p, Options{TempDir: t.TempDir(), Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	want := map[string]bool{ // message fragment: Unscanned
		"refused: path traverses outside": true,
		"skipped corrupt archive":         true,
		"deeper than --max-depth 2":       true,
		"refused: symlink":                false,
		"duplicate entry":                 false,
	}
	for _, w := range tg.Warnings {
		for frag, unscanned := range want {
			if strings.Contains(w.Message, frag) {
				if w.Unscanned != unscanned {
					t.Errorf("%s: Unscanned = %v, want %v", w, w.Unscanned, unscanned)
				}
				delete(want, frag)
			}
		}
	}
	for frag := range want {
		t.Errorf("no warning %q in:\n%s", frag, warningsText(tg.Warnings))
	}
}
