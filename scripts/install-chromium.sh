#!/usr/bin/env bash
# Install what the real-browser test needs, from Debian's own packages only:
#   chromium        the headless browser
#   fonts-noto-cjk  so screenshots of Chinese text show glyphs, not boxes
# No browser download of its own (the test machines reach only the package registries).
#
# No-op when `chromium` is already on PATH. Otherwise, as root: apt-get update, then a
# non-interactive apt-get install. Exit 0 on success, non-zero if it cannot install.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    echo "install-chromium: chromium already present at $(command -v chromium) ($(chromium --version 2>/dev/null || echo 'version unknown')); nothing to do"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-chromium: chromium is missing and this is not root; run as root: apt-get install chromium fonts-noto-cjk" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: chromium is missing and apt-get is not available (Debian/Ubuntu only)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-chromium: chromium not found; running apt-get update"
apt-get update -q
echo "install-chromium: installing chromium fonts-noto-cjk"
apt-get install -y -q chromium fonts-noto-cjk

if ! command -v chromium >/dev/null 2>&1; then
    echo "install-chromium: apt-get finished but chromium is still not on PATH" >&2
    exit 1
fi
echo "install-chromium: installed $(chromium --version 2>/dev/null || echo chromium) at $(command -v chromium)"
