#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a downloaded browser); install it when missing.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "==> installing Chromium from Debian's packages for the browser tests"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
echo "==> Chromium ready: $(/usr/bin/chromium --version 2>/dev/null || echo unknown)"
