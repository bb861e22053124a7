#!/usr/bin/env bash
# Builds the renderer helper (our thin Go wrapper over Kustomize's and Helm's libraries) for the
# host and for linux/arm64 (the Lambda), plus the stock `kustomize` and `helm` CLIs at the same
# pinned versions (tests compare the helper's output with theirs). Everything comes from the Go
# module proxy the go command is configured with; binaries are cached per version (and per hash
# of the helper's source) outside the repository, so only the first run pays.
# Prints the directory holding the binaries on its last line of stdout:
#   pullbridge-renderer (host), pullbridge-renderer-linux-arm64, kustomize, helm
set -euo pipefail

KUSTOMIZE_VERSION="v5.8.2"   # kustomize/v5 v5.8.2 = sigs.k8s.io/kustomize/api v0.21.2 (go.mod)
HELM_VERSION="v3.21.4"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${PULLBRIDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pullbridge}"
src_hash="$(cat "$HERE"/go.mod "$HERE"/go.sum "$HERE"/*.go | sha256sum | cut -c1-12)"
OUT="$CACHE_ROOT/renderer/kustomize-${KUSTOMIZE_VERSION}_helm-${HELM_VERSION}_src-${src_hash}"
TOOLS="$CACHE_ROOT/renderer/cli_kustomize-${KUSTOMIZE_VERSION}_helm-${HELM_VERSION}"

log() { echo "[renderer] $*" >&2; }

# `current` is what the CLI and local mode use when PULLBRIDGE_RENDERER_PATH is not set.
if [[ -x "$OUT/pullbridge-renderer" && -x "$OUT/pullbridge-renderer-linux-arm64" && -x "$TOOLS/kustomize" && -x "$TOOLS/helm" ]]; then
  ln -sf "$TOOLS/kustomize" "$OUT/kustomize"
  ln -sf "$TOOLS/helm" "$OUT/helm"
  ln -sfn "$OUT" "$CACHE_ROOT/renderer/current"
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { log "Go is required to build the renderer (apt-get install golang, or https://go.dev/dl)"; exit 1; }
mkdir -p "$OUT" "$TOOLS"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
start=$(date +%s)
kust_api="$(grep 'sigs.k8s.io/kustomize/api ' "$HERE/go.mod" | awk '{print $2}')"
ldflags="-s -w -X main.kustomizeVersion=${KUSTOMIZE_VERSION}/api-${kust_api} -X main.helmVersion=${HELM_VERSION}"
ldflags="$ldflags -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"

cd "$HERE"
if [[ ! -x "$OUT/pullbridge-renderer" ]]; then
  log "building pullbridge-renderer for the host (first time only; a few minutes)"
  # Separate statements: a failure inside an `a && b` list does not stop a `set -e` script.
  go build -trimpath -ldflags "$ldflags" -o "$OUT/pullbridge-renderer.tmp" .
  mv "$OUT/pullbridge-renderer.tmp" "$OUT/pullbridge-renderer"
fi
if [[ ! -x "$OUT/pullbridge-renderer-linux-arm64" ]]; then
  log "building pullbridge-renderer for linux/arm64 (the Lambda)"
  GOOS=linux GOARCH=arm64 go build -trimpath -ldflags "$ldflags" -o "$OUT/pullbridge-renderer-linux-arm64.tmp" .
  mv "$OUT/pullbridge-renderer-linux-arm64.tmp" "$OUT/pullbridge-renderer-linux-arm64"
fi

# The stock CLIs, each from its own module and go.mod, only for tests to compare against.
if [[ ! -x "$TOOLS/kustomize" ]]; then
  log "building kustomize ${KUSTOMIZE_VERSION} (stock CLI, for tests)"
  GOBIN="$TOOLS/.bin" go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/${KUSTOMIZE_VERSION}" \
    "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}"
  mv "$TOOLS/.bin/kustomize" "$TOOLS/kustomize"
fi
if [[ ! -x "$TOOLS/helm" ]]; then
  log "building helm ${HELM_VERSION} (stock CLI, for tests)"
  GOBIN="$TOOLS/.bin" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}" \
    "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
  mv "$TOOLS/.bin/helm" "$TOOLS/helm"
fi
ln -sf "$TOOLS/kustomize" "$OUT/kustomize"
ln -sf "$TOOLS/helm" "$OUT/helm"
ln -sfn "$OUT" "$CACHE_ROOT/renderer/current"
log "ready in $(( $(date +%s) - start ))s: $OUT"
echo "$OUT"
