#!/bin/sh
# deps.sh: makes sure the Debian packages convstep builds and tests with are
# installed. Installs what is missing when it can (root, or sudo without a
# password); otherwise prints the exact apt-get line and fails.
#   scripts/deps.sh build   libraries and font for building and running
#   scripts/deps.sh test    the above plus the test framework and window-test tools
set -eu

want=${1:-build}
pkgs=""
need() { # need PACKAGE CHECK-COMMAND...
    pkg=$1; shift
    if ! "$@" >/dev/null 2>&1; then pkgs="$pkgs $pkg"; fi
}
has_pc() { pkg-config --exists "$1"; }
has_file() { test -e "$1"; }
has_cmd() { command -v "$1"; }

need pkg-config has_cmd pkg-config
need make has_cmd make
need gcc has_cmd cc
if has_cmd pkg-config >/dev/null 2>&1; then
    need libsdl2-dev has_pc sdl2
    need libsdl2-ttf-dev has_pc SDL2_ttf
    need libstb-dev has_pc stb
    need libpng-dev has_pc libpng
    need libgif-dev has_file /usr/include/gif_lib.h
    need libfontconfig-dev has_pc fontconfig
    need libzip-dev has_pc libzip
    need libisal-dev has_pc libisal
    need zlib1g-dev has_pc zlib
else
    pkgs="$pkgs libsdl2-dev libsdl2-ttf-dev libstb-dev libpng-dev libgif-dev libfontconfig-dev libzip-dev libisal-dev zlib1g-dev"
fi
need fonts-dejavu-core has_file /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
# Fashion-MNIST: what `convstep train`, the training scene and their tests read.
need dataset-fashion-mnist has_file /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
if [ "$want" = test ]; then
    need libcriterion-dev has_file /usr/include/criterion/criterion.h
    need xvfb has_cmd Xvfb
    need xauth has_cmd xauth
    need xdotool has_cmd xdotool
    need imagemagick has_cmd import
    need ffmpeg has_cmd ffmpeg
    need clang has_cmd clang
    need libclang-rt-14-dev sh -c 'ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a'
fi

[ -z "$pkgs" ] && exit 0

line="apt-get install -y$pkgs"
if [ "$(id -u)" = 0 ]; then sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"
else
    echo "convstep: missing Debian packages:$pkgs" >&2
    echo "convstep: install them with: sudo $line" >&2
    exit 1
fi
echo "convstep: installing missing Debian packages:$pkgs" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 || true
$sudo apt-get install -y -qq $pkgs >&2
