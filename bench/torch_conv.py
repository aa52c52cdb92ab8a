"""torch_conv.py: the convolution `convstep bench` times as conv_ms, in
PyTorch on one thread: a 3x512x512 float32 input through 16 filters of 3x3,
stride 1, padding 1, with bias. Prints the median of 7 runs (after one
warm-up) as `torch_conv_ms VALUE`."""
import statistics
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(1)
x = torch.rand(1, 3, 512, 512) * 255
w = torch.rand(16, 3, 3, 3) * 0.4 - 0.2
b = torch.rand(16) * 2 - 1

times = []
with torch.no_grad():
    torch.nn.functional.conv2d(x, w, b, stride=1, padding=1)
    for _ in range(7):
        start = time.perf_counter()
        torch.nn.functional.conv2d(x, w, b, stride=1, padding=1)
        times.append((time.perf_counter() - start) * 1e3)
print(f"torch_conv_ms {statistics.median(times):.3f}")
