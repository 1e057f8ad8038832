#!/usr/bin/env python3
"""The runner and report of bench/archive.sh: every figure of issue 9's table
in one run, fnscan against `unzip -p`, `unzip` to disk, `syft scan dir:` and
`syft scan file:` on the same npm Lambda zip, paired and in alternating
order, medians of N rounds; ratios against the issue's targets (PASS/MISS),
peak memory, and bytes written to disk and to the temp dir.

  archive.py --zip Z --tree T --syft S --fnscan F --db DB --warm ZIP --work W [--runs N] [--strict]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import zipfile

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402

MIB = 1 << 20


def main():
    ap = argparse.ArgumentParser()
    for a in ("zip", "tree", "syft", "fnscan", "db", "warm", "work"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--strict", action="store_true", help="exit 1 on any MISS")
    o = ap.parse_args()

    work = os.path.abspath(o.work)
    os.makedirs(os.path.join(work, "out"), exist_ok=True)
    tmp = os.path.join(work, "tmp")  # TMPDIR of every measured command: fresh each run
    env = dict(os.environ, SYFT_CHECK_FOR_APP_UPDATE="false",
               XDG_CACHE_HOME=os.path.join(work, "cache"))
    env.pop("TMPDIR", None)
    o.syft, o.fnscan = measure.executable_copy(o.syft, work), measure.executable_copy(o.fnscan, work)

    # (key, label, command). The unzip-to-disk row unpacks into its own fresh TMPDIR.
    rows = [
        ("unzip_p", "unzip -p fn.zip > /dev/null", ["unzip", "-p", o.zip]),
        ("unzip_disk", "unzip to disk", ["sh", "-c", 'exec unzip -q -o "$1" -d "$TMPDIR/fn"', "sh", o.zip]),
        ("syft_dir", "syft scan dir: (unpacked tree)", [o.syft, "scan", "dir:" + o.tree, "-o", "cyclonedx-json", "-q"]),
        ("fn_dir", "fnscan sbom dir: (unpacked tree)", [o.fnscan, "sbom", "dir:" + o.tree, "-o", "cyclonedx-json", "--quiet"]),
        ("syft_zip", "syft scan file:fn.zip", [o.syft, "scan", "file:" + o.zip, "-o", "cyclonedx-json", "-q"]),
        ("fn_zip", "fnscan sbom fn.zip", [o.fnscan, "sbom", o.zip, "-o", "cyclonedx-json", "--quiet"]),
        ("fn_scan", "fnscan scan fn.zip (SBOM+vulns+secrets)",
         [o.fnscan, "scan", o.zip, "--db", o.db, "--fail-on", "none", "--quiet"]),
    ]
    label = {k: l for k, l, _ in rows}

    with zipfile.ZipFile(o.zip) as z:
        infos = z.infolist()
    unpacked = sum(i.file_size for i in infos)
    print(f"target: {o.zip}: {len(infos)} entries, {unpacked / 1e6:.0f} MB unpacked, "
          f"{os.path.getsize(o.zip) / 1e6:.0f} MB zipped")
    print(f"{o.runs} paired round(s), order alternating; medians; load average at start: {loadavg()}")

    # Warm-up, not measured: the zip and the tree in the page cache, and the
    # --db source imported once into this run's cache (later runs reuse it).
    with open(o.zip, "rb") as f:
        while f.read(1 << 20):
            pass
    subprocess.run(["tar", "-cf", "-", "-C", o.tree, "."], stdout=subprocess.DEVNULL, check=True)
    measure.run([o.fnscan, "scan", o.warm, "--db", o.db, "--fail-on", "none", "--quiet"], env=env)

    res = {k: [] for k, _, _ in rows}
    for i in range(o.runs):
        order = rows if i % 2 == 0 else rows[::-1]
        for k, _, cmd in order:
            r = measure.run(cmd, tmp=tmp, env=env)
            res[k].append(r)
            print(f"  round {i + 1}: {k:<10} {r['wall']:7.2f} s {r['rss_mib']:6.0f} MiB", file=sys.stderr)

    # One more run of each scanner with the temp dir sampled every 20 ms (the
    # walk costs CPU, so these runs are not timed); SBOMs kept for the counts.
    sampled = {}
    for k, _, cmd in rows:
        if k.startswith("unzip"):
            continue
        outf = os.path.join(work, "out", k + ".json")
        sampled[k] = measure.run(cmd, tmp=tmp, sample=True, stdout=outf, env=env)

    med = {k: {f: statistics.median(r[f] for r in v) for f in ("wall", "user", "sys", "rss_mib", "written")}
           for k, v in res.items()}
    base = med["unzip_p"]["wall"]
    print()
    print(f"{'work':<40} {'wall s':>7} {'user s':>7} {'sys s':>7} {'x unzip-p':>9} {'peak MiB':>9} "
          f"{'written MiB':>11} {'temp peak MiB':>13}")
    for k, l, _ in rows:
        m = med[k]
        tp = sampled[k]["tmp_peak"] / MIB if k in sampled else None
        print(f"{l:<40} {m['wall']:7.2f} {m['user']:7.2f} {m['sys']:7.2f} {m['wall'] / base:9.2f} "
              f"{m['rss_mib']:9.0f} {m['written'] / MIB:11.1f} {'-' if tp is None else f'{tp:.1f}':>13}")
    print("(written: bytes the process tree wrote to disk, Linux write_bytes; temp peak: largest size of\n"
          " $TMPDIR seen in a separate run sampled every 20 ms; peak MiB is peak RSS, with a floor of\n"
          " ~15-25 MiB: the forking Python's pages count until exec)")

    def paired(a, b, f):
        return statistics.median(x[f] / y[f] for x, y in zip(res[a], res[b]))

    print()
    print("targets (ratios: median of the per-round paired ratios):")
    misses = 0

    def target(name, value, limit, unit="", under=False):
        nonlocal misses
        ok = value < limit if under else value <= limit
        misses += not ok
        print(f"  {name:<58} {value:9.2f}{unit}  target {'<' if under else '<='} {limit}{unit}  "
              f"{'PASS' if ok else 'MISS'}")

    target("time  fnscan sbom fn.zip / syft scan file:fn.zip", paired("fn_zip", "syft_zip", "wall"), 0.15)
    target("time  fnscan sbom fn.zip / syft scan dir:", paired("fn_zip", "syft_dir", "wall"), 1.0)
    target("time  fnscan scan fn.zip / unzip -p", paired("fn_scan", "unzip_p", "wall"), 3.0)
    for k in ("fn_zip", "fn_scan"):
        # Under 1 MiB: both the disk bytes written and the sampled temp-dir peak.
        w = max(med[k]["written"], sampled[k]["tmp_peak"]) / MIB
        target(f"temp  {label[k].split(' (')[0]}: max(written, temp peak)", w, 1, " MiB", under=True)
    for k in ("fn_zip", "fn_scan"):
        target(f"peak memory  {label[k].split(' (')[0]} / syft scan file:fn.zip",
               paired(k, "syft_zip", "rss_mib"), 1.0)
    print("context (no target):")
    print(f"  time  fnscan sbom dir: / syft scan dir: {paired('fn_dir', 'syft_dir', 'wall'):22.2f}")
    # Peak RSS counts the pages of the executable itself (fnscan's binary
    # links cosign's KMS clients and the AWS SDK beside syft); the sampled
    # anonymous memory is the work alone.
    sf = sampled["syft_zip"]
    for k in ("fn_zip", "fn_scan"):
        a = sampled[k]
        print(f"  memory  {label[k].split(' (')[0]}: peak anonymous {a['anon_mib']:.0f} MiB / syft's "
              f"{sf['anon_mib']:.0f} = {a['anon_mib'] / sf['anon_mib']:.2f}; executable mapped "
              f"{a['file_mib']:.0f} MiB, syft's {sf['file_mib']:.0f} (sampled, one run)")
    print(f"  time  syft scan file:fn.zip / unzip -p {paired('syft_zip', 'unzip_p', 'wall'):23.2f}")

    # npm components: what npm installed (its hidden lockfile) against each SBOM.
    installed = npm_installed(o.tree)
    counts = {k: npm_components(os.path.join(work, "out", k + ".json"))
              for k in ("fn_zip", "fn_dir", "syft_zip", "syft_dir")}
    print(f"npm components: node_modules/.package-lock.json {installed}, "
          + ", ".join(f"{label[k].split(' (')[0]} {v}" for k, v in counts.items()))
    print(f"load average at end: {loadavg()}")
    return 1 if o.strict and misses else 0


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def npm_installed(tree):
    p = os.path.join(tree, "node_modules", ".package-lock.json")
    if not os.path.exists(p):
        return "?"
    with open(p) as f:
        pk = json.load(f).get("packages", {})
    return sum(1 for k, v in pk.items() if "node_modules/" in k and not v.get("link"))


def npm_components(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return "?"
    n, stack = 0, list(doc.get("components") or [])
    while stack:
        c = stack.pop()
        n += c.get("purl", "").startswith("pkg:npm/")
        stack.extend(c.get("components") or [])
    return n


if __name__ == "__main__":
    sys.exit(main())
