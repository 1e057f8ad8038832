#!/usr/bin/env bash
# SBOM time and peak memory: fnscan vs the syft CLI on the same large Node.js
# Lambda zip, run side by side (alternating, best of N). Target: ratio <= 1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
zipf=$("$here/build-node-lambda.sh" "$out")
syft=$("$here/build-syft.sh" "$out")
build_fnscan
python3 - "$zipf" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); n = len(z.infolist()); s = sum(i.file_size for i in z.infolist())
print(f"target: {sys.argv[1]}: {n} entries, {s/1e6:.0f} MB unpacked")
PY
ft=(); fm=(); st=(); sm=()
for i in $(seq "$runs"); do
  read -r t m < <(python3 "$here/measure.py" "$fnscan" sbom "$zipf" -o cyclonedx-json --quiet); ft+=("$t"); fm+=("$m")
  read -r t m < <(SYFT_CHECK_FOR_APP_UPDATE=false python3 "$here/measure.py" "$syft" scan "file:$zipf" -o cyclonedx-json -q); st+=("$t"); sm+=("$m")
done
f_t=$(printf '%s\n' "${ft[@]}" | best); s_t=$(printf '%s\n' "${st[@]}" | best)
f_m=$(printf '%s\n' "${fm[@]}" | best); s_m=$(printf '%s\n' "${sm[@]}" | best)
fc=$("$fnscan" sbom "$zipf" -o cyclonedx-json --quiet | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["components"]))')
sc=$(SYFT_CHECK_FOR_APP_UPDATE=false "$syft" scan "file:$zipf" -o cyclonedx-json -q | python3 -c 'import json,sys; print(len([c for c in json.load(sys.stdin)["components"] if c["type"]!="file"]))')
printf '%-8s %8s %10s %11s\n' tool seconds peak_MiB components
printf '%-8s %8s %10s %11s\n' fnscan "$f_t" "$f_m" "$fc"
printf '%-8s %8s %10s %11s\n' syft "$s_t" "$s_m" "$sc"
python3 -c "print(f'ratio fnscan/syft: time {$f_t/$s_t:.2f}, memory {$f_m/$s_m:.2f}')"
