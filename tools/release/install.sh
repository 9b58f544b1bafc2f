#!/bin/sh
# Installs plimsoll from this release archive: the binary, its man pages and its shell
# completions, under PREFIX (default /usr/local).
#   ./install.sh              # /usr/local/bin/plimsoll, /usr/local/share/man/man1/...
#   ./install.sh "$HOME/.local"
set -eu
prefix=${1:-/usr/local}
here=$(cd "$(dirname "$0")" && pwd)
install -d "$prefix/bin" "$prefix/share/man/man1" \
  "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions" \
  "$prefix/share/fish/vendor_completions.d"
install -m 755 "$here/plimsoll" "$prefix/bin/plimsoll"
for page in "$here"/man/man1/*.1; do
  install -m 644 "$page" "$prefix/share/man/man1/"
done
install -m 644 "$here/completions/plimsoll.bash" "$prefix/share/bash-completion/completions/plimsoll"
install -m 644 "$here/completions/_plimsoll" "$prefix/share/zsh/site-functions/_plimsoll"
install -m 644 "$here/completions/plimsoll.fish" "$prefix/share/fish/vendor_completions.d/plimsoll.fish"
echo "plimsoll installed in $prefix/bin (man pages and bash, zsh and fish completions beside it)"
