#!/bin/sh
# window_test.sh: the window under a real X server (Xvfb, 1280x720): it
# opens, keys change the screen when they should and leave it alone when
# they should not, paused it uses next to no CPU, it redraws at a new size
# after a resize, Escape closes the overlay before it quits, q exits 0, and a
# broken image on the command line exits 1 with one "convstep:" line, and
# a file dropped on the window opens (a broken one only says so).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/window_lib.sh"
tests_dir=$(cd "$(dirname "$0")" && pwd)

printf 'not an image' >"$TMP/broken.png"
expect_error window_broken_image_exits_1 1 'broken\.png' "$CONVSTEP" "$TMP/broken.png"
expect_error window_missing_image_exits_1 1 'nope\.png' "$CONVSTEP" "$TMP/nope.png"
expect_error window_bad_option_is_usage 2 'stride' "$CONVSTEP" --stride 0
expect_error window_without_display_exits_1 1 'no display' \
    env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "$CONVSTEP"

cd "$TMP" || exit 1
if ! start_xvfb 1280x720; then
    not_ok window_xvfb "Xvfb did not start: $(head -c 300 "$TMP/xvfb.log")"
    exit 1
fi
if ! start_app; then
    not_ok window_opens "no window named convstep within 30 s; stderr: $(app_err)"
    exit 1
fi
ok window_opens

A=$TMP/a.png
shot "$A"
size=$(identify -format '%wx%h' "$A")
if [ "$size" = 1280x720 ]; then ok window_default_size; else not_ok window_default_size "got $size"; fi

# The window draws what the exporter writes for the same state and size:
# the first step's frame, pixel for pixel, except the status line at the
# bottom (the window shows one, an export does not).
if "$CONVSTEP" export --frames "$TMP/frames" --size 1280x720 >/dev/null 2>"$TMP/export.err"; then
    convert "$A" "$TMP/frames/frame-00001.png" -compose difference -composite -threshold 0 \
        -trim -format '%w %h %X %Y' info: >"$TMP/box" 2>/dev/null
    read -r bw bh bx by <"$TMP/box"
    by=${by#+}
    if [ "${by:-0}" -ge 648 ]; then ok window_pixels_match_export
    else not_ok window_pixels_match_export "frames differ in ${bw}x${bh} at y=$by (above the status line)"; fi
else
    not_ok window_pixels_match_export "export failed: $(head -c 300 "$TMP/export.err")"
fi

# c saves the frame on screen as a PNG in the current folder.
xdotool key c
n=0
while [ $n -lt 100 ] && ! ls "$TMP"/convstep-*.png >/dev/null 2>&1; do sleep 0.1; n=$((n + 1)); done
png=$(ls "$TMP"/convstep-*.png 2>/dev/null | head -n 1)
if [ -n "$png" ] && ! differ "$A" "$png"; then ok window_c_saves_the_frame
else not_ok window_c_saves_the_frame "no PNG, or not the frame on screen"; fi
# From here on the status line says "saved ...": that is the new first frame.
wait_change "$A" "$TMP/a2.png" && cp "$TMP/a2.png" "$A"

# Nothing happens: the screen stays, and the loop sleeps (SDL_WaitEvent).
sleep 1
shot "$TMP/idle.png"
if differ "$A" "$TMP/idle.png"; then not_ok window_idle_screen_stable "the screen changed by itself"; else ok window_idle_screen_stable; fi
t0=$(app_cpu_ticks)
sleep 2
t1=$(app_cpu_ticks)
ticks=$((t1 - t0))
if [ "$ticks" -le 10 ]; then ok window_paused_cpu_near_zero
else not_ok window_paused_cpu_near_zero "$ticks ticks of CPU in 2 s while paused"; fi

xdotool key Right
if wait_change "$A" "$TMP/b.png"; then ok window_right_steps; else not_ok window_right_steps "the screen did not change"; fi
xdotool key Left
if wait_same "$A" "$TMP/c.png"; then ok window_left_steps_back; else not_ok window_left_steps_back "Left did not restore the first frame"; fi

xdotool key End
if wait_change "$A" "$TMP/end.png"; then ok window_end_jumps; else not_ok window_end_jumps "no change"; fi
xdotool key Home
if wait_same "$A" "$TMP/home.png"; then ok window_home_returns; else not_ok window_home_returns "Home did not restore the first frame"; fi

# The mouse wheel steps too (down: forward), wherever the pointer is.
xdotool mousemove --window "$WID" 3 3
sleep 0.3
shot "$TMP/w0.png"
xdotool click 5
if wait_change "$TMP/w0.png" "$TMP/w1.png"; then
    xdotool click 4
    if wait_same "$TMP/w0.png" "$TMP/w2.png"; then ok window_wheel_steps; else not_ok window_wheel_steps "wheel up did not step back"; fi
else
    not_ok window_wheel_steps "wheel down changed nothing"
fi

# Toggles and cycles: each frame is a function of the state, so going back
# and forth reproduces the same pixels (the status line says the same too).
xdotool key t
wait_change "$A" "$TMP/light.png"
xdotool key t
if wait_change "$TMP/light.png" "$TMP/dark.png"; then
    xdotool key t
    if wait_same "$TMP/light.png" "$TMP/light2.png"; then ok window_theme_toggles; else not_ok window_theme_toggles "the light frame differs the second time"; fi
else
    not_ok window_theme_toggles "t changed nothing"
fi
xdotool key t
wait_same "$TMP/dark.png" "$TMP/dark2.png"

shot "$TMP/nohelp0.png"
xdotool key question
if wait_change "$TMP/nohelp0.png" "$TMP/help.png"; then ok window_help_overlay; else not_ok window_help_overlay "? drew nothing"; fi
xdotool key Escape
if wait_same "$TMP/nohelp0.png" "$TMP/nohelp.png" && kill -0 "$APP_PID" 2>/dev/null; then ok window_escape_closes_overlay_first
else not_ok window_escape_closes_overlay_first "overlay still shown, or the program quit"; fi

# Settings: s changes the stride (a new output size), S takes it back.
xdotool key s
if wait_change "$TMP/nohelp.png" "$TMP/s2.png"; then ok window_stride_key; else not_ok window_stride_key "no change"; fi
xdotool key shift+s
wait_change "$TMP/s2.png" "$TMP/s1.png"
xdotool key s
if wait_same "$TMP/s2.png" "$TMP/s2b.png"; then ok window_stride_back_and_forth; else not_ok window_stride_back_and_forth "stride 2 drawn differently the second time"; fi
xdotool key shift+s

# Playback: frames keep coming while playing, none once paused.
xdotool key space
if wait_change "$A" "$TMP/p1.png" && wait_change "$TMP/p1.png" "$TMP/p2.png"; then ok window_playing_advances
else not_ok window_playing_advances "the screen did not keep changing"; fi
xdotool key space
sleep 0.5
shot "$TMP/q1.png"
sleep 1.2
shot "$TMP/q2.png"
if differ "$TMP/q1.png" "$TMP/q2.png"; then not_ok window_pause_stops "still changing after Space"; else ok window_pause_stops; fi
xdotool key Home

# Resize: the window's pixels come at the new size and are laid out anew
# (not the old frame cropped).
shot "$TMP/before.png"
xdotool windowsize "$WID" 800 600
n=0
while [ $n -lt 100 ]; do
    shot "$TMP/r.png"
    [ "$(identify -format '%wx%h' "$TMP/r.png" 2>/dev/null)" = 800x600 ] && break
    sleep 0.1; n=$((n + 1))
done
sleep 0.5
shot "$TMP/r.png"
convert "$TMP/before.png" -crop 800x600+0+0 +repage "$TMP/crop.png"
colours=$(identify -format '%k' "$TMP/r.png")
if [ "$(identify -format '%wx%h' "$TMP/r.png")" != 800x600 ]; then not_ok window_resize_redraws "window is $(identify -format '%wx%h' "$TMP/r.png")"
elif ! differ "$TMP/r.png" "$TMP/crop.png"; then not_ok window_resize_redraws "the old frame, cropped"
elif [ "$colours" -lt 16 ]; then not_ok window_resize_redraws "only $colours colours: not drawn"
else ok window_resize_redraws; fi
xdotool key Right
if wait_change "$TMP/r.png" "$TMP/r2.png" && [ "$(identify -format '%wx%h' "$TMP/r2.png")" = 800x600 ]; then ok window_keys_after_resize
else not_ok window_keys_after_resize "no change after a key at 800x600"; fi

# Drops, as a file manager makes them (XDND): an image becomes the input; a
# broken file changes nothing but the status line at the bottom.
if ${CC:-cc} -o "$TMP/xdnd_drop" "$tests_dir/xdnd_drop.c" -lX11 2>"$TMP/cc.err"; then
    convert -size 6x5 gradient:red-blue "$TMP/grad.png"
    shot "$TMP/d0.png"
    if "$TMP/xdnd_drop" "$WID" "$TMP/grad.png" 2>"$TMP/drop.err" && wait_change "$TMP/d0.png" "$TMP/d1.png"; then
        ok window_drop_opens_an_image
    else
        not_ok window_drop_opens_an_image "no change after the drop: $(cat "$TMP/drop.err")"
    fi
    sleep 0.5
    shot "$TMP/d1.png"
    "$TMP/xdnd_drop" "$WID" "$TMP/broken.png" 2>"$TMP/drop.err"
    if wait_change "$TMP/d1.png" "$TMP/d2.png" && kill -0 "$APP_PID" 2>/dev/null; then
        convert "$TMP/d1.png" "$TMP/d2.png" -compose difference -composite -threshold 0 \
            -trim -format '%Y' info: >"$TMP/box" 2>/dev/null
        read -r by <"$TMP/box"
        by=${by#+}
        if [ "$by" -ge $(( $(identify -format '%h' "$TMP/d2.png") * 9 / 10 )) ]; then ok window_drop_broken_keeps_the_scene
        else not_ok window_drop_broken_keeps_the_scene "the frame changed above the status line (y=$by)"; fi
    else
        not_ok window_drop_broken_keeps_the_scene "no message, or the program died: $(app_err)"
    fi
else
    not_ok window_drop "cannot build the drop helper: $(head -c 300 "$TMP/cc.err")"
fi

xdotool key q
if wait_exit 10; then
    if [ "$APP_STATUS" -eq 0 ]; then ok window_q_exits_0; else not_ok window_q_exits_0 "exit status $APP_STATUS: $(app_err)"; fi
else
    not_ok window_q_exits_0 "still running 10 s after q"
fi

# Escape with nothing open quits too.
start_app --theme light || not_ok window_escape_quits "no window the second time: $(app_err)"
xdotool key Escape
if wait_exit 10 && [ "$APP_STATUS" -eq 0 ]; then ok window_escape_quits
else not_ok window_escape_quits "still running, or status ${APP_STATUS:-none}"; fi
