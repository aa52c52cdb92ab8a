#!/bin/sh
# readme_test.sh: the README's examples are real. Every "$ convstep ..."
# line inside a ``` block of README.md is run (stdout and stderr together)
# in a folder holding the files the README names (in.npy, k.npy, assets/),
# and its output must be the lines that follow it up to the next "$ " line
# or the end of the block. `convstep bench` (timings of the machine the
# README was written on) and the window (it needs a display) are skipped.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$TMP" || exit 1
LC_ALL=C
export LC_ALL

# The conv_arithmetic guide's input and kernel, as the README's numpy lines
# save them (int64, as numpy.array gives them on Linux).
npy_i8() {
    f=$1; shape=$2; shift 2
    npy_raw "$f" "{'descr': '<i8', 'fortran_order': False, 'shape': ($shape), }"
    for v in "$@"; do printf "\\$(printf %03o "$v")\\000\\000\\000\\000\\000\\000\\000"; done >>"$f"
}
npy_i8 in.npy "5, 5" 3 3 2 1 0 0 0 1 3 1 3 1 2 2 3 2 0 0 2 2 2 0 0 0 1
npy_i8 k.npy "1, 1, 3, 3" 0 1 2 2 2 0 0 1 2
ln -s "$root/assets" assets
mkdir -p bin
ln -s "$CONVSTEP" bin/convstep

# Split the README's examples into cmd-N (the command) and want-N (its output).
# Blank lines between one output and the next "$ " line are not output.
awk -v dir="$TMP" '
    /^```/ { inblock = !inblock; n_open = 0; next }
    inblock && /^\$ convstep / { n++; cmd = dir "/cmd-" n; want = dir "/want-" n; blanks = 0
                                 print substr($0, 3) >cmd; close(cmd); printf "" >want; n_open = 1; next }
    inblock && /^\$ / { n_open = 0; next }
    inblock && n_open && /^$/ { blanks++; next }
    inblock && n_open { for (; blanks > 0; blanks--) print "" >>want; print >>want }
' "$root/README.md"

count=0
for cmd in cmd-*; do
    [ -f "$cmd" ] || continue
    n=${cmd#cmd-}
    line=$(cat "$cmd")
    case "$line" in
        "convstep "conv*|"convstep "pool*|"convstep "trace*|"convstep "rf*|"convstep "forward*|"convstep "export*) ;;
        "convstep "help*|"convstep "--help*|"convstep "--version*) ;;
        *) continue ;;  # bench and train (timings), the window (needs a display)
    esac
    count=$((count + 1))
    PATH="$TMP/bin:$PATH" sh -c "$line" >got-"$n" 2>&1
    if cmp -s want-"$n" got-"$n"; then ok "README: $line"
    else not_ok "README: $line" "output differs: $(diff want-"$n" got-"$n" | head -c 600)"; fi
done
if [ "$count" -gt 0 ]; then ok "README has examples ($count)"; else not_ok "README has examples" "no \$ convstep lines found"; fi
