#!/bin/sh
# train_test.sh: `convstep train` as a user meets it: a short run on the
# first thousand Fashion-MNIST images (Debian's dataset-fashion-mnist,
# which scripts/deps.sh installs) whose loss falls, the same weights bit for
# bit from run to run and on one or two threads, a --save file that
# `convstep forward --weights` loads by its state_dict names, and every bad
# input refused with one "convstep:" line, exit 1 (2 for usage), nothing
# left behind.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
LC_ALL=C
export LC_ALL

DATA=/usr/share/datasets/fashion-mnist
T="$CONVSTEP train"

expect_text() {
    if grep -qE -- "$2" "$3"; then ok "$1"; else not_ok "$1" "no line matches /$2/ in: $(head -c 400 "$3")"; fi
}

# json_field FILE KEY: KEY's number in FILE's last line.
json_field() {
    tail -n 1 "$1" | sed -n "s/.*\"$2\": \([-0-9.e+]*\).*/\1/p"
}

# ---- refusals that need no data ----

expect_error "a missing data folder names the Debian package" 1 \
    'nowhere: no such folder \(Debian: apt-get install dataset-fashion-mnist\)' \
    $T --data "$TMP/nowhere" --limit 10
expect_error "an unknown optimiser is a usage error" 2 "--optimizer: expected sgd or adam, got 'rmsprop'" \
    $T --optimizer rmsprop
expect_error "momentum with Adam is a usage error" 2 "--momentum is SGD's" $T --optimizer adam --momentum 0.5
expect_error "a learning rate that is no number" 2 "--lr: expected a number, got 'fast'" $T --lr fast
expect_error "a batch of zero" 2 "--batch" $T --batch 0

mkdir bad
printf '\000\000\010\003\000\000\000\002\000\000\000\034' >bad/train-images-idx3-ubyte
printf '\000\000\010\001\000\000\000\002\000\001' >bad/train-labels-idx1-ubyte
cp bad/train-images-idx3-ubyte bad/t10k-images-idx3-ubyte
cp bad/train-labels-idx1-ubyte bad/t10k-labels-idx1-ubyte
expect_error "a truncated IDX header names the file" 1 'bad/train-images-idx3-ubyte' $T --data bad

if [ ! -d "$DATA" ]; then
    skip "training runs" "$DATA is missing (apt-get install dataset-fashion-mnist)"
    exit 0
fi

# ---- a short run ----

expect_status "1000 images for two epochs" 0 \
    $T --limit 1000 --epochs 2 --batch 32 --seed 5 --threads 1 --json --save one.safetensors
cp "$TMP/out" run.json
first=$(sed -n 1p run.json | sed -n 's/.*"loss": \([-0-9.e+]*\).*/\1/p')
last=$(grep '"epoch": 2' run.json | tail -n 1 | sed -n 's/.*"loss": \([-0-9.e+]*\).*/\1/p')
if awk -v a="$first" -v b="$last" 'BEGIN { exit !(a > 0 && b > 0 && b < 0.8 * a) }'; then
    ok "the loss falls ($first to $last)"
else
    not_ok "the loss falls" "first log point $first, last of epoch 2 $last"
fi
acc=$(json_field run.json test_accuracy)
rate=$(json_field run.json images_per_s)
if awk -v a="$acc" 'BEGIN { exit !(a > 0.3 && a <= 1) }'; then ok "the test accuracy is learned ($acc)"; else not_ok "test accuracy" "$acc"; fi
if awk -v r="$rate" 'BEGIN { exit !(r > 0) }'; then ok "images_per_s is reported"; else not_ok "images_per_s" "'$rate'"; fi
expect_text "the final object counts the images" '"test_images": 1000, "train_images": 1000, "epochs": 2, "steps": 64' run.json

expect_status "the same run on two threads" 0 \
    $T --limit 1000 --epochs 2 --batch 32 --seed 5 --threads 2 --json --save two.safetensors
if cmp -s one.safetensors two.safetensors; then ok "the same weights bit for bit on one thread and two"; else not_ok "threads" "the files differ"; fi
$T --limit 1000 --epochs 2 --batch 32 --seed 6 --threads 1 --json --save six.safetensors >/dev/null 2>&1
if cmp -s one.safetensors six.safetensors; then not_ok "another seed" "gives the same weights"; else ok "another seed gives other weights"; fi

expect_status "the plain output" 0 $T --limit 200 --seed 2 --threads 1
expect_text "a line per epoch" '^epoch 1/1: 4 steps, mean loss [0-9.]+, train accuracy [0-9.]+$' "$TMP/out"
expect_text "the test accuracy line" '^test accuracy 0\.[0-9]+ \([0-9]+ of 200\), test loss [0-9.]+$' "$TMP/out"
expect_text "the speed line" '^[0-9]+ images/s on 1 thread \(' "$TMP/out"

# ---- the saved model ----

npy_raw img.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 28, 28), }"
head -c 3136 /dev/zero >>img.npy
expect_status "forward loads the saved weights by their names" 0 \
    $CONVSTEP forward --layers "Conv2d(1, 8, 3), ReLU(), MaxPool2d(2), Conv2d(8, 16, 3), ReLU(), MaxPool2d(2), Flatten(), Linear(400, 10)" \
    -i img.npy --weights one.safetensors
cp one.safetensors keep.safetensors
expect_error "an existing --save file is refused before training" 1 \
    'one.safetensors already exists \(use --force to replace it\)' $T --limit 50 --save one.safetensors
if cmp -s one.safetensors keep.safetensors; then ok "the existing file is untouched"; else not_ok "existing file" "changed"; fi

# ---- failures after loading ----

expect_error "a network without 10 class scores" 1 'ends in 7, not 10 class scores for 10 labels' \
    $T --limit 50 --layers "Flatten(), Linear(784, 7)"
expect_error "an input the layers do not take" 1 'expects 3 input channels, but 1 arrive' \
    $T --limit 50 --layers "Conv2d(3, 8, 3), Flatten(), Linear(5408, 10)"
expect_error "a learning rate that blows up stops with the last good weights" 1 \
    'the loss is (NaN|infinite) at step [0-9]+: kept the weights of step [0-9]+ \(is the learning rate 1000 too high\?\); nothing saved' \
    $T --limit 1000 --layers "Flatten(), Linear(784, 64), Linear(64, 64), Linear(64, 10)" --lr 1000 --save blown.safetensors
if [ -e blown.safetensors ]; then not_ok "no file after a blow-up" "blown.safetensors exists"; else ok "no file after a blow-up"; fi
