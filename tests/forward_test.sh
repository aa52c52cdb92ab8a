#!/bin/sh
# forward_test.sh: `convstep forward` as a user meets it: the fixtures of
# tests/net/ (written once from PyTorch by tests/gen_net_fixtures.py) run
# with their weights file and agree with PyTorch; -o, --dump, --top with
# --labels and --json write what DESIGN.md says; every bad input exits 1 (2
# for usage) with one "convstep:" line and leaves no output file behind.
. "$(dirname "$0")/lib.sh"
NET=$(cd "$(dirname "$0")/net" && pwd)
ASSETS=$(cd "$(dirname "$0")/../assets" && pwd)
cd "$TMP" || exit 1
LC_ALL=C
export LC_ALL

# npy_values FILE: the float32 data of a .npy, one value per line.
npy_values() {
    hl=$(od -A n -t u2 -j 8 -N 2 "$1" | tr -d ' ')
    od -A n -v -t f4 -j $((10 + hl)) "$1" | awk '{ for (i = 1; i <= NF; i++) print $i + 0 }'
}

# npy_shape FILE: the shape text of a .npy header, e.g. "(1, 3, 3)".
npy_shape() {
    head -c 128 "$1" | sed -n "s/.*'shape': \(([0-9, ]*)\).*/\1/p"
}

# expect_close NAME GOT.npy WANT.npy: same count, every value within 1e-4 of
# WANT's largest magnitude.
expect_close() {
    npy_values "$2" >"$TMP/got.txt" 2>/dev/null
    npy_values "$3" >"$TMP/want.txt"
    if paste "$TMP/got.txt" "$TMP/want.txt" | awk '
            { if ($2 == "") exit 1; g[NR] = $1; w[NR] = $2; a = $2 < 0 ? -$2 : $2; if (a > m) m = a }
            END { if (NR == 0) exit 1
                  for (i = 1; i <= NR; i++) { d = g[i] - w[i]; if (d < 0) d = -d; if (d > 1e-4 * m) exit 1 } }' &&
       [ "$(wc -l <"$TMP/got.txt")" -eq "$(wc -l <"$TMP/want.txt")" ]; then
        ok "$1"
    else
        not_ok "$1" "got [$(head -c 200 "$TMP/got.txt" | tr '\n' ' ')], wanted [$(head -c 200 "$TMP/want.txt" | tr '\n' ' ')]"
    fi
}

expect_text() {
    if grep -qE -- "$2" "$3"; then ok "$1"; else not_ok "$1" "no line matches /$2/ in: $(head -c 400 "$3")"; fi
}

expect_absent() {
    if [ -e "$2" ]; then not_ok "$1" "$2 was left behind"; else ok "$1"; fi
}

F="$CONVSTEP forward"

# ---- happy paths ----

expect_status "lenet with the default initialisation" 0 \
    $F --layers @"$NET/lenet/model.txt" -i "$NET/lenet/input.npy" --seed 3
expect_text "the table names every layer by its state_dict name" '^ +12  11 +10 .*nn\.Linear\(84, 10\)' "$TMP/out"
expect_text "the table says where the weights came from" 'default initialisation, seed 3' "$TMP/out"

$F --layers @"$NET/lenet/model.txt" -i "$NET/lenet/input.npy" --seed 3 >"$TMP/again" 2>&1
if cmp -s "$TMP/out" "$TMP/again"; then ok "the same seed gives the same numbers"; else not_ok "same seed" "outputs differ"; fi

expect_status "a safetensors state dict" 0 \
    $F --layers @"$NET/depthwise/model.txt" -i "$NET/depthwise/input.npy" \
    --weights "$NET/depthwise/weights.safetensors" -o dw.npy
expect_close "safetensors: the output is PyTorch's" dw.npy "$NET/depthwise/10.npy"
if [ "$(npy_shape dw.npy)" = "(5,)" ]; then ok "-o writes a vector as (N,)"; else not_ok "-o vector" "shape $(npy_shape dw.npy)"; fi

expect_status "an .npz state dict of a printed model" 0 \
    $F --layers @"$NET/nested/model.txt" -i "$NET/nested/input.npy" --weights "$NET/nested/weights.npz" \
    --dump dump
expect_close "npz: the last layer is PyTorch's" dump/15-classifier.5.npy "$NET/nested/15.npy"
expect_close "npz: a middle layer is PyTorch's" dump/05-features.3.npy "$NET/nested/05.npy"
if [ "$(ls dump | wc -l)" -eq 15 ] && [ -f dump/01-features.0.npy ] && [ -f dump/03-features.2.0.npy ] &&
   [ -f dump/09-pool.npy ]; then ok "--dump writes NN-NAME.npy for every layer"
else not_ok "--dump names" "$(ls dump | tr '\n' ' ')"; fi
if [ "$(npy_shape dump/05-features.3.npy)" = "(4, 16, 16)" ]; then ok "--dump writes maps as (C, H, W)"
else not_ok "--dump map shape" "$(npy_shape dump/05-features.3.npy)"; fi

expect_status "the VGG block with its weights" 0 \
    $F --layers @"$NET/vgg_block/model.txt" -i "$NET/vgg_block/input.npy" \
    --weights "$NET/vgg_block/weights.safetensors" -o vgg.npy
expect_close "VGG block: the softmax is PyTorch's" vgg.npy "$NET/vgg_block/12.npy"

printf 'zero\none\ntwo\nthree\nfour\n' >labels.txt
expect_status "--top with --labels" 0 \
    $F --layers @"$NET/depthwise/model.txt" -i "$NET/depthwise/input.npy" \
    --weights "$NET/depthwise/weights.npz" --top 2 --labels labels.txt
expect_text "--top prints the classes with their labels" '^  1 +[0-9.]+%  [0-9]  (zero|one|two|three|four)$' "$TMP/out"

expect_status "--json" 0 $F --layers @"$NET/lenet/model.txt" -i "$NET/lenet/input.npy" --json --top 1
expect_text "--json: one object with the input, the layers and the top class" \
    '^\{"input": \[1, 28, 28\], "weights": ' "$TMP/out"
expect_text "--json: a layer" '"name": "7", "layer": "nn.Linear\(16 \* 5 \* 5, 120\)", "type": "Linear", "output": \[120\]' "$TMP/out"
expect_text "--json: the top class" '"top": \[\{"index": [0-9], "probability": ' "$TMP/out"

expect_status "an image, resized and normalised" 0 \
    $F --layers @"$NET/vgg_block/model.txt" -i "$ASSETS/default.png" --input-size 20,20 --normalize imagenet
expect_text "the resized input" '^input 3x20x20' "$TMP/out"
expect_status "--normalize M/S" 0 \
    $F --layers @"$NET/vgg_block/model.txt" -i "$ASSETS/default.png" --input-size 20 --normalize 0.5,0.5,0.5/0.2,0.2,0.2

expect_status "AlexNet's features end in a map" 0 \
    $F --layers @"$NET/alexnet_features/model.txt" -i "$NET/alexnet_features/input.npy" -o alex.npy
if [ "$(npy_shape alex.npy)" = "(256, 1, 1)" ]; then ok "-o writes a map as (C, H, W)"; else not_ok "-o map" "$(npy_shape alex.npy)"; fi

# ---- refusals ----

expect_error "usage: no --layers" 2 "--layers" $F -i "$NET/lenet/input.npy"
expect_error "usage: no -i" 2 "-i INPUT" $F --layers 'ReLU()'
expect_error "usage: a bad --normalize" 2 "--normalize must be unit, imagenet or M1,M2,M3/S1,S2,S3" \
    $F --layers 'ReLU()' -i "$NET/lenet/input.npy" --normalize half
expect_error "usage: --labels without --top" 2 "--labels goes with --top" \
    $F --layers 'ReLU()' -i "$NET/lenet/input.npy" --labels labels.txt
expect_error "imagenet needs 3 channels" 1 "--normalize imagenet needs 3 channels, but the input has 1" \
    $F --layers 'ReLU()' -i "$NET/lenet/input.npy" --normalize imagenet
expect_error "channels that do not fit name the layer" 1 \
    "with a 3x7x7 input: layer 1 \(0: nn.Conv2d\(1, 6, kernel_size=5, padding=2\)\): expects 1 input channels, but 3 arrive" \
    $F --layers @"$NET/lenet/model.txt" -i "$ASSETS/default.png" -o none.npy
expect_absent "a failed run writes no -o file" none.npy
expect_error "a weights file of another model names the keys" 1 \
    "weights.npz does not fit the layers: missing 8.weight \(5x16\), 8.bias \(5\); unexpected 0.bias" \
    $F --layers @"$NET/depthwise/model.txt" -i "$NET/depthwise/input.npy" --weights "$NET/vgg_block/weights.npz" \
    -o none.npy --dump nodump
expect_absent "a failed load writes no -o file" none.npy
expect_absent "a failed load makes no --dump folder" nodump
expect_error "--top needs a vector" 1 "--top needs a vector of class scores, but the last layer \(12\) gives a 256x1x1 map" \
    $F --layers @"$NET/alexnet_features/model.txt" -i "$NET/alexnet_features/input.npy" --top 5
printf 'a\nb\n' >few.txt
expect_error "too few labels" 1 "--labels few.txt has 2 labels, but the network gives 10 classes" \
    $F --layers @"$NET/lenet/model.txt" -i "$NET/lenet/input.npy" --top 3 --labels few.txt
expect_error "-o does not replace a file" 1 "dw.npy already exists \(use --force to replace it\)" \
    $F --layers @"$NET/depthwise/model.txt" -i "$NET/depthwise/input.npy" -o dw.npy
expect_close "the refused -o left the file as it was" dw.npy "$NET/depthwise/10.npy"
expect_error "--dump does not replace files" 1 "dump/01-features.0.npy already exists" \
    $F --layers @"$NET/nested/model.txt" -i "$NET/nested/input.npy" --dump dump
expect_close "the refused --dump left the files as they were" dump/15-classifier.5.npy "$NET/nested/15.npy"

printf 'ResNet(\n  (conv1): Conv2d(3, 64, kernel_size=(7, 7))\n  (layer1): Sequential(\n    (0): BasicBlock(\n    )\n  )\n)\n' >resnet.txt
expect_error "a block with branches is refused by name" 1 \
    "resnet.txt: line 4, column 10: BasicBlock is not supported: its forward adds or joins branches.*export the model to ONNX" \
    $F --layers @resnet.txt -i "$ASSETS/default.png"
printf 'import torch.nn as nn\nlayers = []\nmodel = nn.Sequential(*layers)\nprint(model)\n' >star.py
expect_error "nn.Sequential(*layers) asks for the layers written out" 1 \
    "star.py: line 3, column 23: nn.Sequential\(\*...\) builds its layers in code that convstep does not run: write the layers out" \
    $F --layers @star.py -i "$ASSETS/default.png"

# numpy.asarray(PIL.Image.open(f)) is (H, W, 3): never read as H channels
npy_raw hwc.npy "{'descr': '|u1', 'fortran_order': False, 'shape': (8, 6, 3), }"
head -c 144 /dev/zero >>hwc.npy
expect_error "an (H, W, 3) array is refused with the fix" 1 \
    "hwc.npy is shaped 8x6x3, which looks like \(H, W, 3\) pixels; an input must be \(C, H, W\): save it with numpy.save\(f, a.transpose\(2, 0, 1\)\)" \
    $F --layers 'ReLU()' -i hwc.npy

# ---- --threads: the same bytes on one thread and on several ----

# Large enough that every kind of layer is split (direct and Winograd
# convolutions, groups, pools, ReLU, Linear): see tests/test_threads.c.
THREADED='Conv2d(3, 32, 3, padding=1), ReLU(), Conv2d(32, 64, 3, padding=1), ReLU(), MaxPool2d(2), Conv2d(64, 64, 3, padding=1), ReLU(), Conv2d(64, 48, 5, stride=2, padding=2), Conv2d(48, 48, 3, padding=1, groups=48), Conv2d(48, 96, 1), ReLU(), AdaptiveAvgPool2d((4, 4)), Flatten(), Linear(1536, 2000), ReLU(), Linear(2000, 10)'
expect_status "--threads 1" 0 $F --layers "$THREADED" -i "$ASSETS/default.png" --input-size 160,160 \
    --normalize unit --threads 1 -o t1.npy --dump d1
cp out t1.txt
expect_status "--threads 2" 0 $F --layers "$THREADED" -i "$ASSETS/default.png" --input-size 160,160 \
    --normalize unit --threads 2 -o t2.npy --dump d2
if cmp -s t1.npy t2.npy; then ok "--threads 1 and 2 write the same -o bytes"; else not_ok "--threads -o" "files differ"; fi
if diff -r d1 d2 >/dev/null; then ok "--threads 1 and 2 write the same --dump bytes"; else not_ok "--threads --dump" "files differ"; fi
if cmp -s t1.txt out; then ok "--threads 1 and 2 print the same table"; else not_ok "--threads table" "tables differ"; fi
expect_status "the default (every CPU)" 0 $F --layers "$THREADED" -i "$ASSETS/default.png" --input-size 160,160 \
    --normalize unit -o t0.npy
if cmp -s t1.npy t0.npy; then ok "the default writes the same -o bytes"; else not_ok "default threads -o" "files differ"; fi
expect_error "usage: --threads 0" 2 "--threads" $F --layers 'ReLU()' -i "$ASSETS/default.png" --threads 0
