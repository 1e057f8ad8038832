package artifact

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bodgit/sevenzip"
)

// 7z headers can make the reader allocate whatever size they declare (a
// 17 GB make from a 1 KB file): a fatal out-of-memory no recover() stops.
// So 7z archives are extracted in a child process of this same binary with
// its address space limited; if the child dies, the archive is corrupt.

const sevenZipChildArg = "__fnscan-extract-7z"

// sevenZipMemory is the child's address-space limit.
const sevenZipMemory = 2 << 30

// ChildMain runs the 7z extraction child when args (os.Args) say this
// process is one; ok is false otherwise. The binary re-executes itself for
// each 7z archive, so its main, and the TestMain of every package whose
// tests open 7z archives, call it first.
func ChildMain(args []string) (code int, ok bool) {
	if len(args) == 7 && args[1] == sevenZipChildArg {
		return sevenZipChild(args[2], args[3], args[4], args[5], args[6]), true
	}
	return 0, false
}

// un7z extracts p into dir through the child and charges what it wrote.
func (u *unpacker) un7z(ctx context.Context, virtual, p, dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	remaining := u.b.limits.MaxTotalBytes - u.b.bytes.Load()
	entries := u.b.limits.MaxEntries - u.b.entries.Load()
	cmd := exec.CommandContext(ctx, exe, sevenZipChildArg, p, dir, strconv.FormatInt(remaining, 10),
		strconv.FormatInt(u.b.limits.MaxEntryBytes, 10), strconv.FormatInt(entries, 10))
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=1GiB")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	// The child reports "entry NAME", "refuse NAME\tREASON", "limit MSG".
	var limitMsg string
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for limitMsg == "" && sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "entry":
			if err := u.b.entry(); err != nil {
				limitMsg = err.Error()
			}
		case "refuse":
			name, reason, _ := strings.Cut(rest, "\t")
			u.refuse(virtual, name, errors.New(reason))
		case "limit":
			limitMsg = rest
		}
	}
	if limitMsg != "" || sc.Err() != nil {
		// Over a limit, or a report we cannot read: stop the child now
		// rather than let it fill the pipe and wait forever.
		cmd.Process.Kill()
	}
	io.Copy(io.Discard, out)
	werr := cmd.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	// Charge what is on disk, not what the child said: a child that died
	// cannot report.
	if err := u.b.add(dirSize(dir)); err != nil {
		return fmt.Errorf("%s: %w", virtual, err)
	}
	if limitMsg != "" {
		return fmt.Errorf("%s: %w: %s", virtual, ErrLimit, strings.TrimPrefix(limitMsg, ErrLimit.Error()+": "))
	}
	if sc.Err() != nil {
		return fmt.Errorf("not a valid 7z archive: %v", sc.Err())
	}
	if werr != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i > 0 {
			msg = msg[:i]
		}
		return fmt.Errorf("not a valid 7z archive: %s", msg)
	}
	return nil
}

// sevenZipChild runs in the child: it extracts with the same rules as the
// parent (os.Root, cleaned names, regular files and dirs only).
func sevenZipChild(p, dir, remainingArg, entryArg, entriesArg string) int {
	limitMemory(sevenZipMemory)
	remaining, _ := strconv.ParseInt(remainingArg, 10, 64)
	maxEntry, _ := strconv.ParseInt(entryArg, 10, 64)
	maxEntries, _ := strconv.ParseInt(entriesArg, 10, 64)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	b := &budget{limits: DefaultLimits()}
	b.limits.MaxTotalBytes, b.limits.MaxEntryBytes, b.limits.MaxEntries = max(remaining, 1), max(maxEntry, 1), max(maxEntries, 1)
	r, err := sevenzip.OpenReader(p)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer r.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer root.Close()
	dirs := &dirCache{made: map[string]bool{}}
	for _, f := range r.File {
		if err := b.entry(); err != nil {
			fmt.Fprintf(w, "limit %s\n", err)
			return 0
		}
		fmt.Fprintf(w, "entry %s\n", oneLineName(f.Name))
		name, err := cleanName(f.Name, false)
		if err != nil {
			fmt.Fprintf(w, "refuse %s\t%s\n", oneLineName(f.Name), err)
			continue
		}
		if name == "" {
			continue
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			root.MkdirAll(name, 0o755)
		case mode.IsRegular():
			rc, err := f.Open()
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			u := &unpacker{b: b}
			err = u.createFile(root, dirs, name, rc, 0)
			rc.Close()
			if errors.Is(err, ErrLimit) {
				fmt.Fprintf(w, "limit %s\n", err)
				return 0
			}
			if isRootEscape(err) {
				fmt.Fprintf(w, "refuse %s\tpath resolves outside the root through a symlink\n", oneLineName(f.Name))
				continue
			}
			if err != nil && !errors.Is(err, io.EOF) {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
	}
	return 0
}

// oneLineName makes a name safe for one report line, and short.
func oneLineName(s string) string {
	if len(s) > 1024 {
		s = s[:1024] + "…"
	}
	return strings.NewReplacer("\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(s)
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
