"""torch_train_conv.py: the two convolutions of `convstep train`'s default
network (Conv2d(1, 8, 3) on 1x28x28 and Conv2d(8, 16, 3) on 8x13x13), forward
and backward of a batch of 64 as a training step computes them, in PyTorch on
one thread: the layer's output, then autograd's gradients of its weight and
bias (and of its input for the second layer, whose input is an activation;
the first layer's input is the images, which need none). Prints the median of
51 runs (after warm-up), on this thread's CPU clock like convstep bench, as
`torch_train_conv1_ms VALUE` and `torch_train_conv2_ms VALUE`; the rows match
convstep bench's train_conv1_ms and train_conv2_ms."""
import statistics
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(1)


def layer_ms(c, f, size, input_grad):
    conv = torch.nn.Conv2d(c, f, 3)
    x = torch.rand(64, c, size, size, requires_grad=input_grad)
    oh = size - 2
    g = torch.rand(64, f, oh, oh) - 0.5

    def step():
        conv.zero_grad(set_to_none=False)
        if x.grad is not None:
            x.grad = None
        y = conv(x)
        y.backward(g)

    for _ in range(10):
        step()
    times = []
    for _ in range(51):
        start = time.thread_time()
        step()
        times.append((time.thread_time() - start) * 1e3)
    return statistics.median(times)


print(f"torch_train_conv1_ms {layer_ms(1, 8, 28, False):.4f}")
print(f"torch_train_conv2_ms {layer_ms(8, 16, 13, True):.4f}")
