"""torch_shapes.py: the ten layer shapes of issue 12 in PyTorch on one
thread, the same layers `convstep bench` times as shape_*_ms (see
app/bench/shapes_bench.c, whose table this one mirrors row for row).
Each layer runs once to warm up, then REPS times; prints the median time
on this thread's CPU clock (as convstep's side does: on a busy machine,
time spent waiting for the CPU does not count) as `torch_shape_KEY_ms
VALUE`, one line per shape."""
import statistics
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(1)


def conv(c, h, w, f, k, stride=1, pad=0, dilation=1, groups=1):
    x = torch.rand(1, c, h, w) * 2 - 1
    wt = torch.rand(f, c // groups, k, k) * 0.4 - 0.2
    b = torch.rand(f) * 2 - 1
    return lambda: F.conv2d(x, wt, b, stride=stride, padding=pad, dilation=dilation, groups=groups)


def transposed(c, h, w, f, k, stride, pad):
    x = torch.rand(1, c, h, w) * 2 - 1
    wt = torch.rand(c, f, k, k) * 0.4 - 0.2
    b = torch.rand(f) * 2 - 1
    return lambda: F.conv_transpose2d(x, wt, b, stride=stride, padding=pad)


def pool(kind, c, h, w, k, stride):
    x = torch.rand(1, c, h, w) * 2 - 1
    if kind == "max":
        return lambda: F.max_pool2d(x, k, stride)
    return lambda: F.avg_pool2d(x, k, stride)


# key, layer, repetitions (more for the short ones)
SHAPES = [
    ("rgb512", conv(3, 512, 512, 16, 3, pad=1), 15),
    ("rgb512_s2", conv(3, 512, 512, 16, 3, stride=2, pad=1), 31),
    ("vgg", conv(64, 56, 56, 64, 3, pad=1), 31),
    ("pointwise", conv(64, 56, 56, 256, 1), 15),
    ("depthwise", conv(32, 112, 112, 32, 3, pad=1, groups=32), 31),
    ("dilated", conv(16, 128, 128, 16, 3, pad=2, dilation=2), 31),
    ("alexnet", conv(3, 224, 224, 64, 11, stride=4, pad=2), 31),
    ("transposed", transposed(16, 64, 64, 8, 4, 2, 1), 31),
    ("maxpool", pool("max", 64, 112, 112, 2, 2), 31),
    ("avgpool", pool("avg", 64, 56, 56, 3, 2), 31),
]

only = set(sys.argv[1:])
with torch.no_grad():
    for key, layer, reps in SHAPES:
        if only and key not in only:
            continue
        layer()
        times = []
        for _ in range(reps):
            start = time.thread_time()
            layer()
            times.append((time.thread_time() - start) * 1e3)
        print(f"torch_shape_{key}_ms {statistics.median(times):.4f}", flush=True)
