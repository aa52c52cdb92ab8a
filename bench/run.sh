#!/bin/sh
# run.sh: `make bench`. Runs `convstep bench` (every figure), then the same
# convolution in PyTorch on one thread (bench/torch_conv.py) when a python3
# that can import torch is found, and prints both conv figures and their
# ratio.
set -u
BUILD=${BUILD:-build}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "== convstep bench (one thread)"
"$BUILD/convstep" bench | tee "$out" || exit 1
conv_ms=$(awk '$1 == "conv_ms" { print $2 }' "$out")

echo
echo "== PyTorch conv2d, same layer, torch.set_num_threads(1)"
python=""
for p in python3 /usr/bin/python3; do
    if "$p" -c "import torch" >/dev/null 2>&1; then python=$p; break; fi
done
if [ -z "$python" ]; then
    echo "skipped: no python3 here can import torch (Debian: apt-get install python3-torch)"
    exit 0
fi
torch_ms=$("$python" "$here/torch_conv.py" | awk '$1 == "torch_conv_ms" { print $2 }')
if [ -z "$torch_ms" ] || [ -z "$conv_ms" ]; then
    echo "skipped: the PyTorch run gave no figure"
    exit 0
fi
echo "convstep conv_ms  $conv_ms"
echo "PyTorch conv_ms   $torch_ms"
awk -v c="$conv_ms" -v t="$torch_ms" 'BEGIN {
    printf "ratio             %.2f (convstep time / PyTorch time; target <= 1)\n", c / t }'
