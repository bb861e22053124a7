#!/usr/bin/env bash
# Builds the test control plane (kube-apiserver, kubectl, etcd) from the Go module proxy.
# Binaries are cached per version outside the repository, so only the first run pays.
# Honours KUBEBUILDER_ASSETS: if it already holds kube-apiserver and etcd, nothing is built.
# Prints the directory holding the binaries on its last line of stdout.
set -euo pipefail

K8S_VERSION="${PULLBRIDGE_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${PULLBRIDGE_ETCD_VERSION:-v3.6.16}"
CACHE_ROOT="${PULLBRIDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pullbridge}"
OUT="$CACHE_ROOT/control-plane/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}"

log() { echo "[control-plane] $*" >&2; }

if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
  log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi

if [[ -x "$OUT/kube-apiserver" && -x "$OUT/etcd" && -x "$OUT/kubectl" ]]; then
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || { log "Go is required to build the control plane (apt-get install golang, or https://go.dev/dl)"; exit 1; }
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
start=$(date +%s)

# --- kube-apiserver + kubectl -------------------------------------------------
# k8s.io/kubernetes requires its staging modules at v0.0.0; pin each to the matching v0.Y.Z.
minor="${K8S_VERSION#v1.}"           # 36.3
staging="v0.${minor}"                 # v0.36.3
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
  sed -n '/^replace (/,/^)/p' "$gomod" | grep -o 'k8s.io/[a-z0-9-]* =>' | sed "s| =>| => \\0|" | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
log "resolving k8s.io/kubernetes ${K8S_VERSION} modules"
go mod tidy >&2
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor%%.*}"
ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION} -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=${minor%%.*}"
log "building kube-apiserver ${K8S_VERSION} (first time only; several minutes)"
go build -trimpath -ldflags "$ldflags" -o "$OUT/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
log "building kubectl ${K8S_VERSION} (used by bench/)"
go build -trimpath -ldflags "$ldflags" -o "$OUT/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl

# --- etcd ---------------------------------------------------------------------
mkdir -p "$WORK/etcd" && cd "$WORK/etcd"
cat > go.mod <<GOMOD
module pullbridge.local/etcd-build

go 1.24
GOMOD
cat > main.go <<'GO'
// Command etcd is a thin wrapper around etcd's own entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
log "building etcd ${ETCD_VERSION}"
go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" >&2
go mod tidy >&2
go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" .

for b in kube-apiserver kubectl etcd; do mv "$OUT/$b.tmp" "$OUT/$b"; done
log "built in $(( $(date +%s) - start ))s into $OUT"
echo "$OUT"
