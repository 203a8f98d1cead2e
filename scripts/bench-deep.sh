#!/bin/sh
# The deep part of `make bench` (never part of `make test`): deep views
# through the real master, and Debian's fractalnow on a small one.
# Writes bench-results/deep.json (and deep.txt, the table as printed).
#
# For each view of bench/deep_views.txt named in BENCH_DEEP_VIEWS (default
# below), at 1920x1080 (fs2608 at Fractalshades' 2400x1350):
#   - wall: the master's whole process, start to exit (the reference
#     orbit, its shipping, the tiles, the PNG), as a user sees it;
#   - reference: the MPFR reference orbit's time (--stats);
#   - shipped: orbit bytes on the wire, packed (--stats chunk_bytes), and
#     the orbit's raw size;
#   - BLA: the worker's table build time and size (its log);
#   - Giter/s: the iterations the pixels took, over the wall time.
# The farm is what `-j 2` makes at depth: one worker process with two
# compute threads; here it is started beside the master (-j 0 --listen
# ipc://, mandelfarm-worker -t 2 -v) so that its log says what its BLA
# table cost. One run each (the deepest take minutes).
#
# Then the 1e-28 `line` location at 320x180: `fractalnow -l mp` (MPFR by
# brute force, every pixel computed: -i 1, at the view's precision, two
# threads) and the master (-j 2, the best of three runs) on the same view,
# and the ratio of their times per pixel.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/bin"
OUT="$ROOT/bench-results"
VIEWS_FILE="$ROOT/bench/deep_views.txt"
VIEWS=${BENCH_DEEP_VIEWS:-"line e50 flake e318 e1086 fs2608"}
mkdir -p "$OUT"
tmp=$(mktemp -d)
worker=""
cleanup () {
    [ -z "$worker" ] || kill "$worker" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

now_ns () {
    date +%s%N
}

# seconds START_NS END_NS
seconds () {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}

# field JSON_LINE KEY: a number from a one-line JSON object
field () {
    printf '%s\n' "$1" | sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p"
}

txt="$OUT/deep.txt"
json="$OUT/deep.json"
: > "$txt"
say () {
    printf "$@" | tee -a "$txt"
}

say '== deep views through the master; one worker process of 2 threads (as -j 2 at depth)\n'
say '%-7s %9s %9s %9s %8s %8s %10s %10s %8s %8s %8s\n' view size maxiter points bits \
    "wall s" "ref s" "shipped B" "raw B" "BLA s" "Giter/s"
printf '{\n  "farm": "one mandelfarm-worker, 2 threads", "views": [' > "$json"
sep=""
for name in $VIEWS; do
    line=$(grep "^$name|" "$VIEWS_FILE") || { echo "bench-deep: no view '$name' in $VIEWS_FILE" >&2; exit 2; }
    center=$(printf '%s' "$line" | cut -d'|' -f2)
    span=$(printf '%s' "$line" | cut -d'|' -f3)
    iter=$(printf '%s' "$line" | cut -d'|' -f4)
    size=1920x1080
    [ "$name" != fs2608 ] || size=2400x1350
    case "$span" in
        zoom=*) span_flag="--zoom ${span#zoom=}" ;;
        width=*) span_flag="--width ${span#width=}" ;;
        *) echo "bench-deep: bad span '$span' of $name" >&2; exit 2 ;;
    esac
    rm -f "$tmp/farm"
    "$BIN/mandelfarm-worker" --connect "ipc://$tmp/farm" -t 2 -v > "$tmp/worker.log" 2>&1 &
    worker=$!
    start=$(now_ns)
    # shellcheck disable=SC2086
    "$BIN/mandelfarm-master" --size "$size" --center "$center" $span_flag --iter "$iter" -j 0 \
        --listen "ipc://$tmp/farm" -q --stats "$tmp/stats.json" -o "$tmp/$name.png" \
        > "$tmp/master.log" 2>&1 || { cat "$tmp/master.log" >&2; exit 1; }
    end=$(now_ns)
    kill "$worker" 2>/dev/null || true
    wait "$worker" 2>/dev/null || true
    worker=""
    wall=$(seconds "$start" "$end")
    ref=$(grep '"reference"' "$tmp/stats.json")
    iterations=$(sed -n 's/^  "iterations": \([0-9]*\),/\1/p' "$tmp/stats.json")
    shipped=$(sed -n 's/^  "chunk_bytes": \([0-9]*\),/\1/p' "$tmp/stats.json")
    bla=$(sed -n 's/.*built the BLA table of reference orbit .* in \([0-9]*\) ms (\([0-9.]*\) MB).*/\1 \2/p' \
          "$tmp/worker.log" | head -1)
    bla_s=$(awk -v ms="${bla%% *}" 'BEGIN { printf "%.3f", ms / 1000 }')
    bla_mb=${bla##* }
    giter=$(awk -v i="$iterations" -v t="$wall" 'BEGIN { printf "%.2f", i / t / 1e9 }')
    say '%-7s %9s %9s %9s %8s %8s %10s %10s %8s %8s %8s\n' "$name" "$size" "$iter" \
        "$(field "$ref" points)" "$(field "$ref" precision)" "$wall" "$(field "$ref" seconds)" \
        "$shipped" "$(field "$ref" raw_bytes)" "$bla_s" "$giter"
    printf '%s\n    { "view": "%s", "size": "%s", "maxiter": %s, "points": %s, "precision": %s, "wall_s": %s, "reference_s": %s, "pack_s": %s, "shipped_bytes": %s, "packed_bytes": %s, "raw_bytes": %s, "bla_s": %s, "bla_mb": %s, "iterations": %s, "giter_per_s": %s }' \
        "$sep" "$name" "$size" "$iter" "$(field "$ref" points)" "$(field "$ref" precision)" \
        "$wall" "$(field "$ref" seconds)" "$(field "$ref" pack_seconds)" "$shipped" \
        "$(field "$ref" packed_bytes)" "$(field "$ref" raw_bytes)" "$bla_s" "${bla_mb:-null}" \
        "$iterations" "$giter" >> "$json"
    sep=","
done
printf '\n  ]' >> "$json"

# fractalnow against the master, per pixel, on `line` at 320x180.
line=$(grep '^line|' "$VIEWS_FILE")
center=$(printf '%s' "$line" | cut -d'|' -f2)
zoom=$(printf '%s' "$line" | cut -d'|' -f3)
zoom=${zoom#zoom=}
W=320
H=180
"$BIN/mandelfarm-master" --size ${W}x${H} --center "$center" --zoom "$zoom" --iter 2500 -j 2 \
    -q --stats "$tmp/line.json" -o "$tmp/line.png"
bits=$(field "$(grep '"reference"' "$tmp/line.json")" precision)
best=""
for run in 1 2 3; do
    start=$(now_ns)
    "$BIN/mandelfarm-master" --size ${W}x${H} --center "$center" --zoom "$zoom" --iter 2500 \
        -j 2 -q -o "$tmp/line.png"
    end=$(now_ns)
    t=$(( end - start ))
    if [ -z "$best" ] || [ $t -lt "$best" ]; then best=$t; fi
done
ours=$(awk -v t="$best" 'BEGIN { printf "%.3f", t / 1e9 }')
if command -v fractalnow >/dev/null 2>&1; then
    re=${center%,*}
    im=${center#*,}
    spans=$(awk -v z="$zoom" -v w=$W -v h=$H 'BEGIN { printf "%.20e %.20e", 4 / z * w / h, 4 / z }')
    printf 'c075\nmandelbrot\n%s %s %s\n256 2500\n1\n0x0\niterationcount\nsmooth\nidentity\n0.025 0\n0 0xff 0.25 0xffffff 0.5 0xffff00 0.75 0xff0000 1 0xff\n' \
        "$re" "$im" "$spans" > "$tmp/line.config"
    start=$(now_ns)
    fractalnow -c "$tmp/line.config" -x $W -y $H -l mp -L "$bits" -i 1 -j 2 \
        -o "$tmp/line.ppm" > "$tmp/fractalnow.log" 2>&1 || { cat "$tmp/fractalnow.log" >&2; exit 1; }
    end=$(now_ns)
    theirs=$(seconds "$start" "$end")
    ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "%.0f", a / b }')
    say '== line (1e-28) at %sx%s, 2 threads: fractalnow -l mp -L %s -i 1: %s s; mandelfarm -j 2: %s s; %sx per pixel\n' \
        $W $H "$bits" "$theirs" "$ours" "$ratio"
    printf ',\n  "fractalnow": { "view": "line", "size": "%sx%s", "bits": %s, "fractalnow_s": %s, "master_s": %s, "ratio_per_pixel": %s }' \
        $W $H "$bits" "$theirs" "$ours" "$ratio" >> "$json"
else
    say '(fractalnow is not installed: scripts/install-deps.sh --bench installs it)\n'
    printf ',\n  "fractalnow": null' >> "$json"
fi
printf '\n}\n' >> "$json"
