# lib.sh: helpers for the shell tests (sourced). Each check prints
# "ok NAME" or "not ok NAME: why"; tests/run.sh counts them.
CONVSTEP=${CONVSTEP:-$(pwd)/${BUILD:-build}/convstep}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok $1"; }
not_ok() { echo "not ok $1: $2"; }

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
