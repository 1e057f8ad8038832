#!/usr/bin/env bash
# Secrets throughput: fnscan vs the gitleaks CLI (v8, built from the module
# fnscan uses, in a throwaway dir) on the same unpacked large Node.js Lambda,
# run side by side. gitleaks gets its default rules with the node_modules
# path allowlist removed, so both read the same files.
# Targets (issue): fnscan >= 50 MB/s per core and >= 20x gitleaks.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
zipf=$("$here/build-node-lambda.sh" "$out")
tree="$out/node-lambda"
if [ ! -d "$tree" ]; then mkdir -p "$tree" && (cd "$tree" && unzip -q "$zipf"); fi
build_fnscan

ver=$(cd "$repo" && go list -m -f '{{.Version}}' github.com/zricethezav/gitleaks/v8)
if [ ! -x "$out/gitleaks" ]; then
  dir=$(mktemp -d)
  (cd "$dir" && go mod init glbuild >/dev/null 2>&1 && grep '^replace ' "$repo/go.mod" >> go.mod && cp "$repo/go.sum" . \
    && go get "github.com/zricethezav/gitleaks/v8@$ver" >&2 && go build -o "$out/gitleaks" github.com/zricethezav/gitleaks/v8) >&2
  rm -rf "$dir"
fi
src=$(cd "$repo" && go list -m -f '{{.Dir}}' github.com/zricethezav/gitleaks/v8)
python3 - "$src/config/gitleaks.toml" "$out/gitleaks-no-nm.toml" <<'PY'
import re, sys
toml = open(sys.argv[1]).read()
# Drop path allowlist entries that mention node_modules (or vendor dirs).
lines = [l for l in toml.splitlines() if not re.search(r"node_modules|vendor", l)]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
cores=$(nproc)
# compare NAME DIR: both tools on the same unpacked files, best of $runs.
compare() {
  local name=$1 dir=$2 bytes ft=() gt=() t m f g fn_count gl_count
  bytes=$(du -sb "$dir" | cut -f1)
  for i in $(seq "$runs"); do
    read -r t m < <(python3 "$here/measure.py" "$fnscan" secrets "dir:$dir" -o json --quiet || true); ft+=("$t")
    read -r t m < <(python3 "$here/measure.py" "$out/gitleaks" dir "$dir" --config "$out/gitleaks-no-nm.toml" --no-banner --exit-code 0 --report-format json --report-path /dev/null --log-level error); gt+=("$t")
  done
  f=$(printf '%s\n' "${ft[@]}" | best); g=$(printf '%s\n' "${gt[@]}" | best)
  fn_count=$("$fnscan" secrets "dir:$dir" -o json --quiet 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["secrets"]))' || true)
  gl_count=$("$out/gitleaks" dir "$dir" --config "$out/gitleaks-no-nm.toml" --no-banner --exit-code 0 --report-format json --report-path "$out/gitleaks.json" --log-level error >/dev/null 2>&1; python3 -c "import json; print(len(json.load(open(\"$out/gitleaks.json\"))))")
  python3 - <<PY
b=$bytes; f=$f; g=$g; c=$cores
print(f"$name: {b/1e6:.0f} MB, {c} cores")
print(f"  fnscan:   {f:6.2f} s  {b/1e6/f:7.1f} MB/s  {b/1e6/f/c:6.1f} MB/s/core  findings: $fn_count")
print(f"  gitleaks: {g:6.2f} s  {b/1e6/g:7.1f} MB/s  {b/1e6/g/c:6.1f} MB/s/core  findings: $gl_count")
print(f"  speedup fnscan vs gitleaks: {g/f:.1f}x")
PY
}
compare "node_modules tree" "$tree"
# The same code bundled by esbuild into one unminified file (CDK's default).
"$here/build-bundle.sh" "$out" >/dev/null
compare "esbuild bundle" "$out/bundle"
[ -d "$out/bundle-min" ] || { rm -f "$out/bundle.zip"; "$here/build-bundle.sh" "$out" >/dev/null; }
compare "esbuild bundle, minified, with source map" "$out/bundle-min"
