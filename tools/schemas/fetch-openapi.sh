#!/usr/bin/env bash
# Fetch the OpenAPI v3 documents that a real kube-apiserver serves at /openapi/v3.
#
#   tools/schemas/fetch-openapi.sh OUT_DIR
#
# Builds (or reuses from its cache) kube-apiserver and etcd with tools/kube-testenv/build.sh
# (KUBE_VERSION and ETCD_VERSION are passed through), starts both on loopback in a
# temporary directory, fetches the discovery document /openapi/v3 and every group-version
# document it lists, writes them to OUT_DIR (`index.json`, and `<path with / as __>.json`
# for each group-version, as kubernetes' own api/openapi-spec/v3 names them), then stops
# both processes. Convert the result with `tools/schemas/compact.py openapi OUT_DIR ...`.
set -euo pipefail

out="${1:?usage: fetch-openapi.sh OUT_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(bash "$here/../kube-testenv/build.sh" | tail -n 1)"
mkdir -p "$out"
work="$(mktemp -d)"
pids=()
cleanup() {
  # the API server first (it waits for etcd while it shuts down), then etcd; a process
  # still running after 10 s is killed
  local i p
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    p="${pids[i]}"
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
client="$(port)"; peer="$(port)"; secure="$(port)"
openssl ecparam -name prime256v1 -genkey -noout -out "$work/sa.key" 2>/dev/null
echo 'schemas,schemas,1,"system:masters"' > "$work/tokens.csv"

"$bin/etcd" --name=schemas --data-dir="$work/etcd" \
  --listen-client-urls="http://127.0.0.1:$client" --advertise-client-urls="http://127.0.0.1:$client" \
  --listen-peer-urls="http://127.0.0.1:$peer" --initial-advertise-peer-urls="http://127.0.0.1:$peer" \
  --initial-cluster="schemas=http://127.0.0.1:$peer" --unsafe-no-fsync --log-level=warn \
  >"$work/etcd.log" 2>&1 &
pids+=($!)
"$bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$client" --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 --secure-port="$secure" --cert-dir="$work/certs" \
  --token-auth-file="$work/tokens.csv" --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$work/sa.key" --service-account-signing-key-file="$work/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 --endpoint-reconciler-type=none \
  --enable-priority-and-fairness=false --v=0 \
  >"$work/apiserver.log" 2>&1 &
pids+=($!)

get() {
  curl -sS --fail --cacert "$work/certs/apiserver.crt" -H "Authorization: Bearer schemas" \
    "https://127.0.0.1:$secure$1"
}
for _ in $(seq 1 240); do
  if [[ -f "$work/certs/apiserver.crt" ]] && get /readyz >/dev/null 2>&1; then break; fi
  sleep 0.5
done
get /readyz >/dev/null || { cat "$work/apiserver.log" >&2; exit 1; }
get /version > "$out/server-version.json"
get /openapi/v3 > "$out/index.json"
python3 - "$out/index.json" <<'PY' | while read -r path url; do get "$url" > "$out/$path.json"; done
import json, sys
for path, v in sorted(json.load(open(sys.argv[1]))["paths"].items()):
    print(path.strip("/").replace("/", "__"), v["serverRelativeURL"])
PY
echo "fetched $(ls "$out" | wc -l) documents into $out" >&2
