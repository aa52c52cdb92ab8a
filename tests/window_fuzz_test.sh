#!/bin/sh
# window_fuzz_test.sh: a long random (seeded) sequence of keys, clicks,
# drags, typing and resizes against the real window under Xvfb; the program
# must stay alive throughout, still answer a key by changing the screen
# afterwards, and exit 0 on q; and its memory must stay flat: the resident
# size (VmRSS) after the first third of the events (the warm-up, which fills
# the caches) and at the end may differ by at most FUZZ_RSS_GROWTH_MB.
#   FUZZ_SEED (default 1) picks the sequence; FUZZ_EVENTS (default 1200) its
#   length. Bounded in time: each batch of events is sent under `timeout`.
#   FUZZ_RSS_LOG=FILE keeps one line per batch: events sent, VmRSS, VmHWM
#   (kB), for a long storm run by hand.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/window_lib.sh"

seed=${FUZZ_SEED:-1}
events=${FUZZ_EVENTS:-1200}
batch=25
growth_mb=${FUZZ_RSS_GROWTH_MB:-12}

if ! start_xvfb 1280x720; then
    not_ok window_fuzz_xvfb "Xvfb did not start: $(head -c 300 "$TMP/xvfb.log")"
    exit 1
fi
# Run in the scratch folder: nothing the keys might write lands in the tree.
cd "$TMP" || exit 1
if ! start_app; then
    not_ok window_fuzz_opens "no window within 30 s; stderr: $(app_err)"
    exit 1
fi
ok window_fuzz_opens

# Every bound key except the ones that end the program (q, Escape) or write
# files (x, c), plus what a weight edit reads (digits, '.', '-', Return,
# BackSpace) and keys bound to nothing. The wheel (buttons 4, 5) zooms the
# layer-stack scene the lessons (l) open.
keys="Right Left shift+Right shift+Left Up Down Home End space plus minus equal
KP_Add KP_Subtract g G s S p P m M d D k K n N r i I a A o O u t f F11
ctrl+equal ctrl+minus ctrl+0 question F1 Return BackSpace 0 1 2 5 9 period
l L v z Z w ctrl+Right ctrl+Left ctrl+Up ctrl+Down
minus e shift+e ctrl+s alt+s Tab"

# The whole sequence as xdotool command lines, batch events to a line.
# Coordinates are relative to the window; sizes stay within the screen.
awk -v seed="$seed" -v n="$events" -v batch="$batch" -v keys="$keys" '
BEGIN {
    srand(seed)
    nk = split(keys, k, /[ \n]+/)
    line = ""
    for (i = 1; i <= n; i++) {
        r = rand()
        w = 1280; h = 720
        x = int(rand() * w); y = int(rand() * h)
        if (r < 0.55)
            cmd = "key --delay 5 " k[1 + int(rand() * nk)]
        else if (r < 0.80)
            cmd = "mousemove --window WID " x " " y " click 1"
        else if (r < 0.90)
            cmd = "mousemove --window WID " x " " y " mousedown 1 mousemove --window WID " int(rand() * w) " " y " mousemove --window WID " int(rand() * w) " " int(rand() * h) " mouseup 1"
        else if (r < 0.93)
            cmd = "mousemove --window WID " x " " y
        else if (r < 0.95)
            cmd = "mousemove --window WID " x " " y " click " (rand() < 0.5 ? 4 : 5)
        else
            cmd = "windowsize WID " (160 + int(rand() * 1120)) " " (120 + int(rand() * 600))
        line = line " " cmd
        if (i % batch == 0 || i == n) { print line; line = "" }
    }
}' >"$TMP/plan"

# status_kb FIELD: a VmRSS/VmHWM line of the program's /proc status, in kB.
status_kb() {
    awk -v f="$1:" '$1 == f { print $2 }' "/proc/$APP_PID/status" 2>/dev/null
}

alive=1
sent=0
warm=$((events / 3))
rss_warm=""
: >"$TMP/rss"
while read -r line; do
    # shellcheck disable=SC2086
    timeout 20 xdotool $(echo "$line" | sed "s/WID/$WID/g") 2>>"$TMP/xdotool.err"
    sent=$((sent + batch))
    if ! kill -0 "$APP_PID" 2>/dev/null; then alive=0; break; fi
    echo "$sent $(status_kb VmRSS) $(status_kb VmHWM)" >>"$TMP/rss"
    if [ -z "$rss_warm" ] && [ "$sent" -ge "$warm" ]; then
        sleep 0.5
        rss_warm=$(status_kb VmRSS)
    fi
done <"$TMP/plan"
[ -z "${FUZZ_RSS_LOG:-}" ] || cp "$TMP/rss" "$FUZZ_RSS_LOG"

if [ $alive -eq 1 ]; then ok window_fuzz_alive
else
    wait_exit 1
    not_ok window_fuzz_alive "died after about $sent events (seed $seed, status $APP_STATUS): $(app_err)"
    exit 1
fi

# The sequence has drained (the program answers xdotool's last request
# before it returns, but may still be drawing): let it settle, then compare.
sleep 1
rss_end=$(status_kb VmRSS)
hwm=$(status_kb VmHWM)
# Under `make sanitize` AddressSanitizer holds freed memory in its quarantine
# (256 MB) before reusing it, so there the resident size grows by design.
if ldd "$CONVSTEP" 2>/dev/null | grep -q libasan; then
    echo "ok # skip window_fuzz_rss_flat: AddressSanitizer's quarantine keeps freed memory resident"
elif [ -n "$rss_warm" ] && [ -n "$rss_end" ] && [ $((rss_end - rss_warm)) -le $((growth_mb * 1024)) ]; then
    ok window_fuzz_rss_flat
else
    not_ok window_fuzz_rss_flat "VmRSS grew from ${rss_warm:-?} kB after $warm events to ${rss_end:-?} kB after $events (VmHWM ${hwm:-?} kB), more than $growth_mb MB"
fi
echo "# window_fuzz: VmRSS ${rss_warm} kB after $warm events, ${rss_end} kB after $events, VmHWM ${hwm} kB"

# Back to a known size, then one click on the window's corner (ends a weight
# edit, clears a selection), then t must change the screen.
xdotool windowsize "$WID" 1280 720
sleep 1
xdotool mousemove --window "$WID" 1 1 click 1
sleep 0.5
shot "$TMP/before.png"
xdotool key t
if wait_change "$TMP/before.png" "$TMP/after.png" 15; then ok window_fuzz_responsive
else not_ok window_fuzz_responsive "t changed nothing after the sequence (seed $seed)"; fi

xdotool key q
if wait_exit 20; then
    if [ "$APP_STATUS" -eq 0 ]; then ok window_fuzz_q_exits_0; else not_ok window_fuzz_q_exits_0 "status $APP_STATUS: $(app_err)"; fi
else
    not_ok window_fuzz_q_exits_0 "still running 20 s after q"
fi
