#!/bin/sh
# export_bench.sh: `make bench`'s export race. 25 frames of 1280x720 PNG for
# a 7x7 one-channel input and a 3x3 kernel (no padding: 5x5 outputs), once
# with `convstep export --frames` and once with bench/matplotlib_frames.py
# (figure with input, kernel, products and output grids, the window
# highlighted, the sum as title, one savefig per position), both as a plain
# script draws it (a new figure per position) and the fast way (--reuse: one
# figure whose artists change). All are timed as whole processes, median of
# 3 runs (convstep: 7, it is short and the machine's noise weighs more), and
# the ratios are printed (target, issue 12: convstep at most 1/30 of the
# plain script's time).
set -u
BUILD=${BUILD:-build}
here=$(cd "$(dirname "$0")" && pwd)
convstep=$(pwd)/$BUILD/convstep
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo
echo "== export: 25 frames of 1280x720 PNG, 7x7 input, 3x3 kernel"
python=""
for p in python3 /usr/bin/python3; do
    if "$p" -c "import matplotlib, numpy" >/dev/null 2>&1; then python=$p; break; fi
done
if [ -z "$python" ]; then
    echo "skipped: no python3 here can import matplotlib (Debian: apt-get install python3-matplotlib)"
    exit 0
fi
"$python" - "$tmp" <<'PY' || exit 1
import sys, numpy as np
rng = np.random.default_rng(7)
np.save(sys.argv[1] + "/in7.npy", rng.integers(0, 10, (1, 7, 7)).astype(np.float32))
np.save(sys.argv[1] + "/k3.npy", np.array([[[[1, 0, -1], [2, 0, -2], [1, 0, -1]]]], np.float32))
PY

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# median_ms RUNS NAME COMMAND...: runs COMMAND RUNS times (output folder
# emptied first), prints the median wall time in ms.
median_ms() {
    runs=$1; name=$2; shift 2
    for run in $(seq "$runs"); do
        rm -rf "$tmp/out-$name"
        t0=$(now_ms)
        "$@" >/dev/null 2>"$tmp/err" || { echo "$name failed: $(head -c 300 "$tmp/err")" >&2; return 1; }
        t1=$(now_ms)
        echo $((t1 - t0))
    done | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

c_ms=$(median_ms 7 convstep "$convstep" export -i "$tmp/in7.npy" --kernel "$tmp/k3.npy" --size 1280x720 \
    --frames "$tmp/out-convstep" --quiet) || exit 1
c_frames=$(ls "$tmp/out-convstep" | wc -l)
m_ms=$(median_ms 3 matplotlib "$python" "$here/matplotlib_frames.py" "$tmp/in7.npy" "$tmp/k3.npy" \
    "$tmp/out-matplotlib") || exit 1
m_frames=$(ls "$tmp/out-matplotlib" | wc -l)
r_ms=$(median_ms 3 matplotlib-reuse "$python" "$here/matplotlib_frames.py" --reuse "$tmp/in7.npy" \
    "$tmp/k3.npy" "$tmp/out-matplotlib-reuse") || exit 1
r_frames=$(ls "$tmp/out-matplotlib-reuse" | wc -l)
echo "convstep export            $c_ms ms ($c_frames frames)"
echo "matplotlib, plain script   $m_ms ms ($m_frames frames)"
echo "matplotlib, --reuse        $r_ms ms ($r_frames frames)"
awk -v c="$c_ms" -v m="$m_ms" -v r="$r_ms" 'BEGIN {
    printf "ratio, plain script        1/%.1f (convstep time / matplotlib time; target 1/30 or better)\n", m / c
    printf "ratio, --reuse             1/%.1f\n", r / c }'
