#!/bin/sh
# Joins the frames of a zoom movie (mandelfarm-master --movie N -o PATTERN)
# into an MP4 with Debian's ffmpeg: H.264 (libx264), yuv420p so that every
# player shows it, 30 frames per second unless told otherwise.
#
#   scripts/make-movie.sh [options] PATTERN OUT.mp4
#
#   PATTERN          the frames, as -o named them: e.g. 'frames/f%05d.png'
#                    (quote it); they are numbered from 0 (--start otherwise)
#   OUT.mp4          the movie; written beside under a temporary name and
#                    renamed into place when ffmpeg has finished
#   --fps N          frames per second (default 30: 1200 frames, 40 s)
#   --crf N          H.264 quality, 0 (lossless) to 51 (default 18: visually
#                    lossless for these images)
#   --start N        the first frame's number (default 0)
#   --force          replace OUT.mp4 if it exists
#   -h, --help       this help
#
# An odd width or height is padded by one pixel (yuv420p needs even ones).
# Exit status: 0 done, 2 usage error, 1 any other failure (nothing written).
set -eu

me=make-movie.sh
usage () { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
fail () { echo "$me: $1" >&2; exit "${2:-1}"; }

fps=30
crf=18
start=0
force=0
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --fps|--crf|--start)
            [ $# -ge 2 ] || fail "$1 needs a value; see --help" 2
            case "$2" in
                ''|*[!0-9]*) fail "$1: '$2' is not allowed; use a whole number" 2 ;;
            esac
            case "$1" in
                --fps) if [ "$2" -lt 1 ] || [ "$2" -gt 240 ]; then
                           fail "--fps: '$2' is not allowed; use 1 to 240" 2
                       fi
                       fps=$2 ;;
                --crf) [ "$2" -le 51 ] || fail "--crf: '$2' is not allowed; use 0 to 51" 2
                       crf=$2 ;;
                --start) start=$2 ;;
            esac
            shift 2 ;;
        --force) force=1; shift ;;
        -*) fail "unknown option '$1'; see --help" 2 ;;
        *) break ;;
    esac
done
[ $# -eq 2 ] || fail "give the frames' PATTERN and OUT.mp4, e.g. $me 'frames/f%05d.png' zoom.mp4; see --help" 2
pattern=$1
out=$2

# The pattern is the one -o took: exactly one integer conversion.
conversions=$(printf '%s' "$pattern" | sed 's/%%//g' | grep -o '%0\{0,1\}[0-9]\{0,3\}[diu]' | wc -l)
others=$(printf '%s' "$pattern" | sed 's/%%//g; s/%0\{0,1\}[0-9]\{0,3\}[diu]//g' | tr -cd '%' | wc -c)
if [ "$conversions" -ne 1 ] || [ "$others" -ne 0 ]; then
    fail "'$pattern' is not a frame pattern; give the -o of the movie, with exactly one %d (or %05d, ...), e.g. 'frames/f%05d.png'" 2
fi
case "$out" in
    *.mp4) ;;
    *) fail "'$out': the movie's name must end in .mp4" 2 ;;
esac
[ "$force" -eq 1 ] || [ ! -e "$out" ] || fail "'$out' exists; give --force to replace it, or another name" 2

command -v ffmpeg >/dev/null 2>&1 \
    || fail "ffmpeg is not installed; install it with scripts/install-deps.sh (or apt-get install ffmpeg)"
# shellcheck disable=SC2059
first=$(printf "$pattern" "$start")
[ -f "$first" ] || fail "no frame '$first' (the first of '$pattern'); render the movie first, or give --start"
count=0
n=$start
# shellcheck disable=SC2059
while [ -f "$(printf "$pattern" "$n")" ]; do
    count=$((count + 1))
    n=$((n + 1))
done

dir=$(dirname "$out")
if [ ! -d "$dir" ] || [ ! -w "$dir" ]; then
    fail "'$dir' is not a writable directory for '$out'"
fi
tmp="$out.part"
log=$(mktemp)
trap 'rm -f "$tmp" "$log"' EXIT INT TERM
if ! ffmpeg -nostdin -hide_banner -loglevel error -y -framerate "$fps" \
        -start_number "$start" -i "$pattern" \
        -vf 'pad=ceil(iw/2)*2:ceil(ih/2)*2' -c:v libx264 -preset medium -crf "$crf" \
        -pix_fmt yuv420p -movflags +faststart -f mp4 "$tmp" 2>"$log"; then
    fail "ffmpeg failed: $(tail -n 1 "$log")"
fi
mv -f "$tmp" "$out"
echo "$me: wrote $out: $count frames at $fps frames per second ($(( (count + fps - 1) / fps )) s)"
