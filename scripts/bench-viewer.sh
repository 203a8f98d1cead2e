#!/bin/sh
# Measures the live viewer (issue 3): for the default view at 1920x1080,
#   start -> first pixels, complete preview, complete frame;
#   wheel zoom -> first frame shown (the old picture, moved), first new
#   pixels, complete preview, complete frame.
# Then the viewer at depth (issue 9): at 1280x720 on the path to the e318
# location (tests/deep_locations.h), views of width 1e-60 and 1e-300: one
# wheel notch -> first new pixels shown (the preview from the orbit kept
# from the view before), the reference orbit of the new view computed,
# the complete frame. BENCH_VIEWER_DEPTHS="1e-60 1e-300" and
# BENCH_VIEWER_DEEP_ITER=20000 choose them; BENCH_VIEWER_DEPTHS= skips it.
# Times come from the viewer's own trace (msecs since mf_viewer_run began,
# so process start-up before main is not counted); each figure is the
# minimum (and the median) over RUNS runs, since other work shares the CPU.
#
#   scripts/bench-viewer.sh [RUNS] [extra master options...]
#   BENCH_VIEWER_SHALLOW=0 scripts/bench-viewer.sh 1     (the depth part only)
#   make bench-viewer
#
# Without a display it uses SDL's offscreen driver (no window is shown,
# everything else is the same).
set -eu
runs=${1:-5}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")/.." && pwd)
master="$here/bin/mandelfarm-master"
[ -x "$master" ] || { echo "bench-viewer: build first (make)" >&2; exit 2; }
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${SDL_VIDEODRIVER:-}" ]; then
    export SDL_VIDEODRIVER=offscreen
fi
tmp=$(mktemp -d /tmp/mf-bench-viewer-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

out="$here/bench-results"
mkdir -p "$out"
if [ "${BENCH_VIEWER_SHALLOW:-1}" != 0 ]; then
# Zoom at the pixel of -0.75+0.1i in the default view, the seahorse valley.
cat > "$tmp/script" <<SCRIPT
trace $tmp/trace
wait
sleep 300
zoom 960 485
wait
quit
SCRIPT

run=1
while [ "$run" -le "$runs" ]; do
    "$master" --size 1920x1080 --script "$tmp/script" "$@" >/dev/null 2>"$tmp/err" || {
        echo "bench-viewer: the viewer failed:" >&2; cat "$tmp/err" >&2; exit 1; }
    # One line of figures per run, msecs.
    awk '
        $2 == "window" { renderer = $4 }
        $2 == "view" && $3 == 1 { size = $7 "/" renderer }
        $2 == "present" && $3 == 1 && ($4 > 0 || $5 > 0) && !first1 { first1 = $1 }
        $2 == "preview-complete" && $3 == 1 { prev1 = $1 }
        $2 == "complete" && $3 == 1 { done1 = $1 }
        $2 == "input" && $3 == "zoom" { zoom = $1 }
        $2 == "present" && $3 == 2 && !shown2 { shown2 = $1 }
        $2 == "present" && $3 == 2 && ($4 > 0 || $5 > 0) && !first2 { first2 = $1 }
        $2 == "preview-complete" && $3 == 2 { prev2 = $1 }
        $2 == "complete" && $3 == 2 { done2 = $1 }
        END {
            printf "%s %.1f %.1f %.1f %.1f %.1f %.1f %.1f\n", size, first1, prev1, done1,
                   shown2 - zoom, first2 - zoom, prev2 - zoom, done2 - zoom
        }' "$tmp/trace" >> "$tmp/figures"
    run=$((run + 1))
done

size=$(awk 'NR == 1 { split ($1, a, "/"); print a[1] }' "$tmp/figures")
renderer=$(awk 'NR == 1 { split ($1, a, "/"); print a[2] }' "$tmp/figures")
echo "viewer, default view at $size, $runs runs ($(nproc) CPUs, video ${SDL_VIDEODRIVER:-default}, renderer $renderer); msecs, min / median"
mkdir -p "$out"
json="$out/viewer.json.tmp"
printf '{ "size": "%s", "runs": %s, "video": "%s", "renderer": "%s"' \
    "$size" "$runs" "${SDL_VIDEODRIVER:-default}" "$renderer" > "$json"
for column in 2 3 4 5 6 7 8; do
    case $column in
        2) label="start -> first pixels shown"; key=start_first_pixels ;;
        3) label="start -> preview complete"; key=start_preview_complete ;;
        4) label="start -> frame complete"; key=start_frame_complete ;;
        5) label="wheel zoom -> first frame shown (old picture moved)"; key=zoom_first_frame ;;
        6) label="wheel zoom -> first new pixels shown"; key=zoom_first_new_pixels ;;
        7) label="wheel zoom -> preview complete"; key=zoom_preview_complete ;;
        8) label="wheel zoom -> frame complete"; key=zoom_frame_complete ;;
    esac
    figures=$(cut -d' ' -f$column "$tmp/figures" | sort -n | awk '
        { v[NR] = $1 } END { printf "%.1f %.1f", v[1], v[int((NR + 1) / 2)] }')
    min=${figures% *}
    median=${figures#* }
    printf "  %-52s %8s / %8s\n" "$label" "$min" "$median"
    printf ', "%s_ms": { "min": %s, "median": %s }' "$key" "$min" "$median" >> "$json"
done
printf ' }\n' >> "$json"
mv "$json" "$out/viewer.json"
fi

# ---- the viewer at depth ----------------------------------------------
center=$(sed -n 's/^#define LOC_E318_CENTER "\(.*\)"$/\1/p' "$here/tests/deep_locations.h")
iter=${BENCH_VIEWER_DEEP_ITER:-20000}
depths=${BENCH_VIEWER_DEPTHS-1e-60 1e-300}
[ -n "$depths" ] || exit 0
json="$out/viewer-deep.json.tmp"
printf '{ "size": "1280x720", "runs": %s, "iter": %s, "depths": {' "$runs" "$iter" > "$json"
sep=
echo "viewer at depth, 1280x720 on the path to e318, --iter $iter, $runs runs; one wheel notch at the center, msecs, min / median"
for depth in $depths; do
    cat > "$tmp/deep-script" <<SCRIPT
trace $tmp/deep-trace
wait
sleep 300
zoom 640 360
wait
quit
SCRIPT
    : > "$tmp/deep-figures"
    run=1
    while [ "$run" -le "$runs" ]; do
        "$master" --size 1280x720 --center "$center" --width "$depth" --iter "$iter" \
            --script "$tmp/deep-script" "$@" >/dev/null 2>"$tmp/err" || {
            echo "bench-viewer: the viewer failed at $depth:" >&2; cat "$tmp/err" >&2; exit 1; }
        awk '
            $2 == "input" && $3 == "zoom" { zoom = $1 }
            $2 == "present" && $3 == 2 && ($4 > 0 || $5 > 0) && !first2 { first2 = $1 }
            $2 == "reference" && $3 == 2 && $4 == "done" { ref2 = $1 }
            $2 == "reference" && $3 == 1 && $4 == "done" { ref1 = $1 }
            $2 == "complete" && $3 == 1 { done1 = $1 }
            $2 == "complete" && $3 == 2 { done2 = $1 }
            END {
                printf "%.1f %.1f %.1f %.1f %.1f\n", first2 - zoom, ref2 - zoom, done2 - zoom,
                       ref1, done1
            }' "$tmp/deep-trace" >> "$tmp/deep-figures"
        run=$((run + 1))
    done
    echo "  width $depth:"
    printf '%s "%s": {' "$sep" "$depth" >> "$json"
    sep=,
    inner=
    for column in 4 5 1 2 3; do
        case $column in
            4) label="start -> reference orbit computed"; key=start_reference ;;
            5) label="start -> frame complete"; key=start_frame_complete ;;
            1) label="wheel notch -> first new pixels shown"; key=notch_first_new_pixels ;;
            2) label="wheel notch -> its reference orbit computed"; key=notch_reference ;;
            3) label="wheel notch -> frame complete"; key=notch_frame_complete ;;
        esac
        figures=$(cut -d' ' -f$column "$tmp/deep-figures" | sort -n | awk '
            { v[NR] = $1 } END { printf "%.1f %.1f", v[1], v[int((NR + 1) / 2)] }')
        min=${figures% *}
        median=${figures#* }
        printf "    %-50s %8s / %8s\n" "$label" "$min" "$median"
        printf '%s "%s_ms": { "min": %s, "median": %s }' "$inner" "$key" "$min" "$median" >> "$json"
        inner=,
    done
    printf ' }' >> "$json"
done
printf ' } }\n' >> "$json"
mv "$json" "$out/viewer-deep.json"
