# lib.sh: helpers for the shell tests (sourced). Each check prints
# "ok NAME", "not ok NAME: why" or "ok NAME # skip why" (TAP's skip
# directive); tests/run.sh counts them, skips apart from passes.
CONVSTEP=${CONVSTEP:-$(pwd)/${BUILD:-build}/convstep}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok $1"; }
not_ok() { echo "not ok $1: $2"; }
# skip NAME REASON: NAME could not run here (a missing tool, no permission).
skip() { echo "ok $1 # skip $2"; }

# expect_status NAME STATUS COMMAND...: runs COMMAND, checks its exit status.
expect_status() {
    name=$1; want=$2; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$name"; else not_ok "$name" "exit $got, wanted $want; stderr: $(head -c 300 "$TMP/err")"; fi
}

# expect_error NAME STATUS PATTERN COMMAND...: the command fails with STATUS
# and prints exactly one stderr line starting "convstep:" that matches PATTERN.
expect_error() {
    name=$1; want=$2; pat=$3; shift 3
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    lines=$(wc -l <"$TMP/err")
    if [ "$got" -ne "$want" ]; then not_ok "$name" "exit $got, wanted $want; stderr: $(head -c 300 "$TMP/err")"
    elif [ "$lines" -ne 1 ]; then not_ok "$name" "wanted one stderr line, got $lines: $(head -c 300 "$TMP/err")"
    elif ! grep -q '^convstep: ' "$TMP/err"; then not_ok "$name" "no convstep: prefix: $(cat "$TMP/err")"
    elif ! grep -qE -- "$pat" "$TMP/err"; then not_ok "$name" "message does not match /$pat/: $(cat "$TMP/err")"
    else ok "$name"; fi
}

# ---- .npy fixtures ----

# npy_raw FILE DICT: the .npy magic, version 1.0 and DICT padded with spaces
# and a newline to a multiple of 64 bytes, as NumPy writes it.
npy_raw() {
    len=$(( ${#2} + 1 ))
    total=$(( (10 + len + 63) / 64 * 64 - 10 ))
    { printf '\223NUMPY\001\000'
      printf "\\$(printf %03o $((total % 256)))\\$(printf %03o $((total / 256)))"
      printf '%s' "$2"
      printf "%$((total - len))s\n" ''; } >"$1"
}

# npy_i1 FILE SHAPE V...: an int8 array ('|i1') of shape (SHAPE) holding V...
npy_i1() {
    f=$1; shape=$2; shift 2
    npy_raw "$f" "{'descr': '|i1', 'fortran_order': False, 'shape': ($shape), }"
    for v in "$@"; do printf "\\$(printf %03o $(( (v + 256) % 256 )))"; done >>"$f"
}
