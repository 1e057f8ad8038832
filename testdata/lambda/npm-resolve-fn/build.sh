#!/usr/bin/env bash
# Rebuilds ../npm-resolve-fn.zip: a real `npm ci` of this package.json and
# lockfile, zipped in a fixed order with fixed times (deterministic bytes).
# resolve@1.22.8 ships test fixtures with their own package.json files,
# which are not installed packages; hasown gets a nested function-bind.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$here/index.js" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
python3 - "$work" "$here/../npm-resolve-fn.zip" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            if os.path.islink(p):
                continue  # node_modules/.bin links: not in a Lambda zip
            info = zipfile.ZipInfo(os.path.relpath(p, src), (2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(p, "rb") as fh:
                z.writestr(info, fh.read())
PY
