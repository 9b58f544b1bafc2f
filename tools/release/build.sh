#!/usr/bin/env bash
# Builds every release artefact of plimsoll into OUTDIR:
#   plimsoll-VERSION-TARGET.tar.gz (+ .sha256)  the static binary, LICENSE, README.md,
#                                              shell completions, man pages and install.sh
#   image/                                     the container image, an OCI image layout
#   image.digest                               its manifest digest (sha256:...)
#   plimsoll-chart-VERSION.tgz (+ .sha256)     the Helm chart of `serve`, pinned to that digest
#   plimsoll.yaml                              the krew plugin manifest (`kubectl plimsoll`)
#   SHA256SUMS                                 every archive's checksum
#
# Usage: tools/release/build.sh OUTDIR
#
# Needs: rustup (for the musl target's standard library), musl-gcc (Debian's musl-tools,
# for the C code of mimalloc and ring), python3, and a CA bundle at
# /etc/ssl/certs/ca-certificates.crt (Debian's ca-certificates), or CA_BUNDLE=FILE.
# Targets: PLIMSOLL_RELEASE_TARGETS (default x86_64-unknown-linux-musl; the only one built
# here, see the README's install section). The build is reproducible: times come from the
# last commit (SOURCE_DATE_EPOCH), archives are sorted and owned by 0:0, gzip stores no
# name or time.
set -euo pipefail

out=${1:?usage: tools/release/build.sh OUTDIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
commit=${PLIMSOLL_GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
export PLIMSOLL_GIT_COMMIT=$commit
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
targets=${PLIMSOLL_RELEASE_TARGETS:-x86_64-unknown-linux-musl}
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
target_dir=${CARGO_TARGET_DIR:-$root/target}
repository=https://github.com/plimsoll-dev/plimsoll

# a deterministic gzip-compressed tar of DIR's entry NAME, written to FILE
pack() {
  local dir=$1 name=$2 file=$3
  tar -C "$dir" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    --format=gnu -cf - "$name" | gzip -n -9 >"$file"
  (cd "$(dirname "$file")" && sha256sum "$(basename "$file")" >"$(basename "$file").sha256")
}

[ -r "$ca_bundle" ] || { echo "no CA bundle at $ca_bundle (install ca-certificates or set CA_BUNDLE)" >&2; exit 1; }

host_binary=""
for target in $targets; do
  if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    rustup target add "$target" >&2 || {
      echo "cannot add the Rust target $target: the static build needs rustup" >&2
      exit 1
    }
  fi
  case "$target" in
    *-musl) command -v musl-gcc >/dev/null || { echo "musl-gcc is missing (apt-get install musl-tools)" >&2; exit 1; } ;;
  esac
  echo "building plimsoll $version ($commit) for $target" >&2
  # --remap-path-prefix keeps the build machine's paths out of panic messages
  RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$root=plimsoll --remap-path-prefix=$HOME=~" \
    cargo build --locked --profile dist --target "$target" -p plimsoll --bin plimsoll >&2
  binary="$target_dir/$target/dist/plimsoll"

  stage=$(mktemp -d)
  name="plimsoll-$version-$target"
  mkdir -p "$stage/$name/completions" "$stage/$name/man/man1"
  cp "$binary" "$stage/$name/plimsoll"
  cp LICENSE README.md tools/release/install.sh "$stage/$name/"
  case "$target" in
    x86_64-*)
      host_binary=$binary
      "$binary" completions bash >"$stage/$name/completions/plimsoll.bash"
      "$binary" completions zsh >"$stage/$name/completions/_plimsoll"
      "$binary" completions fish >"$stage/$name/completions/plimsoll.fish"
      "$binary" man --dir "$stage/$name/man/man1"
      ;;
  esac
  chmod -R u=rwX,go=rX "$stage/$name"
  pack "$stage" "$name" "$out/$name.tar.gz"
  rm -rf "$stage"
done

[ -n "$host_binary" ] || { echo "the image and the completions need the x86_64 build" >&2; exit 1; }

# the container image
digest=$(python3 tools/release/oci_image.py --binary "$host_binary" --ca-bundle "$ca_bundle" \
  --out "$out/image" --version "$version" --commit "$commit" --epoch "$SOURCE_DATE_EPOCH")
echo "$digest" >"$out/image.digest"

# the Helm chart, pinned to the image by digest
stage=$(mktemp -d)
cp -R deploy/chart/plimsoll "$stage/plimsoll"
python3 - "$stage/plimsoll/values.yaml" "$digest" <<'EOF'
import re, sys
path, digest = sys.argv[1], sys.argv[2]
text = open(path).read()
text, n = re.subn(r'(?m)^(  digest: )""$', r'\g<1>"' + digest + '"', text, count=1)
if n != 1:
    sys.exit("deploy/chart/plimsoll/values.yaml has no `  digest: \"\"` line under image:")
open(path, "w").write(text)
EOF
chmod -R u=rwX,go=rX "$stage/plimsoll"
pack "$stage" plimsoll "$out/plimsoll-chart-$version.tgz"
rm -rf "$stage"

# the krew plugin manifest: one platform per archive built
{
  cat <<EOF
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: plimsoll
spec:
  version: v$version
  homepage: $repository
  shortDescription: Production-readiness rules for manifests and clusters
  description: |
    plimsoll checks Kubernetes manifests and live clusters against the lessons
    teams learn in production: resource requests and limits, probes, disruption
    budgets, RBAC, network policies, image pinning, secrets, autoscalers and
    removed APIs. Every finding has a rule code and an exact source position.
    \`kubectl plimsoll audit\` checks the current context's cluster;
    \`kubectl plimsoll check DIR\` checks manifests, Helm charts and Kustomize overlays.
  platforms:
EOF
  for target in $targets; do
    case "$target" in
      x86_64-*) arch=amd64 ;;
      aarch64-*) arch=arm64 ;;
      *) continue ;;
    esac
    name="plimsoll-$version-$target"
    cat <<EOF
    - selector:
        matchLabels:
          os: linux
          arch: $arch
      uri: $repository/releases/download/v$version/$name.tar.gz
      sha256: $(cut -d ' ' -f 1 "$out/$name.tar.gz.sha256")
      files:
        - from: $name/plimsoll
          to: .
        - from: $name/LICENSE
          to: .
      bin: plimsoll
EOF
  done
} >"$out/plimsoll.yaml"

(cd "$out" && cat ./*.tar.gz.sha256 ./*.tgz.sha256 >SHA256SUMS)
echo "release $version ($commit) in $out; image $digest" >&2
