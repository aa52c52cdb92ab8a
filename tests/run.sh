#!/bin/sh
# run.sh: runs every test and prints one summary line "N passed, M failed".
#   tests/run.sh            all: Criterion binaries in $BUILD/tests, then tests/*_test.sh
#   tests/run.sh PATTERN    only the binaries and scripts whose name contains PATTERN
# Each Criterion binary reports its own tests; each shell script prints
# "ok NAME" / "not ok NAME" lines (tests/lib.sh), counted here.
set -u
BUILD=${BUILD:-build}
export BUILD
pattern=${1:-}
passed=0
failed=0
failures=""
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for bin in "$BUILD"/tests/test_*; do
    [ -x "$bin" ] || continue
    case "$bin" in *.o|*.d) continue ;; esac
    name=$(basename "$bin")
    case "$name" in *"$pattern"*) ;; *) continue ;; esac
    "$bin" --jobs 2 >"$log" 2>&1
    rc=$?
    line=$(grep 'Synthesis:' "$log" | tail -n 1)
    t=$(echo "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
    p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    if [ -z "$t" ]; then t=1; p=0; fi
    f=$((t - p))
    if [ $rc -ne 0 ] && [ $f -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ $f -ne 0 ]; then
        cat "$log"
        failures="$failures $name"
    fi
    echo "$name: $p passed, $f failed"
done

for script in "$here"/*_test.sh; do
    [ -f "$script" ] || continue
    name=$(basename "$script" .sh)
    case "$name" in *"$pattern"*) ;; *) continue ;; esac
    sh "$script" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    if [ $rc -ne 0 ] && [ $f -eq 0 ]; then f=1; echo "not ok $name exited $rc" >>"$log"; fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ $f -ne 0 ]; then
        cat "$log"
        failures="$failures $name"
    fi
    echo "$name: $p passed, $f failed"
done

[ -n "$failures" ] && echo "failing:$failures"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
