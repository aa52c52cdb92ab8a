#!/bin/sh
# install_test.sh: `make install DESTDIR=...` stages the binary, the assets
# and the man page where the Makefile says; the staged binary finds its
# assets from any folder (it opens the default scene's image); `make
# uninstall` removes all of it. Uses the default PREFIX, which the build
# under test was made with, so nothing is recompiled.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
stage="$TMP/stage"
prefix=/usr/local

if make -s -C "$root" BUILD="${BUILD:-build}" DESTDIR="$stage" install >"$TMP/log" 2>&1; then
    ok "make install"
else
    not_ok "make install" "$(tail -c 400 "$TMP/log")"
fi
for f in bin/convstep share/convstep/default.png share/convstep/LICENSES.md share/man/man1/convstep.1; do
    if [ -f "$stage$prefix/$f" ]; then ok "installed $f"; else not_ok "installed $f" "missing"; fi
done
if [ -x "$stage$prefix/bin/convstep" ]; then ok "binary is executable"; else not_ok "binary is executable" "not executable"; fi

# From a folder with no assets/ beside it, the default scene still loads.
mkdir -p "$TMP/elsewhere"
if (cd "$TMP/elsewhere" && env -u CONVSTEP_ASSETS "$stage$prefix/bin/convstep" export --png still.png --quiet) \
        >"$TMP/log" 2>&1 && [ -s "$TMP/elsewhere/still.png" ]; then
    ok "installed binary finds its assets"
else
    not_ok "installed binary finds its assets" "$(head -c 400 "$TMP/log")"
fi
if man -l "$stage$prefix/share/man/man1/convstep.1" 2>/dev/null | grep -q 'EXIT STATUS'; then
    ok "man page renders"
elif ! command -v man >/dev/null 2>&1; then
    skip "man page renders" "man is not installed"
else
    not_ok "man page renders" "no EXIT STATUS section"
fi

make -s -C "$root" BUILD="${BUILD:-build}" DESTDIR="$stage" uninstall >"$TMP/log" 2>&1
left=$(find "$stage" -type f | head -5)
if [ -z "$left" ]; then ok "make uninstall removes everything"; else not_ok "make uninstall removes everything" "left: $left"; fi
