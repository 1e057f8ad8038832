#!/usr/bin/env bash
# Peak memory and time of `fnscan sbom docker-archive:` on images built here
# from real files (image-build.py: the Debian package database and files, a
# CPython with its site-packages, the Go toolchain, an OpenJDK, npm's tree and
# the bench's npm Lambda tree, one layer each, plus a whiteout layer).
# SIZES (MiB of layer tars, default "256 1024"), paired rounds in
# alternating order, medians of RUNS (default 3). Per-round lines go to
# stderr. STRICT=1 exits 1 on any MISS.
# Targets (issue 9): peak memory under 512 MiB at 1 GiB, independent of the
# image's size (here: largest/smallest peak <= 1.25).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs=${RUNS:-3}
sizes=${SIZES:-256 1024}
"$here/build-node-lambda.sh" "$out" >/dev/null   # its tree in $out/src is the image's /app
build_fnscan
imgdir="$out/image"
mkdir -p "$imgdir"
# Cached per size and builder version; the host files they copy rarely change.
stamp=$(sha256sum "$here/image-build.py" | cut -c1-12)
args=()
for s in $sizes; do
  img="$imgdir/image-${s}m-$stamp.tar"
  if [ ! -s "$img" ]; then
    echo "building $img" >&2
    python3 "$here/image-build.py" --size "$s" --out "$img" --node-app "$out/src" >&2
  fi
  args+=("$s=$img")
done
work="$out/image-$(basename "$fnscan")"   # per checkout, like the binary
strict=(); [ "${STRICT:-}" = 1 ] && strict=(--strict)
exec python3 "$here/image.py" --fnscan "$fnscan" --work "$work" --runs "$runs" "${strict[@]}" "${args[@]}"
