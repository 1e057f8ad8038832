#!/usr/bin/env python3
"""Helpers for bench/osv-diff.sh: build the case inputs, convert OSV zips for
osv-scanner, and compare (vulnerability, package) pairs of the two tools.

  osv-diff.py pypa-json SRC.zip DST.zip       YAML OSV records -> flat JSON zip
  osv-diff.py cases DIR GUAVA.jar             write the case zips into DIR
  osv-diff.py go-zip BOOTSTRAP DST.zip        a function zip holding a Go bootstrap
  osv-diff.py control-sbom IN.cdx.json OUT.cdx.json
                                              SBOM copy for the control run
  osv-diff.py compare CASE OSV.json FN.json EXPLAINED [--control OSV2.json] [--pairs-out F]
                                              print counts and differences;
                                              exit 1 on unexplained ones
"""
import json
import os
import sys
import zipfile

# Fixed timestamp for every zip entry: same inputs, same bytes.
EPOCH = (2020, 1, 1, 0, 0, 0)


def write_zip(path, entries):
    """entries: list of (name, bytes, mode). Written atomically."""
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100000 | mode) << 16
            z.writestr(info, data)
    os.replace(tmp, path)


# --- pypa-json ---------------------------------------------------------------

def pypa_json(src, dst):
    """osv-scanner reads only *.json members of all.zip (any directory) and
    parses them with protojson; the pypa advisory database is YAML. Convert
    each record with yaml.BaseLoader so every scalar stays the exact string
    written in the YAML (a safe loader would turn an unquoted 1.10 into the
    float 1.1 and dates into datetime objects)."""
    import yaml  # PyYAML

    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    entries, skipped = [], 0
    with zipfile.ZipFile(src) as z:
        for info in sorted(z.infolist(), key=lambda i: i.filename):
            if not info.filename.endswith((".yaml", ".yml")):
                continue
            doc = yaml.load(z.read(info), Loader=loader)
            if not isinstance(doc, dict) or "id" not in doc:
                skipped += 1
                continue
            data = json.dumps(doc, indent=1, sort_keys=True).encode()
            entries.append((doc["id"] + ".json", data, 0o644))
    write_zip(dst, entries)
    print(f"{dst}: {len(entries)} JSON records from {src} ({skipped} skipped)")


# --- cases -------------------------------------------------------------------

HANDLER_PY = b'''def handler(event, context):
    return {"statusCode": 200}
'''

# (dist-info directory name, Name, Version)
PY_DISTS = [
    ("requests-2.19.0", "requests", "2.19.0"),
    ("urllib3-1.24.1", "urllib3", "1.24.1"),
    ("Jinja2-2.10", "Jinja2", "2.10"),
    ("Django-2.2.0", "Django", "2.2.0"),
    ("PyYAML-5.3", "PyYAML", "5.3"),
]


def metadata(name, version):
    return (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            f"Summary: {name} (fnscan osv-diff fixture)\n\n").encode()


def cases(outdir, guava):
    os.makedirs(outdir, exist_ok=True)
    write_zip(os.path.join(outdir, "handler.zip"),
              [("lambda_function.py", HANDLER_PY, 0o644)])
    with open(guava, "rb") as f:
        jar = f.read()
    write_zip(os.path.join(outdir, "java-layer.zip"),
              [("java/lib/guava-31.1-jre.jar", jar, 0o644)])
    site = "python/lib/python3.12/site-packages/"
    py = []
    for d, name, ver in PY_DISTS:
        py.append((f"{site}{d}.dist-info/METADATA", metadata(name, ver), 0o644))
        py.append((f"{site}{d}.dist-info/INSTALLER", b"pip\n", 0o644))
    write_zip(os.path.join(outdir, "python-layer.zip"), py)


def go_zip(bootstrap, dst):
    with open(bootstrap, "rb") as f:
        write_zip(dst, [("bootstrap", f.read(), 0o755)])


# --- control SBOM ------------------------------------------------------------

def control_sbom(src, dst):
    """Copy of the SBOM with osv-scanner v2.5.0's two CycloneDX-reading bugs
    worked around (docs/osv-differences.md): Go stdlib's version is taken from
    the purl (1.26.8, not the component's go1.26.8), and a Maven component is
    named group:name. Used only for the control run; the main comparison gives
    both tools the unmodified SBOM."""
    from urllib.parse import unquote
    with open(src) as f:
        doc = json.load(f)

    def fix(comps):
        for c in comps or []:
            purl = c.get("purl", "")
            if purl.startswith("pkg:golang/stdlib@"):
                c["version"] = unquote(purl.split("@", 1)[1].split("?", 1)[0])
            if purl.startswith("pkg:maven/") and c.get("group"):
                c["name"] = c["group"] + ":" + c["name"]
            fix(c.get("components"))

    fix(doc.get("components"))
    with open(dst, "w") as f:
        json.dump(doc, f, indent=1)


# --- compare -----------------------------------------------------------------

def pkey(name, version, eco):
    """Package key of a pair. Only naming conventions are folded here, never
    matching decisions: the Go toolchain writes stdlib's version as go1.26.8
    (fnscan keeps it), osv-scanner reports it as 1.26.8; Maven names are
    compared without the group (osv-scanner's control run reports group:name);
    a module without a version is UNKNOWN in fnscan's SBOM, empty in osv-scanner."""
    if name == "stdlib" and version.startswith("go"):
        version = version[2:]
    if version == "UNKNOWN":
        version = ""
    if eco == "Maven":
        name = name.rsplit(":", 1)[-1]
    return (name, version)


def osv_pairs(path):
    """osv-scanner JSON -> {(name, version): [(id, group ids)]}, packages."""
    with open(path) as f:
        doc = json.load(f)
    pairs, pkgs = {}, set()
    for res in doc.get("results") or []:
        for p in res.get("packages") or []:
            pk = p["package"]
            key = pkey(pk.get("name", ""), pk.get("version", ""), pk.get("ecosystem", ""))
            pkgs.add(key + (pk.get("ecosystem", ""),))
            groups = []
            for g in p.get("groups") or []:
                groups.append(set(g.get("ids") or []) | set(g.get("aliases") or []))
            for v in p.get("vulnerabilities") or []:
                vid = v["id"]
                grp = {vid} | set(v.get("aliases") or [])
                for g in groups:
                    if vid in g:
                        grp |= g
                pairs.setdefault(key, {})
                pairs[key].setdefault(vid, set()).update(grp)
    return pairs, pkgs


def fn_pairs(path):
    """fnscan JSON report -> {(name, version): {id: {id}|aliases}}, packages."""
    with open(path) as f:
        doc = json.load(f)
    pairs, pkgs = {}, set()
    for c in doc.get("components") or []:
        pkgs.add(pkey(c.get("name", ""), c.get("version", ""), c.get("ecosystem", "")) + (c.get("ecosystem", ""),))
    for v in doc.get("vulnerabilities") or []:
        pk = v["package"]
        key = pkey(pk.get("name", ""), pk.get("version", ""), pk.get("ecosystem", ""))
        pairs.setdefault(key, {})
        pairs[key].setdefault(v["id"], set()).update({v["id"]} | set(v.get("aliases") or []))
    return pairs, pkgs


def load_explained(path):
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) < 3:
                sys.exit(f"{path}: want 'ID package reason' in line: {line!r}")
            out[(parts[0], parts[1])] = " ".join(parts[2:])
    return out


def unmatched(mine, theirs):
    """Pairs (key, id) of `mine` with no pair of `theirs` for the same package
    whose alias group shares an id."""
    out = []
    for key, ids in mine.items():
        other = theirs.get(key, {})
        for vid, grp in ids.items():
            if not any(grp & og for og in other.values()):
                out.append((key, vid))
    return sorted(out)


def compare(case, osv_json, fn_json, explained_path, control_json=None, pairs_out=None):
    op, opkgs = osv_pairs(osv_json)
    fp, fpkgs = fn_pairs(fn_json)
    explained = load_explained(explained_path)
    n_osv = sum(len(v) for v in op.values())
    n_fn = sum(len(v) for v in fp.values())
    diffs = [("only osv-scanner", k, v) for k, v in unmatched(op, fp)] + \
            [("only fnscan", k, v) for k, v in unmatched(fp, op)]
    line = (f"case {case}: osv-scanner {n_osv} pairs, fnscan {n_fn} pairs; "
            f"only osv-scanner {sum(d[0] == 'only osv-scanner' for d in diffs)}, "
            f"only fnscan {sum(d[0] == 'only fnscan' for d in diffs)}")
    cdiffs = set()
    if control_json:
        # Control run: osv-scanner on the SBOM with its CycloneDX-reading bugs
        # worked around. A difference that it does not show comes from how
        # osv-scanner read the SBOM, not from matching.
        cp, _ = osv_pairs(control_json)
        cdiffs = {("only osv-scanner", k, v) for k, v in unmatched(cp, fp)} | \
                 {("only fnscan", k, v) for k, v in unmatched(fp, cp)}
        line += (f" | control run: osv-scanner {sum(len(v) for v in cp.values())} pairs, "
                 f"{len(cdiffs)} differences")
    print(line)
    bad = 0
    for side, (name, ver), vid in diffs:
        why = explained.get((vid, name))
        if why is None and control_json and (side, (name, ver), vid) not in cdiffs:
            why = explained.get(("*", name))  # wildcard: only when the control run agrees
        if why:
            print(f"  {side}: {vid} {name} {ver}  [explained: {why}]")
        else:
            bad += 1
            print(f"  {side}: {vid} {name} {ver}  [UNEXPLAINED]")
    for side, (name, ver), vid in sorted(cdiffs - set(diffs)):
        bad += 1
        print(f"  control run only, {side}: {vid} {name} {ver}  [UNEXPLAINED]")
    # Packages only one side saw: context for the differences above.
    on = {(n, v) for n, v, _ in opkgs}
    fn = {(n, v) for n, v, _ in fpkgs}
    for n, v in sorted(on - fn):
        print(f"  package only osv-scanner: {n} {v}")
    for n, v in sorted(fn - on):
        print(f"  package only fnscan: {n} {v}")
    if pairs_out:
        rows = sorted(f"{vid}\t{name}\t{ver}" for (name, ver), ids in op.items() for vid in ids)
        with open(pairs_out, "w") as f:
            f.write("# osv-scanner v2.5.0 `scan source --offline -L dvsa-order-api.cdx.json --format json` "
                    "on the fnscan CycloneDX SBOM of testdata/lambda/dvsa-order-api.zip, with "
                    "../shared/data/osv/ghsa-npm.zip as $XDG_CACHE_HOME/osv-scalibr/npm/all.zip "
                    "(OSV_DIFF_WRITE_GOLDEN=1 bench/osv-diff.sh a): ID<TAB>package<TAB>version\n")
            f.write("".join(r + "\n" for r in rows))
    return bad


def main(argv):
    if len(argv) >= 3 and argv[1] == "pypa-json":
        pypa_json(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "cases":
        cases(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "go-zip":
        go_zip(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "control-sbom":
        control_sbom(argv[2], argv[3])
    elif len(argv) >= 6 and argv[1] == "compare":
        opts = dict(zip(argv[6::2], argv[7::2]))
        return 1 if compare(argv[2], argv[3], argv[4], argv[5],
                            opts.get("--control"), opts.get("--pairs-out")) else 0
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
