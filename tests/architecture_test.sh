#!/bin/sh
# architecture_test.sh: the include rules that keep the layers apart (the
# Makefile's "app/ in rooms" note):
#   1. core/ and the SDL-free rooms (the Makefile's SDL_FREE_DIRS) include
#      no SDL header;
#   2. an app/ui header the SDL-free rooms include (the offscreen renderer,
#      the window's entry point) is SDL-free itself: no SDL include in it or
#      in any header it includes, however deep;
#   3. core/ includes nothing from app/.
# Every failure names the file and line. The rooms are read from the
# Makefile itself.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

# make_var NAME: the value of the Makefile's variable NAME.
make_var() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -f Makefile \
        --eval 'print-%: ; @echo $($*)' "print-$1"
}

free_dirs=$(make_var SDL_FREE_DIRS)
app_dirs=$(make_var APP_DIRS)
[ -n "$free_dirs" ] && [ -n "$app_dirs" ] && ok "the Makefile names SDL_FREE_DIRS and APP_DIRS" \
    || { not_ok "the Makefile names SDL_FREE_DIRS and APP_DIRS" "got [$free_dirs] [$app_dirs]"; exit 1; }

# The files checked: core/*.[ch] and every .c and .h of the SDL-free rooms.
free_files=""
for d in $free_dirs; do
    for f in "$d"/*.c "$d"/*.h; do
        [ -f "$f" ] && free_files="$free_files $f"
    done
done
core_files=$(ls core/*.c core/*.h)

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

# sdl_path HEADER [SEEN]: the chain of includes by which HEADER (a path in
# the tree) reaches an SDL header, or nothing when it does not.
sdl_path() {
    case " $2 " in *" $1 "*) return ;; esac
    includes "$1" >"$TMP/sdl.$$"
    while read -r line; do
        name=${line##*:}
        case $name in SDL*|SDL2/*) echo "$1 -> <$name>"; return ;; esac
        next=$(resolve "$1" "$name")
        [ -n "$next" ] || continue
        via=$(sdl_path "$next" "$2 $1")
        if [ -n "$via" ]; then echo "$1 -> $via"; return; fi
    done <"$TMP/sdl.$$"
}

# ---- 2. the app/ui headers the SDL-free rooms include are SDL-free ----
bad=0
includes $free_files >"$TMP/inc"
while read -r line; do
    file=${line%%:*}; name=${line##*:}
    header=$(resolve "$file" "$name")
    case $header in app/ui/*) ;; *) continue ;; esac
    via=$(sdl_path "$header")
    [ -n "$via" ] || continue
    not_ok "app/ui headers the SDL-free rooms include are SDL-free" "${line%:*}: $via"; bad=1
done <"$TMP/inc"
[ $bad -eq 0 ] && ok "app/ui headers the SDL-free rooms include are SDL-free"

# ---- 3. core/ includes nothing from app/ ----
bad=0
includes $core_files >"$TMP/inc"
while read -r line; do
    file=${line%%:*}; name=${line##*:}
    case $(resolve "$file" "$name") in app/*) ;; *) continue ;; esac
    not_ok "core/ includes nothing from app/" "$line"; bad=1
done <"$TMP/inc"
[ $bad -eq 0 ] && ok "core/ includes nothing from app/"
