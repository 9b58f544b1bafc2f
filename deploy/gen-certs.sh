#!/bin/sh
# Self-signed certificates for the plimsoll webhook, for clusters without cert-manager
# (the chart's certManager.enabled=false): a CA, and a serving certificate signed by it
# for the webhook's Service, <service>.<namespace>.svc.
#
#   deploy/gen-certs.sh [-n NAMESPACE] [-s SERVICE] [-d DIR] [--days N] [--apply]
#
# It writes ca.key, ca.crt, tls.key and tls.crt in DIR (default ./plimsoll-certs), then
# prints the helm flags that use them. With --apply it also creates (or replaces) the
# Secret <service>-tls in NAMESPACE with kubectl. Run it again before the serving
# certificate expires: it keeps the CA of DIR (so the caBundle stays the same) and
# renews the serving certificate; the webhook reloads the files once the kubelet has
# updated the Secret volume. Keep ca.key out of version control.
set -eu

namespace=plimsoll
service=plimsoll
dir=plimsoll-certs
days=365
ca_days=3650
apply=false

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit "$1"
}

while [ $# -gt 0 ]; do
  case $1 in
    -n|--namespace) namespace=$2; shift 2 ;;
    -s|--service) service=$2; shift 2 ;;
    -d|--dir) dir=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --apply) apply=true; shift ;;
    -h|--help) usage 0 ;;
    *) echo "gen-certs.sh: unknown argument: $1" >&2; usage 2 >&2 ;;
  esac
done

command -v openssl >/dev/null 2>&1 || { echo "gen-certs.sh: openssl is needed" >&2; exit 1; }

umask 077
mkdir -p "$dir"
cd "$dir"

if [ -s ca.key ] && [ -s ca.crt ]; then
  echo "keeping the CA of $dir (ca.crt)" >&2
else
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
  openssl req -x509 -new -key ca.key -sha256 -days "$ca_days" \
    -subj "/CN=$service-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out ca.crt
fi

host=$service.$namespace.svc
cat >tls.ext <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:$host,DNS:$host.cluster.local
EOF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out tls.key 2>/dev/null
openssl req -new -key tls.key -subj "/CN=$host" -out tls.csr
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -sha256 -days "$days" \
  -set_serial "0x$(openssl rand -hex 16)" -extfile tls.ext -out tls.crt 2>/dev/null
rm -f tls.csr tls.ext
openssl verify -CAfile ca.crt tls.crt >/dev/null

if [ "$apply" = true ]; then
  kubectl create secret generic "$service-tls" --namespace "$namespace" \
    --type=kubernetes.io/tls \
    --from-file=tls.crt=tls.crt --from-file=tls.key=tls.key --from-file=ca.crt=ca.crt \
    --dry-run=client -o yaml | kubectl apply -f -
else
  cat >&2 <<EOF
the Secret is not created (--apply creates it); by hand:
  kubectl create secret generic $service-tls --namespace $namespace --type=kubernetes.io/tls \\
    --from-file=tls.crt=$dir/tls.crt --from-file=tls.key=$dir/tls.key --from-file=ca.crt=$dir/ca.crt
EOF
fi

ca_bundle=$(openssl base64 -A <ca.crt)
echo "the helm flags (Service $service, namespace $namespace):" >&2
echo "--set certManager.enabled=false --set tls.secretName=$service-tls --set tls.caBundle=$ca_bundle"
