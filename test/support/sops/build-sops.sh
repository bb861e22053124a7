#!/usr/bin/env bash
# Builds the real `sops` binary (github.com/getsops/sops/v3/cmd/sops, pinned) from the Go module
# proxy the go command is configured with, once per version, cached outside the repository like
# the control plane. The fixture generator (test/fixtures/sops/generate.ts) and the round-trip
# test (test/integration/secrets/sops-round-trip.test.ts, via test/support/sops.ts) use it; .ci/run
# builds it before the tests, every other test reads the committed fixtures.
# Prints the binary's path on its last line of stdout.
set -euo pipefail

SOPS_VERSION="${PULLBRIDGE_SOPS_VERSION:-v3.13.3}"
CACHE_ROOT="${PULLBRIDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pullbridge}"
OUT="$CACHE_ROOT/sops/sops-${SOPS_VERSION}"

log() { echo "[sops] $*" >&2; }

if [[ -x "$OUT/sops" ]]; then echo "$OUT/sops"; exit 0; fi
command -v go >/dev/null || { log "Go is required to build sops (apt-get install golang, or https://go.dev/dl)"; exit 1; }

mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9
if [[ -x "$OUT/sops" ]]; then echo "$OUT/sops"; exit 0; fi
log "building sops ${SOPS_VERSION} (first time only; a few minutes)"
start=$(date +%s)
export CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
GOBIN="$OUT/.bin" go install -trimpath -ldflags "-s -w" "github.com/getsops/sops/v3/cmd/sops@${SOPS_VERSION}"
mv "$OUT/.bin/sops" "$OUT/sops"
rmdir "$OUT/.bin" 2>/dev/null || true
log "sops ${SOPS_VERSION} ready in $(( $(date +%s) - start ))s: $OUT/sops"
echo "$OUT/sops"
