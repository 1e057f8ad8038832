#!/usr/bin/env bash
# Builds a large, realistic Node.js Lambda zip with npm: aws-sdk v2, express,
# webpack, typescript (~150 MB unpacked, ~10k+ files). Prints the zip's path.
# Usage: bench/build-node-lambda.sh [OUTDIR]   (cached: rebuilt only if absent)
set -euo pipefail
out=${1:-${TMPDIR:-/tmp}/fnscan-bench}
zipf="$out/node-lambda.zip"
if [ -s "$zipf" ]; then echo "$zipf"; exit 0; fi
mkdir -p "$out/src"
cd "$out/src"
cat > package.json <<'JSON'
{"name":"bench-fn","version":"1.0.0","private":true}
JSON
cat > index.js <<'JS'
const AWS = require('aws-sdk');
exports.handler = async () => ({ statusCode: 200, body: JSON.stringify(new AWS.S3().config.region) });
JS
npm install --no-audit --no-fund --loglevel=error aws-sdk@2 express webpack typescript >&2
python3 - "$zipf" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk("."):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            if os.path.islink(p):
                continue
            z.write(p, os.path.relpath(p, "."))
PY
echo "$zipf"
