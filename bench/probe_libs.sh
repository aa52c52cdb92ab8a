#!/bin/sh
# probe_libs.sh: builds bench/probe_libs.c against oneDNN (libdnnl-dev) and a
# serial BLAS and prints what they give on the GEMM-shaped layers, one
# thread (how conv's kernels were chosen; not part of `make bench`).
#   BLAS_INC  folder with cblas.h (default /usr/include/x86_64-linux-gnu)
#   BLAS_LIB  the BLAS library file (default: the serial OpenBLAS)
# Installing libopenblas-dev would switch /usr/lib/.../libblas.so.3, which
# Debian's PyTorch also loads; to keep PyTorch's figures as they are, unpack
# the .deb (apt-get download libopenblas0-serial libopenblas-pthread-dev;
# dpkg -x) and point BLAS_INC and BLAS_LIB at it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
inc=${BLAS_INC:-/usr/include/x86_64-linux-gnu}
lib=${BLAS_LIB:-/usr/lib/x86_64-linux-gnu/openblas-serial/libopenblas.so.0}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cc -O2 "$here/probe_libs.c" -I"$inc" -o "$out" -ldnnl "$lib" -Wl,-rpath,"$(dirname "$lib")"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$out" dnnl
OMP_NUM_THREADS=1 "$out" dnnl_exec
OPENBLAS_NUM_THREADS=1 "$out" gemm
