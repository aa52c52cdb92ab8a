#!/bin/sh
# input_test.sh: input files that are not plain files (issue 16, defect 2).
# Every input is opened once and read whole (core/filein.h), so a pipe, a
# process substitution and standard input ("-", /dev/stdin) read as the file
# they carry; a FIFO that nothing writes to is refused after a bounded wait
# instead of hanging in open(2); a directory is refused by name. Each run has
# a timeout, so a hang is a failure rather than a stuck suite.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
LC_ALL=C
export LC_ALL

# t SECONDS COMMAND...: COMMAND under a timeout (exit 124 when it hangs).
t() { secs=$1; shift; timeout -k 2 "$secs" "$@"; }

# expect_same NAME A B: the two files are byte for byte the same.
expect_same() {
    if [ -f "$2" ] && [ -f "$3" ] && cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1" "$2 and $3 differ or are missing"; fi
}

# expect_absent NAME FILE: a failed run left no FILE.
expect_absent() {
    if [ -e "$2" ]; then not_ok "$1" "$2 was left behind"; else ok "$1"; fi
}

npy_i1 in.npy "1, 4, 4" 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
npy_i1 w.npy "1, 1, 2, 2" 1 0 0 1
# 100000 bytes of data: more than a pipe's 64 KiB buffer, so the writer
# blocks until convstep reads, as a real stream does
npy_raw big.npy "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 400, 250), }"
head -c 100000 /dev/zero | tr '\000' '\007' >>big.npy
printf 'Conv2d(1, 1, 3)\nConv2d(1, 1, 3)\n' >spec.txt
"$CONVSTEP" conv -i in.npy -w w.npy -o ref.npy 2>/dev/null
"$CONVSTEP" conv -i big.npy -w w.npy -o bigref.npy 2>/dev/null
"$CONVSTEP" rf @spec.txt >rf-ref.txt 2>/dev/null

# ---- a FIFO with no writer: refused, never a hang ----
mkfifo fifo
expect_error "FIFO without a writer as -w: refused, no hang" 1 "fifo is a pipe with no writer" \
    t 20 "$CONVSTEP" conv -i in.npy -w fifo -o o1.npy
expect_absent "FIFO as -w leaves no output" o1.npy
expect_error "FIFO without a writer as -i: refused, no hang" 1 "fifo is a pipe with no writer" \
    t 20 "$CONVSTEP" conv -i fifo -w w.npy -o o2.npy
expect_absent "FIFO as -i leaves no output" o2.npy
expect_error "FIFO without a writer as rf @FILE: refused, no hang" 1 "fifo is a pipe with no writer" \
    t 20 "$CONVSTEP" rf @fifo
expect_error "FIFO without a writer as -b: refused, no hang" 1 "fifo is a pipe with no writer" \
    t 20 "$CONVSTEP" conv -i in.npy -w w.npy -b fifo -o o3.npy
expect_error "FIFO without a writer as the window's input (export): refused, no hang" 1 \
    "fifo is a pipe with no writer" t 20 "$CONVSTEP" export -i fifo --png o4.png
expect_absent "FIFO as export input leaves no output" o4.png

# ---- a FIFO with a writer, before or after convstep opens it ----
(cat w.npy >fifo) &
expect_status "FIFO whose writer is waiting: read" 0 t 20 "$CONVSTEP" conv -i in.npy -w fifo -o o5.npy
wait
expect_same "FIFO whose writer is waiting: same output as the file" ref.npy o5.npy
(sleep 0.5; cat in.npy >fifo) &
expect_status "FIFO whose writer comes half a second later: read" 0 \
    t 20 "$CONVSTEP" conv -i fifo -w w.npy -o o6.npy
wait
expect_same "FIFO whose writer comes later: same output as the file" ref.npy o6.npy
(sleep 0.3; cat spec.txt >fifo) &
t 20 "$CONVSTEP" rf @fifo >rf-fifo.txt 2>"$TMP/err"
wait
expect_same "rf @FIFO: the same table as from the file" rf-ref.txt rf-fifo.txt

# ---- pipes and standard input ----
cat big.npy | t 20 "$CONVSTEP" conv -i /dev/stdin -w w.npy -o o7.npy 2>"$TMP/err"
expect_same "cat x.npy | conv -i /dev/stdin: the file's output" bigref.npy o7.npy
cat big.npy | t 20 "$CONVSTEP" conv -i - -w w.npy -o o8.npy 2>"$TMP/err"
expect_same "cat x.npy | conv -i -: the file's output" bigref.npy o8.npy
cat w.npy | t 20 "$CONVSTEP" conv -i in.npy -w - -o o9.npy 2>"$TMP/err"
expect_same "cat w.npy | conv -w -: the file's output" ref.npy o9.npy
cat spec.txt | t 20 "$CONVSTEP" rf @- >rf-stdin.txt 2>"$TMP/err"
expect_same "cat spec.txt | rf @-: the file's table" rf-ref.txt rf-stdin.txt
if command -v bash >/dev/null 2>&1; then
    t 20 bash -c '"$0" conv -i <(cat big.npy) -w w.npy -o o10.npy' "$CONVSTEP" 2>"$TMP/err"
    expect_same "conv -i <(cat x.npy): the file's output" bigref.npy o10.npy
    t 20 bash -c '"$0" rf @<(cat spec.txt)' "$CONVSTEP" >rf-procsub.txt 2>"$TMP/err"
    expect_same "rf @<(cat spec.txt): the file's table" rf-ref.txt rf-procsub.txt
else
    ok "conv -i <(cat x.npy) # SKIP no bash"
    ok "rf @<(cat spec.txt) # SKIP no bash"
fi
expect_error "an empty pipe on stdin says so" 1 "stdin is empty" \
    sh -c 'printf "" | "$0" conv -i - -w w.npy -o o11.npy' "$CONVSTEP"
expect_absent "an empty pipe leaves no output" o11.npy
expect_error "rf @- with an empty stdin names stdin" 1 "^convstep: stdin: line 1, column 1" \
    sh -c 'true | "$0" rf @-' "$CONVSTEP"

# ---- what is not a file or a pipe ----
mkdir folder
expect_error "a directory as -i is refused by name" 1 "folder is a directory" \
    "$CONVSTEP" conv -i folder -w w.npy -o o12.npy
expect_error "a directory as -w is refused by name" 1 "folder is a directory" \
    "$CONVSTEP" conv -i in.npy -w folder -o o12.npy
expect_error "a directory as rf @FILE is refused by name" 1 "folder is a directory" \
    "$CONVSTEP" rf @folder
expect_absent "a directory leaves no output" o12.npy
