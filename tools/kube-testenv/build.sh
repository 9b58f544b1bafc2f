#!/usr/bin/env bash
# Build kube-apiserver and etcd from their published Go modules, for the live-audit tests.
#
#   tools/kube-testenv/build.sh [OUT_DIR]
#
# k8s.io/kubernetes is built as a dependency of a throw-away module: every staging module
# (k8s.io/api, k8s.io/apiserver, ...) that kubernetes' own go.mod replaces with ./staging is
# replaced here by its published version. etcd is built the same way from go.etcd.io in a
# second module (its dependency versions differ from kubernetes'). Binaries are cached by
# version: a second run with the same versions only checks that they exist.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.0}"
OUT="${1:-${PLIMSOLL_KUBE_TESTENV:-$HOME/.cache/plimsoll-kube-testenv}/kube-${KUBE_VERSION}-etcd-${ETCD_VERSION}}"
staging_version="v0.${KUBE_VERSION#v1.}"

if [[ -x "$OUT/kube-apiserver" && -x "$OUT/etcd" ]]; then
  echo "kube-testenv: cached in $OUT" >&2
  echo "$OUT"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT" "$work/kube" "$work/etcd"
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0

echo "kube-testenv: building kube-apiserver $KUBE_VERSION (staging modules at $staging_version)" >&2
cd "$work/kube"
go mod init plimsoll.dev/kube-testenv/kube >/dev/null 2>&1
modfile="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/${KUBE_VERSION}.mod"
[[ -f "$modfile" ]] || go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" >/dev/null
# every `k8s.io/X => ./staging/src/k8s.io/X` line of kubernetes' go.mod
for m in $(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$modfile"); do
  go mod edit -replace "$m=$m@$staging_version"
done
go mod edit -require "k8s.io/kubernetes@${KUBE_VERSION}"
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
go mod tidy -e >/dev/null 2>&1 || true
go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} -X k8s.io/client-go/pkg/version.gitVersion=${KUBE_VERSION}" \
  -o "$OUT/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver

echo "kube-testenv: building etcd $ETCD_VERSION" >&2
cd "$work/etcd"
go mod init plimsoll.dev/kube-testenv/etcd >/dev/null 2>&1
go mod edit -require "go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
go mod tidy -e >/dev/null 2>&1 || true
go build -trimpath -ldflags "-s -w" -o "$OUT/etcd" go.etcd.io/etcd/server/v3

"$OUT/kube-apiserver" --version >&2
"$OUT/etcd" --version >&2 | head -1 || true
echo "$OUT"
