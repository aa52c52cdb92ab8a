#!/usr/bin/python3
"""gen_layer_grad_fixtures.py: writes tests/fixtures/layergrad/, the PyTorch
autograd fixtures of tests/test_layer_grad.c (run once; make test does not
need torch):
   /usr/bin/python3 tests/gen_layer_grad_fixtures.py

cases.txt lists one case a line, KIND NAME then its parameters:
  pool NAME max|avg KH KW SH SW PH PW DH DW CEIL COUNT_INCLUDE_PAD
  adaptive NAME max|avg OH OW
  act NAME KIND SLOPE                (KIND as act_name: relu, gelu_tanh, ...)
  softmax NAME TAKE_LOG OUTER N INNER
  loss NAME BATCH CLASSES
  linear NAME BATCH IN OUT
  bn NAME TRAINING AFFINE TRACK BATCH CHANNELS PLANE EPS MOMENTUM
and NAME-*.npy hold the case's arrays (float32; labels uint8):
  pool, adaptive: x (C,H,W), gy, gx
  act:     x, gy, gx (1-D)
  softmax: y (the forward's output), gy, gx
  loss:    logits (B,K), labels (B,), loss (1,), grad (B,K)
  linear:  x (B,IN), w (OUT,IN), b (OUT,), gy (B,OUT), y, gx, gw, gb
  bn:      x (B,C,P), gy, and when affine w, b; when tracking rm0, rv0 (the
           running statistics before) and rm1, rv1 (after, training only);
           y, gx, gw and gb (affine), mean and invstd (training: the batch's)
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'layergrad')
lines = []


def save(name, key, a, dtype=np.float32):
    np.save(os.path.join(HERE, '%s-%s.npy' % (name, key)), np.ascontiguousarray(np.asarray(a, dtype=dtype)))


def t32(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float32), requires_grad=grad)


def pool(name, mode, shape, k, s, p=(0, 0), d=(1, 1), ceil=False, cip=True, x=None, rng=None):
    if x is None:
        x = rng.normal(size=shape).astype(np.float32)
    xt = t32(x, True)
    if mode == 'max':
        y = F.max_pool2d(xt[None], k, s, p, d, ceil_mode=ceil)[0]
    else:
        y = F.avg_pool2d(xt[None], k, s, p, ceil_mode=ceil, count_include_pad=cip)[0]
    gy = rng.normal(size=y.shape).astype(np.float32)
    y.backward(t32(gy))
    save(name, 'x', x)
    save(name, 'gy', gy)
    save(name, 'gx', xt.grad.numpy())
    lines.append('pool %s %s %d %d %d %d %d %d %d %d %d %d' % (name, mode, k[0], k[1], s[0], s[1], p[0], p[1],
                                                                d[0], d[1], int(ceil), int(cip)))


def adaptive(name, mode, shape, out, rng, x=None):
    if x is None:
        x = rng.normal(size=shape).astype(np.float32)
    xt = t32(x, True)
    f = F.adaptive_max_pool2d if mode == 'max' else F.adaptive_avg_pool2d
    y = f(xt[None], out)[0]
    gy = rng.normal(size=y.shape).astype(np.float32)
    y.backward(t32(gy))
    save(name, 'x', x)
    save(name, 'gy', gy)
    save(name, 'gx', xt.grad.numpy())
    lines.append('adaptive %s %s %d %d' % (name, mode, out[0], out[1]))


SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, -3.0, 3.0, 6.0, -6.0, 1e-3, -1e-3, 10.0, -10.0, 100.0,
           -100.0, 0.5, -0.5, 2.9999, -2.9999, 5.9999]


def act(name, kind, slope, rng):
    x = np.concatenate([np.array(SPECIAL, dtype=np.float32), (rng.normal(size=44) * 3).astype(np.float32)])
    xt = t32(x, True)
    fn = {
        'relu': F.relu, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh, 'relu6': F.relu6, 'silu': F.silu,
        'gelu': F.gelu, 'gelu_tanh': lambda v: F.gelu(v, approximate='tanh'), 'hardswish': F.hardswish,
        'leaky_relu': lambda v: F.leaky_relu(v, slope), 'elu': lambda v: F.elu(v, slope),
    }[kind]
    y = fn(xt)
    gy = rng.normal(size=x.shape).astype(np.float32)
    gy[:len(SPECIAL)] = 1.0   # the derivative itself at the special points
    y.backward(t32(gy))
    save(name, 'x', x)
    save(name, 'gy', gy)
    save(name, 'gx', xt.grad.numpy())
    lines.append('act %s %s %r' % (name, kind, slope))


def softmax(name, take_log, shape, rng, scale=1.0):
    x = t32(rng.normal(size=shape) * scale, True)
    y = (F.log_softmax if take_log else F.softmax)(x, dim=1)
    gy = rng.normal(size=shape).astype(np.float32)
    y.backward(t32(gy))
    save(name, 'y', y.detach().numpy())
    save(name, 'gy', gy)
    save(name, 'gx', x.grad.numpy())
    lines.append('softmax %s %d %d %d %d' % (name, int(take_log), shape[0], shape[1], shape[2]))


def loss(name, logits, labels):
    z = t32(logits, True)
    out = F.cross_entropy(z, torch.tensor(labels, dtype=torch.long))
    out.backward()
    save(name, 'logits', logits)
    save(name, 'labels', labels, np.uint8)
    save(name, 'loss', [out.item()], np.float64)
    save(name, 'grad', z.grad.numpy())
    lines.append('loss %s %d %d' % (name, logits.shape[0], logits.shape[1]))


def linear(name, batch, n_in, n_out, rng):
    x = t32(rng.normal(size=(batch, n_in)), True)
    w = t32(rng.normal(size=(n_out, n_in)) / np.sqrt(n_in), True)
    b = t32(rng.normal(size=n_out), True)
    y = F.linear(x, w, b)
    gy = rng.normal(size=y.shape).astype(np.float32)
    y.backward(t32(gy))
    for key, v in (('x', x), ('w', w), ('b', b)):
        save(name, key, v.detach().numpy())
    save(name, 'gy', gy)
    save(name, 'y', y.detach().numpy())
    save(name, 'gx', x.grad.numpy())
    save(name, 'gw', w.grad.numpy())
    save(name, 'gb', b.grad.numpy())
    lines.append('linear %s %d %d %d' % (name, batch, n_in, n_out))


def bn(name, training, affine, track, batch, channels, plane, rng, eps=1e-5, momentum=0.1, shift=0.0):
    x = (rng.normal(size=(batch, channels, plane)) * 2 + shift).astype(np.float32)
    xt = t32(x, True)
    w = t32(rng.uniform(0.5, 1.5, size=channels), True) if affine else None
    b = t32(rng.normal(size=channels), True) if affine else None
    rm = t32(rng.normal(size=channels)) if track else None
    rv = t32(rng.uniform(0.5, 2.0, size=channels)) if track else None
    if track:
        save(name, 'rm0', rm.numpy())
        save(name, 'rv0', rv.numpy())
    # a (B, C, H*W) batch as BatchNorm2d sees it: (B, C, 1, plane)
    y = F.batch_norm(xt[:, :, None, :], rm, rv, w, b, training=training, momentum=momentum, eps=eps)[:, :, 0, :]
    gy = rng.normal(size=x.shape).astype(np.float32)
    y.backward(t32(gy))
    save(name, 'x', x)
    save(name, 'gy', gy)
    save(name, 'y', y.detach().numpy())
    save(name, 'gx', xt.grad.numpy())
    if affine:
        save(name, 'w', w.detach().numpy())
        save(name, 'b', b.detach().numpy())
        save(name, 'gw', w.grad.numpy())
        save(name, 'gb', b.grad.numpy())
    if track and training:
        save(name, 'rm1', rm.numpy())
        save(name, 'rv1', rv.numpy())
    if training:
        x64 = x.astype(np.float64)
        mean = x64.mean(axis=(0, 2))
        var = x64.var(axis=(0, 2))
        save(name, 'mean', mean)
        save(name, 'invstd', 1.0 / np.sqrt(var + eps))
    lines.append('bn %s %d %d %d %d %d %d %r %r' % (name, int(training), int(affine), int(track), batch, channels,
                                                   plane, eps, momentum))


def main():
    os.makedirs(HERE, exist_ok=True)
    for f in os.listdir(HERE):
        os.remove(os.path.join(HERE, f))
    rng = np.random.default_rng(11)
    ties = rng.integers(0, 3, size=(2, 6, 6)).astype(np.float32)
    pool('max_k2_ties', 'max', None, (2, 2), (2, 2), x=ties, rng=rng)
    pool('max_k2_odd', 'max', (2, 5, 7), (2, 2), (2, 2), rng=rng)
    pool('max_k3_s1_ties', 'max', None, (3, 3), (1, 1), x=rng.integers(0, 2, size=(1, 5, 6)).astype(np.float32),
         rng=rng)
    pool('max_k3_s2_p1', 'max', (3, 7, 7), (3, 3), (2, 2), (1, 1), rng=rng)
    pool('max_k3_s2_p1_ceil', 'max', (2, 8, 8), (3, 3), (2, 2), (1, 1), ceil=True, rng=rng)
    pool('max_dilated', 'max', (1, 9, 8), (2, 3), (1, 2), (1, 1), (2, 1), rng=rng)
    pool('max_dilated_ceil', 'max', (2, 7, 6), (3, 2), (2, 3), (1, 1), (2, 2), ceil=True, rng=rng)
    nanx = rng.normal(size=(1, 4, 6)).astype(np.float32)
    nanx[0, 0, 1] = np.nan
    nanx[0, 1, 2] = np.nan
    nanx[0, 1, 3] = np.nan
    nanx[0, 2, 4:6] = -np.inf
    nanx[0, 3, 4:6] = -np.inf
    pool('max_nan_inf', 'max', None, (2, 2), (2, 2), x=nanx, rng=rng)
    nan3 = rng.normal(size=(1, 5, 5)).astype(np.float32)
    nan3[0, 1, 1] = np.nan
    nan3[0, 3, 2] = np.nan
    nan3[0, 4, 4] = np.inf
    pool('max_nan_k3_p1', 'max', None, (3, 3), (1, 1), (1, 1), x=nan3, rng=rng)
    pool('max_all_neg_inf_pad', 'max', None, (3, 3), (1, 1), (1, 1),
         x=np.full((1, 3, 4), -np.inf, dtype=np.float32), rng=rng)
    pool('avg_k2', 'avg', (2, 6, 6), (2, 2), (2, 2), rng=rng)
    pool('avg_k3_s2_p1', 'avg', (2, 7, 7), (3, 3), (2, 2), (1, 1), rng=rng)
    pool('avg_k3_s2_p1_excl', 'avg', (2, 7, 7), (3, 3), (2, 2), (1, 1), cip=False, rng=rng)
    pool('avg_ceil', 'avg', (1, 8, 8), (3, 3), (2, 2), (1, 1), ceil=True, rng=rng)
    pool('avg_ceil_excl', 'avg', (1, 8, 8), (3, 3), (2, 2), (1, 1), ceil=True, cip=False, rng=rng)
    pool('avg_rect', 'avg', (1, 7, 6), (2, 3), (3, 1), (1, 0), rng=rng)
    pool('avg_rect_ceil_excl', 'avg', (3, 6, 9), (3, 2), (2, 3), (1, 1), ceil=True, cip=False, rng=rng)

    adaptive('amax_7x5_3x3', 'max', (2, 7, 5), (3, 3), rng)
    adaptive('amax_ties', 'max', None, (2, 3), rng, x=rng.integers(0, 2, size=(1, 5, 7)).astype(np.float32))
    adaptive('amax_up', 'max', (1, 3, 3), (5, 4), rng)
    adaptive('aavg_7x5_3x3', 'avg', (2, 7, 5), (3, 3), rng)
    adaptive('aavg_5x7_2x4', 'avg', (1, 5, 7), (2, 4), rng)
    adaptive('aavg_up', 'avg', (1, 3, 3), (5, 4), rng)

    for kind, slope in (('relu', 0.0), ('leaky_relu', 0.01), ('leaky_relu', 0.2), ('relu6', 0.0), ('elu', 1.0),
                        ('elu', 0.5), ('sigmoid', 0.0), ('tanh', 0.0), ('silu', 0.0), ('gelu', 0.0),
                        ('gelu_tanh', 0.0), ('hardswish', 0.0)):
        act('%s_%g' % (kind, slope), kind, slope, rng)

    softmax('softmax_2x5x3', False, (2, 5, 3), rng)
    softmax('log_softmax_2x5x3', True, (2, 5, 3), rng)
    softmax('softmax_4x10x1_wide', False, (4, 10, 1), rng, scale=20.0)
    softmax('log_softmax_3x7x2_wide', True, (3, 7, 2), rng, scale=20.0)

    z = (rng.normal(size=(8, 10)) * 2).astype(np.float32)
    z[3] = [1e4, -1e4, 0, 50, -50, 3e3, 1, 2, 3, 1e4]        # a large-logit row, tied maximum
    z[5] = [88.0, 89.0, 90.0, -200.0, 0, 0, 0, 0, 0, 0]
    loss('ce_8x10', z, np.array([0, 1, 2, 9, 4, 2, 6, 7], dtype=np.uint8))
    loss('ce_1x3', np.array([[0.5, -1.0, 2.0]], dtype=np.float32), np.array([1], dtype=np.uint8))
    loss('ce_64x10', (rng.normal(size=(64, 10)) * 3).astype(np.float32),
         rng.integers(0, 10, size=64).astype(np.uint8))

    linear('linear_1x5x3', 1, 5, 3, rng)
    linear('linear_4x13x7', 4, 13, 7, rng)
    linear('linear_64x400x10', 64, 400, 10, rng)

    bn('bn_train_affine_track', True, True, True, 4, 3, 25, rng)
    bn('bn_train_plain', True, False, False, 3, 2, 16, rng)
    bn('bn_train_affine_untracked', True, True, False, 2, 4, 9, rng, eps=1e-3, shift=5.0)
    bn('bn_train_track_momentum', True, False, True, 5, 2, 4, rng, momentum=0.3)
    bn('bn_train_shifted', True, True, True, 8, 2, 36, rng, shift=100.0)
    bn('bn_eval_affine', False, True, True, 3, 3, 16, rng)
    bn('bn_eval_plain', False, False, True, 2, 2, 9, rng)

    with open(os.path.join(HERE, 'cases.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
