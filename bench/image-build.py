#!/usr/bin/env python3
"""Build a docker-archive image (`docker save` layout: manifest.json with
Config and Layers, a config whose rootfs.diff_ids are the layer tars'
sha256) of about SIZE MiB from real files on this machine, for bench/image.sh.

  image-build.py --size MIB --out IMAGE.tar [--node-app DIR]

Layers, as a Dockerfile would make them (each host directory is absent on
some machines; a missing one is left out, with a note on stderr):
  base     /var/lib/dpkg (the Debian package database), /etc/os-release and
           friends: always whole
  debian   /usr/bin, /usr/lib/x86_64-linux-gnu, /usr/share: Debian-installed files
  python   the pyenv CPython with the most site-packages, at /usr/local,
           without the stdlib's tests
  go       the Go toolchain, /usr/local/go, without its testdata (see SKIP_DIRS)
  java     an OpenJDK from /usr/lib/jvm, at /opt/java/openjdk, and Debian's
           packaged jars (/usr/share/java)
  node     npm's own tree (/usr/lib/node_modules at /usr/local/lib/node_modules)
           and the bench's npm Lambda tree (--node-app) at /app
  top      a whiteout of one lower file and an opaque directory
SIZE counts the layer tars (headers and padding included). The budget after
the base layer is shared evenly by the runtime layers (water-filling: a small
one is taken whole, the rest shared by the others). A layer larger than its
share keeps every package-metadata file (package.json, *.dist-info/*,
pom.properties, MANIFEST.MF, ...), every directory and symlink, and of its
other files those that fit, taken in the order of their names' sha256 (the
same order at every size), so a 250 MiB image and a 1 GiB one hold the same
mix of ecosystems. Layers are uncompressed tars, as `docker save` writes
them. Prints a summary line.
"""
import argparse
import glob
import hashlib
import json
import os
import stat
import sys
import tarfile

MIB = 1 << 20
META_NAMES = {
    "package.json", ".package-lock.json", "package-lock.json", "METADATA", "PKG-INFO", "RECORD",
    "WHEEL", "INSTALLER", "top_level.txt", "pom.properties", "pom.xml", "MANIFEST.MF", "go.mod",
    "release", "VERSION", "status",
}
EPOCH = 1577836800  # 2020-01-01, config timestamps only


def pyenv_python():
    """The pyenv CPython with the most installed distributions."""
    vers = sorted(glob.glob("/root/.pyenv/versions/3.*"))
    n = {v: len(glob.glob(v + "/lib/python3*/site-packages/*.dist-info")) for v in vers}
    return max(vers, key=lambda v: (n[v], v)) if vers else "/nonexistent"


def jdk():
    vers = sorted(d for d in glob.glob("/usr/lib/jvm/*") if os.path.isdir(d) and not os.path.islink(d))
    return vers[-1] if vers else "/nonexistent"


def units(node_app):
    """name -> [(host dir or file, path in the image)]."""
    return {
        "base": [("/var/lib/dpkg", "var/lib/dpkg"), ("/etc/os-release", "etc/os-release"),
                 ("/usr/lib/os-release", "usr/lib/os-release"), ("/etc/debian_version", "etc/debian_version")],
        "debian": [("/usr/bin", "usr/bin"), ("/usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"),
                   ("/usr/share", "usr/share")],
        "python": [(pyenv_python(), "usr/local")],
        "go": [("/usr/local/go", "usr/local/go")],
        "java": [(jdk(), "opt/java/openjdk"), ("/usr/share/java", "usr/share/java")],
        "node": [("/usr/lib/node_modules", "usr/local/lib/node_modules")]
                + ([(node_app, "app")] if node_app else []),
    }


# Host paths left out of a walk: they belong to another layer.
EXCLUDE = {"/usr/share/java"}
# Directory names left out, per layer. Python: the stdlib's tests, which the
# official python images delete too. Go: the toolchain's testdata, which
# holds deliberately hostile archives (src/archive/tar/testdata/writer-big.tar
# declares a 16 GiB entry, and fnscan refuses the whole image at its default
# --max-entry-size: exit 2); a bench of memory and time needs a scan that
# finishes. The official golang images do ship it.
SKIP_DIRS = {"python": {"test", "tests", "idle_test"}, "go": {"testdata"}}


def walk(src, dst, top=True, skip=()):
    """Yield (host path, image path, lstat) for src and everything under it,
    sorted; unreadable and special files are skipped."""
    if not top and (src in EXCLUDE or os.path.basename(src) in skip):
        return
    try:
        st = os.lstat(src)
    except OSError:
        return
    yield src, dst, st
    if not stat.S_ISDIR(st.st_mode):
        return
    try:
        names = sorted(os.listdir(src))
    except OSError:
        return
    for n in names:
        yield from walk(os.path.join(src, n), dst + "/" + n, False, skip)


def is_meta(path):
    base = os.path.basename(path)
    return base in META_NAMES or ".dist-info/" in path or ".egg-info/" in path


def entries(unit, skip=()):
    out = []
    for src, dst in unit:
        for host, name, st in walk(src, dst, skip=skip):
            if stat.S_ISREG(st.st_mode):
                if not os.access(host, os.R_OK):
                    continue
            elif not (stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                continue
            out.append((host, name, st))
    return out


def cost(st):
    """Bytes an entry takes in a tar: its header and its padded content."""
    return 512 + (-(-st.st_size // 512) * 512 if stat.S_ISREG(st.st_mode) else 0)


def fixed(name, st):
    """Always in its layer: directories, symlinks, package metadata."""
    return not stat.S_ISREG(st.st_mode) or is_meta(name)


def name_hash(name):
    return hashlib.sha256(name.encode(errors="surrogateescape")).digest()


def select(ents, share):
    """Names of the other regular files to keep within share: taken in the
    order of their names' hashes (deterministic, and the same order at every
    size), skipping any that would overflow."""
    acc = sum(cost(st) for _, n, st in ents if fixed(n, st))
    rest = sorted(((name_hash(n), n, cost(st)) for _, n, st in ents if not fixed(n, st)))
    keep = set()
    for _, n, c in rest:
        if acc + c <= share:
            keep.add(n)
            acc += c
    return keep


class HashWriter:
    def __init__(self, f):
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        return self.f.write(b)


def write_layer(path, ents, keep):
    """Write the layer tar; return (sha256 hex, tar bytes, files, content bytes)."""
    files = content = 0
    with open(path, "wb") as f:
        hw = HashWriter(f)
        with tarfile.open(fileobj=hw, mode="w|", format=tarfile.PAX_FORMAT) as t:
            for host, name, st in ents:
                if keep is not None and not fixed(name, st) and name not in keep:
                    continue
                ti = t.gettarinfo(host, arcname=name)
                ti.mtime = int(ti.mtime)
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = "root"
                if ti.isreg():
                    try:
                        with open(host, "rb") as src:
                            t.addfile(ti, src)
                    except OSError:
                        continue
                    files += 1
                    content += ti.size
                else:
                    t.addfile(ti)
    return hw.h.hexdigest(), hw.n, files, content


def write_top_layer(path, lower_names):
    """Whiteout one lower file; make /app/tmp an opaque dir with one file."""
    import io
    with open(path, "wb") as f:
        hw = HashWriter(f)
        with tarfile.open(fileobj=hw, mode="w|", format=tarfile.PAX_FORMAT) as t:
            victim = next((n for n in lower_names if n.endswith("/README.md")), None)
            names = []
            if victim:
                d, b = os.path.split(victim)
                names.append(f"{d}/.wh.{b}")
            names.append("app/tmp/.wh..wh..opq")
            for n in names:
                ti = tarfile.TarInfo(n)
                ti.mtime = EPOCH
                t.addfile(ti, io.BytesIO(b""))
            data = b"built by bench/image-build.py\n"
            ti = tarfile.TarInfo("app/tmp/BUILD")
            ti.size, ti.mtime = len(data), EPOCH
            t.addfile(ti, io.BytesIO(data))
    return hw.h.hexdigest(), hw.n, 1, len(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, required=True, help="MiB of layer tars, about")
    ap.add_argument("--out", required=True)
    ap.add_argument("--node-app")
    o = ap.parse_args()
    us = units(o.node_app)
    ents = {}
    for name, unit in us.items():
        missing = [s for s, _ in unit if not os.path.exists(s)]
        if missing:
            print(f"image-build: {name}: missing {' '.join(missing)}", file=sys.stderr)
        ents[name] = entries(unit, SKIP_DIRS.get(name, ()))
        if not ents[name]:
            del ents[name]
    size = {n: sum(cost(st) for _, _, st in e) for n, e in ents.items()}

    # Water-filling over the runtime layers after the whole base layer.
    budget = o.size * MIB - size.get("base", 0)
    share, todo = {}, sorted((n for n in ents if n != "base"), key=lambda n: size[n])
    while todo:
        s = budget / len(todo)
        n = todo.pop(0)
        share[n] = min(size[n], s)
        budget -= share[n]
    if budget > MIB:
        print(f"image-build: only {(o.size * MIB - budget) / MIB:.0f} MiB of files available", file=sys.stderr)

    work = o.out + ".parts"
    os.makedirs(work, exist_ok=True)
    layers = []  # (diff id hex, tar path, tar bytes, files, content, name)
    for i, n in enumerate(ents):
        keep = None if n == "base" or share[n] >= size[n] else select(ents[n], share[n])
        p = os.path.join(work, f"{i}-{n}.tar")
        layers.append(write_layer(p, ents[n], keep) + (p, n))
    p = os.path.join(work, "top.tar")
    lower = [nm for n in ents for _, nm, _ in ents[n]]
    layers.append(write_top_layer(p, lower) + (p, "top"))

    diff_ids = ["sha256:" + d for d, *_ in layers]
    config = {
        "architecture": "amd64", "os": "linux", "created": "2020-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/local/go/bin:/opt/java/openjdk/bin:/usr/local/bin:/usr/bin:/bin"],
                   "WorkingDir": "/app", "Cmd": ["node", "index.js"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2020-01-01T00:00:00Z", "created_by": f"bench/image-build.py: {n} layer"}
                    for *_, n in layers],
    }
    cfg = json.dumps(config, indent=1).encode()
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    manifest = [{"Config": cfg_name, "RepoTags": [f"fnscan-bench:{o.size}m"],
                 "Layers": [f"{d}/layer.tar" for d, *_ in layers]}]
    tmp = o.out + ".tmp"
    import io
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as t:
        def add_bytes(name, data):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime = len(data), EPOCH
            t.addfile(ti, io.BytesIO(data))
        add_bytes(cfg_name, cfg)
        for d, n_bytes, _, _, path, _ in layers:
            t.add(path, arcname=f"{d}/layer.tar")
            os.remove(path)
        add_bytes("manifest.json", json.dumps(manifest).encode())
    os.rmdir(work)
    os.replace(tmp, o.out)
    files = sum(l[2] for l in layers)
    content = sum(l[3] for l in layers)
    desc = ", ".join(f"{l[5]} {l[3] / MIB:.0f}" for l in layers)
    print(f"{o.out}: {os.path.getsize(o.out) / MIB:.0f} MiB, {len(layers)} layers, {files} files, "
          f"{content / MIB:.0f} MiB content (MiB per layer: {desc})")


if __name__ == "__main__":
    main()
