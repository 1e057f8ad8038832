#!/usr/bin/env python3
"""The runner and report of bench/image.sh: `fnscan sbom docker-archive:` on
images of several sizes built by image-build.py, in paired rounds with the
order alternating, medians; peak memory against issue 9's target (under
512 MiB at the largest size, independent of image size).

  image.py --fnscan F --work W [--runs N] [--strict] SIZE_MIB=IMAGE.tar...
"""
import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tarfile

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402

MIB = 1 << 20
PEAK_LIMIT = 512      # MiB, at the largest size
GROWTH_LIMIT = 1.25   # peak at the largest size / peak at the smallest: "independent of size"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fnscan", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--strict", action="store_true", help="exit 1 on any MISS")
    ap.add_argument("images", nargs="+", metavar="SIZE_MIB=IMAGE.tar")
    o = ap.parse_args()
    imgs = sorted(((int(a.split("=", 1)[0]), a.split("=", 1)[1]) for a in o.images))
    work = os.path.abspath(o.work)
    os.makedirs(os.path.join(work, "out"), exist_ok=True)
    tmp = os.path.join(work, "tmp")
    env = dict(os.environ)
    env.pop("TMPDIR", None)
    o.fnscan = measure.executable_copy(o.fnscan, work)

    for size, path in imgs:
        with tarfile.open(path) as t:
            man = json.load(t.extractfile("manifest.json"))
        print(f"image {size} MiB: {path}: {os.path.getsize(path) / MIB:.0f} MiB, "
              f"{len(man[0]['Layers'])} layers")
    print(f"{o.runs} paired round(s), order alternating; medians; load average at start: {loadavg()}")

    def cmd(path):
        return [o.fnscan, "sbom", "docker-archive:" + path, "-o", "cyclonedx-json", "--quiet"]

    res = {s: [] for s, _ in imgs}
    for i in range(o.runs):
        for size, path in (imgs if i % 2 == 0 else imgs[::-1]):
            last = i == o.runs - 1
            # The last round keeps the SBOM (copied by this process: not in `written`).
            try:
                r = measure.run(cmd(path), tmp=tmp, env=env,
                                stdout=os.path.join(work, "out", f"{size}.json") if last else None)
            except subprocess.CalledProcessError as e:
                print(f"fnscan exited {e.returncode} on the {size} MiB image (its error is above)")
                return 2
            res[size].append(r)
            print(f"  round {i + 1}: {size:>5} MiB {r['wall']:8.2f} s {r['rss_mib']:6.0f} MiB", file=sys.stderr)

    med = {s: {f: statistics.median(r[f] for r in v) for f in ("wall", "user", "sys", "rss_mib", "written")}
           for s, v in res.items()}
    print()
    print(f"{'image':>9} {'wall s':>8} {'user s':>8} {'sys s':>7} {'peak MiB':>9} {'written MiB':>11}  components")
    for s, _ in imgs:
        m = med[s]
        print(f"{s:>5} MiB {m['wall']:8.2f} {m['user']:8.2f} {m['sys']:7.2f} {m['rss_mib']:9.0f} "
              f"{m['written'] / MIB:11.1f}  {components(os.path.join(work, 'out', f'{s}.json'))}")
    print("(written: bytes fnscan wrote to disk, Linux write_bytes; peak MiB: peak RSS)")

    print()
    print("targets:")
    misses = 0
    big, small = imgs[-1][0], imgs[0][0]
    peak = med[big]["rss_mib"]
    ok = peak < PEAK_LIMIT
    misses += not ok
    print(f"  peak memory at {big} MiB: {peak:.0f} MiB  target < {PEAK_LIMIT} MiB  {'PASS' if ok else 'MISS'}")
    if big != small:
        growth = statistics.median(x["rss_mib"] / y["rss_mib"] for x, y in zip(res[big], res[small]))
        ok = growth <= GROWTH_LIMIT
        misses += not ok
        print(f"  peak memory {big} MiB / {small} MiB (median of paired ratios): {growth:.2f}  "
              f"target <= {GROWTH_LIMIT} (independent of size)  {'PASS' if ok else 'MISS'}")
    if big < 1024:
        print(f"  (the issue's target is for a 1 GiB image; the largest here is {big} MiB)")
    print(f"load average at end: {loadavg()}")
    return 1 if o.strict and misses else 0


def components(path):
    """'N (deb a, npm b, ...)' from a CycloneDX SBOM, by purl type."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return "?"
    c, stack = collections.Counter(), list(doc.get("components") or [])
    while stack:
        x = stack.pop()
        p = x.get("purl", "")
        c[p[4:].split("/", 1)[0] if p.startswith("pkg:") else "no purl"] += 1
        stack.extend(x.get("components") or [])
    return f"{sum(c.values())} (" + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) + ")"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


if __name__ == "__main__":
    sys.exit(main())
