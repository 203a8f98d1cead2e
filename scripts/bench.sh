#!/bin/sh
# The benchmarks of `make bench` (never part of `make test`). Each part
# writes bench-results/PART.json; `merge` gathers every part there, with
# the machine, into bench-results/bench.json.
#
#   scripts/bench.sh kernel     kernel variants: Giter/s per core, cycles/iteration,
#                               and the master's coloring + PNG (bin/bench_kernel)
#   scripts/bench.sh render     whole renders at 1920x1080 with -j 1 and -j 2, and
#                               XaoS on the same views when it is installed
#   scripts/bench.sh wire       the wire: the candidate encodings of a tile's mu
#                               (bench_rcodec), and the default view rendered by a
#                               -j 0 master and two workers over tcp://127.0.0.1,
#                               results raw and compressed: bytes a pixel, wall time
#   scripts/bench.sh dispatch   the dispatch rate: trivial tiles (--iter 1 --tile 8,
#                               262,144 of them) handed out and taken back, by a -j 2
#                               master and by a -j 0 master with four one-thread
#                               workers over tcp://127.0.0.1: tiles a second, and the
#                               master's own CPU time per tile (the latter)
#   scripts/bench.sh merge      bench-results/bench.json from the parts
#
# BENCH_RUNS=N sets the runs per measurement (default 5; the minimum is
# kept, since other processes only ever add time). Times are wall-clock
# times of whole processes, start to exit, as a user would see them.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/bin"
OUT="$ROOT/bench-results"
RUNS=${BENCH_RUNS:-5}
SIZE_W=1920
SIZE_H=1080
mkdir -p "$OUT"

# The views: name, center, width, iterations. Depths from the whole set to
# a minibrot 2e-10 wide; iterations from 1000 to 20000; one full of
# interior (the cardioid), where shortcuts matter most.
VIEWS="default -0.75,0 3.5 1000
seahorse -0.7453,0.1127 0.01 2000
spiral -0.7436438870371587,0.1318259042053119 1e-4 5000
elephant 0.2925,0.0149 0.008 3000
cardioid -0.5,0 2.5 20000
minibrot -0.7437911560181347,0.1316612922633015 4e-10 20000"

now_ns () {
    date +%s%N
}

# min_time COMMAND...: the shortest of $RUNS runs, in seconds; the output
# of that run is left in $MIN_OUT when set.
min_time () {
    best=""
    i=0
    while [ $i -lt "$RUNS" ]; do
        start=$(now_ns)
        # Each run's output goes to a scratch file of our own ($MIN_OUT.run,
        # or one made for the purpose), never next to /dev/null.
        run_out=${MIN_OUT:+$MIN_OUT.run}
        run_out=${run_out:-$(mktemp /tmp/mf-bench-run-XXXXXX)}
        "$@" >"$run_out" 2>&1 || { echo "bench: failed: $*" >&2; cat "$run_out" >&2; exit 1; }
        [ -n "${MIN_OUT:-}" ] || rm -f "$run_out"
        end=$(now_ns)
        t=$(( end - start ))
        if [ -z "$best" ] || [ $t -lt "$best" ]; then
            best=$t
            [ -z "${MIN_OUT:-}" ] || mv "$MIN_OUT.run" "$MIN_OUT"
        fi
        i=$(( i + 1 ))
    done
    rm -f "${MIN_OUT:-/nonexistent}.run"
    awk -v t="$best" 'BEGIN { printf "%.4f", t / 1e9 }'
}

part_kernel () {
    echo "== kernels"
    "$ROOT/build/bench/bench_kernel" --json "$OUT/kernel.json" | tee "$OUT/kernel.txt"
}

part_render () {
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    have_xaos=0
    if command -v xaos >/dev/null 2>&1; then
        # One tiny render first: XaoS needs Qt's offscreen platform plugin.
        printf '(initstate)\n(formula \047mandel)\n(view -0.75 0 3.5 3.5)\n' > "$tmp/probe.xaf"
        if QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$tmp" xaos -render "$tmp/probe.xaf" \
               -size 16x16 -alwaysrecalc -basename "$tmp/probe" >/dev/null 2>&1; then
            have_xaos=1
        else
            echo "(xaos is installed but does not render headless here: skipped)"
        fi
    fi
    echo "== whole renders, ${SIZE_W}x${SIZE_H}, wall time of the process, min of $RUNS runs"
    echo "(tiles: the master's own render time, job submitted to last tile in, of the"
    echo " fastest -j 2 run; the rest of -j 2 is start-up, stopping workers, PNG, exit)"
    printf '%-9s %6s %11s %9s %9s %9s %9s %9s  %s\n' view iter width "-j 1 s" "-j 2 s" "tiles s" \
        "xaos s" "xaos/-j2" "exact"
    json="$OUT/render.json"
    printf '{\n  "size": "%sx%s", "runs": %s, "views": [' "$SIZE_W" "$SIZE_H" "$RUNS" > "$json"
    sep=""
    echo "$VIEWS" | while read -r name center width iter; do
        common="--size ${SIZE_W}x${SIZE_H} --center $center --width $width --iter $iter"
        # shellcheck disable=SC2086
        j1=$(min_time "$BIN/mandelfarm-master" $common -j 1 -o "$tmp/$name-j1.png")
        # shellcheck disable=SC2086
        j2=$(MIN_OUT="$tmp/summary" min_time "$BIN/mandelfarm-master" $common -j 2 \
             -o "$tmp/$name-j2.png")
        tiles=$(sed -n 's/.* in \([0-9.]*\) s:.*/\1/p' "$tmp/summary" | head -1)
        # Exact: the same bytes whatever the workers and kernels (the
        # bit-identity of every kernel with the reference is `make test`).
        exact=true
        cmp -s "$tmp/$name-j1.png" "$tmp/$name-j2.png" || exact=false
        for kernel in avx2 scalar; do
            if "$BIN/mandelfarm-master" --kernel "$kernel" --help >/dev/null 2>&1 \
            && [ "$kernel" != scalar -o "$iter" -le 2000 ]; then
                # shellcheck disable=SC2086
                "$BIN/mandelfarm-master" $common -j 2 --kernel "$kernel" -o "$tmp/$name-k.png" \
                    >/dev/null 2>&1 && cmp -s "$tmp/$name-j1.png" "$tmp/$name-k.png" || exact=false
            fi
        done
        xaos=""
        ratio=""
        if [ $have_xaos -eq 1 ]; then
            re=${center%,*}
            im=${center#*,}
            height=$(awk -v w="$width" -v W="$SIZE_W" -v H="$SIZE_H" 'BEGIN { printf "%.17g", w * H / W }')
            printf '(initstate)\n(formula \047mandel)\n(maxiter %s)\n(view %s %s %s %s)\n' \
                "$iter" "$re" "$im" "$width" "$height" > "$tmp/$name.xaf"
            xaos=$(QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$tmp" min_time xaos -render \
                   "$tmp/$name.xaf" -size "${SIZE_W}x${SIZE_H}" -alwaysrecalc -threads 2 \
                   -basename "$tmp/xaos-$name")
            ratio=$(awk -v x="$xaos" -v m="$j2" 'BEGIN { printf "%.2f", x / m }')
        fi
        printf '%-9s %6s %11s %9s %9s %9s %9s %9s  %s\n' "$name" "$iter" "$width" "$j1" "$j2" \
            "${tiles:--}" "${xaos:--}" "${ratio:--}" "$exact"
        printf '%s\n    { "view": "%s", "center": "%s", "width": "%s", "maxiter": %s, "j1_s": %s, "j2_s": %s, "j2_tiles_s": %s, "xaos_s": %s, "xaos_over_j2": %s, "exact": %s }' \
            "$sep" "$name" "$center" "$width" "$iter" "$j1" "$j2" "${tiles:-null}" "${xaos:-null}" \
            "${ratio:-null}" "$exact" >> "$json"
        sep=","
    done
    printf '\n  ]\n}\n' >> "$json"
    if ! command -v xaos >/dev/null 2>&1; then
        echo "(xaos is not installed: scripts/install-deps.sh --bench installs it)"
    fi
    # Outside the workers: coloring and PNG (measured by bench_kernel)
    # against the whole -j 2 render of the default view.
    if [ -f "$OUT/kernel.txt" ]; then
        output_ms=$(sed -n 's/^OUTPUT_MS=//p' "$OUT/kernel.txt")
        default_j2=$(awk '/"view": "default"/ { sub(/.*"j2_s": /, ""); sub(/,.*/, ""); print }' "$json")
        if [ -n "$output_ms" ] && [ -n "$default_j2" ]; then
            awk -v o="$output_ms" -v w="$default_j2" 'BEGIN {
                printf "coloring + PNG of the default view: %.1f ms, %.1f %% of its -j 2 wall time\n",
                       o, 100 * o / 1000 / w }'
        fi
    fi
}

# wire_render ENCODING DIR: one render of the default view by a -j 0
# master and two one-thread workers over loopback, the workers' results
# sent as ENCODING (MF_WIRE_ENCODING); prints "SECONDS BYTES_IN PIXELS".
wire_render () {
    enc=$1
    dir=$2
    rm -f "$dir/master.log" "$dir/stats.json"
    start=$(now_ns)
    "$BIN/mandelfarm-master" -j 0 --listen 'tcp://127.0.0.1:*' --size "${SIZE_W}x${SIZE_H}" \
        --stats "$dir/stats.json" -o "$dir/wire-$enc.png" >"$dir/master.log" 2>&1 &
    master=$!
    endpoint=""
    tries=0
    while [ -z "$endpoint" ] && [ $tries -lt 200 ]; do
        endpoint=$(sed -n 's/.*listening on \(tcp:[^ ]*\).*/\1/p' "$dir/master.log" 2>/dev/null | head -1)
        [ -n "$endpoint" ] || sleep 0.05
        tries=$(( tries + 1 ))
    done
    [ -n "$endpoint" ] || { echo "bench: the master did not listen" >&2; kill "$master"; exit 1; }
    MF_WIRE_ENCODING=$enc "$BIN/mandelfarm-worker" --connect "$endpoint" --threads 1 --quiet &
    w1=$!
    MF_WIRE_ENCODING=$enc "$BIN/mandelfarm-worker" --connect "$endpoint" --threads 1 --quiet &
    w2=$!
    wait "$master" || { echo "bench: the $enc render failed" >&2; cat "$dir/master.log" >&2; exit 1; }
    end=$(now_ns)
    kill "$w1" "$w2" 2>/dev/null || true
    wait "$w1" "$w2" 2>/dev/null || true
    bytes=$(sed -n 's/.*"bytes_in": \([0-9]*\).*/\1/p' "$dir/stats.json")
    pixels=$(sed -n 's/.*"pixels": \([0-9]*\),.*/\1/p' "$dir/stats.json" | head -1)
    awk -v t=$(( end - start )) -v b="$bytes" -v p="$pixels" 'BEGIN { printf "%.4f %s %s", t / 1e9, b, p }'
}

part_wire () {
    "$ROOT/build/bench/bench_rcodec" --json "$OUT/rcodec.json" | tee "$OUT/rcodec.txt"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "== the wire: the default view, ${SIZE_W}x${SIZE_H}, a -j 0 master and two one-thread"
    echo "   workers over tcp://127.0.0.1; bytes the master received (--stats bytes_in)"
    echo "   and wall time from the master's start to its exit, min of $RUNS runs"
    printf '%-6s %12s %9s %9s\n' results bytes B/pixel "wall s"
    json="$OUT/wire.json"
    printf '{\n  "view": "default", "size": "%sx%s", "workers": 2, "runs": %s, "encodings": [' \
        "$SIZE_W" "$SIZE_H" "$RUNS" > "$json"
    sep=""
    "$BIN/mandelfarm-master" -j 1 --size "${SIZE_W}x${SIZE_H}" -o "$tmp/ref.png" >/dev/null 2>&1
    for enc in raw zstd; do
        best=""
        i=0
        while [ $i -lt "$RUNS" ]; do
            set -- $(wire_render "$enc" "$tmp")
            if [ -z "$best" ] || awk -v a="$1" -v b="$best" 'BEGIN { exit !(a < b) }'; then
                best=$1
            fi
            bytes=$2
            pixels=$3
            i=$(( i + 1 ))
        done
        exact=true
        cmp -s "$tmp/ref.png" "$tmp/wire-$enc.png" || exact=false
        per_pixel=$(awk -v b="$bytes" -v p="$pixels" 'BEGIN { printf "%.3f", b / p }')
        printf '%-6s %12s %9s %9s  %s\n' "$enc" "$bytes" "$per_pixel" "$best" \
            "$([ $exact = true ] && echo exact || echo DIFFERS)"
        printf '%s\n    { "encoding": "%s", "bytes_in": %s, "pixels": %s, "bytes_per_pixel": %s, "wall_s": %s, "exact": %s }' \
            "$sep" "$enc" "$bytes" "$pixels" "$per_pixel" "$best" "$exact" >> "$json"
        sep=","
    done
    printf '\n  ]\n}\n' >> "$json"
}

DISPATCH_ARGS="--size 4096x4096 --iter 1 --tile 8"
DISPATCH_TILES=262144

# dispatch_remote DIR WORKERS: one render of DISPATCH_ARGS by a -j 0 master
# and WORKERS one-thread workers over loopback; prints "SECONDS CPU_SECONDS",
# the master's render time (--stats seconds) and its own CPU time (user +
# system, by /usr/bin/time: the workers are not its children).
dispatch_remote () {
    dir=$1
    rm -f "$dir/master.log" "$dir/stats.json" "$dir/cpu"
    /usr/bin/time -o "$dir/cpu" -f "%U %S" "$BIN/mandelfarm-master" -j 0 \
        --listen 'tcp://127.0.0.1:*' $DISPATCH_ARGS --stats "$dir/stats.json" \
        -o "$dir/dispatch.png" >"$dir/master.log" 2>&1 &
    master=$!
    endpoint=""
    tries=0
    while [ -z "$endpoint" ] && [ $tries -lt 200 ]; do
        endpoint=$(sed -n 's/.*listening on \(tcp:[^ ]*\).*/\1/p' "$dir/master.log" 2>/dev/null | head -1)
        [ -n "$endpoint" ] || sleep 0.05
        tries=$(( tries + 1 ))
    done
    [ -n "$endpoint" ] || { echo "bench: the master did not listen" >&2; kill "$master"; exit 1; }
    pids=""
    i=0
    while [ $i -lt "$2" ]; do
        "$BIN/mandelfarm-worker" --connect "$endpoint" --threads 1 --quiet &
        pids="$pids $!"
        i=$(( i + 1 ))
    done
    wait "$master" || { echo "bench: the dispatch render failed" >&2; cat "$dir/master.log" >&2; exit 1; }
    kill $pids 2>/dev/null || true
    wait $pids 2>/dev/null || true
    seconds=$(sed -n 's/.*"seconds": \([0-9.]*\).*/\1/p' "$dir/stats.json")
    cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$dir/cpu")
    echo "$seconds $cpu"
}

part_dispatch () {
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "== dispatch: $DISPATCH_ARGS ($DISPATCH_TILES trivial tiles), best of $RUNS runs"
    json="$OUT/dispatch.json"
    best=""
    i=0
    while [ $i -lt "$RUNS" ]; do
        "$BIN/mandelfarm-master" -j 2 $DISPATCH_ARGS -q --stats "$tmp/local.json" \
            -o "$tmp/local.png" >"$tmp/local.log" 2>&1 \
            || { echo "bench: the -j 2 dispatch render failed" >&2; cat "$tmp/local.log" >&2; exit 1; }
        s=$(sed -n 's/.*"seconds": \([0-9.]*\).*/\1/p' "$tmp/local.json")
        if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$s; fi
        i=$(( i + 1 ))
    done
    local_rate=$(awk -v t="$best" -v n=$DISPATCH_TILES 'BEGIN { printf "%.0f", n / t }')
    printf '%-34s %8s s %9s tiles/s\n' "-j 2 (forked, shared memory)" "$best" "$local_rate"
    rbest=""
    rcpu=""
    i=0
    while [ $i -lt "$RUNS" ]; do
        set -- $(dispatch_remote "$tmp" 4)
        if [ -z "$rbest" ] || awk -v a="$1" -v b="$rbest" 'BEGIN { exit !(a < b) }'; then
            rbest=$1
            rcpu=$2
        fi
        i=$(( i + 1 ))
    done
    remote_rate=$(awk -v t="$rbest" -v n=$DISPATCH_TILES 'BEGIN { printf "%.0f", n / t }')
    per_tile=$(awk -v c="$rcpu" -v n=$DISPATCH_TILES 'BEGIN { printf "%.2f", c * 1e6 / n }')
    printf '%-34s %8s s %9s tiles/s, master CPU %s s: %s us a tile\n' \
        "-j 0, 4 workers, tcp://127.0.0.1" "$rbest" "$remote_rate" "$rcpu" "$per_tile"
    printf '{\n  "args": "%s", "tiles": %s, "runs": %s,\n' "$DISPATCH_ARGS" $DISPATCH_TILES "$RUNS" > "$json"
    printf '  "local": { "workers": 2, "seconds": %s, "tiles_per_s": %s },\n' "$best" "$local_rate" >> "$json"
    printf '  "remote": { "workers": 4, "seconds": %s, "tiles_per_s": %s, "master_cpu_s": %s, "master_us_per_tile": %s }\n}\n' \
        "$rbest" "$remote_rate" "$rcpu" "$per_tile" >> "$json"
}

part_merge () {
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
    {
        printf '{\n  "machine": { "cpu": "%s", "cpus": %s, "kernel": "%s", "compiler": "%s" },\n' \
            "${cpu:-unknown}" "$(getconf _NPROCESSORS_ONLN)" "$(uname -sr)" \
            "$(${CC:-cc} --version 2>/dev/null | head -1)"
        printf '  "commit": "%s",\n  "date": "%s"' \
            "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
            "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        for part in "$OUT"/*.json; do
            name=$(basename "$part" .json)
            [ "$name" = bench ] && continue
            printf ',\n  "%s": ' "$name"
            cat "$part"
        done
        printf '}\n'
    } > "$OUT/bench.json.tmp"
    mv "$OUT/bench.json.tmp" "$OUT/bench.json"
    echo "== results in $OUT/bench.json"
}

case "${1:-}" in
    kernel) part_kernel ;;
    render) part_render ;;
    wire) part_wire ;;
    dispatch) part_dispatch ;;
    merge) part_merge ;;
    *) echo "bench.sh: unknown part '${1:-}' (allowed: kernel, render, wire, dispatch, merge)" >&2; exit 2 ;;
esac
