#!/usr/bin/env bash
# Builds the bundled form of the bench Lambda: esbuild (unminified, as CDK's
# NodejsFunction builds by default) inlines aws-sdk v2, express, terser and
# ajv from the build-node-lambda.sh tree into one ~26 MB index.js, zipped;
# also a minified build with its source map in OUTDIR/bundle-min.
# Prints the zip's path. Usage: bench/build-bundle.sh [OUTDIR]  (cached)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-${TMPDIR:-/tmp}/fnscan-bench}
zipf="$out/bundle.zip"
if [ -s "$zipf" ]; then echo "$zipf"; exit 0; fi
"$here/build-node-lambda.sh" "$out" >/dev/null
src="$out/src"
if [ ! -x "$out/esbuild/node_modules/.bin/esbuild" ]; then
  mkdir -p "$out/esbuild"
  (cd "$out/esbuild" && echo '{"private":true}' > package.json \
    && npm install --no-audit --no-fund --loglevel=error esbuild@0.24 >&2)
fi
# express comes with the tree; terser and ajv with webpack.
cat > "$src/bundle-entry.js" <<'JS'
const AWS = require('aws-sdk');
const express = require('express');
const terser = require('terser');
const Ajv = require('ajv');
exports.handler = async () => ({ statusCode: 200, body: JSON.stringify([new AWS.S3().config.region, typeof express, typeof terser, typeof Ajv]) });
JS
rm -rf "$out/bundle" "$out/bundle-min"
(cd "$src" && "$out/esbuild/node_modules/.bin/esbuild" bundle-entry.js --bundle --platform=node --target=node20 \
  --log-level=error --outfile="$out/bundle/index.js") >&2
# The minified form with its source map (serverless-esbuild's usual setup).
(cd "$src" && "$out/esbuild/node_modules/.bin/esbuild" bundle-entry.js --bundle --platform=node --target=node20 \
  --minify --sourcemap --log-level=error --outfile="$out/bundle-min/index.js") >&2
(cd "$out/bundle" && python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED); z.write("index.js"); z.close()' "$zipf")
echo "$zipf"
