#!/usr/bin/python3
"""torch_train.py: PyTorch 1.13 on the recipe of `convstep train`, for
`make bench` (bench/run.sh) to print beside convstep's figures.

   torch_train.py [--threads N] [--data DIR] [--epochs E]
       trains DESIGN.md's default small CNN on Fashion-MNIST (1 epoch, batch
       64, SGD lr 0.05 momentum 0.9, cross-entropy, inputs /255, shuffled),
       and prints torch_train_images_per_s (the training steps' wall time
       only, as convstep counts it) and torch_train_test_accuracy.
   torch_train.py --score FILE.safetensors [--data DIR]
       loads weights convstep saved into the same nn.Sequential with
       load_state_dict(strict=True) and prints torch_score_test_accuracy.

Reads the IDX files itself (gzip + numpy) and safetensors by hand (the
`safetensors` module is not packaged in Debian 12), so it needs only torch."""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    rank = data[3]
    dims = struct.unpack('>' + 'I' * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def split(data, name):
    for suffix in ('', '.gz'):
        p = os.path.join(data, name + suffix)
        if os.path.exists(p):
            return idx(p)
    raise SystemExit('torch_train.py: %s missing in %s' % (name, data))


def load(data, train):
    prefix = 'train' if train else 't10k'
    x = torch.from_numpy(split(data, prefix + '-images-idx3-ubyte').astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(split(data, prefix + '-labels-idx1-ubyte').astype(np.int64))
    return x, y


def network():
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 10))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        hits = sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000))
    return hits / len(x)


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        b, end = e['data_offsets']
        dtype = {'F32': np.float32, 'I64': np.int64}[e['dtype']]
        out[name] = torch.from_numpy(np.frombuffer(data[base + b:base + end], dtype=dtype).reshape(e['shape']).copy())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--epochs', type=int, default=1)
    ap.add_argument('--score')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    test_x, test_y = load(a.data, False)
    if a.score:
        model = network()
        model.load_state_dict(read_safetensors(a.score), strict=True)
        print('torch_score_test_accuracy %.4f' % accuracy(model, test_x, test_y))
        return
    torch.manual_seed(1)
    x, y = load(a.data, True)
    model = network()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    seconds = 0.0
    for _ in range(a.epochs):
        model.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            idx_ = order[i:i + 64]
            xb, yb = x[idx_], y[idx_]
            t0 = time.perf_counter()
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            seconds += time.perf_counter() - t0
    print('torch_train_images_per_s %.0f' % (a.epochs * len(x) / seconds))
    print('torch_train_test_accuracy %.4f' % accuracy(model, test_x, test_y))


if __name__ == '__main__':
    main()
