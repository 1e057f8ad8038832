#!/usr/bin/env python3
"""Run a command, print 'seconds peak_rss_mib'. Peak RSS is the child's, from wait4.
Exit status 1 counts as success: scanners use it for "findings".

  measure.py CMD...                         'seconds peak_rss_mib'
  measure.py [--json] [--tmp DIR] [--sample] [--stdout FILE] -- CMD...
      --json     print one JSON object: wall, user, sys (s), rss_mib, written
                 (bytes the process tree wrote to block-device filesystems:
                 Linux write_bytes, from wait4's ru_oublock; 0 on tmpfs), and
                 with --tmp tmp_peak (largest total size of the files under
                 DIR seen while sampling, else null) and tmp_left (bytes left
                 under DIR at exit)
      --tmp DIR  run with TMPDIR=DIR, a fresh empty directory made here and
                 removed afterwards (not timed)
      --sample   every 20 ms while the command runs, sum the file sizes under
                 DIR (with --tmp) and read the child's anonymous memory (RssAnon:
                 heap and stacks) and RssFile (the mapped executable), keeping
                 the peaks (tmp_peak, anon_mib, file_mib); this costs CPU, so sampled runs are not
                 for timing
      --stdout F keep the command's stdout in F (copied by this process, so it
                 is not counted in `written`); default /dev/null

Also importable: run(cmd, ...) returns the same dict.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

SAMPLE_SECONDS = 0.02


def executable_copy(path, work):
    """A copy of the executable at path, written into work the same way for
    every tool compared. Peak RSS counts an executable's mapped pages, and how
    many get mapped depends on how its file entered the page cache: the Go
    linker writes its output through a shared mapping, which leaves 2 MiB
    folios that the kernel maps whole on the first touch (FilePmdMapped in
    smaps), so a freshly built binary shows nearly all of itself resident
    (fnscan's 92 MiB against 46 for the same bytes copied with cp). Copied
    alike, binaries are compared on what they touch, not on their history."""
    os.makedirs(os.path.join(work, "bin"), exist_ok=True)
    dst = os.path.join(work, "bin", os.path.basename(path))
    tmp = dst + ".tmp"
    with open(path, "rb") as src, open(tmp, "wb") as out:
        while True:
            b = src.read(1 << 16)
            if not b:
                break
            out.write(b)
    os.chmod(tmp, 0o755)
    os.replace(tmp, dst)
    return dst


def tree_bytes(root):
    """Sum of the sizes of the regular files under root (files may vanish)."""
    total = 0
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            it = os.scandir(d)
        except OSError:
            continue
        with it:
            for e in it:
                try:
                    if e.is_dir(follow_symlinks=False):
                        stack.append(e.path)
                    elif e.is_file(follow_symlinks=False):
                        total += e.stat(follow_symlinks=False).st_size
                except OSError:
                    pass
    return total


MIB = 1 << 20


def rss_parts(pid):
    """The process's anonymous resident memory (heap, stacks) and its
    file-backed resident memory (its mapped executable), (0, 0) once gone."""
    anon = mapped = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    anon = int(line.split()[1]) * 1024
                elif line.startswith("RssFile:"):
                    mapped = int(line.split()[1]) * 1024
    except OSError:
        pass
    return anon, mapped


class Sampler(threading.Thread):
    """Every 20 ms: the size of the temp dir (if any) and the child's
    anonymous memory, keeping the peaks."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root, self.peak, self.stop = root, 0, threading.Event()
        self.pid, self.anon, self.mapped = None, 0, 0

    def run(self):
        while not self.stop.is_set():
            if self.root:
                self.peak = max(self.peak, tree_bytes(self.root))
            if self.pid:
                anon, mapped = rss_parts(self.pid)
                self.anon, self.mapped = max(self.anon, anon), max(self.mapped, mapped)
            self.stop.wait(SAMPLE_SECONDS)


def run(cmd, tmp=None, sample=False, stdout=None, env=None):
    """Run cmd; return {wall, user, sys, rss_mib, written, tmp_peak, tmp_left,
    anon_mib, file_mib} (sampled peaks of anonymous and file-backed memory,
    only with sample).
    Raises CalledProcessError on an exit status other than 0 or 1."""
    env = dict(os.environ if env is None else env)
    if tmp:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
        os.makedirs(tmp)
        env["TMPDIR"] = tmp
    sampler = Sampler(tmp) if sample else None
    # stderr to a file in this process's own temp dir (never the measured
    # one): a pipe could fill while we wait.
    with tempfile.TemporaryFile() as err:
        out = subprocess.DEVNULL if stdout is None else subprocess.PIPE
        copier = None
        t = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        if stdout is not None:
            def copy():
                with open(stdout, "wb") as f:
                    shutil.copyfileobj(p.stdout, f)
            copier = threading.Thread(target=copy, daemon=True)
            copier.start()
        if sampler:
            sampler.pid = p.pid
            sampler.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        if sampler:
            sampler.stop.set()
            sampler.join()
        if copier:
            copier.join()
        if p.returncode not in (0, 1):
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace")[-2000:])
            raise subprocess.CalledProcessError(p.returncode, cmd)
    res = {
        "wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime,
        "rss_mib": ru.ru_maxrss / 1024, "written": ru.ru_oublock * 512,
        "tmp_peak": None, "tmp_left": None,
        "anon_mib": sampler.anon / MIB if sampler else None,
        "file_mib": sampler.mapped / MIB if sampler else None,
    }
    if tmp:
        res["tmp_left"] = tree_bytes(tmp)
        if sampler:
            res["tmp_peak"] = max(sampler.peak, res["tmp_left"])
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def main(argv):
    js, tmp, sample, stdout = False, None, False, None
    args = argv[1:]
    if args and args[0].startswith("--"):
        while args and args[0] != "--":
            a = args.pop(0)
            if a == "--json":
                js = True
            elif a == "--tmp":
                tmp = os.path.abspath(args.pop(0))
            elif a == "--sample":
                sample = True
            elif a == "--stdout":
                stdout = args.pop(0)
            else:
                sys.exit(__doc__)
        if not args:
            sys.exit(__doc__)
        args.pop(0)
    if not args:
        sys.exit(__doc__)
    try:
        r = run(args, tmp=tmp, sample=sample, stdout=stdout)
    except subprocess.CalledProcessError as e:
        return e.returncode if e.returncode > 0 else 128 - e.returncode
    if js:
        print(json.dumps(r))
    else:
        print(f"{r['wall']:.2f} {r['rss_mib']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
