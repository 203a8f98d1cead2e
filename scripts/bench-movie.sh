#!/bin/sh
# The movie part of `make bench` (never part of `make test`): a zoom movie
# farmed frame by frame against the same frames rendered one at a time.
# Writes bench-results/movie.json (and movie.txt, the lines as printed).
#
#   movie:   mandelfarm-master -j 2 --movie N from 3.5 down to the e50
#            location of bench/deep_views.txt (zoom 1e50, 263010
#            iterations), whole process, start to exit: one reference
#            orbit at the target, shipped once, several frames in flight;
#   singles: each of its frames rendered again as a separate process,
#            mandelfarm-master -j 2 --from FRAME (its own start, its own
#            farm, the reference orbit computed again for every deep
#            frame, the workers idle at each frame's end), summed;
#   ratio:   singles / movie, in wall time, and in CPU time (user +
#            system of the master and its workers, from /usr/bin/time):
#            the CPU ratio suffers less from other processes on a shared
#            machine. Every single render is also compared with its frame,
#            byte for byte (a mismatch fails the bench).
#
# BENCH_MOVIE_FRAMES (default 120) and BENCH_MOVIE_SIZE (default 640x360)
# make it smaller on a slow machine; the part says what it ran.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/bin"
OUT="$ROOT/bench-results"
FRAMES=${BENCH_MOVIE_FRAMES:-120}
SIZE=${BENCH_MOVIE_SIZE:-640x360}
VIEWS_FILE="$ROOT/bench/deep_views.txt"
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now_ns () {
    date +%s%N
}

# cpu FILE COMMAND...: runs COMMAND, adding its CPU seconds (user + system,
# children included) to FILE's number
cpu () {
    file=$1
    shift
    /usr/bin/time -f '%U %S' -o "$tmp/cpu" "$@"
    awk '{ printf "%.3f", $1 + $2 }' "$tmp/cpu" > "$tmp/cpu.now"
    awk -v a="$(cat "$file")" -v b="$(cat "$tmp/cpu.now")" 'BEGIN { printf "%.3f", a + b }' \
        > "$file.new"
    mv "$file.new" "$file"
}

# seconds START_NS END_NS
seconds () {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}

line=$(grep "^e50|" "$VIEWS_FILE") || { echo "bench-movie: no e50 in $VIEWS_FILE" >&2; exit 2; }
center=$(printf '%s' "$line" | cut -d'|' -f2)
zoom=$(printf '%s' "$line" | cut -d'|' -f3)
zoom=${zoom#zoom=}
iter=$(printf '%s' "$line" | cut -d'|' -f4)

txt="$OUT/movie.txt"
: > "$txt"
say () {
    # shellcheck disable=SC2059
    printf "$@" | tee -a "$txt"
}

command="mandelfarm-master -j 2 --size $SIZE --center E50 --zoom $zoom --iter $iter --movie $FRAMES -o f%04d.png"
say '== a movie of %s frames at %s from 3.5 down to e50 (zoom %s, %s iterations), -j 2\n' \
    "$FRAMES" "$SIZE" "$zoom" "$iter"
[ -x /usr/bin/time ] || { echo "bench-movie: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
echo 0 > "$tmp/movie.cpu"
echo 0 > "$tmp/singles.cpu"
start=$(now_ns)
cpu "$tmp/movie.cpu" "$BIN/mandelfarm-master" -j 2 --size "$SIZE" --center "$center" \
    --zoom "$zoom" --iter "$iter" --movie "$FRAMES" -o "$tmp/f%04d.png" \
    --stats "$tmp/movie.json" --quiet
end=$(now_ns)
movie=$(seconds "$start" "$end")
movie_cpu=$(cat "$tmp/movie.cpu")
references=$(sed -n 's/.*"references": \([0-9]*\).*/\1/p' "$tmp/movie.json")
say 'movie:   %8s s wall, %8s s CPU  (%s reference orbit(s) computed)\n' "$movie" \
    "$movie_cpu" "$references"

total=0
deep=0
n=0
while [ "$n" -lt "$FRAMES" ]; do
    frame=$(printf "$tmp/f%04d.png" "$n")
    grep -q Reference "$frame" && deep=$((deep + 1))
    start=$(now_ns)
    cpu "$tmp/singles.cpu" "$BIN/mandelfarm-master" -j 2 --from "$frame" \
        -o "$tmp/single.png" --quiet
    end=$(now_ns)
    cmp -s "$frame" "$tmp/single.png" || { echo "bench-movie: frame $n differs from its single render" >&2; exit 1; }
    total=$(awk -v a="$total" -v b="$(seconds "$start" "$end")" 'BEGIN { printf "%.3f", a + b }')
    n=$((n + 1))
done
singles_cpu=$(cat "$tmp/singles.cpu")
ratio=$(awk -v a="$total" -v b="$movie" 'BEGIN { printf "%.2f", a / b }')
ratio_cpu=$(awk -v a="$singles_cpu" -v b="$movie_cpu" 'BEGIN { printf "%.2f", a / b }')
say 'singles: %8s s wall, %8s s CPU  (%s separate renders, %s of them deep; each identical to its frame)\n' \
    "$total" "$singles_cpu" "$FRAMES" "$deep"
say 'ratio:   %8s wall, %8s CPU  (singles / movie)\n' "$ratio" "$ratio_cpu"

cat > "$OUT/movie.json" <<EOF
{
  "command": "$command",
  "frames": $FRAMES, "size": "$SIZE", "zoom": "$zoom", "iterations": $iter,
  "deep_frames": $deep, "references": $references,
  "movie_seconds": $movie, "singles_seconds": $total, "ratio": $ratio,
  "movie_cpu_seconds": $movie_cpu, "singles_cpu_seconds": $singles_cpu, "ratio_cpu": $ratio_cpu
}
EOF
