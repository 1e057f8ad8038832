# Shared setup for the bench scripts (sourced): paths, best-of-N, and a
# fresh fnscan build. Work files live in $out, nothing else is written.
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${TMPDIR:-/tmp}/fnscan-bench
runs=${RUNS:-3}
mkdir -p "$out"
# $out is shared by every checkout on the machine (the npm zip and the syft
# build are cached there); the fnscan binary is per checkout, so two work
# trees benchmarking at once do not overwrite each other's build.
fnscan=$out/fnscan-$(printf %s "$repo" | sha256sum | cut -c1-12)
best() { sort -n | head -1; }
build_fnscan() { (cd "$repo" && go build -o "$fnscan" ./cmd/fnscan); }
