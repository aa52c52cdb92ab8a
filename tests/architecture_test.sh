#!/bin/sh
# architecture_test.sh: the include rules that keep the layers apart (the
# Makefile's "app/ in rooms" note):
#   1. core/ and the SDL-free rooms (the Makefile's SDL_FREE_DIRS) include
#      no SDL header;
#   2. the SDL-free rooms include no header of app/ui/ (window, keys, text,
#      render, ...: every header in that folder);
#   3. core/ includes nothing from app/.
# Every failure names the file and line. The rooms and the files the
# Makefile still compiles with SDL's flags are read from the Makefile itself:
# an SDL-free room's .c file outside PURE_APP_SRC is exempt (with the header
# of the same name), and is listed as a skip, so dropping the Makefile's
# filter-out makes this test strict with no edit here.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

# make_var NAME: the value of the Makefile's variable NAME.
make_var() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -f Makefile \
        --eval 'print-%: ; @echo $($*)' "print-$1"
}

# Known exceptions to rule 2, one "FILE|HEADER|WHY" a line, until the
# code moves; each shows as a skip, and an entry that no longer matches an
# include fails, so the list cannot outlive its reason.
allowed="app/cli/cli_window.c|window.h|the window subcommand starts the window; which room it belongs in is open"

free_dirs=$(make_var SDL_FREE_DIRS)
pure_src=$(make_var PURE_APP_SRC)
app_dirs=$(make_var APP_DIRS)
[ -n "$free_dirs" ] && [ -n "$pure_src" ] && [ -n "$app_dirs" ] && ok "the Makefile names SDL_FREE_DIRS, PURE_APP_SRC, APP_DIRS" \
    || { not_ok "the Makefile names SDL_FREE_DIRS, PURE_APP_SRC, APP_DIRS" "got [$free_dirs] [$pure_src] [$app_dirs]"; exit 1; }
ui_headers=$(cd app/ui 2>/dev/null && ls ./*.h 2>/dev/null | sed 's|^\./||')
[ -n "$ui_headers" ] && ok "app/ui has headers: $(echo $ui_headers)" || not_ok "app/ui has headers" "none found"

# The files checked: core/*.[ch], and in each SDL-free room its .c files in
# PURE_APP_SRC and its headers whose .c (if any) is not exempt.
exempt=""
free_files=""
for d in $free_dirs; do
    for f in "$d"/*.c "$d"/*.h; do
        [ -f "$f" ] || continue
        c=${f%.?}.c
        if [ -f "$c" ] && ! echo " $pure_src " | grep -qF " $c "; then
            exempt="$exempt $f"
        else
            free_files="$free_files $f"
        fi
    done
done
core_files=$(ls core/*.c core/*.h)
[ -n "$exempt" ] && skip "SDL-free rooms: exempted files" "the Makefile compiles them with SDL (not in PURE_APP_SRC):$exempt"

# includes FILE...: "FILE:LINE:NAME" for every #include in FILE... .
includes() {
    grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$@" /dev/null \
        | sed -E 's/^([^:]*):([0-9]*):[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]*)[>"].*/\1:\2:\3/'
}

# resolve FILE NAME: the file NAME names when FILE includes it: FILE's own
# folder first, then core/ and the app rooms (the app's -I order; wider than
# core/'s own search, so a core/ include of an app header is named even
# though it would not compile); nothing when it is a system header.
resolve() {
    for d in "$(dirname "$1")" core $app_dirs; do
        if [ -f "$d/$2" ]; then realpath --relative-to="$root" "$d/$2"; return; fi
    done
}

# ---- 1. no SDL in core/ or the SDL-free rooms ----
bad=0
includes $core_files $free_files | grep -E ':[0-9]+:(SDL2/)?SDL' >"$TMP/inc"
while read -r line; do
    not_ok "no SDL include in core/ or the SDL-free rooms" "$line"; bad=1
done <"$TMP/inc"
[ $bad -eq 0 ] && ok "no SDL include in core/ or the SDL-free rooms"

# ---- 2. no app/ui header in the SDL-free rooms ----
bad=0
includes $free_files >"$TMP/inc"
while read -r line; do
    file=${line%%:*}; name=${line##*:}
    case $(resolve "$file" "$name") in app/ui/*) ;; *) continue ;; esac
    why=$(echo "$allowed" | grep -F "$file|$name|" | cut -d'|' -f3)
    if [ -n "$why" ]; then skip "no app/ui header in $file" "$line: $why"; continue; fi
    not_ok "no app/ui header in the SDL-free rooms" "$line"; bad=1
done <"$TMP/inc"
[ $bad -eq 0 ] && ok "no app/ui header in the SDL-free rooms"
echo "$allowed" | while IFS='|' read -r file name why; do
    [ -n "$file" ] || continue
    includes "$file" 2>/dev/null | cut -d: -f3 | grep -qxF "$name" \
        || not_ok "known exception still needed" "$file no longer includes $name: remove it from tests/architecture_test.sh"
done

# ---- 3. core/ includes nothing from app/ ----
bad=0
includes $core_files >"$TMP/inc"
while read -r line; do
    file=${line%%:*}; name=${line##*:}
    case $(resolve "$file" "$name") in app/*) ;; *) continue ;; esac
    not_ok "core/ includes nothing from app/" "$line"; bad=1
done <"$TMP/inc"
[ $bad -eq 0 ] && ok "core/ includes nothing from app/"
