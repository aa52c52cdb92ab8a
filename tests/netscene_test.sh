#!/bin/sh
# netscene_test.sh: the network scene from the command line: --layers with
# an input exports the whole network by default (--png), one frame per
# layer added (--frames), the same bytes twice, and bad networks fail with
# one convstep: line, writing nothing.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$TMP" || exit 1
LC_ALL=C
export LC_ALL
CONVSTEP_ASSETS=$root/assets
export CONVSTEP_ASSETS
SMALL="--size 320x180"
NET="$root/tests/net"
IMG="$root/assets/default.png"

# LeNet: 12 layers, Flatten folds into the pool before it: the input and
# 11 cards, 12 growth steps.
expect_status "export the network" 0 "$CONVSTEP" export --layers @"$NET/lenet/model.txt" -i "$NET/lenet/input.npy" \
    $SMALL --frames all --quiet
got=$(ls all | grep -c '^frame-[0-9]*\.png$')
if [ "$got" -eq 12 ]; then ok "one frame per card (input + 11)"; else not_ok "one frame per card" "got $got"; fi
expect_status "export --png" 0 "$CONVSTEP" export --layers @"$NET/lenet/model.txt" -i "$NET/lenet/input.npy" \
    $SMALL --png still.png --quiet
if cmp -s still.png all/frame-00012.png; then ok "--png draws the whole network (the last step)"
else not_ok "--png draws the whole network" "still.png differs from the last frame"; fi
expect_status "export --png --from 1" 0 "$CONVSTEP" export --layers @"$NET/lenet/model.txt" -i "$NET/lenet/input.npy" \
    $SMALL --png first.png --from 1 --quiet
if cmp -s first.png all/frame-00001.png; then ok "--from 1 draws the input alone"
else not_ok "--from 1 draws the input alone" "first.png differs from the first frame"; fi
expect_status "weights, labels, normalize" 0 "$CONVSTEP" export --layers @"$NET/vgg_block/model.txt" \
    --weights "$NET/vgg_block/weights.safetensors" --normalize unit --input-size 16 -i "$IMG" $SMALL --png a.png --quiet
expect_status "the same again" 0 "$CONVSTEP" export --layers @"$NET/vgg_block/model.txt" \
    --weights "$NET/vgg_block/weights.safetensors" --normalize unit --input-size 16 -i "$IMG" $SMALL --png b.png --quiet
if cmp -s a.png b.png; then ok "reproducible"; else not_ok "reproducible" "a.png and b.png differ"; fi

# errors: one line, nothing written
expect_error "strict weights" 1 'does not fit the layers: missing' "$CONVSTEP" export --layers @"$NET/lenet/model.txt" \
    --weights "$NET/vgg_block/weights.safetensors" -i "$NET/lenet/input.npy" $SMALL --png bad.png
expect_error "channels that do not chain" 1 'with a 3x7x7 input: .*expects 1 input channel' "$CONVSTEP" export \
    --layers 'Conv2d(1, 4, 3)' -i "$IMG" $SMALL --png bad.png
expect_error "a bad --normalize" 1 '--normalize must be unit, imagenet' "$CONVSTEP" export \
    --layers 'Conv2d(3, 4, 3)' --normalize zebra -i "$IMG" $SMALL --png bad.png
printf 'a\nb\n' >labels.txt
expect_error "too few labels" 1 '--labels labels.txt has 2 labels, but the network gives 10 classes' "$CONVSTEP" \
    export --layers @"$NET/lenet/model.txt" --labels labels.txt -i "$NET/lenet/input.npy" $SMALL --png bad.png
expect_error "--at is refused" 1 'network scene' "$CONVSTEP" export --layers @"$NET/lenet/model.txt" \
    -i "$NET/lenet/input.npy" $SMALL --png bad.png --at 1,1
if [ -e bad.png ]; then not_ok "failures write nothing" "bad.png exists"; else ok "failures write nothing"; fi
