#!/bin/sh
# export_test.sh: `convstep export` as a user runs it: frame counts for
# several scenes and granularities (worked out from the output-size formula
# in each comment), --size, --from/--to and --at against the full export,
# byte-for-byte reproducibility, GIF loop and delays, video through ffmpeg,
# refusing to overwrite, unwritable and full targets, Ctrl-C in the middle,
# no display, the progress bar. Nothing may leave a temporary file behind.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
LC_ALL=C
export LC_ALL

# ---- fixtures ----

npy_i1 in5.npy "1, 5, 5" 3 3 2 1 0  0 0 1 3 1  3 1 2 2 3  2 0 0 2 2  2 0 0 0 1
npy_i1 k3.npy "1, 1, 3, 3" 0 1 2  2 2 0  0 1 2
# A 40x40 input: 38x38 = 1444 positions, for a long export to interrupt.
i=0; vals=""
while [ $i -lt 1600 ]; do vals="$vals $(( (i * 7) % 23 ))"; i=$((i + 1)); done
# shellcheck disable=SC2086
npy_i1 big.npy "1, 40, 40" $vals

SMALL="--size 160x90"

# count NAME WANT DIR: DIR holds exactly frame-00001.png .. frame-WANT.png.
count() {
    got=$(ls "$3" | grep -c '^frame-[0-9]*\.png$')
    last=$(printf 'frame-%05d.png' "$2")
    if [ "$got" -eq "$2" ] && [ -f "$3/$last" ]; then ok "$1"
    else not_ok "$1" "wanted $2 frames, got $got: $(ls "$3" | head -3 | tr '\n' ' ')"; fi
}

# no_temp NAME DIR: no temporary file (NAME.tmp-PID-N) anywhere under DIR.
no_temp() {
    left=$(find "$2" -name '*.tmp-*' 2>/dev/null | head -3)
    if [ -z "$left" ]; then ok "$1"; else not_ok "$1" "temporary files left: $left"; fi
}

# contiguous NAME DIR: the frames in DIR (if it exists: an export that kept
# no frame removes the folder it made) are frame 1 to N with no gap, each a
# complete PNG.
contiguous() {
    n=$(ls "$2" 2>/dev/null | grep -c '^frame-[0-9]*\.png$')
    gaps=0
    for f in "$2"/frame-*.png; do
        [ -e "$f" ] || break
        k=$(basename "$f" .png | sed 's/^frame-0*//')
        [ "$k" -le "$n" ] || gaps=$((gaps + 1))
    done
    bad=""
    if [ "$n" -gt 0 ]; then
        for k in 1 "$n"; do
            f=$(printf '%s/frame-%05d.png' "$2" "$k")
            identify "$f" >/dev/null 2>&1 || bad="$bad $f"
        done
    fi
    if [ "$gaps" -eq 0 ] && [ -z "$bad" ]; then ok "$1 ($n frames)"
    else not_ok "$1" "gaps: $gaps, unreadable:$bad"; fi
}

can_mount=no
mkdir -p mnt-probe
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs mnt-probe 2>/dev/null; then
    umount mnt-probe && can_mount=yes
fi

# ---- frame counts ----

# Default scene: 3x7x7 image, one 3x3 filter, stride 1, padding 0:
# output (7 - 3) / 1 + 1 = 5, so 5*5 = 25 positions.
expect_status "default scene exports" 0 "$CONVSTEP" export $SMALL --frames d-pos --quiet
count "position: 5x5 outputs x 1 filter = 25 frames" 25 d-pos
# channel: one frame per input channel of each position, 25*3.
expect_status "channel granularity exports" 0 "$CONVSTEP" export $SMALL --step channel --frames d-chan --quiet
count "channel: 25 positions x 3 channels = 75 frames" 75 d-chan
# term: one frame per multiply, 25*3*(3*3).
expect_status "term granularity exports" 0 "$CONVSTEP" export $SMALL --step term --frames d-term --quiet
count "term: 25 x 3 channels x 9 taps = 675 frames" 675 d-term
# 5x5 input, 3x3 kernel, stride 2, padding 1: (5 + 2 - 3) / 2 + 1 = 3.
expect_status "strided scene exports" 0 "$CONVSTEP" export -i in5.npy --kernel k3.npy --stride 2 --padding 1 \
    $SMALL --frames s2 --quiet
count "stride 2 padding 1 on 5x5: 3x3 = 9 frames" 9 s2
# Two filters: every position once per filter, 25*2.
expect_status "two filters export" 0 "$CONVSTEP" export --kernel sobel-x --filters 2 $SMALL --frames f2 --quiet
count "two filters: 25 x 2 = 50 frames" 50 f2
# Max pooling, 2x2 window, stride 2, per channel: floor((7 - 2) / 2) + 1 = 3,
# so 3*3 positions x 3 channels.
expect_status "pooling exports" 0 "$CONVSTEP" export --pool max $SMALL --frames pool --quiet
count "max pool 2x2/2 on 3x7x7: 3x3 x 3 = 27 frames" 27 pool
# padding same with stride 2 (TensorFlow's rule): ceil(7 / 2) = 4.
expect_status "padding same exports" 0 "$CONVSTEP" export --padding same --stride 2 $SMALL --gif same.gif --quiet
got=$(identify same.gif 2>/dev/null | wc -l)
if [ "$got" -eq 16 ]; then ok "GIF, padding same stride 2: 4x4 = 16 frames"
else not_ok "GIF, padding same stride 2: 4x4 = 16 frames" "identify counts $got"; fi

# ---- size, range, single stills ----

expect_status "frames at 320x180, 4 per second" 0 "$CONVSTEP" export --size 320x180 --fps 4 --frames g-pos --quiet

size=$(identify -format '%w %h' d-pos/frame-00001.png 2>/dev/null)
[ "$size" = "160 90" ] && ok "--size 160x90 gives 160x90 frames" || not_ok "--size 160x90" "got '$size'"
expect_status "default size" 0 "$CONVSTEP" export --png big-default.png --quiet
size=$(identify -format '%w %h' big-default.png 2>/dev/null)
[ "$size" = "1280 720" ] && ok "default frame size is 1280x720" || not_ok "default size" "got '$size'"
expect_status "odd --size" 0 "$CONVSTEP" export --size 333x211 --gif odd.gif --to 2 --quiet
size=$(identify -format '%W %H\n' odd.gif 2>/dev/null | head -1)
[ "$size" = "333 211" ] && ok "--size 333x211 gives a 333x211 GIF" || not_ok "GIF size" "got '$size'"

expect_status "--from 3 --to 7" 0 "$CONVSTEP" export $SMALL --from 3 --to 7 --frames range --quiet
count "--from 3 --to 7: 5 frames" 5 range
cmp -s range/frame-00001.png d-pos/frame-00003.png && cmp -s range/frame-00005.png d-pos/frame-00007.png \
    && ok "--from/--to frames are the full export's steps 3..7" \
    || not_ok "--from/--to frames" "differ from the full export's frames 3 and 7"

# --at ROW,COL: output (2, 3) is step 2*5 + 3 + 1 = 14 of the position export...
expect_status "--at 2,3 --png" 0 "$CONVSTEP" export --size 320x180 --fps 4 --at 2,3 --png at.png --quiet
cmp -s at.png g-pos/frame-00014.png && ok "--at 2,3 is frame 14 of the full export" \
    || not_ok "--at 2,3" "differs from frame 14"
# ...and with --step term it is that position complete: its last multiply,
# frame 14 * 27 of the term export.
expect_status "--at 2,3 --step term" 0 "$CONVSTEP" export $SMALL --step term --at 2,3 --frames at-term --quiet
cmp -s at-term/frame-00001.png d-term/frame-00378.png && ok "--at with --step term is the position's last step" \
    || not_ok "--at with --step term" "differs from term frame 378"
expect_error "--at outside the output" 1 "output is 5x5" "$CONVSTEP" export --at 5,0 --png at2.png
expect_error "--to past the last step" 1 "steps are 1 to 25" "$CONVSTEP" export --to 26 --frames r2
[ ! -e at2.png ] && [ ! -e r2 ] && ok "refused ranges write nothing" || not_ok "refused ranges" "files appeared"

# ---- reproducible ----

expect_status "second frames export" 0 "$CONVSTEP" export $SMALL --frames d-pos2 --quiet
same=yes
for f in d-pos/*.png; do cmp -s "$f" "d-pos2/$(basename "$f")" || same=no; done
[ $same = yes ] && ok "frames are byte-identical across runs" || not_ok "frames reproducible" "some frame differs"
expect_status "GIF export" 0 "$CONVSTEP" export --size 320x180 --fps 4 --gif a.gif --quiet
expect_status "GIF export again" 0 "$CONVSTEP" export --size 320x180 --fps 4 --gif b.gif --quiet
cmp -s a.gif b.gif && ok "GIF is byte-identical across runs" || not_ok "GIF reproducible" "a.gif != b.gif"
frames=$(identify a.gif | wc -l)
delays=$(identify -format '%T ' a.gif | tr -s ' ' '\n' | sort -u | tr '\n' ' ')
[ "$frames" -eq 25 ] && [ "$delays" = "25 " ] && ok "GIF: 25 frames of 25/100 s at --fps 4" \
    || not_ok "GIF frames and delays" "frames $frames, delays '$delays'"
grep -q NETSCAPE2.0 a.gif && ok "GIF has the NETSCAPE2.0 loop block" || not_ok "GIF loops" "no NETSCAPE2.0 block"
# The GIF's 8th frame, composited, against the PNG frame of the same step.
convert a.gif -coalesce gif-%d.png 2>/dev/null
err=$(compare -metric RMSE gif-7.png g-pos/frame-00008.png null: 2>&1 | sed 's/.*(\(.*\))/\1/')
awk -v e="$err" 'BEGIN { exit !(e != "" && e < 0.01) }' && ok "GIF frame 8 matches PNG frame 8 (RMSE $err)" \
    || not_ok "GIF frame 8 vs PNG" "RMSE '$err'"

# ---- nothing lost ----

printf 'keep me\n' >exists.gif
cp exists.gif exists.copy
expect_error "existing GIF refused" 1 "exists.gif already exists" "$CONVSTEP" export --gif exists.gif
cmp -s exists.gif exists.copy && ok "existing file untouched" || not_ok "existing file untouched" "it changed"
cp exists.gif exists.png
expect_error "existing PNG refused" 1 "already exists" "$CONVSTEP" export --png exists.png
cmp -s exists.png exists.copy && ok "existing PNG untouched" || not_ok "existing PNG untouched" "it changed"
expect_status "--force replaces it" 0 "$CONVSTEP" export $SMALL --gif exists.gif --force --quiet
identify exists.gif >/dev/null 2>&1 && ok "--force wrote a GIF over it" || not_ok "--force" "not a GIF"

mkdir notes
printf 'mine\n' >notes/readme.txt
expect_error "non-empty folder refused" 1 "not empty" "$CONVSTEP" export --frames notes
[ "$(ls notes)" = "readme.txt" ] && ok "non-empty folder untouched" || not_ok "non-empty folder" "$(ls notes)"
cp d-pos/frame-00001.png notes/frame-00099.png
expect_status "--force into a folder" 0 "$CONVSTEP" export $SMALL --frames notes --force --quiet
[ -f notes/readme.txt ] && [ ! -e notes/frame-00099.png ] && [ -f notes/frame-00025.png ] \
    && ok "--force: old frames removed, other files kept" || not_ok "--force into a folder" "$(ls notes | tr '\n' ' ')"

expect_error "missing folder" 1 "does not exist" "$CONVSTEP" export --gif no/such/dir/a.gif
expect_error "frames under a file" 1 "convstep: " "$CONVSTEP" export --frames exists.copy/frames
expect_error "/dev/full refused" 1 "/dev/full" "$CONVSTEP" export --gif /dev/full --force
[ -c /dev/full ] && ok "/dev/full is still a device" || not_ok "/dev/full" "was replaced"
ls /dev | grep -q 'full\.tmp' && not_ok "/dev/full temp" "left in /dev" || ok "no temporary file in /dev"

if [ $can_mount = yes ]; then
    mkdir ro full
    mount -t tmpfs -o ro tmpfs ro
    expect_error "read-only folder" 1 "ro/a.gif" "$CONVSTEP" export --gif ro/a.gif
    expect_error "read-only frames folder" 1 "ro/frames" "$CONVSTEP" export --frames ro/frames
    [ -z "$(ls -A ro)" ] && ok "read-only folder: nothing written" || not_ok "read-only folder" "$(ls -A ro)"
    umount ro
    # 200 KB holds one or two 1280x720 frames of the default scene.
    mount -t tmpfs -o size=200k tmpfs full
    expect_error "full disk, frames" 1 "No space left" "$CONVSTEP" export --frames full/frames
    no_temp "full disk, frames: no temporary file" full
    contiguous "full disk: the frames kept are complete" full/frames
    rm -rf full/frames
    expect_error "full disk, GIF" 1 "No space left" "$CONVSTEP" export --gif full/a.gif
    [ -z "$(ls -A full)" ] && ok "full disk, GIF: nothing left" || not_ok "full disk, GIF" "$(ls -A full)"
    # 8 KB left: no 1280x720 PNG or GIF of the default scene fits.
    printf 'keep' >full/keep.png
    printf 'keep' >full/keep.gif
    dd if=/dev/zero of=full/fill bs=1k count=188 2>/dev/null
    expect_error "full disk, PNG" 1 "full/a.png.*No space left" "$CONVSTEP" export --png full/a.png
    [ ! -e full/a.png ] && ok "full disk, PNG: nothing under the final name" || not_ok "full disk, PNG" "a.png exists"
    expect_error "full disk, PNG --force" 1 "No space left" "$CONVSTEP" export --png full/keep.png --force
    expect_error "full disk, GIF --force" 1 "No space left" "$CONVSTEP" export --gif full/keep.gif --force
    [ "$(cat full/keep.png full/keep.gif)" = keepkeep ] && ok "full disk, --force: existing PNG and GIF kept" \
        || not_ok "full disk, --force" "keep.png or keep.gif changed"
    no_temp "full disk, PNG and GIF: no temporary file" full
    umount full
else
    skip "read-only and full tmpfs targets" "mount not permitted here"
    if [ "$(id -u)" != 0 ]; then
        mkdir ro && chmod 555 ro
        expect_error "unwritable folder" 1 "ro/a.gif" "$CONVSTEP" export --gif ro/a.gif
        [ -z "$(ls -A ro)" ] && ok "unwritable folder: nothing written" || not_ok "unwritable folder" "$(ls -A ro)"
    fi
fi

# ---- Ctrl-C ----

# interrupt NAME SIGNAL ARGS...: starts a long export, waits until it has
# written something, sends SIGNAL; the export must end with status 1 and
# one "convstep: interrupted" line.
interrupt() {
    name=$1; sig=$2; shift 2
    "$CONVSTEP" export -i big.npy --kernel k3.npy --size 320x180 "$@" 2>int.err &
    pid=$!
    n=0
    while [ $n -lt 100 ]; do
        [ -n "$(ls -A int-out 2>/dev/null; ls int.* 2>/dev/null | grep -v int.err)" ] && break
        sleep 0.05; n=$((n + 1))
    done
    sleep 0.3
    kill -"$sig" $pid
    wait $pid
    rc=$?
    if [ $rc -eq 1 ] && [ "$(wc -l <int.err)" -eq 1 ] && grep -q '^convstep: interrupted' int.err; then ok "$name"
    else not_ok "$name" "exit $rc: $(cat int.err)"; fi
}
interrupt "Ctrl-C during --frames" INT --frames int-out --quiet
total=$((38 * 38))
kept=$(ls int-out | grep -c '^frame-')
[ "$kept" -gt 0 ] && [ "$kept" -lt $total ] && ok "Ctrl-C: stopped part way ($kept of $total frames)" \
    || not_ok "Ctrl-C part way" "$kept of $total frames"
no_temp "Ctrl-C: no temporary frame" int-out
contiguous "Ctrl-C: completed frames stay, complete" int-out
grep -q "kept $kept complete frames" int.err && ok "Ctrl-C message says what was kept" \
    || not_ok "Ctrl-C message" "$(cat int.err)"
interrupt "Ctrl-C during --gif" INT --gif int.gif --quiet
[ ! -e int.gif ] && ok "Ctrl-C: no GIF under the final name" || not_ok "Ctrl-C GIF" "int.gif exists"
no_temp "Ctrl-C: no temporary GIF" .
interrupt "SIGTERM during --gif" TERM --gif int.gif --quiet
[ ! -e int.gif ] && ok "SIGTERM: no GIF" || not_ok "SIGTERM GIF" "int.gif exists"
no_temp "SIGTERM: no temporary GIF" .
# A second Ctrl-C ends the process at once, after the same cleanup.
"$CONVSTEP" export -i big.npy --kernel k3.npy --size 320x180 --gif int2.gif --quiet 2>int.err &
pid=$!
# Wait until the export is under way: a background job of a non-interactive
# shell starts with SIGINT ignored until the program installs its handler.
n=0
while [ $n -lt 200 ] && ! ls int2.gif.tmp-* >/dev/null 2>&1; do sleep 0.05; n=$((n + 1)); done
sleep 0.2
kill -INT $pid; kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 1 ] && [ ! -e int2.gif ] && grep -q '^convstep: interrupted' int.err && ok "two Ctrl-C: exit 1, no GIF" \
    || not_ok "two Ctrl-C" "exit $rc: $(cat int.err)"
no_temp "two Ctrl-C: no temporary GIF" .

# ---- no display, progress ----

expect_status "no DISPLAY" 0 env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER \
    "$CONVSTEP" export $SMALL --gif nodisplay.gif --quiet
identify nodisplay.gif >/dev/null 2>&1 && ok "no DISPLAY: the GIF is written" || not_ok "no DISPLAY" "no GIF"
"$CONVSTEP" export $SMALL --frames quiet-pipe >out.txt 2>err.txt
[ ! -s err.txt ] && grep -q 'wrote 25 frames' out.txt && ok "stderr not a terminal: no progress bar" \
    || not_ok "no terminal" "stderr: $(head -c 200 err.txt)"
if command -v script >/dev/null 2>&1; then
    script -qec "'$CONVSTEP' export $SMALL --frames tty-out" /dev/null >tty.txt 2>&1
    grep -q '25/25 frames' tty.txt && grep -q 'fps' tty.txt && ok "terminal: progress bar with frames and fps" \
        || not_ok "progress bar" "$(head -c 300 tty.txt)"
    script -qec "'$CONVSTEP' export $SMALL --frames tty-quiet --quiet" /dev/null >tty.txt 2>&1
    grep -q 'frames' tty.txt && not_ok "--quiet on a terminal" "$(head -c 200 tty.txt)" \
        || ok "--quiet on a terminal: silent"
else
    skip "progress bar on a terminal" "no script(1)"
fi

# ---- usage ----

expect_error "no target" 2 "missing a target" "$CONVSTEP" export
expect_error "two targets" 2 "one target" "$CONVSTEP" export --gif x.gif --frames x
expect_error "bad --size" 1 "--size" "$CONVSTEP" export --size 12 --gif x.gif
expect_error "GIF over 50 fps" 1 "50 frames per second" "$CONVSTEP" export --fps 60 --gif x.gif
expect_error "bad scene option" 1 "stride" "$CONVSTEP" export --stride 0 --gif x.gif
[ ! -e x.gif ] && [ ! -e x ] && ok "usage errors write nothing" || not_ok "usage errors" "files appeared"
# The padded input and the output are capped at 1024x1024 (the default input
# is 7x7: padding 5000 gives 10007 and 10005); refused at once, before a
# frame is drawn (it used to take 8 s and 1.2 GB; 1048576 asked calloc for TBs).
expect_error "huge padding" 1 "padding 5000 makes a 10007x10007 padded input and a 10005x10005 output; the window shows up to 1024x1024" \
    timeout 10 "$CONVSTEP" export --padding 5000 --png p.png
expect_error "enormous padding" 1 "padding 1048576 makes" timeout 10 "$CONVSTEP" export --padding 1048576 --gif p.gif
[ ! -e p.png ] && [ ! -e p.gif ] && ok "huge padding writes nothing" || not_ok "huge padding" "files appeared"
expect_status "--help" 0 "$CONVSTEP" export --help

# ---- video ----

if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then
    expect_status "video export" 0 "$CONVSTEP" export --size 320x180 --fps 5 --video a.mp4 --quiet
    probe=$(ffprobe -v error -count_frames -show_entries stream=codec_name,width,height,pix_fmt,nb_read_frames \
        -of csv=p=0 a.mp4 2>&1)
    [ "$probe" = "h264,320,180,yuv420p,25" ] && ok "video: H.264 320x180 yuv420p, 25 frames" \
        || not_ok "video stream" "$probe"
    expect_status "video export again" 0 "$CONVSTEP" export --size 320x180 --fps 5 --video b.mp4 --quiet
    cmp -s a.mp4 b.mp4 && ok "video is byte-identical across runs" || not_ok "video reproducible" "differ"
    expect_error "odd video size" 1 "even width and height" "$CONVSTEP" export --size 321x180 --video c.mp4
    expect_error "existing video refused" 1 "already exists" "$CONVSTEP" export --video a.mp4
    interrupt "Ctrl-C during --video" INT --video int.mp4 --quiet
    [ ! -e int.mp4 ] && ok "Ctrl-C: no video" || not_ok "Ctrl-C video" "int.mp4 exists"
    no_temp "Ctrl-C: no temporary video" .
    sleep 0.2
    if grep -ls 'int\.mp4\.tmp' /proc/[0-9]*/cmdline | grep -qv "/proc/$$/"; then
        not_ok "Ctrl-C video" "ffmpeg still running"
    else ok "Ctrl-C: ffmpeg stopped"; fi
    # A full disk: ffmpeg 5.1 reports "Error writing trailer ...: No space
    # left on device" and still exits 0, leaving an MP4 without its moov box,
    # when the frames fit and the trailer does not. The 100 frames of
    # 1280x720 take 669 KB; 600 KB holds a.mp4 (the 320x180 video above,
    # about 30 KB) and most of them.
    if [ $can_mount = yes ]; then
        mkdir vfull
        mount -t tmpfs -o size=600k tmpfs vfull
        cp a.mp4 vfull/good.mp4
        expect_error "full disk, video" 1 "cannot write vfull/new\.mp4: No space left on device" \
            "$CONVSTEP" export --step term --to 100 --video vfull/new.mp4 --quiet
        [ ! -e vfull/new.mp4 ] && ok "full disk, video: nothing under the final name" \
            || not_ok "full disk, video" "vfull/new.mp4 exists"
        rm -f vfull/new.mp4
        expect_error "full disk, video --force" 1 "cannot write vfull/good\.mp4: No space left on device" \
            "$CONVSTEP" export --step term --to 100 --video vfull/good.mp4 --force --quiet
        cmp -s a.mp4 vfull/good.mp4 && ok "full disk, video --force: the existing file is kept byte for byte" \
            || not_ok "full disk, video --force" "vfull/good.mp4 was changed"
        no_temp "full disk, video: no temporary file" vfull
        umount vfull
    else
        echo "ok full disk, video # skip mount not permitted here"
    fi
else
    skip "video" "ffmpeg is not installed"
fi
expect_error "no ffmpeg on PATH" 1 "needs ffmpeg" env PATH=/nonexistent "$CONVSTEP" export --video d.mp4
no_temp "nothing temporary left anywhere" .
