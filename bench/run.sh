#!/bin/sh
# run.sh: `make bench`. Runs `convstep bench` (every figure), then, when a
# python3 that can import torch is found, the same layers in PyTorch on one
# thread: the 3x512x512 conv of conv_ms (bench/torch_conv.py) and the ten
# layer shapes of issue 12 (bench/torch_shapes.py, the shape_*_ms rows),
# and prints the table of both with their ratios and geometric mean; then
# train's two convolutions forward and backward (bench/torch_train_conv.py,
# the train_conv*_ms rows) beside convstep's, and
# one epoch of `convstep train`'s default recipe against PyTorch's
# (bench/torch_train.py), on one thread and on all, with the test accuracy
# of both and PyTorch's score of the weights convstep saved.
set -u
BUILD=${BUILD:-build}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
torch_out=$(mktemp)
trap 'rm -f "$out" "$out.rounds" "$torch_out"' EXIT

echo "== convstep bench (one thread)"
"$BUILD/convstep" bench | tee "$out" || exit 1
conv_ms=$(awk '$1 == "conv_ms" { print $2 }' "$out")

echo
echo "== PyTorch, same layers, torch.set_num_threads(1)"
python=""
for p in python3 /usr/bin/python3; do
    if "$p" -c "import torch" >/dev/null 2>&1; then python=$p; break; fi
done
if [ -z "$python" ]; then
    echo "skipped: no python3 here can import torch (Debian: apt-get install python3-torch)"
    exit 0
fi
torch_ms=$("$python" "$here/torch_conv.py" | awk '$1 == "torch_conv_ms" { print $2 }')
if [ -n "$torch_ms" ] && [ -n "$conv_ms" ]; then
    echo "convstep conv_ms  $conv_ms"
    echo "PyTorch conv_ms   $torch_ms"
    awk -v c="$conv_ms" -v t="$torch_ms" 'BEGIN {
        printf "ratio             %.2f (convstep time / PyTorch time; target <= 1)\n", c / t }'
fi

echo
echo "== the ten layer shapes (issue 12): ms on the thread CPU clock, one thread"
# Rounds alternate convstep and PyTorch, so a change in the machine's load
# (other processes) falls on both sides; each side's figure per round is
# its median of many runs, and the table takes the median over the rounds.
rounds=${SHAPE_ROUNDS:-3}
shapes=$(awk '$1 ~ /^shape_.*_ms$/ { print $1 }' "$out")
: >"$out.rounds"
r=0
while [ "$r" -lt "$rounds" ]; do
    # shellcheck disable=SC2086
    "$BUILD/convstep" bench $shapes >>"$out.rounds" || exit 1
    "$python" "$here/torch_shapes.py" >>"$torch_out" || { echo "skipped: torch_shapes.py failed"; exit 0; }
    r=$((r + 1))
done
awk -v rounds="$rounds" '
    function median(list,    a, m, i, j, t) {
        m = split(list, a, " ")
        for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    FNR == NR { if ($1 ~ /^torch_shape_/) { k = $1; sub(/^torch_shape_/, "", k); sub(/_ms$/, "", k); torch[k] = torch[k] " " $2 }; next }
    $1 ~ /^shape_.*_ms$/ { k = $1; sub(/^shape_/, "", k); sub(/_ms$/, "", k); if (!(k in ours)) order[++n] = k; ours[k] = ours[k] " " $2 }
    END {
        printf "%-12s %10s %10s %7s\n", "layer", "convstep", "PyTorch", "ratio"
        logsum = 0; m = 0; worst = 0
        for (i = 1; i <= n; i++) {
            k = order[i]
            if (!(k in torch)) { printf "%-12s %10s %10s %7s\n", k, "-", "-", "-"; continue }
            c = median(ours[k]); t = median(torch[k])
            if (c <= 0 || t <= 0) { printf "%-12s %10s %10s %7s\n", k, c, t, "-"; continue }
            r = c / t; logsum += log(r); m++
            if (r > worst) worst = r
            printf "%-12s %10.3f %10.3f %7.2f\n", k, c, t, r
        }
        if (m > 0)
            printf "geometric mean of the ratios %.2f over %d shapes, worst %.2f, medians of %d alternating rounds\n(targets: mean <= 0.5, every shape <= 1.0)\n",
                   exp(logsum / m), m, worst, rounds
    }' "$torch_out" "$out.rounds"
rm -f "$out.rounds"

echo
echo "== train's two convolutions, forward + backward of a batch of 64 (issue 11), one thread"
if "$python" "$here/torch_train_conv.py" >"$torch_out"; then
    awk 'FNR == NR { t[$1] = $2; next }
         $1 == "train_conv1_ms" || $1 == "train_conv2_ms" {
             k = "torch_" $1
             if (k in t) printf "%-16s convstep %7.3f ms   PyTorch %7.3f ms   ratio %.2f (target <= 1)\n", $1, $2, t[k], $2 / t[k]
         }' "$torch_out" "$out"
else
    echo "skipped: torch_train_conv.py failed"
fi

echo
echo "== training: one epoch of the default recipe (issue 11)"
data=/usr/share/datasets/fashion-mnist
if [ ! -d "$data" ]; then
    echo "skipped: $data is missing (Debian: apt-get install dataset-fashion-mnist)"
    exit 0
fi
saved=$(mktemp -u).safetensors
for threads in 1 0; do
    label=$([ "$threads" = 1 ] && echo "one thread" || echo "every CPU")
    if [ "$threads" = 1 ]; then
        "$BUILD/convstep" train --threads 1 --json --quiet --save "$saved" | tail -n 1 >"$out" || exit 1
    else
        "$BUILD/convstep" train --json --quiet | tail -n 1 >"$out" || exit 1
    fi
    ours=$(sed -n 's/.*"images_per_s": \([0-9.e+]*\).*/\1/p' "$out")
    acc=$(sed -n 's/.*"test_accuracy": \([0-9.e+]*\).*/\1/p' "$out")
    "$python" "$here/torch_train.py" --threads "$([ "$threads" = 1 ] && echo 1 || nproc)" >"$torch_out" || exit 1
    theirs=$(awk '$1 == "torch_train_images_per_s" { print $2 }' "$torch_out")
    tacc=$(awk '$1 == "torch_train_test_accuracy" { print $2 }' "$torch_out")
    awk -v l="$label" -v c="$ours" -v t="$theirs" -v a="$acc" -v b="$tacc" 'BEGIN {
        printf "%-10s convstep %8.0f images/s (test accuracy %.4f), PyTorch %8.0f images/s (%.4f): %.2fx\n", l, c, a, t, b, c / t }'
done
score=$("$python" "$here/torch_train.py" --score "$saved" | awk '{ print $2 }')
echo "PyTorch's load_state_dict(strict=True) of convstep's one-thread weights scores $score on the test images"
rm -f "$saved"
