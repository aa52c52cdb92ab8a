#!/bin/sh
# stack_test.sh: the layer-stack scene and the lessons from the command
# line: export writes one frame per growth step (counts worked out in each
# comment), --from/--to pick the same frames, the files are reproducible,
# and bad stacks fail with one convstep: line that says where, writing
# nothing.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$TMP" || exit 1
LC_ALL=C
export LC_ALL
CONVSTEP_ASSETS=$root/assets
export CONVSTEP_ASSETS
SMALL="--size 320x180"

# frames NAME WANT DIR: DIR holds exactly frame-00001.png .. frame-WANT.png.
frames() {
    got=$(ls "$3" 2>/dev/null | grep -c '^frame-[0-9]*\.png$')
    if [ "$got" -eq "$2" ] && [ -f "$3/$(printf 'frame-%05d.png' "$2")" ]; then ok "$1"
    else not_ok "$1" "wanted $2 frames, got $got"; fi
}

# A 12x12 input, then Conv2d 3 (10x10; its ReLU folds in), MaxPool2d 2
# (5x5), Conv2d 3 (3x3): the input alone plus three maps, 4 growth steps.
SPEC='Conv2d(1, 4, 3), ReLU(), MaxPool2d(2), Conv2d(4, 8, 3)'
expect_status "export --layers" 0 "$CONVSTEP" export --layers "$SPEC" --input-size 12 $SMALL --frames all --quiet
frames "one frame per growth step (input + 3 maps)" 4 all
expect_status "export --layers again" 0 "$CONVSTEP" export --layers "$SPEC" --input-size 12 $SMALL --frames again --quiet
same=0
for f in all/*.png; do cmp -s "$f" "again/${f#all/}" || same=1; done
[ $same -eq 0 ] && ok "stack frames are byte-identical across runs" || not_ok "stack reproducible" "frames differ"
expect_status "export --layers --from 2 --to 3" 0 "$CONVSTEP" export --layers "$SPEC" --input-size 12 $SMALL \
    --from 2 --to 3 --frames part --quiet
frames "--from 2 --to 3: two frames" 2 part
cmp -s part/frame-00001.png all/frame-00002.png && cmp -s part/frame-00002.png all/frame-00003.png \
    && ok "--from/--to frames are the full export's" || not_ok "--from/--to" "frames differ from the full export"

# The spec from a file of pasted model code.
cat >model.py <<'PY'
features = nn.Sequential(
    nn.Conv2d(1, 4, kernel_size=3),
    nn.ReLU(inplace=True),
    nn.MaxPool2d(kernel_size=2, stride=2),
    nn.Conv2d(4, 8, kernel_size=3),
)
PY
expect_status "export --layers @FILE" 0 "$CONVSTEP" export --layers @model.py --input-size 12 $SMALL --frames file --quiet
frames "@FILE: the same 4 growth steps" 4 file

# Lessons: 199 -> 1 by 3x3 takes (199 - 1) / 2 = 99 layers, so 100 steps;
# why-3x3's deepest pane has three layers, so 4 steps.
expect_status "export --lesson 199-to-1" 0 "$CONVSTEP" export --lesson 199-to-1 $SMALL --frames l199 --quiet
frames "199-to-1: 100 frames (99 layers)" 100 l199
expect_status "export --lesson why-3x3 as GIF" 0 "$CONVSTEP" export --lesson why-3x3 $SMALL --gif why.gif --quiet
n=$(identify why.gif 2>/dev/null | wc -l)
[ "$n" -eq 4 ] && ok "why-3x3: a GIF of 4 frames" || not_ok "why-3x3 GIF" "identify counts $n frames"
for lesson in shapes stride-padding-pooling alexnet vgg16 init training; do
    expect_status "export --lesson $lesson" 0 "$CONVSTEP" export --lesson $lesson $SMALL --png "$lesson.png" --from 2 --quiet
done
# With --input-size, 199-to-1 repeats its layer until that input is 1x1:
# 9 -> 7 -> 5 -> 3 -> 1 is 4 layers, 5 steps.
expect_status "199-to-1 on a 9x9 input" 0 "$CONVSTEP" export --lesson 199-to-1 --input-size 9 $SMALL --frames l9 --quiet
frames "199-to-1 on 9x9: 5 frames (4 layers)" 5 l9
expect_status "rf of AlexNet's features" 0 "$CONVSTEP" rf --input-size 224 @"$root/assets/models/alexnet.txt"
grep -q 'receptive field 195, jump 32' "$TMP/out" && ok "AlexNet: field 195, jump 32" \
    || not_ok "AlexNet rf" "$(tail -2 "$TMP/out")"

# ---- bad stacks: one line that says where, nothing written ----
expect_error "spec that does not parse" 1 "line 1, column 16" \
    "$CONVSTEP" export --layers 'Conv2d(3, 16, 3' --gif bad1.gif
printf 'nn.Sequential(\n    nn.Conv2d(1, 4, 3),\n    nn.Conv2d(4, 4, 3 stride=2),\n)\n' >bad.py
expect_error "@FILE that does not parse: its line and column" 1 "line 3, column 23" \
    "$CONVSTEP" export --layers @bad.py --gif bad2.gif
expect_error "stack shrinking below 1x1 names the layer" 1 "with a 7x7 input: layer 2 \(Conv2d\(1, 1, 5\)\)" \
    "$CONVSTEP" export --layers 'Conv2d(1, 1, 5), Conv2d(1, 1, 5)' --input-size 7 --gif bad3.gif
expect_error "unreadable @FILE" 1 "cannot read missing.txt" \
    "$CONVSTEP" export --layers @missing.txt --gif bad4.gif
expect_error "unknown lesson lists the lessons" 1 "no lesson 'nosuch' \(lessons: 199-to-1, why-3x3" \
    "$CONVSTEP" export --lesson nosuch --gif bad5.gif
expect_error "--layers and --lesson together" 1 "give one of them" \
    "$CONVSTEP" export --layers 'Conv2d(1, 1, 3)' --lesson shapes --gif bad6.gif
expect_error "a cell is not a growth step" 1 "use --from N" \
    "$CONVSTEP" export --layers 'Conv2d(1, 1, 3)' --at 0,0 --png bad7.png
left=$(ls bad*.gif bad*.png 2>/dev/null; find . -name '*.tmp-*')
[ -z "$left" ] && ok "failed stacks wrote nothing" || not_ok "failed stacks" "files appeared: $left"
