# window_lib.sh: helpers for the window tests (sourced after lib.sh): a
# private Xvfb server, the program in it, screenshots and waiting for the
# screen to change. Needs Xvfb, xdotool and ImageMagick (scripts/deps.sh test).
#   start_xvfb WxH      starts Xvfb on a free display and exports DISPLAY
#   start_app ARGS...   runs $CONVSTEP in it, sets APP_PID and WID (its
#                       window) and waits for its first frame
#   shot FILE           the window's pixels as a PNG
#   differ A B          true when the two images differ in any pixel
#   wait_change BASE OUT [SECONDS]   shoots OUT until it differs from BASE
#   wait_same BASE OUT [SECONDS]     shoots OUT until it equals BASE
#   wait_exit SECONDS   waits for the program to end; sets APP_STATUS

# Under `make sanitize` the window process leaks inside libraries that are
# not ours (libdbus, fontconfig's cache, and X11 libraries SDL loads and
# unloads itself, whose frames LeakSanitizer can no longer even name), so
# leak checking is off here; our own code's leaks are the unit tests' job.
# AddressSanitizer's other checks stay on.
ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

XVFB_PID=""
APP_PID=""
APP_STATUS=""
WID=""

window_cleanup() {
    [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap window_cleanup EXIT

# Xvfb picks a free display itself (-displayfd), so tests running at the
# same time (make test beside make sanitize) never share a server.
start_xvfb() {
    # -noreset: a server whose last client leaves resets, and refuses the
    # next program that connects meanwhile.
    Xvfb -displayfd 3 -screen 0 "${1}x24" -nolisten tcp -noreset 3>"$TMP/display" 2>"$TMP/xvfb.log" &
    XVFB_PID=$!
    n=0
    while [ ! -s "$TMP/display" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    [ -s "$TMP/display" ] || return 1
    DISPLAY=:$(head -n 1 "$TMP/display")
    export DISPLAY
}

# SDL_VIDEODRIVER pins the X11 driver (not Wayland) on a developer's desktop.
start_app() {
    SDL_VIDEODRIVER=x11 "$CONVSTEP" "$@" >"$TMP/app.out" 2>"$TMP/app.err" &
    APP_PID=$!
    APP_STATUS=""
    WID=""
    n=0
    while [ -z "$WID" ] && [ $n -lt 300 ] && kill -0 "$APP_PID" 2>/dev/null; do
        WID=$(xdotool search --onlyvisible --name '^convstep$' 2>/dev/null | head -n 1)
        [ -n "$WID" ] || sleep 0.1
        n=$((n + 1))
    done
    [ -n "$WID" ] || return 1
    # No window manager under Xvfb: give the window the keyboard ourselves.
    xdotool windowfocus --sync "$WID" 2>/dev/null || xdotool windowfocus "$WID"
    # The window maps before its first frame is drawn: wait for a frame
    # (many colours) that stays the same for a moment.
    n=0
    while [ $n -lt 100 ]; do
        shot "$TMP/first1.png"
        sleep 0.2
        shot "$TMP/first2.png"
        if [ "$(identify -format '%k' "$TMP/first2.png" 2>/dev/null || echo 0)" -ge 16 ] &&
            ! differ "$TMP/first1.png" "$TMP/first2.png"; then
            return 0
        fi
        n=$((n + 1))
    done
    return 1
}

# shot FILE: the window's pixels; a server that stopped answering fails
# the shot after 30 s instead of hanging the suite.
shot() {
    timeout 30 import -window "$WID" "$1" 2>/dev/null
}

differ() {
    ae=$(compare -metric AE "$1" "$2" null: 2>&1)
    [ "$ae" != "0" ]
}

wait_change() {
    limit=$(( ${3:-10} * 10 )); n=0
    while [ $n -lt "$limit" ]; do
        shot "$2" && [ -s "$2" ] && differ "$1" "$2" && return 0
        sleep 0.1; n=$((n + 1))
    done
    return 1
}

wait_same() {
    limit=$(( ${3:-10} * 10 )); n=0
    while [ $n -lt "$limit" ]; do
        shot "$2" && [ -s "$2" ] && ! differ "$1" "$2" && return 0
        sleep 0.1; n=$((n + 1))
    done
    return 1
}

wait_exit() {
    limit=$(( $1 * 10 )); n=0
    while kill -0 "$APP_PID" 2>/dev/null && [ $n -lt "$limit" ]; do sleep 0.1; n=$((n + 1)); done
    if kill -0 "$APP_PID" 2>/dev/null; then return 1; fi
    wait "$APP_PID"
    APP_STATUS=$?
    APP_PID=""
    return 0
}

# CPU time (user + system, in clock ticks) the program has used so far.
app_cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$APP_PID/stat"
}

# The program's stderr, shortened, for a failure message.
app_err() {
    tr '\n' ' ' <"$TMP/app.err" | head -c 400
}
