# Shared setup for the bench scripts (sourced): paths, best-of-N, and a
# fresh fnscan build. Work files live in $out, nothing else is written.
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${TMPDIR:-/tmp}/fnscan-bench
runs=${RUNS:-3}
mkdir -p "$out"
best() { sort -n | head -1; }
build_fnscan() { (cd "$repo" && go build -o "$out/fnscan" ./cmd/fnscan); }
