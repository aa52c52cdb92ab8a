"""torch_grad.py: the backward passes `convstep bench` times as grad_*_ms
(app/bench/grad_bench.c), in PyTorch on one thread, for the training
network's layers at batch 64:
  grad_maxpool_ms  max_pool2d_with_indices_backward of both MaxPool2d(2)
                   (64x8x26x26 and 64x16x11x11; PyTorch reuses the indices
                   its forward saved, convstep finds the maxima again)
  grad_relu_ms     threshold_backward of both ReLUs
  grad_head_ms     Linear(400, 10) forward, cross-entropy, and the backward
                   of both (dx, dW, db)
Each runs once to warm up, then REPS times; prints the median on this
thread's CPU clock as `torch_KEY VALUE`, one line per figure. Run with
/usr/bin/python3 (torch 1.13)."""
import statistics
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(1)
REPS = 51


def median_ms(fn):
    fn()
    ms = []
    for _ in range(REPS):
        start = time.thread_time()
        fn()
        ms.append((time.thread_time() - start) * 1e3)
    return statistics.median(ms)


def maxpool():
    xs = [torch.rand(64, 8, 26, 26) * 2 - 1, torch.rand(64, 16, 11, 11) * 2 - 1]
    saved = []
    for x in xs:
        y, idx = F.max_pool2d(x, 2, return_indices=True)
        saved.append((x, torch.rand_like(y) * 2 - 1, idx))

    def run():
        for x, gy, idx in saved:
            torch.ops.aten.max_pool2d_with_indices_backward(gy, x, [2, 2], [2, 2], [0, 0], [1, 1], False, idx)
    return run


def relu():
    xs = [torch.rand(64, 8, 26, 26) * 2 - 1, torch.rand(64, 16, 11, 11) * 2 - 1]
    pairs = [(F.relu(x), torch.rand_like(x) * 2 - 1) for x in xs]

    def run():
        for y, gy in pairs:
            torch.ops.aten.threshold_backward(gy, y, 0)
    return run


def head():
    x = torch.rand(64, 400, requires_grad=True)
    w = (torch.rand(10, 400) * 0.1 - 0.05).requires_grad_()
    b = (torch.rand(10) * 0.1 - 0.05).requires_grad_()
    labels = torch.arange(64) % 10

    def run():
        loss = F.cross_entropy(F.linear(x, w, b), labels)
        loss.backward()
    return run


for key, make in (("grad_maxpool_ms", maxpool), ("grad_relu_ms", relu), ("grad_head_ms", head)):
    print("torch_%s %.4g" % (key, median_ms(make())))
