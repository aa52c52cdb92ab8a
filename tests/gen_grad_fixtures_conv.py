#!/usr/bin/python3
"""gen_grad_fixtures_conv.py: writes the PyTorch autograd fixtures that
tests/test_conv_grad.c compares conv_forward_batch and conv_backward with
(tests/fixtures/grad/). Run from the repository, once, with the Python that
has torch 1.13:
   /usr/bin/python3 tests/gen_grad_fixtures_conv.py
The files are committed; `make test` does not need Python.

For each case NAME it writes NAME_x.npy (the input, N x C x H x W), NAME_w.npy,
NAME_b.npy, NAME_g.npy (the upstream gradient, shaped like the output),
NAME_y.npy (the forward output) and NAME_gx.npy, NAME_gw.npy, NAME_gb.npy
(x.grad, w.grad and b.grad after y.backward(g)), all float32, and
NAME_params.npy, int32: stride h, w; padding kind (0 explicit, 1 valid,
2 same, 3 full); padding h, w; mode (0 zeros, 1 reflect, 2 replicate,
3 circular); dilation h, w; groups; transposed; output_padding h, w.
The cases are listed in tests/fixtures/grad/cases.txt, one name a line.

Padding other than explicit zeros is applied as convstep's geom.h defines it
and torch.nn.Conv2d does for its padding modes: F.pad of the input (mode
reflect, replicate, circular or constant), then conv2d without padding;
"same" is TensorFlow's rule (out = ceil(n/s), the odd extra cell at the
bottom/right), "full" is dilation*(k-1) on each side."""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'fixtures', 'grad')
KINDS = {'explicit': 0, 'valid': 1, 'same': 2, 'full': 3}
MODES = {'zeros': 0, 'reflect': 1, 'replicate': 2, 'circular': 3}

# name: n, c, h, w, f, kernel (kh, kw), and the layer's options
CASES = [
    ('basic', dict(n=2, c=3, h=6, w=7, f=4, k=(3, 3))),
    ('stride2_pad1', dict(n=2, c=2, h=7, w=7, f=3, k=(3, 3), s=(2, 2), p=(1, 1))),
    ('stride_hw', dict(n=1, c=2, h=8, w=9, f=2, k=(3, 2), s=(2, 3), p=(1, 0))),
    ('valid', dict(n=2, c=2, h=5, w=6, f=3, k=(2, 3), kind='valid')),
    ('same_even_kernel', dict(n=1, c=2, h=6, w=5, f=2, k=(4, 2), kind='same')),
    ('same_stride2', dict(n=2, c=2, h=7, w=8, f=3, k=(3, 3), s=(2, 2), kind='same')),
    ('same_reflect_stride2', dict(n=1, c=2, h=7, w=6, f=2, k=(3, 4), s=(2, 2), kind='same', mode='reflect')),
    ('full_dilated', dict(n=1, c=2, h=5, w=5, f=2, k=(3, 3), d=(2, 2), kind='full')),
    ('reflect', dict(n=2, c=2, h=5, w=6, f=3, k=(3, 3), p=(2, 1), mode='reflect')),
    ('replicate_stride2', dict(n=1, c=3, h=6, w=7, f=2, k=(3, 2), s=(2, 2), p=(2, 2), mode='replicate')),
    ('circular_dilated', dict(n=2, c=2, h=5, w=7, f=2, k=(3, 3), d=(1, 2), p=(1, 2), mode='circular')),
    ('dilation', dict(n=1, c=3, h=7, w=7, f=2, k=(3, 3), d=(2, 2), p=(1, 1))),
    ('groups', dict(n=2, c=4, h=5, w=5, f=6, k=(3, 3), g=2, p=(1, 1))),
    ('depthwise', dict(n=2, c=3, h=6, w=6, f=6, k=(3, 3), g=3, p=(1, 1), s=(2, 1))),
    ('transposed', dict(n=2, c=3, h=4, w=5, f=2, k=(3, 3), s=(2, 2), p=(1, 1), op=(1, 1), t=True)),
    ('transposed_groups', dict(n=1, c=4, h=3, w=4, f=4, k=(2, 3), s=(2, 1), p=(0, 1), d=(1, 2), g=2,
                               op=(1, 0), t=True)),
    ('transposed_op_dilation', dict(n=1, c=2, h=4, w=4, f=3, k=(3, 3), d=(2, 2), op=(1, 1), t=True)),
]


def same_pad(n, k, s, d):
    out = math.ceil(n / s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def layer(x, w, b, o):
    s, p, d, g = o.get('s', (1, 1)), o.get('p', (0, 0)), o.get('d', (1, 1)), o.get('g', 1)
    if o.get('t'):
        return F.conv_transpose2d(x, w, b, stride=s, padding=p, output_padding=o.get('op', (0, 0)), groups=g,
                                  dilation=d)
    kind, mode = o.get('kind', 'explicit'), o.get('mode', 'zeros')
    kh, kw = o['k']
    if kind == 'explicit':
        top, bottom, left, right = p[0], p[0], p[1], p[1]
    elif kind == 'valid':
        top = bottom = left = right = 0
    elif kind == 'full':
        top = bottom = d[0] * (kh - 1)
        left = right = d[1] * (kw - 1)
    else:
        top, bottom = same_pad(o['h'], kh, s[0], d[0])
        left, right = same_pad(o['w'], kw, s[1], d[1])
    x = F.pad(x, (left, right, top, bottom), mode='constant' if mode == 'zeros' else mode)
    return F.conv2d(x, w, b, stride=s, padding=0, dilation=d, groups=g)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(11)
    names = []
    for name, o in CASES:
        g = o.get('g', 1)
        kh, kw = o['k']
        x = (torch.rand(o['n'], o['c'], o['h'], o['w']) * 2 - 1).requires_grad_()
        wshape = (o['c'], o['f'] // g, kh, kw) if o.get('t') else (o['f'], o['c'] // g, kh, kw)
        w = (torch.rand(*wshape) * 2 - 1).requires_grad_()
        b = (torch.rand(o['f']) * 2 - 1).requires_grad_()
        y = layer(x, w, b, o)
        up = torch.rand(*y.shape) * 2 - 1
        y.backward(up)
        s, p, d = o.get('s', (1, 1)), o.get('p', (0, 0)), o.get('d', (1, 1))
        op = o.get('op', (0, 0))
        params = np.array([s[0], s[1], KINDS[o.get('kind', 'explicit')], p[0], p[1], MODES[o.get('mode', 'zeros')],
                           d[0], d[1], g, 1 if o.get('t') else 0, op[0], op[1]], dtype=np.int32)
        arrays = {'x': x, 'w': w, 'b': b, 'g': up, 'y': y, 'gx': x.grad, 'gw': w.grad, 'gb': b.grad}
        for key, t in arrays.items():
            np.save(os.path.join(OUT, f'{name}_{key}.npy'), t.detach().numpy().astype(np.float32))
        np.save(os.path.join(OUT, f'{name}_params.npy'), params)
        names.append(name)
    with open(os.path.join(OUT, 'cases.txt'), 'w') as f:
        f.write(''.join(n + '\n' for n in names))


if __name__ == '__main__':
    main()
