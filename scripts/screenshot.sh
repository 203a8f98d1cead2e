#!/bin/sh
# Regenerates docs/screenshot.png, the README's picture of the viewer:
# elephant valley at 960x540, one wheel notch in, with the help overlay.
# It is made by the viewer itself (--script), so it shows exactly what a
# window shows. Without a display it uses SDL's offscreen driver.
#
#   scripts/screenshot.sh          (or: make screenshot)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
[ -x bin/mandelfarm-master ] || { echo "screenshot: build first (make)" >&2; exit 2; }
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${SDL_VIDEODRIVER:-}" ]; then
    export SDL_VIDEODRIVER=offscreen
fi
tmp=$(mktemp -d /tmp/mf-screenshot-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/script" <<SCRIPT
wait
zoom 560 250
wait
key h
screenshot $here/docs/screenshot.png
quit
SCRIPT
bin/mandelfarm-master --size 960x540 --center 0.2925,0.0148 --width 0.06 --iter 1500 \
    --script "$tmp/script"
echo "screenshot: wrote docs/screenshot.png ($(wc -c < docs/screenshot.png) bytes)"
