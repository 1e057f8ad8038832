package sbom

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	stfile "github.com/anchore/stereoscope/pkg/file"
	"github.com/anchore/stereoscope/pkg/filetree"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/internal/fixture"
)

// The index's own searches must answer as stereoscope's search context over
// a stereoscope tree of the same records (how fnscan answered before):
// an image merged the Debian way (/bin, /lib as links into /usr), links to
// links, to directories, to files, dead ones, /etc/os-release pointing into
// /usr, with a zip mounted beside it, searched with syft's own globs.
func TestSearchMatchesStereoscope(t *testing.T) {
	t.Parallel()
	// A real executable's head, for the MIME sniffing.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 4096)
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || string(head[:4]) != "\x7fELF" {
		t.Skipf("the test binary is not ELF (%v)", err)
	}
	elf := string(head)
	layer := fixture.Tar(map[string]string{
		"bin": "->usr/bin", "lib": "->usr/lib", "lib64": "->/usr/lib", "sbin": "->usr/sbin",
		"usr/bin/python3.11": elf, "usr/bin/python3": "->python3.11", "usr/bin/python": "->python3",
		"usr/bin/busybox": elf, "usr/bin/sh": "->busybox", "usr/bin/go": elf,
		"usr/lib/os-release": "ID=debian\nVERSION_ID=12\n", "etc/os-release": "->../usr/lib/os-release",
		"usr/lib/x86_64-linux-gnu/libc.so.6": elf, "usr/lib/x86_64-linux-gnu/libssl.so.3": elf,
		"usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0": elf, "usr/lib/x86_64-linux-gnu/libpython3.11.so": "->libpython3.11.so.1.0",
		"var/lib/dpkg/status": "Package: libc6\nVersion: 2.36\n\n", "var/lib/dpkg/status.d/base": "Package: base\n",
		"var/lib/dpkg/info/libc6.md5sums":                             "x  lib/x86_64-linux-gnu/libc.so.6\n",
		"usr/lib/python3.11/site-packages/req-2.0.dist-info/METADATA": "Name: req\nVersion: 2.0\n",
		"usr/lib/python3.11/site-packages/req-2.0.dist-info/RECORD":   "req/__init__.py,,\n",
		"usr/local/lib/python3.11":                                    "->../../lib/python3.11",
		"app/package.json":                                            `{"name":"app","version":"1.0.0"}`,
		"app/node_modules/a/package.json":                             `{"name":"a","version":"1.0.0"}`,
		"app/node_modules/@s/b/package.json":                          `{"name":"@s/b","version":"2.0.0"}`,
		"app/node_modules/a/test/fixture/package.json":                `{"name":"fixture","version":"0.0.1"}`,
		"app/requirements-dev.txt":                                    "req==2.0\n",
		"deep/a/b/c/d/file.txt":                                       "x", "deep/link": "->a/b", "deep/self": "->.", "deep/a/b/up": "->../..",
		"dead": "->nowhere", "etc/alternatives/java": "->/usr/lib/jvm/bin/java", "etc/java": "->alternatives/java",
		"usr/share/doc/libc6/copyright": "GPL", "opt/bitnami/x/.spdx-x.spdx": "{}", "usr/lib/jvm/release": "JAVA_VERSION=17",
		"usr/lib/jdk": "->jvm", "usr/lib/modules/6.1/kernel/x.ko": elf,
	})
	dir := t.TempDir()
	img := filepath.Join(dir, "img.tar")
	if err := os.WriteFile(img, fixture.DockerArchive("x:1", [][]byte{layer}), 0o644); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(dir, "fn.zip")
	if err := os.WriteFile(zipPath, fixture.Zip(map[string][]byte{
		"package.json": []byte(`{"name":"fn","version":"1.0.0"}`), "node_modules/c/package.json": []byte(`{"name":"c","version":"3.0.0"}`),
		"bin/tool": []byte(elf), "lib/python3.12/site-packages/x-1.0.dist-info/METADATA": []byte("Name: x\nVersion: 1.0\n"),
	}), 0o644); err != nil {
		t.Fatal(err)
	}
	src := mountTargets(t, "docker-archive:"+img, zipPath)
	ours := src.res.index
	theirs, theirTree := stereoscopeSearch(t, ours)

	show := func(rs []stfile.Resolution) []string {
		var out []string
		for _, r := range rs {
			real := "<none>"
			if r.HasReference() {
				real = string(r.RealPath)
			}
			out = append(out, string(r.RequestPath)+" => "+real)
		}
		return out
	}
	same := func(what string, got, want []stfile.Resolution) {
		t.Helper()
		g, w := show(got), show(want)
		if strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s:\n got  %q\n want %q", what, g, w)
		}
	}
	globs := []string{
		"**/*", "/**/*", "/**", "/*", "**/package.json", "**/node_modules/*/package.json", "**/*.dist-info/METADATA", "**/*dist-info/METADATA",
		"**/etc/os-release", "**/usr/lib/os-release", "/etc/*-release", "**/*.so*", "**/bin/*", "/lib/**/*.so.*", "**/{musl,ld-musl}*",
		"**/lib/dpkg/status.d/*", "**/var/lib/dpkg/{status,status.d/*}", "**/var/lib/dpkg/status", "**/python*", "**/libpython*.so*",
		"**/{go,go.exe}", "**/{java,jvm}/*/release", "**/*requirements*.txt", "**/lib/modules/**/*.ko", "/opt/bitnami/**/.spdx-*.spdx",
		"**/*.jar", "**/busybox", "**/sh", "**/bin/python3", "**/local/lib/python3.11/**/METADATA", "**/deep/link/**/file.txt",
		"**/deep/**", "**/ibm/**", "**/*.txt", "usr/bin/python", "/usr/bin/python", "**/lib/apk/db/installed", "**/java", "**/*",
		"**/libc.so.6", "**/x86_64-linux-gnu/*", "**/jdk/*", "**/jvm/*",
		// Patterns stereoscope cleans: stars inside a segment, repeated
		// slashes and "**", escapes (walked as given).
		"**/**.py", "/usr/**/**.so*", "**/lib**/**", "usr//lib///**/*.so*", "***/os-release", "**/**/**/METADATA",
		"**/os\\-release", "**/x86_64-linux-gnu/libc\\.so*", "**/*zulu*/**", "**/",
	}
	for _, g := range globs {
		got, gerr := ours.searchGlob(g)
		want, werr := theirs.SearchByGlob(g, filetree.FollowBasenameLinks)
		if (gerr != nil) != (werr != nil) {
			t.Errorf("SearchByGlob %s: error %v, stereoscope %v", g, gerr, werr)
			continue
		}
		same("SearchByGlob "+g, got, want)
	}
	if got, _ := ours.searchGlob("**/package.json"); len(got) < 5 {
		t.Fatalf("**/package.json found %d: the roots did not mount", len(got))
	}
	paths := []string{"/", "/bin/python", "/usr/bin/python", "/bin/sh", "/etc/os-release", "/lib/x86_64-linux-gnu/libc.so.6",
		"/lib64/x86_64-linux-gnu/libssl.so.3", "/sbin/x", "/dead", "/etc/java", "/deep/link/c/d/file.txt", "/deep/self/a/b/up/a",
		"/deep/a/b/up/link/c", "usr/bin/go", "/usr/bin/", "/usr/local/lib/python3.11/site-packages/req-2.0.dist-info/RECORD",
		"/nope", "/usr/lib/jdk/release", "/usr/bin/../lib/os-release", "/fnscan-root-1/package.json", "/fnscan-root-1/bin/tool",
		"../deep/a/b/c/d/file.txt", "a/../../usr/lib/os-release", "", " ", "//usr//lib/", "/usr/lib/os-release/",
		"/deep/" + strings.Repeat("self/", 49) + "a/b/c/d/file.txt", "/deep/" + strings.Repeat("self/", 50) + "a/b/c/d/file.txt"}
	for _, p := range paths {
		var got, want []stfile.Resolution
		if r := ours.file(p); r != nil {
			got = append(got, *r)
		}
		if r, err := theirs.SearchByPath(p, filetree.FollowBasenameLinks); err == nil && r != nil {
			want = append(want, *r)
		}
		same("SearchByPath "+p, got, want)
		if h, w := ours.resolve(p, false) >= 0, theirTree.HasPath(stfile.Path(p)); h != w {
			t.Errorf("HasPath %q: %v, stereoscope %v", p, h, w)
		}
	}
	mimes := []string{"application/x-executable", "application/x-sharedlib"}
	want, _ := theirs.SearchByMIMEType(mimes...)
	same("SearchByMIMEType", ours.searchMIME(mimes...), want)
	if len(want) < 5 {
		t.Fatalf("only %d executables", len(want))
	}
}

// stereoscopeSearch builds stereoscope's tree and index from the records,
// as fnscan did before it searched the index itself.
func stereoscopeSearch(t *testing.T, x *treeIndex) (filetree.Searcher, *filetree.FileTree) {
	t.Helper()
	ft, idx := filetree.New(), filetree.NewIndex()
	for i := range x.recs {
		r := &x.recs[i]
		var ref *stfile.Reference
		var err error
		switch r.typ {
		case stfile.TypeDirectory:
			ref, err = ft.AddDir(r.ref.RealPath)
		case stfile.TypeSymLink:
			ref, err = ft.AddSymLink(r.ref.RealPath, stfile.Path(r.link))
		default:
			ref, err = ft.AddFile(r.ref.RealPath)
		}
		if err != nil || ref == nil {
			t.Fatal(fmt.Sprint(r.ref.RealPath, err))
		}
		idx.Add(*ref, x.metadata(int32(i)))
	}
	return filetree.NewSearchContext(ft, idx), ft
}

// mountTargets opens the targets and mounts their cataloged trees in one
// tree source, as Catalog does.
func mountTargets(t *testing.T, specs ...string) *treeSource {
	t.Helper()
	var roots []*artifact.Root
	for _, spec := range specs {
		tg, err := artifact.Open(context.Background(), spec, artifact.Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tg.Close() })
		for _, r := range tg.Roots {
			if r.Catalog && r.Tree != nil {
				roots = append(roots, r)
			}
		}
	}
	src, err := newTreeSource(t.Context(), "test", newMount(roots), t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}
