#!/usr/bin/env bash
# Builds the extra binaries of the *rolling cluster*: kube-controller-manager and kube-scheduler
# (from the same k8s.io/kubernetes module and version as kube-apiserver, into the same cache
# directory) and KWOK (sigs.k8s.io/kwok, its own module). Each binary is built only when it is
# missing, so this never invalidates the light plane built by build-binaries.sh.
# Honours KUBEBUILDER_ASSETS for the Kubernetes binaries when they are there.
# Prints two lines on stdout: the Kubernetes binaries' directory, then KWOK's directory.
# With --check it builds nothing: it prints them when every binary is there, else exits 3.
set -euo pipefail

K8S_VERSION="${PULLBRIDGE_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${PULLBRIDGE_ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${PULLBRIDGE_KWOK_VERSION:-v0.8.0}"
CACHE_ROOT="${PULLBRIDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pullbridge}"
OUT="$CACHE_ROOT/control-plane/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}"
KWOK_OUT="$CACHE_ROOT/kwok/kwok-${KWOK_VERSION}"

log() { echo "[rolling-cluster] $*" >&2; }

if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/kube-controller-manager" && -x "$KUBEBUILDER_ASSETS/kube-scheduler" ]]; then
  OUT="$KUBEBUILDER_ASSETS"
fi

need_k8s=()
for b in kube-controller-manager kube-scheduler; do [[ -x "$OUT/$b" ]] || need_k8s+=("$b"); done
need_kwok=""
[[ -x "$KWOK_OUT/kwok" ]] || need_kwok=1

if [[ ${#need_k8s[@]} -eq 0 && -z "$need_kwok" ]]; then
  echo "$OUT"
  echo "$KWOK_OUT"
  exit 0
fi
[[ "${1:-}" == "--check" ]] && exit 3

command -v go >/dev/null || { log "Go is required to build the rolling cluster (apt-get install golang, or https://go.dev/dl)"; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
start=$(date +%s)

if [[ ${#need_k8s[@]} -gt 0 ]]; then
  # Same wrapper module as build-binaries.sh: k8s.io/kubernetes requires its staging modules at
  # v0.0.0; pin each to the matching v0.Y.Z.
  mkdir -p "$OUT"
  minor="${K8S_VERSION#v1.}"
  staging="v0.${minor}"
  mkdir -p "$WORK/k8s" && cd "$WORK/k8s"
  go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" >/dev/null
  gomod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/${K8S_VERSION}.mod"
  {
    echo "module pullbridge.local/control-plane-build"
    echo
    grep -m1 '^go ' "$gomod"
    echo
    echo "require k8s.io/kubernetes ${K8S_VERSION}"
    echo
    echo "replace ("
    sed -n '/^replace (/,/^)/p' "$gomod" | grep -o 'k8s.io/[a-z0-9-]* =>' | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > go.mod
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
  log "resolving k8s.io/kubernetes ${K8S_VERSION} modules"
  go mod tidy >&2
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor%%.*}"
  ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION} -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=${minor%%.*}"
  for b in "${need_k8s[@]}"; do
    t0=$(date +%s)
    log "building $b ${K8S_VERSION} (first time only; several minutes)"
    go build -trimpath -ldflags "$ldflags" -o "$OUT/$b.tmp" "k8s.io/kubernetes/cmd/$b"
    mv "$OUT/$b.tmp" "$OUT/$b"
    log "built $b in $(( $(date +%s) - t0 ))s"
  done
fi

if [[ -n "$need_kwok" ]]; then
  mkdir -p "$KWOK_OUT"
  t0=$(date +%s)
  log "building kwok ${KWOK_VERSION} (first time only)"
  # KWOK's own go.mod has no replace directives, so `go install module@version` builds it with
  # exactly the dependency versions KWOK released with.
  GOBIN="$WORK/bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}" >&2
  mv "$WORK/bin/kwok" "$KWOK_OUT/kwok"
  log "built kwok in $(( $(date +%s) - t0 ))s"
fi

log "built in $(( $(date +%s) - start ))s"
echo "$OUT"
echo "$KWOK_OUT"
