#!/bin/sh
# PNG screenshot of a Flower page with headless Chromium (Debian's `chromium` package).
#   INFERQ_FLOWER_BASIC_AUTH=ops:secret ops/screenshot_flower.sh [URL] [OUT.png]
# URL defaults to http://127.0.0.1:5555/tasks, OUT to flower-tasks.png. The credential is put
# into the URL Chromium opens (so it is in Chromium's argv while it runs: use it on your own machine).
set -eu
url="${1:-http://127.0.0.1:5555/tasks}"
out="${2:-flower-tasks.png}"
if [ -n "${INFERQ_FLOWER_BASIC_AUTH:-}" ]; then
  url="$(printf '%s' "$url" | sed "s#^\(https\{0,1\}://\)#\1${INFERQ_FLOWER_BASIC_AUTH}@#")"
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1400,900 \
  --virtual-time-budget=5000 --screenshot="$out" "$url" 2>/dev/null
test -s "$out"
echo "$out"
