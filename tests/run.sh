#!/bin/sh
# run.sh: runs every test and prints one summary line
# "N passed, M failed, K skipped".
#   tests/run.sh            all: Criterion binaries in $BUILD/tests, then tests/*_test.sh
#   tests/run.sh PATTERN    only the binaries and scripts whose name contains PATTERN
# Every suite reports in TAP: each Criterion binary writes a TAP file
# (--tap), each shell script prints "ok NAME" / "not ok NAME: why" /
# "ok NAME # skip REASON" lines (tests/lib.sh). A skip counts as a skip,
# never as a pass, and its reason is shown; a run that passed nothing fails.
set -u
BUILD=${BUILD:-build}
export BUILD
pattern=${1:-}
passed=0
failed=0
skipped=0
failures=""
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp)
tap=$(mktemp)
trap 'rm -f "$log" "$tap"' EXIT

# report NAME STATUS TAPFILE: counts TAPFILE's results into p, f and s
# (a TAP "# skip" directive, any case, marks a skip), counts a non-zero
# STATUS with no failing line as one failure, adds them to the totals and
# prints the suite's line, its skips' reasons, and the whole log on failure.
report() {
    s=$(grep -ciE '^ok .*#[[:space:]]*skip' "$3")
    p=$(( $(grep -c '^ok ' "$3") - s ))
    f=$(grep -c '^not ok ' "$3")
    if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok $1 exited $2" >>"$log"; fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ "$f" -ne 0 ]; then
        cat "$log"
        failures="$failures $1"
    fi
    echo "$1: $p passed, $f failed, $s skipped"
    grep -iE '^ok .*#[[:space:]]*skip' "$3" | sed 's/^/    /'
}

for bin in "$BUILD"/tests/test_*; do
    [ -x "$bin" ] || continue
    case "$bin" in *.o|*.d) continue ;; esac
    name=$(basename "$bin")
    case "$name" in *"$pattern"*) ;; *) continue ;; esac
    : >"$tap"
    "$bin" --jobs 2 --tap="$tap" >"$log" 2>&1
    report "$name" $? "$tap"
done

for script in "$here"/*_test.sh; do
    [ -f "$script" ] || continue
    name=$(basename "$script" .sh)
    case "$name" in *"$pattern"*) ;; *) continue ;; esac
    sh "$script" >"$log" 2>&1
    report "$name" $? "$log"
done

[ -n "$failures" ] && echo "failing:$failures"
[ "$passed" -eq 0 ] && echo "nothing passed"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
