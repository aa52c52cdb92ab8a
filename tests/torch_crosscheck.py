#!/usr/bin/env python3
"""torch_crosscheck.py: compares convstep's maths with PyTorch (not part of make test).

Builds core/{geom,conv,pool,tensor,error}.c and tests/support_reference.c into a
shared library, loads it through ctypes and, for random configurations of
convolution (groups, stride, dilation, every padding kind and mode),
transposed convolution (output padding, groups) and pooling (max/avg,
ceil_mode, count_include_pad, dilation), compares conv_forward/pool_forward
and the slow references with torch.nn.functional. Prints one line per
mismatch and a summary; exits 1 on any mismatch.

    /usr/bin/python3 tests/torch_crosscheck.py [COUNT] [SEED]

Needs a python3 that can import torch and numpy (Debian: python3-torch). "same" with stride > 1 is checked against
TensorFlow's rule by padding explicitly with F.pad (PyTorch refuses it)."""
import ctypes
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = ["core/geom.c", "core/conv.c", "core/pool.c", "core/tensor.c", "core/error.c",
           "tests/support_reference.c"]


class Tensor(ctypes.Structure):
    _fields_ = [("n", ctypes.c_size_t), ("c", ctypes.c_size_t), ("h", ctypes.c_size_t),
                ("w", ctypes.c_size_t), ("rank", ctypes.c_int), ("data", ctypes.POINTER(ctypes.c_float))]


class Padding(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int), ("h", ctypes.c_int), ("w", ctypes.c_int)]


class ConvParams(ctypes.Structure):
    _fields_ = [("stride_h", ctypes.c_int), ("stride_w", ctypes.c_int), ("padding", Padding),
                ("pad_mode", ctypes.c_int), ("dilation_h", ctypes.c_int), ("dilation_w", ctypes.c_int),
                ("groups", ctypes.c_int), ("transposed", ctypes.c_bool),
                ("output_padding_h", ctypes.c_int), ("output_padding_w", ctypes.c_int)]


class PoolParams(ctypes.Structure):
    _fields_ = [("mode", ctypes.c_int), ("kernel_h", ctypes.c_int), ("kernel_w", ctypes.c_int),
                ("stride_h", ctypes.c_int), ("stride_w", ctypes.c_int), ("pad_h", ctypes.c_int),
                ("pad_w", ctypes.c_int), ("dilation_h", ctypes.c_int), ("dilation_w", ctypes.c_int),
                ("ceil_mode", ctypes.c_bool), ("count_include_pad", ctypes.c_bool)]


class Error(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("message", ctypes.c_char * 320)]


PAD_EXPLICIT, PAD_VALID, PAD_SAME, PAD_FULL = range(4)
MODES = ["zeros", "reflect", "replicate", "circular"]


def build_library(tmp):
    lib = os.path.join(tmp, "libconvstep_check.so")
    cmd = ["cc", "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-O2", "-shared", "-fPIC", "-Icore", "-Itests",
           "-o", lib] + SOURCES + ["-lm"]
    subprocess.run(cmd, cwd=ROOT, check=True)
    return ctypes.CDLL(lib)


def to_c(array, keep):
    array = np.ascontiguousarray(array, dtype=np.float32)
    keep.append(array)
    shape = (1,) * (4 - array.ndim) + array.shape
    t = Tensor(*shape, array.ndim, array.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
    return t


def from_c(lib, t):
    count = t.n * t.c * t.h * t.w
    out = np.ctypeslib.as_array(t.data, shape=(count,)).copy().reshape(t.c, t.h, t.w)
    lib.tensor_free(ctypes.byref(t))
    return out


def same_pads(n, k, s, d):
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def torch_conv(x, w, b, cfg):
    (sh, sw), (dh, dw), groups = cfg["stride"], cfg["dilation"], cfg["groups"]
    kh, kw = w.shape[2], w.shape[3]
    kind, (ph, pw) = cfg["kind"], cfg["pad"]
    if cfg["transposed"]:
        return F.conv_transpose2d(x, w, b, stride=(sh, sw), padding=(ph, pw),
                                  output_padding=cfg["output_padding"], groups=groups,
                                  dilation=(dh, dw))
    if kind == PAD_EXPLICIT:
        t, bo, l, r = ph, ph, pw, pw
    elif kind == PAD_VALID:
        t = bo = l = r = 0
    elif kind == PAD_FULL:
        t = bo = dh * (kh - 1)
        l = r = dw * (kw - 1)
    else:
        t, bo = same_pads(x.shape[2], kh, sh, dh)
        l, r = same_pads(x.shape[3], kw, sw, dw)
    mode = cfg["mode"]
    if mode == "zeros":
        x = F.pad(x, (l, r, t, bo))
    else:
        x = F.pad(x, (l, r, t, bo), mode=mode)
    return F.conv2d(x, w, b, stride=(sh, sw), dilation=(dh, dw), groups=groups)


def random_conv(rng):
    transposed = rng.random() < 0.3
    groups = rng.choice([1, 1, 2, 3])
    cin = groups * rng.randint(1, 3)
    if rng.random() < 0.15:
        groups = cin  # depthwise
    cout = groups * rng.randint(1, 9)
    kh, kw = rng.randint(1, 4), rng.randint(1, 4)
    h, w = rng.randint(1, 12), rng.choice([rng.randint(1, 12), rng.randint(16, 70)])
    cfg = {"stride": (rng.randint(1, 3), rng.randint(1, 3)),
           "dilation": (rng.randint(1, 3), rng.randint(1, 3)),
           "groups": groups, "transposed": transposed, "output_padding": (0, 0),
           "kind": PAD_EXPLICIT, "pad": (rng.randint(0, 3), rng.randint(0, 3)), "mode": "zeros"}
    if transposed:
        sh, sw = cfg["stride"]
        dh, dw = cfg["dilation"]
        cfg["output_padding"] = (rng.randint(0, max(sh, dh) - 1), rng.randint(0, max(sw, dw) - 1))
        wshape = (cin, cout // groups, kh, kw)
    else:
        cfg["kind"] = rng.choice([PAD_EXPLICIT, PAD_EXPLICIT, PAD_VALID, PAD_SAME, PAD_FULL])
        cfg["mode"] = rng.choice(MODES)
        wshape = (cout, cin // groups, kh, kw)
    return cfg, (cin, h, w), wshape, cout


def check_conv(lib, rng, index):
    cfg, xshape, wshape, cout = random_conv(rng)
    x = np.random.default_rng(index).standard_normal(xshape).astype(np.float32)
    w = np.random.default_rng(index + 1).standard_normal(wshape).astype(np.float32)
    b = np.random.default_rng(index + 2).standard_normal(cout).astype(np.float32)
    keep = []
    p = ConvParams(cfg["stride"][0], cfg["stride"][1], Padding(cfg["kind"], *cfg["pad"]),
                   MODES.index(cfg["mode"]), cfg["dilation"][0], cfg["dilation"][1], cfg["groups"],
                   cfg["transposed"], *cfg["output_padding"])
    cx, cw, cb = to_c(x, keep), to_c(w, keep), to_c(b, keep)
    try:
        expect = torch_conv(torch.from_numpy(x)[None], torch.from_numpy(w), torch.from_numpy(b),
                            cfg)[0].numpy()
    except RuntimeError as e:
        expect = None
        why = str(e).splitlines()[0]
    results = []
    for fn in ("conv_forward", "ref_conv_transpose" if cfg["transposed"] else "ref_conv"):
        out, err = Tensor(), Error()
        st = getattr(lib, fn)(ctypes.byref(cx), ctypes.byref(cw), ctypes.byref(cb), ctypes.byref(p),
                              ctypes.byref(out), ctypes.byref(err))
        results.append((fn, st, from_c(lib, out) if st == 0 else err.message.decode()))
    return compare("conv", cfg, expect, None if expect is not None else why, results)


def check_pool(lib, rng, index):
    mode = rng.choice([0, 1])
    kh, kw = rng.randint(1, 4), rng.randint(1, 4)
    p = PoolParams(mode, kh, kw, rng.randint(1, 3), rng.randint(1, 3), rng.randint(0, kh // 2),
                   rng.randint(0, kw // 2), 1 if mode else rng.randint(1, 3), 1 if mode else rng.randint(1, 3),
                   rng.random() < 0.5, rng.random() < 0.5)
    cfg = {f: getattr(p, f) for f, _ in PoolParams._fields_}
    x = np.random.default_rng(index).standard_normal((rng.randint(1, 3), rng.randint(1, 10),
                                                      rng.randint(1, 10))).astype(np.float32)
    tx = torch.from_numpy(x)[None]
    try:
        if mode == 0:
            expect = F.max_pool2d(tx, (kh, kw), (p.stride_h, p.stride_w), (p.pad_h, p.pad_w),
                                  (p.dilation_h, p.dilation_w), ceil_mode=p.ceil_mode)[0].numpy()
        else:
            expect = F.avg_pool2d(tx, (kh, kw), (p.stride_h, p.stride_w), (p.pad_h, p.pad_w),
                                  ceil_mode=p.ceil_mode, count_include_pad=p.count_include_pad)[0].numpy()
        why = None
    except RuntimeError as e:
        expect, why = None, str(e).splitlines()[0]
    keep = []
    cx = to_c(x, keep)
    results = []
    for fn in ("pool_forward", "ref_pool"):
        out, err = Tensor(), Error()
        st = getattr(lib, fn)(ctypes.byref(cx), ctypes.byref(p), ctypes.byref(out), ctypes.byref(err))
        results.append((fn, st, from_c(lib, out) if st == 0 else err.message.decode()))
    return compare("pool", cfg, expect, why, results)


REFUSED = {"conv": 0, "pool": 0}


def compare(what, cfg, expect, why, results):
    bad = 0
    if expect is None:
        REFUSED[what] += 1
    for fn, st, got in results:
        if expect is None:
            if st == 0:
                print(f"{what} {cfg}: torch refuses ({why}) but {fn} accepts")
                bad += 1
            continue
        if st != 0:
            print(f"{what} {cfg}: torch gives {expect.shape} but {fn} refuses: {got}")
            bad += 1
        elif got.shape != expect.shape:
            print(f"{what} {cfg}: {fn} shape {got.shape}, torch {expect.shape}")
            bad += 1
        elif not np.allclose(got, expect, rtol=1e-4, atol=1e-4, equal_nan=True):
            print(f"{what} {cfg}: {fn} differs by {np.nanmax(np.abs(got - expect))}")
            bad += 1
    return bad


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        lib = build_library(tmp)
        bad = sum(check_conv(lib, rng, i) + check_pool(lib, rng, 1000003 + i) for i in range(count))
    print(f"{count} conv and {count} pool configurations ({REFUSED['conv']} and {REFUSED['pool']} "
          f"refused by torch), {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
