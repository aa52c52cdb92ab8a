#!/bin/sh
# cli_test.sh: the command line as a user meets it: every command's happy
# path against hand-worked or PyTorch-computed numbers, --help and
# --version, and every bad input of issue 2, each of which must exit 1 (2 for
# usage) with exactly one "convstep:" line naming what is wrong, create no
# output file, leave an existing output byte-for-byte as it was, and leave no
# temporary file behind. Fixtures are written here with printf (no python).
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
LC_ALL=C
export LC_ALL

# ---- fixtures ----

# npy_values FILE: the float32 data of an output .npy, one value per line.
npy_values() {
    hl=$(od -A n -t u2 -j 8 -N 2 "$1" | tr -d ' ')
    od -A n -v -t f4 -j $((10 + hl)) "$1" | awk '{ for (i = 1; i <= NF; i++) print $i + 0 }'
}

# npy_shape FILE: the shape text of a .npy header, e.g. "(1, 3, 3)".
npy_shape() {
    head -c 128 "$1" | sed -n "s/.*'shape': \(([0-9, ]*)\).*/\1/p"
}

# expect_values NAME FILE "V1 V2 ...": FILE's values equal these within 1e-4.
expect_values() {
    got=$(npy_values "$2" 2>/dev/null | tr '\n' ' ')
    if echo "$got" | awk -v want="$3" '{
            n = split(want, w, " "); if (n != NF) exit 1
            for (i = 1; i <= n; i++) { d = $i - w[i]; if (d < 0) d = -d; if (d > 1e-4) exit 1 }
        }'; then ok "$1"; else not_ok "$1" "got [$got], wanted [$3]"; fi
}

# expect_text NAME PATTERN FILE: FILE has a line matching the ERE PATTERN.
expect_text() {
    if grep -qE -- "$2" "$3"; then ok "$1"; else not_ok "$1" "no line matches /$2/ in: $(head -c 400 "$3")"; fi
}

# The conv_arithmetic paper's example (Dumoulin & Visin, fig. 2.1 and 2.2).
npy_i1 in5.npy "5, 5" 3 3 2 1 0  0 0 1 3 1  3 1 2 2 3  2 0 0 2 2  2 0 0 0 1
npy_i1 in5x4.npy "1, 1, 5, 5" 3 3 2 1 0  0 0 1 3 1  3 1 2 2 3  2 0 0 2 2  2 0 0 0 1
npy_i1 k3.npy "1, 1, 3, 3" 0 1 2  2 2 0  0 1 2
# A CS231n-style demo: 3x5x5 input, two 3x3x3 filters, biases 1 and 0,
# stride 2, padding 1; expected values from torch.nn.functional.conv2d.
npy_i1 cs_in.npy "3, 5, 5" 0 1 0 2 1 0 0 1 0 1 2 1 2 1 2 0 1 2 2 0 2 1 1 2 0 \
    0 0 0 0 2 0 1 0 0 1 2 2 1 2 2 1 2 1 1 2 0 2 0 2 1 0 1 1 2 0 2 0 1 2 1 1 1 2 1 2 2 1 2 1 1 2 1 1 0 1
npy_i1 cs_w.npy "2, 3, 3, 3" 1 0 0 1 1 0 0 1 1 0 1 0 1 1 0 -1 1 1 0 0 0 0 1 1 1 -1 -1 \
    0 1 1 0 1 0 0 -1 0 0 -1 -1 -1 1 0 -1 0 1 -1 -1 -1 0 0 1 0 0 0
npy_i1 cs_b.npy "2," 1 0
# A 2x2 RGB image (PNM) whose pixels are 1..12.
printf 'P6\n2 2\n255\n\001\002\003\004\005\006\007\010\011\012\013\014' >rgb.ppm

# ---- help and version ----

expect_status "version" 0 "$CONVSTEP" --version
expect_text "version text" '^convstep [0-9]+\.[0-9]+\.[0-9]+$' out
expect_status "help" 0 "$CONVSTEP" --help
expect_text "help lists commands" 'convstep rf' out
for cmd in conv pool trace rf bench; do
    expect_status "$cmd --help" 0 "$CONVSTEP" "$cmd" --help
    expect_text "$cmd --help text" "^usage: convstep $cmd" out
done
expect_status "help conv" 0 "$CONVSTEP" help conv
expect_text "help conv text" '^usage: convstep conv' out

# ---- conv ----

expect_status "conv 5x5 (conv_arithmetic)" 0 "$CONVSTEP" conv -i in5.npy -w k3.npy -o o1.npy
expect_values "conv 5x5 values" o1.npy "12 12 17 10 17 19 9 6 14"
expect_status "conv 5x5 stride 2 padding 1" 0 "$CONVSTEP" conv -i in5.npy -w k3.npy --stride 2 --padding 1 -o o2.npy
expect_values "conv stride 2 padding 1 values" o2.npy "6 17 3 8 17 13 6 4 4"
if [ "$(npy_shape o1.npy)" = "(1, 3, 3)" ]; then ok "conv rank-2 input gives rank 3"; else not_ok "conv rank-2 input gives rank 3" "shape $(npy_shape o1.npy)"; fi
"$CONVSTEP" conv -i in5x4.npy -w k3.npy -o o4.npy >out 2>err
if [ "$(npy_shape o4.npy)" = "(1, 1, 3, 3)" ]; then ok "conv rank-4 input gives rank 4"; else not_ok "conv rank-4 input gives rank 4" "shape $(npy_shape o4.npy) $(cat err)"; fi
expect_status "conv CS231n demo" 0 "$CONVSTEP" conv -i cs_in.npy -w cs_w.npy -b cs_b.npy --stride 2 --padding 1 -o cs.npy
expect_values "conv CS231n values" cs.npy "1 2 9 8 12 12 7 8 11 2 0 2 4 -3 -2 -2 -3 -5"
if [ "$(npy_shape cs.npy)" = "(2, 3, 3)" ]; then ok "conv CS231n shape 2x3x3"; else not_ok "conv CS231n shape 2x3x3" "shape $(npy_shape cs.npy)"; fi
expect_status "conv --activation relu" 0 "$CONVSTEP" conv -i cs_in.npy -w cs_w.npy -b cs_b.npy --stride 2 --padding 1 --activation relu -o csr.npy
expect_values "conv relu values" csr.npy "1 2 9 8 12 12 7 8 11 2 0 2 4 0 0 0 0 0"
expect_status "conv image input, depthwise identity preset" 0 "$CONVSTEP" conv -i rgb.ppm -w identity --groups 3 --padding 1 -o rgb.npy
expect_values "conv image values" rgb.npy "1 4 7 10 2 5 8 11 3 6 9 12"
expect_status "conv transposed" 0 "$CONVSTEP" conv -i in5.npy -w k3.npy --transposed --stride 2 --padding 1 --output-padding 1 -o t.npy
if [ "$(npy_shape t.npy)" = "(1, 10, 10)" ]; then ok "conv transposed shape"; else not_ok "conv transposed shape" "shape $(npy_shape t.npy)"; fi
cp o2.npy keep.npy
expect_error "conv refuses an existing OUT" 1 'keep.npy.*--force' "$CONVSTEP" conv -i in5.npy -w k3.npy -o keep.npy
if cmp -s o2.npy keep.npy; then ok "existing OUT untouched"; else not_ok "existing OUT untouched" "keep.npy changed"; fi
expect_status "conv --force replaces OUT" 0 "$CONVSTEP" conv -i in5.npy -w k3.npy -o keep.npy --force
expect_values "conv --force values" keep.npy "12 12 17 10 17 19 9 6 14"

# ---- conv --grad-output (the backward pass, issue 11) ----

# in5 and k3 above with the upstream gradient g = -4 .. 4 over the 3x3
# output; the expected gradients are PyTorch autograd's (x.grad, w.grad,
# b.grad after F.conv2d(x, w, b).backward(g)), printed once with torch 1.13.
npy_i1 g33.npy "1, 3, 3" -4 -3 -2 -1 0 1 2 3 4
npy_i1 b1.npy "1," 5
expect_status "conv --grad-output" 0 "$CONVSTEP" conv -i in5.npy -w k3.npy -b b1.npy -o go.npy \
    --grad-output g33.npy --grad-input gi.npy --grad-weight gw.npy --grad-bias gb.npy
expect_values "grad-input values" gi.npy "0 -4 -11 -8 -4 -8 -15 -12 -3 2 -2 -4 -2 4 4 4 9 12 9 2 0 2 7 10 8"
expect_values "grad-weight values" gw.npy "-7 -1 11 1 0 0 -17 -12 -14"
expect_values "grad-bias values (sum of g)" gb.npy "0"
expect_values "forward still written" go.npy "17 17 22 15 22 24 14 11 19"
if [ "$(npy_shape gi.npy)" = "(5, 5)" ] && [ "$(npy_shape gw.npy)" = "(1, 1, 3, 3)" ] &&
   [ "$(npy_shape gb.npy)" = "(1,)" ]; then ok "gradients shaped like the input, weights and (F,)"
else not_ok "gradients shaped like the input, weights and (F,)" "$(npy_shape gi.npy) $(npy_shape gw.npy) $(npy_shape gb.npy)"; fi
# a rank-4 gradient of a rank-4 input; grad-input keeps rank 4
npy_i1 g1133.npy "1, 1, 3, 3" -4 -3 -2 -1 0 1 2 3 4
expect_status "conv --grad-output rank 4" 0 "$CONVSTEP" conv -i in5x4.npy -w k3.npy -o go4.npy \
    --grad-output g1133.npy --grad-input gi4.npy
if [ "$(npy_shape gi4.npy)" = "(1, 1, 5, 5)" ]; then ok "grad-input rank 4"; else not_ok "grad-input rank 4" "shape $(npy_shape gi4.npy)"; fi
expect_values "grad-input rank-4 values" gi4.npy "0 -4 -11 -8 -4 -8 -15 -12 -3 2 -2 -4 -2 4 4 4 9 12 9 2 0 2 7 10 8"
# reflect padding sends the padded cells' gradient back to their sources:
# k3, padding 1 reflect, g = ones over the 5x5 output; PyTorch's x.grad
npy_i1 ones55.npy "1, 5, 5" 1 1 1 1 1  1 1 1 1 1  1 1 1 1 1  1 1 1 1 1  1 1 1 1 1
expect_status "conv --grad-output reflect" 0 "$CONVSTEP" conv -i in5.npy -w k3.npy --padding 1 --padding-mode reflect \
    -o gor.npy --grad-output ones55.npy --grad-input gir.npy
expect_values "grad-input reflect values" gir.npy "5 9 7 9 5 7 15 13 19 11 6 12 10 14 8 7 15 13 19 11 5 9 7 9 5"

# refusals: nothing written, nothing left behind
rm -f gi.npy gw.npy gb.npy go.npy
npy_i1 g22.npy "1, 2, 2" 1 2 3 4
expect_error "grad-output of the wrong shape names both" 1 'g22\.npy.*1x2x2.*1x3x3' \
    "$CONVSTEP" conv -i in5.npy -w k3.npy -o go.npy --grad-output g22.npy --grad-weight gw.npy
if ls go.npy gw.npy ./*.tmp-* >/dev/null 2>&1; then not_ok "a refused backward writes nothing" "$(ls go.npy gw.npy ./*.tmp-* 2>&1)"
else ok "a refused backward writes nothing"; fi
expect_error "grad-input without grad-output" 2 '--grad-input needs --grad-output' \
    "$CONVSTEP" conv -i in5.npy -w k3.npy -o go.npy --grad-input gi.npy
expect_error "grad-bias without grad-output" 2 '--grad-bias needs --grad-output' \
    "$CONVSTEP" conv -i in5.npy -w k3.npy -o go.npy --grad-bias gb.npy
expect_error "grad-output without a gradient to write" 2 'grad-output needs --grad-input' \
    "$CONVSTEP" conv -i in5.npy -w k3.npy -o go.npy --grad-output g33.npy
expect_error "grad-output with an activation" 2 'not with --activation' \
    "$CONVSTEP" conv -i in5.npy -w k3.npy -o go.npy --grad-output g33.npy --grad-bias gb.npy --activation relu
expect_error "grad-output -o still required" 2 '-o OUT\.npy' \
    "$CONVSTEP" conv -i in5.npy -w k3.npy --grad-output g33.npy --grad-bias gb.npy
printf 'keep' >keepgw.npy
expect_error "existing grad file refused without --force" 1 'keepgw\.npy.*--force' \
    "$CONVSTEP" conv -i in5.npy -w k3.npy -o go.npy --grad-output g33.npy --grad-weight keepgw.npy
if [ "$(cat keepgw.npy)" = keep ] && [ ! -e go.npy ]; then ok "refused grad file kept, no OUT written"
else not_ok "refused grad file kept, no OUT written" "keepgw: $(head -c 20 keepgw.npy); go.npy: $(ls go.npy 2>&1)"; fi
expect_status "existing grad file replaced with --force" 0 "$CONVSTEP" conv -i in5.npy -w k3.npy -o go.npy \
    --grad-output g33.npy --grad-weight keepgw.npy --force
expect_values "replaced grad file values" keepgw.npy "-7 -1 11 1 0 0 -17 -12 -14"
rm -f go.npy go4.npy gi4.npy gor.npy gir.npy keepgw.npy
if ls ./*.tmp-* >/dev/null 2>&1; then not_ok "backward leaves no temporary file" "$(ls ./*.tmp-*)"
else ok "backward leaves no temporary file"; fi

# ---- pool ----

expect_status "pool max 2" 0 "$CONVSTEP" pool -i in5.npy --mode max --kernel 2 -o pm.npy
expect_values "pool max values" pm.npy "3 3 3 2"
# torch avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)
expect_status "pool avg ceil exclude-pad" 0 "$CONVSTEP" pool -i in5.npy --mode avg --kernel 3 --stride 2 --padding 1 --ceil-mode --exclude-pad -o pa.npy
expect_values "pool avg values" pa.npy "1.5 1.666667 1.25 1 1.222222 2.166667 1 0.333333 1.25"
# the same with count_include_pad (PyTorch's default): corners divide by 9
expect_status "pool avg include pad" 0 "$CONVSTEP" pool -i in5.npy --mode avg --kernel 3 --stride 2 --padding 1 -o pi.npy
expect_values "pool avg include-pad values" pi.npy "0.666667 1.111111 0.555556 0.666667 1.222222 1.444444 0.444444 0.222222 0.555556"

# the backward pass: torch's x.grad after F.max_pool2d(x, 2).backward(g) and
# F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False).backward(g)
npy_i1 g22.npy "1, 2, 2" 1 2 3 4
npy_i1 g33.npy "1, 3, 3" 1 2 3 4 5 6 7 8 9
expect_status "pool max backward" 0 "$CONVSTEP" pool -i in5.npy --mode max --kernel 2 -o pmb.npy --grad-output g22.npy --grad-input pmg.npy
expect_values "pool max backward forward values" pmb.npy "3 3 3 2"
expect_values "pool max backward: to the first maximum" pmg.npy "1 0 0 0 0 0 0 0 2 0 3 0 4 0 0 0 0 0 0 0 0 0 0 0 0"
if [ "$(npy_shape pmg.npy)" = "(1, 5, 5)" ]; then ok "pool gradient shaped like the input"; else not_ok "pool gradient shaped like the input" "shape $(npy_shape pmg.npy)"; fi
expect_status "pool avg backward" 0 "$CONVSTEP" pool -i in5.npy --mode avg --kernel 3 --stride 2 --padding 1 --ceil-mode --exclude-pad -o pab.npy --grad-output g33.npy --grad-input pag.npy
expect_values "pool avg backward values" pag.npy "0.25 0.583333 0.333333 1.083333 0.75 0.916667 1.805556 0.888889 2.638889 1.75 0.666667 1.222222 0.555556 1.555556 1 2.416667 4.305556 1.888889 5.138889 3.25 1.75 3.083333 1.333333 3.583333 2.25"
expect_error "pool backward: wrong gradient shape" 1 "g33\.npy.*1x3x3.*1x2x2" "$CONVSTEP" pool -i in5.npy --mode max --kernel 2 -o pbad.npy --grad-output g33.npy --grad-input fbad.npy
expect_error "usage: --grad-input without --grad-output" 2 "--grad-input needs --grad-output" "$CONVSTEP" pool -i in5.npy --mode max --kernel 2 -o pbad.npy --grad-input fbad.npy
expect_error "usage: --grad-output without --grad-input" 2 "--grad-output needs --grad-input" "$CONVSTEP" pool -i in5.npy --mode max --kernel 2 -o pbad.npy --grad-output g22.npy
expect_error "pool backward: missing gradient file" 1 "nograd\.npy" "$CONVSTEP" pool -i in5.npy --mode max --kernel 2 -o pbad.npy --grad-output nograd.npy --grad-input fbad.npy
cp pmg.npy pmg_keep.npy
expect_error "pool backward refuses an existing F" 1 "pmg\.npy" "$CONVSTEP" pool -i in5.npy --mode max --kernel 2 -o pbad.npy --grad-output g22.npy --grad-input pmg.npy
if [ -e pbad.npy ] || [ -e fbad.npy ] || ls ./*.tmp-* >/dev/null 2>&1 || ! cmp -s pmg.npy pmg_keep.npy; then
    not_ok "failed backward runs leave nothing" "$(ls pbad.npy fbad.npy ./*.tmp-* 2>&1)"
else ok "failed backward runs leave nothing"; fi

# NaN and infinities pass through as in PyTorch (F.conv2d with a 2x2 kernel
# of ones, F.max_pool2d and F.avg_pool2d with kernel 2) over the float32
#     1  nan    3  0
#  -inf -inf  inf  2
# (little-endian bytes: 1 = 00 00 80 3f, nan = 00 00 c0 7f, 3 = 00 00 40 40,
# -inf = 00 00 80 ff, inf = 00 00 80 7f, 2 = 00 00 00 40). od prints a NaN
# with its sign bit as "-nan"; PyTorch's nan is any NaN.
npy_raw naninf.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 4), }"
printf '\000\000\200\077\000\000\300\177\000\000\100\100\000\000\000\000' >>naninf.npy
printf '\000\000\200\377\000\000\200\377\000\000\200\177\000\000\000\100' >>naninf.npy
npy_i1 ones2.npy "1, 1, 2, 2" 1 1 1 1
# expect_special NAME FILE "V1 V2 ...": FILE's values print (od -t f4) as these.
expect_special() {
    hl=$(od -A n -t u2 -j 8 -N 2 "$2" | tr -d ' ')
    got=$(od -A n -v -t f4 -j $((10 + hl)) "$2" | tr -s ' \n' '  ' | sed 's/-nan/nan/g; s/^ //; s/ $//')
    if [ "$got" = "$3" ]; then ok "$1"; else not_ok "$1" "got [$got], wanted [$3]"; fi
}
expect_status "conv of NaN and inf" 0 "$CONVSTEP" conv -i naninf.npy -w ones2.npy -o cn.npy
expect_special "conv keeps NaN and inf" cn.npy "nan nan inf"
expect_status "max pool of NaN and inf" 0 "$CONVSTEP" pool -i naninf.npy --mode max --kernel 2 -o pmn.npy
expect_special "max pool keeps NaN and inf" pmn.npy "nan inf"
expect_status "avg pool of NaN and inf" 0 "$CONVSTEP" pool -i naninf.npy --mode avg --kernel 2 -o pan.npy
expect_special "avg pool keeps NaN and inf" pan.npy "nan inf"

# ---- trace ----

expect_status "trace text" 0 "$CONVSTEP" trace -i in5.npy -w k3.npy --at 1,2
expect_text "trace text sum" 'sum of products: 19' out
expect_text "trace text result" '^output\[0\]\[1\]\[2\] = 19$' out
expect_status "trace padded" 0 "$CONVSTEP" trace -i in5.npy -w k3.npy --stride 2 --padding 1 --at 0,0
expect_text "trace marks padding" '\[0\] +\[0\] +\[0\]' out
expect_status "trace json" 0 "$CONVSTEP" trace -i cs_in.npy -w cs_w.npy -b cs_b.npy --stride 2 --padding 1 --at 2,2 --filter 1 --json
expect_text "trace json total" '"total": -5' out
expect_text "trace json bias" '"bias": 0,' out
expect_text "trace json three channels" '"channel": 2,' out
expect_text "trace json padded cells" '"padded": \[\[false, false, true\], \[false, false, true\], \[true, true, true\]\]' out

# ---- rf ----

expect_status "rf 199 to 1" 0 "$CONVSTEP" rf --input-size 199 --json \
    "$(i=0; while [ $i -lt 99 ]; do printf 'Conv2d(1, 1, 3)\n'; i=$((i + 1)); done)"
expect_text "rf 199 to 1: output 1x1" '"rf": \[199, 199\], "jump": \[1, 1\], "effective_padding": \[0, 0\], "output_size": \[1, 1\]' out
cat >vgg16.txt <<'EOF'
# VGG-16 features (torchvision), pasted
nn.Sequential(
    nn.Conv2d(3, 64, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(64, 64, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.MaxPool2d(kernel_size=2, stride=2),
    nn.Conv2d(64, 128, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(128, 128, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.MaxPool2d(kernel_size=2, stride=2),
    nn.Conv2d(128, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.MaxPool2d(kernel_size=2, stride=2),
    nn.Conv2d(256, 512, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(512, 512, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(512, 512, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.MaxPool2d(kernel_size=2, stride=2),
    nn.Conv2d(512, 512, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(512, 512, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(512, 512, kernel_size=3, padding=1), nn.ReLU(inplace=True),
    nn.MaxPool2d(kernel_size=2, stride=2),
)
EOF
expect_status "rf VGG-16 from a file" 0 "$CONVSTEP" rf --input-size 224 --json @vgg16.txt
expect_text "rf VGG-16: 212, jump 32, 7x7" '"rf": \[212, 212\], "jump": \[32, 32\].*"output_size": \[7, 7\]' out
expect_status "rf table" 0 "$CONVSTEP" rf --input-size 224 @vgg16.txt
expect_text "rf table total" 'receptive field 212, jump 32, parameters 14,714,688' out

# ---- bench (the quick figures only) ----

expect_status "bench --json" 0 "$CONVSTEP" bench --json conv_ms stepper_steps_per_s
expect_text "bench conv_ms" '^\{"conv_ms": [0-9]+\.[0-9]+, "stepper_steps_per_s": [0-9]+\.[0-9]+\}$' out
expect_status "bench --json, issue 5's figures" 0 "$CONVSTEP" bench --json stack_frame_ms rf_10000_ms
expect_text "bench stack_frame_ms and rf_10000_ms" '^\{"stack_frame_ms": [0-9]+\.[0-9]+, "rf_10000_ms": [0-9]+\.[0-9]+\}$' out

# ---- usage errors (exit 2) ----

expect_error "usage: no -o" 2 "missing -o OUT.npy.*convstep conv --help" "$CONVSTEP" conv -i in5.npy -w k3.npy
expect_error "usage: no -i" 2 "missing -i INPUT" "$CONVSTEP" pool --mode max --kernel 2 -o x.npy
expect_error "usage: no --mode" 2 "missing --mode" "$CONVSTEP" pool -i in5.npy --kernel 2 -o x.npy
expect_error "usage: no --at" 2 "missing --at ROW,COL.*convstep trace --help" "$CONVSTEP" trace -i in5.npy -w k3.npy
expect_error "usage: unknown option" 2 "unknown option '--strides'" "$CONVSTEP" conv -i in5.npy -w k3.npy --strides 2 -o x.npy
expect_error "usage: missing value" 2 "--stride needs a value" "$CONVSTEP" conv -i in5.npy -w k3.npy -o x.npy --stride
expect_error "usage: extra argument" 2 "unexpected argument 'extra'" "$CONVSTEP" conv -i in5.npy -w k3.npy -o x.npy extra
expect_error "usage: rf without SPEC" 2 "missing SPEC" "$CONVSTEP" rf --json
expect_error "usage: bench unknown figure" 2 "unknown figure 'fast'" "$CONVSTEP" bench fast
expect_error "usage: help unknown command" 2 "unknown command 'blur'" "$CONVSTEP" help blur
expect_error "usage: mistyped command" 2 "'cnov' is neither a command" "$CONVSTEP" cnov -i in5.npy
[ ! -e x.npy ] && ok "usage errors create no file" || not_ok "usage errors create no file" "x.npy exists"

# ---- bad input (exit 1) ----

# bad NAME PATTERN ARGS...: `convstep ARGS -o new.npy` fails with exit 1 and
# one line matching PATTERN, and creates nothing; `convstep ARGS -o keep.npy
# --force` fails the same way and leaves keep.npy as it was; no temporary
# file is left behind.
cp o1.npy keep.npy
bad() {
    name=$1; pat=$2; shift 2
    expect_error "$name" 1 "$pat" "$CONVSTEP" "$@" -o new.npy
    expect_error "$name (--force over an existing OUT)" 1 "$pat" "$CONVSTEP" "$@" -o keep.npy --force
    problems=""
    [ -e new.npy ] && problems="$problems new.npy was created;"
    cmp -s o1.npy keep.npy || problems="$problems keep.npy changed;"
    ls ./*.tmp-* >/dev/null 2>&1 && problems="$problems left $(ls ./*.tmp-*);"
    if [ -z "$problems" ]; then ok "$name: no output, OUT untouched"; else not_ok "$name: no output, OUT untouched" "$problems"; fi
    rm -f new.npy ./*.tmp-*
    cp o1.npy keep.npy
}

# files
bad "missing input" "missing\.npy" conv -i missing.npy -w k3.npy
: >empty.npy
bad "empty input" "empty\.npy.*empty" conv -i empty.npy -w k3.npy
head -c 100 in5.npy >trunc.npy
bad "truncated input" "trunc\.npy.*truncated" conv -i trunc.npy -w k3.npy
head -c 200 cs_in.npy >trunc_data.npy
bad "truncated data" "trunc_data\.npy.*short" conv -i trunc_data.npy -w k3.npy
printf 'no numbers here, just words and \001\002\003 bytes %.0s' 1 2 3 4 5 6 7 8 >random.bin
bad "random bytes input" "random\.bin" conv -i random.bin -w k3.npy
mkdir -p adir
bad "directory input" "adir.*directory" conv -i adir -w k3.npy
bad "missing weights" "nothere\.npy" conv -i in5.npy -w nothere.npy
bad "missing bias" "nobias\.npy" conv -i in5.npy -w k3.npy -b nobias.npy
npy_raw huge.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 100000, 100000), }"
bad ".npy claiming an enormous size" "huge\.npy.*limit" conv -i huge.npy -w k3.npy
printf 'P6\n100000 100000\n255\n' >huge.ppm
bad "image claiming an enormous size" "huge\.ppm.*100000x100000.*limit" conv -i huge.ppm -w k3.npy
printf '\211PNG\r\n\032\n\000\000\000\015IHDR\000\001\206\240\000\001\206\240\010\002\000\000\000\000\000\000\000' >huge.png
bad "PNG claiming an enormous size" "huge\.png" conv -i huge.png -w k3.npy
npy_raw badheader.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5, 5, }"
bad ".npy bad header" "badheader\.npy.*header" conv -i badheader.npy -w k3.npy
printf 'NUMPY\001\000\000\000{}' >badmagic.npy
bad ".npy bad magic" "badmagic\.npy" conv -i badmagic.npy -w k3.npy
npy_raw complex.npy "{'descr': '<c8', 'fortran_order': False, 'shape': (1, 2, 2), }"
head -c 32 /dev/zero >>complex.npy
bad ".npy complex dtype" "complex\.npy.*complex" conv -i complex.npy -w k3.npy
npy_raw object.npy "{'descr': '|O', 'fortran_order': False, 'shape': (1, 2, 2), }"
head -c 32 /dev/zero >>object.npy
bad ".npy object dtype" "object\.npy.*object" conv -i object.npy -w k3.npy
npy_raw fortran.npy "{'descr': '|u1', 'fortran_order': True, 'shape': (1, 5, 5), }"
head -c 25 /dev/zero >>fortran.npy
bad ".npy Fortran order" "fortran\.npy.*Fortran" conv -i fortran.npy -w k3.npy
npy_i1 rank1.npy "4," 1 2 3 4
bad ".npy wrong rank (1)" "rank1\.npy" conv -i rank1.npy -w k3.npy
npy_raw rank5.npy "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 1, 2, 2), }"
head -c 4 /dev/zero >>rank5.npy
bad ".npy wrong rank (5)" "rank5\.npy" conv -i rank5.npy -w k3.npy
npy_i1 batch2.npy "2, 1, 2, 2" 1 2 3 4 5 6 7 8
bad ".npy two images" "batch2\.npy" conv -i batch2.npy -w k3.npy

# shapes and values
npy_i1 w2ch.npy "1, 2, 3, 3" 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
bad "weights channels do not match" "w2ch\.npy.*2 input channels.*3 channels" conv -i cs_in.npy -w w2ch.npy
npy_i1 b3.npy "3," 1 2 3
bad "bias count does not match" "b3\.npy|bias" conv -i cs_in.npy -w cs_w.npy -b b3.npy
bad "stride 0" "--stride.*0" conv -i in5.npy -w k3.npy --stride 0
bad "dilation 0" "--dilation.*0" conv -i in5.npy -w k3.npy --dilation 0,1
bad "negative padding" "--padding.*-1" conv -i in5.npy -w k3.npy --padding -1
bad "overflowing number" "--stride.*99999999999999999999" conv -i in5.npy -w k3.npy --stride 99999999999999999999
bad "overflowing pair" "--padding.*4294967297" conv -i in5.npy -w k3.npy --padding 1,4294967297
bad "word for a number" "--dilation.*'two'" conv -i in5.npy -w k3.npy --dilation two
bad "word for groups" "--groups.*'many'" conv -i in5.npy -w k3.npy --groups many
bad "unknown padding mode" "--padding-mode.*'mirror'" conv -i in5.npy -w k3.npy --padding 1 --padding-mode mirror
npy_i1 k7.npy "1, 1, 7, 7" $(i=0; while [ $i -lt 49 ]; do printf '1 '; i=$((i + 1)); done)
bad "kernel larger than the padded input" "7x7.*larger.*5x5" conv -i in5.npy -w k7.npy
bad "dilated kernel larger than the input" "dilation 3" conv -i in5.npy -w k3.npy --dilation 3
npy_i1 wg2.npy "2, 1, 3, 3" 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
bad "groups do not divide channels" "groups 2.*3" conv -i cs_in.npy -w wg2.npy --groups 2
bad "reflect padding wider than the input" "reflect padding 5" conv -i in5.npy -w k3.npy --padding 5 --padding-mode reflect
npy_i1 k1.npy "1, 1, 1, 1" 1
bad "output over the .npy limit" "output 1x900001x900001.*limit" conv -i in5.npy -w k1.npy --transposed --stride 225000
bad "output padding without --transposed" "--output-padding" conv -i in5.npy -w k3.npy --output-padding 1
bad "pooling padding over half the kernel" "padding 2.*half the kernel" pool -i in5.npy --mode max --kernel 2 --padding 2
bad "pooling kernel 0" "--kernel.*0" pool -i in5.npy --mode max --kernel 0
bad "pooling --exclude-pad with max" "--exclude-pad.*avg" pool -i in5.npy --mode max --kernel 2 --exclude-pad
bad "pooling unknown mode" "--mode.*'median'" pool -i in5.npy --mode median --kernel 2
bad "pooling kernel larger than the input" "kernel|larger|output" pool -i in5.npy --mode avg --kernel 6

# output targets
expect_error "-o /dev/full" 1 "/dev/full" "$CONVSTEP" conv -i in5.npy -w k3.npy -o /dev/full
expect_error "-o /dev/full --force" 1 "/dev/full" "$CONVSTEP" conv -i in5.npy -w k3.npy -o /dev/full --force
expect_error "-o a directory" 1 "adir.*directory" "$CONVSTEP" conv -i in5.npy -w k3.npy -o adir --force
expect_error "-o in a missing folder" 1 "nofolder" "$CONVSTEP" conv -i in5.npy -w k3.npy -o nofolder/o.npy
if ls ./*.tmp-* adir/* >/dev/null 2>&1; then not_ok "output targets leave nothing" "$(ls ./*.tmp-* adir/*)"; else ok "output targets leave nothing"; fi

# layer specs
expect_error "rf unknown layer" 1 "line 1, column 18.*'Foo'" "$CONVSTEP" rf 'Conv2d(3, 8, 3), Foo(2)'
expect_error "rf bad argument" 1 "stride" "$CONVSTEP" rf 'Conv2d(3, 8, kernel_size=3, stride=zero)'
expect_error "rf unknown keyword" 1 "strides" "$CONVSTEP" rf 'Conv2d(3, 8, 3, strides=2)'
expect_error "rf unclosed bracket" 1 "line 2, column.*'\('" "$CONVSTEP" rf "ReLU()
Conv2d(3, 8, 3"
expect_error "rf empty spec" 1 "layer spec" "$CONVSTEP" rf '# nothing'
expect_error "rf missing file" 1 "nospec\.txt" "$CONVSTEP" rf @nospec.txt
expect_error "rf spec file is a directory" 1 "adir.*directory" "$CONVSTEP" rf @adir
expect_error "rf shrinks below 1x1" 1 "layer 2" "$CONVSTEP" rf --input-size 4 'Conv2d(1, 1, 3), Conv2d(1, 1, 3)'
expect_error "rf bad input size" 1 "--input-size.*0" "$CONVSTEP" rf --input-size 0 'ReLU()'

# trace positions
expect_error "trace --at outside the output" 1 "--at 3,0.*outside.*3x3" "$CONVSTEP" trace -i in5.npy -w k3.npy --at 3,0
expect_error "trace --at negative" 1 "--at" "$CONVSTEP" trace -i in5.npy -w k3.npy --at -1,0
expect_error "trace --at not a cell" 1 "--at.*'middle'" "$CONVSTEP" trace -i in5.npy -w k3.npy --at middle
expect_error "trace --filter outside" 1 "--filter 2.*2 filters" "$CONVSTEP" trace -i cs_in.npy -w cs_w.npy --at 0,0 --padding 1 --filter 2
expect_error "trace bad input" 1 "complex\.npy" "$CONVSTEP" trace -i complex.npy -w k3.npy --at 0,0

# ---- interrupted ----

# Ctrl-C in the middle of a long conv: either the run had already finished
# (a complete output) or nothing is left, neither the output nor its
# temporary file.
npy_raw bigin.npy "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 3000, 3000), }"
head -c 27000000 /dev/zero >>bigin.npy
npy_i1 w16.npy "16, 3, 3, 3" $(i=0; while [ $i -lt 432 ]; do printf '%d ' $((i % 5 - 2)); i=$((i + 1)); done)
"$CONVSTEP" conv -i bigin.npy -w w16.npy --padding 1 -o big.npy 2>err &
pid=$!
sleep 0.5
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
if ls ./*.tmp-* >/dev/null 2>&1; then not_ok "Ctrl-C leaves no temporary file" "$(ls ./*.tmp-*)"
elif [ $rc -eq 0 ] && [ "$(npy_shape big.npy)" = "(16, 3000, 3000)" ]; then ok "Ctrl-C leaves no temporary file (run had finished)"
elif [ $rc -ne 0 ] && [ ! -e big.npy ]; then ok "Ctrl-C leaves no temporary file"
else not_ok "Ctrl-C leaves no temporary file" "exit $rc, big.npy $(ls -l big.npy 2>&1)"; fi
rm -f bigin.npy big.npy
