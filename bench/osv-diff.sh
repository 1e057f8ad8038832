#!/usr/bin/env bash
# Differential check: fnscan vs the osv-scanner v2.5.0 CLI in offline mode.
# Both tools get the same CycloneDX SBOM (made by `fnscan sbom`) and the same
# OSV records (../shared/data/osv); the (vulnerability, package) pairs they
# report must agree, compared by alias group. A difference must be listed in
# bench/osv-diff-explained.txt and explained in docs/osv-differences.md, or
# this script exits 1.
#
#   bench/osv-diff.sh                 run all cases (a b c d)
#   bench/osv-diff.sh a c             run some cases
#   OSV_DIFF_WRITE_GOLDEN=1 bench/osv-diff.sh a
#                                     also rewrite testdata/osv/dvsa-osv-scanner-v2.5.0-pairs.txt
#
# Work files (osv-scanner build, DBs, case inputs and outputs) live under
# ${TMPDIR:-/tmp}/fnscan-bench; the first run builds osv-scanner (~4 min on 2
# cores), later runs reuse it and take seconds. Nothing outside that directory
# is written except the golden file above, on request.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
shared=$(cd "$repo/../shared" && pwd)
bench=${TMPDIR:-/tmp}/fnscan-bench
work=$bench/osv-diff
osvver=v2.5.0
osvbuild=$bench/osv-scanner-build
osv=$osvbuild/osv-scanner-$osvver
py="python3 $here/osv-diff.py"
explained=$here/osv-diff-explained.txt
golden=$repo/testdata/osv/dvsa-osv-scanner-$osvver-pairs.txt
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(a b c d)
mkdir -p "$work"

# --- osv-scanner, in a throwaway module (its deps need go-diskfs v1.7, which
# fnscan's go.mod cannot take) ---------------------------------------------
if [ ! -x "$osv" ]; then
  echo "building osv-scanner $osvver in $osvbuild (first run only)" >&2
  rm -rf "$osvbuild"; mkdir -p "$osvbuild"
  (
    cd "$osvbuild"
    go mod init osvscannerbuild >/dev/null 2>&1
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/google/osv-scanner/v2/cmd/osv-scanner"\n' > tools.go
    go get "github.com/google/osv-scanner/v2/cmd/osv-scanner@$osvver" >&2
    # The module proxy here refuses some versions (403): pin around them.
    python3 "$shared/tools/go-mod-fallback" >&2
    go build -o "$osv.tmp" github.com/google/osv-scanner/v2/cmd/osv-scanner >&2
    mv "$osv.tmp" "$osv"
  )
fi

# --- fnscan at the current tree ------------------------------------------
(cd "$repo" && go build -o "$work/fnscan" ./cmd/fnscan)
fnscan=$work/fnscan

# --- OSV records ----------------------------------------------------------
# osv-scanner --offline reads $XDG_CACHE_HOME/osv-scalibr/<Ecosystem>/all.zip
# and only its *.json members (protojson); pypa's records are YAML, so they are
# converted to a JSON zip. fnscan imports the original shared zips.
xdg=$work/xdg
db=$work/fnscan-db
srcs=("$shared/data/osv/ghsa-npm.zip" "$shared/data/osv/maven-ghsa-sample.zip"
      "$shared/data/osv/go-vulndb-osv.zip" "$shared/data/osv/pypa-advisory-database.zip")
stamp=$(cat "${srcs[@]}" "$here/osv-diff.py" | sha256sum | cut -c1-16)
if [ "$(cat "$work/db.stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$xdg" "$db"
  c=$xdg/osv-scalibr
  mkdir -p "$c/npm" "$c/Maven" "$c/Go" "$c/PyPI"
  cp "$shared/data/osv/ghsa-npm.zip" "$c/npm/all.zip"
  cp "$shared/data/osv/maven-ghsa-sample.zip" "$c/Maven/all.zip"
  cp "$shared/data/osv/go-vulndb-osv.zip" "$c/Go/all.zip"
  $py pypa-json "$shared/data/osv/pypa-advisory-database.zip" "$c/PyPI/all.zip" >&2
  "$fnscan" db import --db "$db" --quiet "${srcs[@]}" >&2
  echo "$stamp" > "$work/db.stamp"
fi

# --- case inputs ----------------------------------------------------------
in=$work/cases
$py cases "$in" "$repo/testdata/jars/guava-31.1-jre.jar"
if [[ " ${cases[*]} " == *" d "* ]] && [ ! -f "$in/go-bootstrap.zip" ]; then
  # A Go `bootstrap` linking golang.org/x/text v0.3.6 (GO-2021-0113 and more).
  gb=$work/gobootstrap
  rm -rf "$gb"; mkdir -p "$gb"
  (
    cd "$gb"
    cat > main.go <<'GO'
package main

import (
	"fmt"

	"golang.org/x/text/language"
)

func main() { fmt.Println(language.Make("en-US")) }
GO
    go mod init example.com/osvdiff/bootstrap >/dev/null 2>&1
    GOFLAGS=-mod=mod go get golang.org/x/text@v0.3.6 >&2
    CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOFLAGS="-mod=mod -buildvcs=false" \
      go build -trimpath -o bootstrap . >&2
  )
  $py go-zip "$gb/bootstrap" "$in/go-bootstrap.zip"
fi

# --- run ------------------------------------------------------------------
out=$work/out
mkdir -p "$out"
bad=0
for c in "${cases[@]}"; do
  case $c in
    a) target=("$repo/testdata/lambda/dvsa-order-api.zip"); desc="dvsa-order-api.zip (npm)";;
    b) target=("$in/handler.zip" --layer "$in/java-layer.zip"); desc="handler.zip + Java layer with guava 31.1-jre (Maven)";;
    c) target=("$in/handler.zip" --layer "$in/python-layer.zip"); desc="handler.zip + Python layer with 5 dist-infos (PyPI)";;
    d) target=("$in/go-bootstrap.zip"); desc="Go bootstrap with golang.org/x/text v0.3.6 (Go)";;
    *) echo "unknown case $c (want a, b, c or d)" >&2; exit 2;;
  esac
  echo "== case $c: $desc"
  sbom=$out/$c.cdx.json   # osv-scanner wants a CycloneDX name: *.cdx.json
  "$fnscan" sbom "${target[@]}" --quiet -o "cyclonedx-json=$sbom"
  "$fnscan" scan "sbom:$sbom" --db "$db" --no-secrets --fail-on none --quiet -o "json=$out/$c.fnscan.json"
  # osv-scanner: once on the same SBOM, once (control run) on a copy with its
  # CycloneDX-reading bugs worked around; see docs/osv-differences.md.
  $py control-sbom "$sbom" "$out/$c.control.cdx.json"
  for run in "$c" "$c.control"; do
    rc=0
    env -u OSV_SCALIBR_LOCAL_DB_CACHE_DIRECTORY XDG_CACHE_HOME="$xdg" \
      "$osv" scan source --offline -L "$out/$run.cdx.json" --all-packages --format json \
      --output-file "$out/$run.osv-scanner.json" >"$out/$run.osv-scanner.log" 2>&1 || rc=$?
    # 0: no vulnerabilities, 1: some; anything else is a failure.
    if [ "$rc" -gt 1 ] || grep -q 'could not load db' "$out/$run.osv-scanner.log"; then
      cat "$out/$run.osv-scanner.log" >&2; echo "osv-scanner failed ($rc) on $out/$run.cdx.json" >&2; exit 2
    fi
  done
  extra=(--control "$out/$c.control.osv-scanner.json")
  [ "$c" = a ] && extra+=(--pairs-out "$out/a.osv-scanner-pairs.txt")
  $py compare "$c" "$out/$c.osv-scanner.json" "$out/$c.fnscan.json" "$explained" "${extra[@]}" || bad=1
  if [ "$c" = a ]; then
    if [ "${OSV_DIFF_WRITE_GOLDEN:-}" = 1 ]; then
      cp "$out/a.osv-scanner-pairs.txt" "$golden"; echo "  wrote $golden"
    elif [ -f "$golden" ] && ! diff <(grep -v '^#' "$golden") <(grep -v '^#' "$out/a.osv-scanner-pairs.txt") >"$out/a.golden.diff"; then
      echo "  osv-scanner pairs differ from $golden:"; sed 's/^/    /' "$out/a.golden.diff"
      bad=1
    fi
  fi
done
echo "outputs: $out"
if [ "$bad" != 0 ]; then
  echo "FAIL: differences not listed in $explained (see docs/osv-differences.md)"
  exit 1
fi
echo "OK: every difference is explained"
