#!/usr/bin/env bash
# Builds the syft CLI at the version fnscan uses, in a throwaway module
# outside the repo (with fnscan's replace lines, for the proxy here).
# Prints the binary's path.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-${TMPDIR:-/tmp}/fnscan-bench}
bin="$out/syft"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
ver=$(cd "$repo" && go list -m -f '{{.Version}}' github.com/anchore/syft)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
go mod init syftbuild >/dev/null 2>&1
grep '^replace ' "$repo/go.mod" >> go.mod
cp "$repo/go.sum" .
cat > tools.go <<GO
//go:build tools
package tools
import _ "github.com/anchore/syft/cmd/syft"
GO
go get "github.com/anchore/syft@$ver" >&2
go mod tidy >&2 || true
mkdir -p "$out"
go build -o "$bin" github.com/anchore/syft/cmd/syft >&2
echo "$bin"
