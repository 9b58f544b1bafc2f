#!/usr/bin/env bash
# Regenerate the Kubernetes schemas that plimsoll embeds (crates/plimsoll_schema/schemas/).
#
#   tools/schemas/update.sh
#
# * The newest release (KUBE_VERSION, default the version tools/kube-testenv/build.sh
#   builds): the OpenAPI v3 documents its real kube-apiserver serves at /openapi/v3
#   (fetch-openapi.sh), with the enums of the v3 documents.
# * The releases from 1.27 to the one before it: the per-version JSON schemas shipped as
#   data in the PyPI package kubernetes-validate (KV_VERSION), which are made from each
#   release's OpenAPI v2 document: same fields, types, formats and required lists, but
#   no enums (OpenAPI v2 has none for built-in types), and they also list alpha and beta
#   kinds that an API server does not serve by default.
# The newest release is also converted from kubernetes-validate and compared with the
# API server's (compact.py compare); the differences are written to
# crates/plimsoll_schema/schemas/COMPARISON.txt.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
dest="$here/../../crates/plimsoll_schema/schemas"
KV_VERSION="${KV_VERSION:-1.37.0}"
FIRST_MINOR="${FIRST_MINOR:-27}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"

bash "$here/fetch-openapi.sh" "$work/openapi"
newest="$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["gitVersion"]; print(".".join(v.lstrip("v").split(".")[:2]))' "$work/openapi/server-version.json")"
python3 "$here/compact.py" openapi "$work/openapi" "$dest/kubernetes-$newest.json.gz"

python3 -m pip download --quiet --no-deps -d "$work/kv" "kubernetes-validate==$KV_VERSION"
python3 -m zipfile -e "$work"/kv/kubernetes_validate-*.whl "$work/kv/x"
schemas="$work/kv/x/kubernetes_validate/kubernetes-json-schema"
newest_minor="${newest#1.}"
for ((m = FIRST_MINOR; m < newest_minor; m++)); do
  python3 "$here/compact.py" kubernetes-validate "$schemas/v1.$m.0-local" "1.$m.0" "$dest/kubernetes-1.$m.json.gz"
done
python3 "$here/compact.py" kubernetes-validate "$schemas/v$newest.0-local" "$newest.0" "$work/kv-newest.json.gz"
{
  echo "# kube-apiserver $newest /openapi/v3 (A) against kubernetes-validate $KV_VERSION v$newest.0-local (B)"
  python3 "$here/compact.py" compare "$dest/kubernetes-$newest.json.gz" "$work/kv-newest.json.gz"
} > "$dest/COMPARISON.txt"
ls -l "$dest"
