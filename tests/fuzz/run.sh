#!/bin/sh
# run.sh: runs each libFuzzer harness given for FUZZ_SECONDS (default 20),
# or until FUZZ_RUNS inputs have run when that is set and comes first.
#   tests/fuzz/run.sh build-fuzz/fuzz_npy build-fuzz/fuzz_image ...
# A harness build-fuzz/fuzz_NAME starts from a copy of tests/fuzz/corpus_NAME/
# (when it exists) in a temporary folder, so the repository is never written.
# A crash, or an input that runs over 10 s, is kept as build-fuzz/NAME-crash-*
# (or -timeout-*); the script then fails. The whole log of the last run of
# each harness stays as build-fuzz/NAME.log.
set -u
seconds=${FUZZ_SECONDS:-20}
runs=${FUZZ_RUNS:--1}
# A smaller quarantine than ASan's 256 MB keeps a long run under libFuzzer's
# memory limit: decoded images are large and many.
ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64}
export ASAN_OPTIONS
here=$(cd "$(dirname "$0")" && pwd)
failed=""
trap 'exit 130' INT TERM
for bin in "$@"; do
    name=$(basename "$bin" | sed 's/^fuzz_//')
    work=$(mktemp -d)
    trap 'rm -rf "$work" "$work.tmp"' EXIT
    mkdir "$work.tmp"
    if [ -d "$here/corpus_$name" ]; then cp -R "$here/corpus_$name/." "$work/"; fi
    log="$(dirname "$bin")/$name.log"
    limit="${seconds}s"
    [ "$runs" -lt 0 ] || limit="$limit or $runs inputs"
    echo "fuzz $name: $limit from $(ls "$work" | wc -l) seed inputs"
    TMPDIR="$work.tmp" "$bin" -max_total_time="$seconds" -runs="$runs" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$(dirname "$bin")/$name-" "$work" >"$log" 2>&1
    rc=$?
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*(INITED|DONE)' "$log" | sed "s/^/  /"
    if [ $rc -ne 0 ]; then
        tail -n 40 "$log"
        echo "fuzz $name: FAILED (exit $rc); the input is saved beside $bin"
        failed="$failed $name"
    else
        echo "fuzz $name: ok"
    fi
    rm -rf "$work" "$work.tmp"
done
[ -z "$failed" ] || { echo "fuzz failures:$failed"; exit 1; }
