#!/usr/bin/env bash
# The system packages the test suite needs (Debian/Ubuntu), installed when missing:
#   chromium, chromium-driver   the web view's browser tests (headless Chromium through Selenium)
#   fonts-wqy-zenhei            a CJK font for those tests' screenshots
#   redis-server                the queue tests kill and restart a private redis-server
# `make test` and .ci/run call it. Nothing happens when all are present; otherwise one
# `apt-get update`, then one `apt-get install` of the missing packages (as root, or through sudo).
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
fc-list 2>/dev/null | grep -qi "wenquanyi zen hei" || missing+=(fonts-wqy-zenhei)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: missing ${missing[*]}; install them with your system's package manager" >&2
    exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
