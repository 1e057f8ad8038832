package artifact

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"
)

// unpacker writes archive entries under one os.Root, which refuses any write
// that would land outside it, symlinks included. The checks here come first
// so a refusal names the entry and the reason.
type unpacker struct {
	b    *budget
	warn func(Warning)
}

// cleanName turns an archive entry name into a slash path inside the root.
// Backslashes count as separators because Windows tools write them and
// extractors elsewhere honour them: "..\..\x" must not slip through.
func cleanName(name string, stripAbs bool) (string, error) {
	n, err := cleanPath(name, stripAbs)
	if err != nil || n == "" {
		return n, err
	}
	// Longer names cannot be created on Linux: refused here, one entry,
	// rather than failing the whole scan on the write.
	for _, part := range strings.Split(n, "/") {
		if len(part) > maxNameComponent {
			return "", fmt.Errorf("a path component of %d bytes (the limit is %d)", len(part), maxNameComponent)
		}
	}
	if len(n) > maxPathBytes {
		return "", fmt.Errorf("a path of %d bytes (the limit is %d)", len(n), maxPathBytes)
	}
	return n, nil
}

// cleanPath is cleanName without the limits of a disk: an archive read in
// place can hold any path its format can.
func cleanPath(name string, stripAbs bool) (string, error) {
	n := strings.ReplaceAll(name, `\`, "/")
	if strings.ContainsRune(n, 0) {
		return "", errors.New("NUL byte in path")
	}
	if len(n) >= 2 && n[1] == ':' && ((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z')) {
		return "", errors.New("drive-letter path")
	}
	if strings.HasPrefix(n, "/") {
		if !stripAbs {
			return "", errors.New("absolute path")
		}
		n = strings.TrimLeft(n, "/")
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", errors.New("path traverses outside the archive (..)")
		}
	}
	n = path.Clean(n)
	if n == "." {
		return "", nil
	}
	if len(n) > maxInPlacePath {
		return "", fmt.Errorf("a path of %d bytes (the limit is %d)", len(n), maxInPlacePath)
	}
	return n, nil
}

// maxInPlacePath bounds a path read in place: twice Linux's PATH_MAX, and
// every level of a path costs a directory in the index.
const maxInPlacePath = 8192

// linkTarget checks a symlink's target lexically and rewrites an absolute
// target to a relative one, so the link on disk stays inside the root the way
// it would inside the image (chroot semantics). The target is otherwise kept
// verbatim: cleaning "a/../b" would change its meaning when a is a symlink.
// checkLinks later resolves it for real. In a rootfs ".." at the root stays
// there: nothing to refuse.
func linkTarget(name, target string, rootfs bool) (string, error) {
	t := strings.ReplaceAll(target, `\`, "/")
	if t == "" || strings.ContainsRune(t, 0) {
		return "", errors.New("empty or invalid symlink target")
	}
	abs := strings.HasPrefix(t, "/")
	var lexical string
	if abs {
		lexical = path.Clean(strings.TrimLeft(t, "/"))
	} else {
		lexical = path.Join(path.Dir(name), t)
	}
	if !rootfs && (lexical == ".." || strings.HasPrefix(lexical, "../")) {
		return "", fmt.Errorf("symlink to %q escapes the root", target)
	}
	if !abs {
		return t, nil
	}
	up := strings.Repeat("../", strings.Count(name, "/"))
	if rest := strings.TrimLeft(t, "/"); rest != "" {
		return up + rest, nil
	}
	if up == "" {
		return ".", nil
	}
	return strings.TrimSuffix(up, "/"), nil
}

// maxNameComponent and maxPathBytes are Linux's NAME_MAX and, leaving room
// for the work dir, PATH_MAX.
const (
	maxNameComponent = 255
	maxPathBytes     = 3072
)

// refuse warns that an entry was not unpacked, so not scanned.
func (u *unpacker) refuse(archive, entry string, err error) {
	u.warn(Warning{Path: archive + "!" + shortName(entry), Message: "refused: " + err.Error(), Unscanned: true})
}

// refuseMarker refuses an entry with no content of its own (a symlink, a
// whiteout): nothing is left unscanned.
func (u *unpacker) refuseMarker(archive, entry string, err error) {
	u.warn(Warning{Path: archive + "!" + shortName(entry), Message: "refused: " + err.Error()})
}

// shortName keeps a hostile entry name from filling a report: its start,
// then its length.
func shortName(s string) string {
	if len(s) <= 512 {
		return s
	}
	cut := 256
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
}

// prepare makes the parent directories of name and removes whatever is at
// name, so a later entry replaces an earlier one instead of writing through it.
func prepare(root *os.Root, name string) error {
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := root.RemoveAll(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// dirCache remembers directories already made, so writing ten thousand files
// does not cost ten thousand MkdirAll walks through the root.
type dirCache struct {
	mu   sync.Mutex
	made map[string]bool
}

func (d *dirCache) ensure(root *os.Root, dir string) error {
	if dir == "." {
		return nil
	}
	d.mu.Lock()
	ok := d.made[dir]
	d.mu.Unlock()
	if ok {
		return nil
	}
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d.mu.Lock()
	d.made[dir] = true
	d.mu.Unlock()
	return nil
}

// createFile writes a new file; only when something is already there (a
// duplicate name across nested content) does it pay for a removal.
func (u *unpacker) createFile(root *os.Root, dirs *dirCache, name string, r io.Reader, compressed int64) error {
	if err := dirs.ensure(root, path.Dir(name)); err != nil {
		return err
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil && !errors.Is(err, fs.ErrExist) && !isRootEscape(err) {
		// A later entry may have replaced a cached directory: make it again.
		if dir := path.Dir(name); dir != "." {
			dirs.mu.Lock()
			delete(dirs.made, dir)
			dirs.mu.Unlock()
			if prepare(root, dir) == nil && root.Mkdir(dir, 0o755) == nil {
				f, err = root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			}
		}
	}
	if errors.Is(err, fs.ErrExist) {
		if err := root.RemoveAll(name); err != nil {
			return err
		}
		f, err = root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	}
	if err != nil {
		return err
	}
	_, err = io.Copy(&limitedWriter{w: f, b: u.b, compressed: compressed}, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func readSmall(f *zip.File, max int64) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return "", err
	}
	if int64(len(b)) > max {
		return "", errors.New("symlink target too long")
	}
	return string(b), nil
}

func isRootEscape(err error) bool {
	return err != nil && strings.Contains(err.Error(), "path escapes from parent")
}

// checkLinks resolves every symlink under dir as the image would see it and
// removes those that escape, loop or chain too deep, so nothing that reads the
// tree later (syft, the secrets scanner) can be led outside it.
func (u *unpacker) checkLinks(dir, display string, sep string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rerr := resolveLink(dir, rel, u.b.limits.MaxLinkHops); rerr != nil {
			target, _ := os.Readlink(p)
			os.Remove(p)
			u.warn(Warning{Path: display + sep + rel, Message: fmt.Sprintf("refused: symlink to %q: %v", target, rerr)})
		}
		return nil
	})
}

var (
	errLinkEscape = errors.New("resolves outside the root")
	errLinkLoop   = errors.New("symlink loop")
	errLinkDepth  = errors.New("symlink chain too deep")
)

// resolveLink follows rel inside dir on disk with followLinks' rules.
func resolveLink(dir, rel string, maxHops int) error {
	_, err := followLinks("", rel, 0, maxHops, false, func(p string) (string, bool) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		fi, err := os.Lstat(full)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return "", false
		}
		target, err := os.Readlink(full)
		return target, err == nil
	})
	return err
}

// followLinks resolves the slash path todo from the directory cur ("" is
// the root) with chroot semantics, every symlink on the way followed:
// climbing above the root (except in a rootfs, where it stays), revisiting a link with the same remainder (a
// loop) or following more than maxHops links (hops already counted) is an
// error. readlink gives a path's target when it is a symlink. A path that
// does not exist is returned as it would be made, so what lies below it
// can be placed.
func followLinks(cur, todo string, hops, maxHops int, rootfs bool, readlink func(p string) (string, bool)) (string, error) {
	seen := map[string]bool{}
	for todo != "" {
		var c string
		c, todo, _ = strings.Cut(todo, "/")
		switch c {
		case "", ".":
			continue
		case "..":
			if cur == "" && rootfs {
				continue // "/.." is "/"
			}
			if cur == "" {
				return "", errLinkEscape
			}
			cur = cur[:max(strings.LastIndexByte(cur, '/'), 0)]
			continue
		}
		next := c
		if cur != "" {
			next = cur + "/" + c
		}
		target, isLink := readlink(next)
		if !isLink {
			cur = next
			continue
		}
		if hops++; hops > maxHops {
			return "", errLinkDepth
		}
		key := next + "\x00" + todo
		if seen[key] {
			return "", errLinkLoop
		}
		seen[key] = true
		if strings.HasPrefix(target, "/") {
			cur = ""
		}
		todo = target + "/" + todo
	}
	return cur, nil
}
