#!/bin/sh
# window_stack_test.sh: the layer-stack scene in a real window (Xvfb,
# 1280x720): it draws what export writes for the same growth step, a click
# on a cell lights its field, Left removes a layer and Right adds it back
# to the same pixels, an input the stack cannot take changes only the
# status line, l opens the first lesson, and q exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/window_lib.sh"
tests_dir=$(cd "$(dirname "$0")" && pwd)
CONVSTEP_ASSETS=$(cd "$tests_dir/.." && pwd)/assets
export CONVSTEP_ASSETS
cd "$TMP" || exit 1

SPEC='Conv2d(1, 4, 3, padding=1), ReLU(), MaxPool2d(2), Conv2d(4, 8, 3)'

# above_status NAME A B: A and B differ, if at all, only in the status line
# (the bottom tenth).
above_status() {
    convert "$2" "$3" -compose difference -composite -threshold 0 -trim -format '%Y' info: >"$TMP/box" 2>/dev/null
    read -r by <"$TMP/box"
    by=${by#+}
    if [ "${by:-0}" -ge 648 ]; then ok "$1"; else not_ok "$1" "frames differ above the status line (y=$by)"; fi
}

if ! start_xvfb 1280x720; then
    not_ok stack_window_xvfb "Xvfb did not start: $(head -c 300 "$TMP/xvfb.log")"
    exit 1
fi
# The pointer rests on the header, where it lights no cell.
xdotool mousemove 1270 20
if ! start_app --layers "$SPEC" --input-size 12; then
    not_ok stack_window_opens "no window within 30 s; stderr: $(app_err)"
    exit 1
fi
ok stack_window_opens
A=$TMP/a.png
shot "$A"

# A --layers stack opens with every layer shown: export's last step (4:
# the input, Conv2d, MaxPool2d, Conv2d).
if "$CONVSTEP" export --layers "$SPEC" --input-size 12 --size 1280x720 --from 4 --png "$TMP/last.png" \
    >/dev/null 2>"$TMP/export.err"; then
    above_status stack_window_pixels_match_export "$A" "$TMP/last.png"
else
    not_ok stack_window_pixels_match_export "export failed: $(head -c 300 "$TMP/export.err")"
fi

# A click on an input cell lights the cells it feeds on the later maps.
xdotool mousemove --window "$WID" 120 250 click 1
if wait_change "$A" "$TMP/click.png"; then
    convert "$A" "$TMP/click.png" -compose difference -composite -threshold 0 -trim -format '%w' info: >"$TMP/w"
    read -r cw <"$TMP/w"
    if [ "${cw:-0}" -ge 300 ]; then ok stack_window_click_lights_the_field
    else not_ok stack_window_click_lights_the_field "only ${cw}px wide changed: the later maps stayed dark"; fi
else
    not_ok stack_window_click_lights_the_field "no change after the click: $(app_err)"
fi
xdotool key Escape
wait_change "$TMP/click.png" "$TMP/cleared.png"

# Left removes the last layer; Right adds it back, to the same pixels.
shot "$TMP/b.png"
xdotool key Left
if wait_change "$TMP/b.png" "$TMP/fewer.png"; then ok stack_window_left_removes_a_layer
else not_ok stack_window_left_removes_a_layer "no change"; fi
xdotool key Right
if wait_change "$TMP/fewer.png" "$TMP/again.png"; then above_status stack_window_right_adds_it_back "$TMP/b.png" "$TMP/again.png"
else not_ok stack_window_right_adds_it_back "no change"; fi

# A 5x5 input is too small for this stack (5 -> 5 -> 2 -> below 1x1):
# dropped, it changes only the status line.
if ${CC:-cc} -o "$TMP/xdnd_drop" "$tests_dir/xdnd_drop.c" -lX11 2>"$TMP/cc.err"; then
    convert -size 5x5 gradient:red-blue "$TMP/small.png"
    shot "$TMP/d0.png"
    "$TMP/xdnd_drop" "$WID" "$TMP/small.png" 2>"$TMP/drop.err"
    if wait_change "$TMP/d0.png" "$TMP/d1.png" && kill -0 "$APP_PID" 2>/dev/null; then
        above_status stack_window_refused_input_keeps_the_stack "$TMP/d0.png" "$TMP/d1.png"
    else
        not_ok stack_window_refused_input_keeps_the_stack "no message, or the program died: $(app_err)"
    fi
else
    not_ok stack_window_drop "cannot build the drop helper: $(head -c 300 "$TMP/cc.err")"
fi

# l opens the first lesson (199 to 1).
shot "$TMP/l0.png"
xdotool key l
if wait_change "$TMP/l0.png" "$TMP/l1.png" && "$CONVSTEP" export --lesson 199-to-1 --size 1280x720 --from 1 \
    --png "$TMP/l199.png" >/dev/null 2>&1; then
    above_status stack_window_l_opens_199_to_1 "$TMP/l1.png" "$TMP/l199.png"
else
    not_ok stack_window_l_opens_199_to_1 "no change after l: $(app_err)"
fi

xdotool key q
if wait_exit 10 && [ "$APP_STATUS" -eq 0 ]; then ok stack_window_q_exits_0
else not_ok stack_window_q_exits_0 "still running, or status ${APP_STATUS:-none}: $(app_err)"; fi
