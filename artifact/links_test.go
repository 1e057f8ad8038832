package artifact

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fnscan/fnscan/internal/fixture"
)

// Links lists the symlinks kept, with their targets: a target is text from
// the input that the secret rules read. A refused one is only in a warning.
func TestLinksListed(t *testing.T) {
	p := filepath.Join(t.TempDir(), "app.tar")
	os.WriteFile(p, fixture.Tar(map[string]string{
		"app/index.js": "ok\n",
		"app/current":  "->releases/v2",
		"app/out":      "->../../x",
	}), 0o644)
	tg, err := Open(context.Background(), p, Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	links, err := tg.Links()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Virtual != "app.tar!app/current" || links[0].Target != "releases/v2" || links[0].Origin.Name != "app.tar" {
		t.Errorf("links %+v", links)
	}
	if len(tg.Warnings) != 1 || tg.Warnings[0].Path != "app.tar!app/out" {
		t.Errorf("warnings %v", tg.Warnings)
	}
}

// A zip read in place lists its symlinks the same way.
func TestLinksListedInZip(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	h := &zip.FileHeader{Name: "app/current"}
	h.SetMode(os.ModeSymlink | 0o777)
	w, _ := zw.CreateHeader(h)
	w.Write([]byte("releases/v2"))
	w, _ = zw.Create("app/releases/v2/index.js")
	w.Write([]byte("1\n"))
	zw.Close()
	tg := openBytes(t, "fn.zip", b.Bytes())
	links, err := tg.Links()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Virtual != "fn.zip!app/current" || links[0].Target != "releases/v2" {
		t.Errorf("links %+v", links)
	}
}
