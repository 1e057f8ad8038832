#!/usr/bin/env bash
# Every figure of issue 9's table in one run, on the large npm Lambda zip
# (build-node-lambda.sh): `unzip -p`, `unzip` to disk, `syft scan dir:` and
# `fnscan sbom dir:` on the unpacked tree, `syft scan file:fn.zip`,
# `fnscan sbom fn.zip`, `fnscan scan fn.zip` (the README's bundled DB,
# --fail-on none). Paired rounds in alternating order, medians of RUNS
# (default 5): wall/user/sys time, peak RSS, bytes written to disk, temp-dir
# peak; the issue's targets as ratios with PASS/MISS. Per-round lines go to
# stderr. STRICT=1 exits 1 on any MISS.
# Targets: fnscan sbom fn.zip <= 0.15 x syft file: and <= 1.0 x syft dir:;
# fnscan scan fn.zip <= 3 x unzip -p; under 1 MiB written to the temp dir;
# peak memory <= syft's on the zip.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs=${RUNS:-5}
zipf=$("$here/build-node-lambda.sh" "$out")
syft=$("$here/build-syft.sh" "$out")
tree="$out/node-lambda"   # the unpacked tree, shared with secrets.sh
if [ ! -d "$tree" ]; then rm -rf "$tree.tmp" && mkdir -p "$tree.tmp" && (cd "$tree.tmp" && unzip -q "$zipf") && mv "$tree.tmp" "$tree"; fi
build_fnscan
work="$out/archive-$(basename "$fnscan")"   # per checkout, like the binary
strict=(); [ "${STRICT:-}" = 1 ] && strict=(--strict)
exec python3 "$here/archive.py" --zip "$zipf" --tree "$tree" --syft "$syft" --fnscan "$fnscan" \
  --db "$repo/testdata/osv/ghsa-npm.zip" --warm "$repo/testdata/lambda/dvsa-order-api.zip" \
  --work "$work" --runs "$runs" "${strict[@]}"
