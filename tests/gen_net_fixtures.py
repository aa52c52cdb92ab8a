#!/usr/bin/python3
"""gen_net_fixtures.py: writes tests/net/NAME/, the fixtures of tests/test_net.c
and tests/forward_test.sh, from PyTorch (run once; make test does not need it):
   /usr/bin/python3 tests/gen_net_fixtures.py

For each model:
  model.txt    the layers as convstep reads them (nn.Sequential code, or the
               print(model) output of a module)
  keys.txt     its state_dict, one line per tensor: NAME RANK D0 D1 ... A B,
               the values being float32(A + B*u(k, i)) for element i (C order)
               of the k-th tensor, u as in formula_u() below; convstep's test
               builds the same values, so no weights need committing
  input.npy    the input image, (C, H, W) float32
  NN.npy       the output of the NN-th layer (from 01), batch dimension
               dropped, as PyTorch's eval mode computes it
and for the small models the state dict itself, as weights.safetensors
(written here byte by byte, as safetensors.torch.save_file lays it out) and
weights.npz (numpy.savez), num_batches_tracked included.
"""
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'net')


def formula_u(k, n):
    """u(k, i) for i < n: an integer hash mapped to [-1, 1] in steps of 1/1000,
    exactly representable work in doubles on both sides."""
    i = np.arange(n, dtype=np.uint64)
    h = (i * np.uint64(2654435761) + np.uint64(k * 40503)) % np.uint64(1 << 32)
    return ((h % np.uint64(2001)).astype(np.float64) - 1000.0) / 1000.0


def role_of(name, tensor, model):
    """(A, B) of a state_dict tensor: weights and biases of conv and Linear
    in U(-1/sqrt(fan_in), 1/sqrt(fan_in)) like PyTorch's default; BatchNorm's
    weight near 1, bias and mean near 0, var in [0.5, 1.5]."""
    module = model.get_submodule(name.rsplit('.', 1)[0])
    leaf = name.rsplit('.', 1)[1]
    if isinstance(module, nn.BatchNorm2d):
        return {'weight': (1.0, 0.5), 'bias': (0.0, 0.5), 'running_mean': (0.0, 0.5),
                'running_var': (1.0, 0.5)}[leaf]
    w = module.weight
    fan_in = w.shape[1] * (w[0][0].numel() if w.dim() > 2 else 1)
    return (0.0, 1.0 / math.sqrt(fan_in))


def set_formula_weights(model):
    """Fills the state dict with the formula; returns the keys.txt lines."""
    lines = []
    k = 0
    sd = model.state_dict()
    with torch.no_grad():
        for name, t in sd.items():
            if name.endswith('num_batches_tracked'):
                continue
            a, b = role_of(name, t, model)
            values = (a + b * formula_u(k, t.numel())).astype(np.float32).reshape(t.shape)
            t.copy_(torch.from_numpy(values))
            lines.append('%s %d %s %.17g %.17g' % (name, t.dim(), ' '.join(str(d) for d in t.shape), a, b))
            k += 1
    return lines


def leaf_outputs(model, x):
    """The output of every leaf module in the order they run (cloned: an
    inplace ReLU would change the conv's output after the hook)."""
    outs = []
    hooks = [m.register_forward_hook(lambda m, i, o: outs.append(o.detach().clone()))
             for m in model.modules() if len(list(m.children())) == 0]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return outs


def save_safetensors(path, sd):
    """safetensors: u64 header length, JSON header (sorted names, F32 or I64,
    data_offsets), padded with spaces to 8 bytes, then the data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(sd):
        t = sd[name].contiguous()
        data = t.numpy().tobytes()
        dtype = {torch.float32: 'F32', torch.int64: 'I64'}[t.dtype]
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def write(name, model, text, x, files=False):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    model.eval()
    lines = set_formula_weights(model)
    outs = leaf_outputs(model, x.unsqueeze(0))
    with open(os.path.join(d, 'model.txt'), 'w') as f:
        f.write(text if text.endswith('\n') else text + '\n')
    with open(os.path.join(d, 'keys.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    np.save(os.path.join(d, 'input.npy'), x.numpy().astype(np.float32))
    for i, o in enumerate(outs):
        np.save(os.path.join(d, '%02d.npy' % (i + 1)), o[0].numpy().astype(np.float32))
    if files:
        sd = {k: v.clone() for k, v in model.state_dict().items()}
        save_safetensors(os.path.join(d, 'weights.safetensors'), sd)
        np.savez(os.path.join(d, 'weights.npz'), **{k: v.numpy() for k, v in sd.items()})
    print('%s: %d layers, %d tensors' % (name, len(outs), len(lines)))


# ---- the models ----

LENET = '''# LeNet-5 (LeCun et al. 1998) as PyTorch code: Tanh, average pooling, Linear
model = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2),
    nn.Tanh(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5),
    nn.Tanh(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120),
    nn.Tanh(),
    nn.Linear(120, 84),
    nn.Tanh(),
    nn.Linear(84, 10),
)
'''

VGG_BLOCK = '''Conv2d(3, 8, 3, padding=1), BatchNorm2d(8), ReLU(inplace=True)
Conv2d(8, 8, 3, padding=1, bias=False), BatchNorm2d(8, eps=1e-3), ReLU(inplace=True)
MaxPool2d(2), Dropout(0.5)
AdaptiveAvgPool2d((3, 3)), Flatten(), Linear(72, 10), Softmax(dim=1)
'''

DEPTHWISE = '''import torch.nn as nn

# a depthwise-separable block (MobileNet): depthwise 3x3, pointwise 1x1, ReLU6
block = nn.Sequential(
    nn.Conv2d(3, 3, 3, stride=2, padding=1, groups=3, bias=False),
    nn.BatchNorm2d(3),
    nn.ReLU6(inplace=True),
    nn.Conv2d(3, 16, 1, bias=False),
    nn.BatchNorm2d(16),
    nn.ReLU6(inplace=True),
    nn.AdaptiveMaxPool2d(1),
    nn.Flatten(),
    nn.Linear(16, 5),
    nn.LogSoftmax(dim=-1),
)
print(block)
'''


class Nested(nn.Module):
    """A module whose forward runs its children in printed order, with the
    flatten in forward() that print(model) does not show."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ELU(alpha=0.7),
            nn.Sequential(nn.Conv2d(8, 8, 3, padding=2, dilation=2, padding_mode='reflect'), nn.Hardswish()),
            nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), nn.SiLU(),
            nn.MaxPool2d(3, stride=2, padding=1), nn.LeakyReLU(0.1))
        self.pool = nn.AdaptiveAvgPool2d((2, 2))
        self.classifier = nn.Sequential(
            nn.Dropout(), nn.Linear(16, 12), nn.GELU(approximate='tanh'), nn.Linear(12, 6), nn.GELU(),
            nn.Sigmoid())

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def alexnet_features():
    """torchvision.models.alexnet().features (torchvision/models/alexnet.py)."""
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2))


def main():
    torch.manual_seed(10)
    lenet = eval(LENET.split('model = ', 1)[1])
    write('lenet', lenet, LENET, torch.randn(1, 28, 28))

    vgg = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                        nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8, eps=1e-3),
                        nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Dropout(0.5), nn.AdaptiveAvgPool2d((3, 3)),
                        nn.Flatten(), nn.Linear(72, 10), nn.Softmax(dim=1))
    write('vgg_block', vgg, VGG_BLOCK, torch.rand(3, 20, 20) * 255, files=True)

    dw = eval(DEPTHWISE.split('block = ', 1)[1].split('print(')[0])
    write('depthwise', dw, DEPTHWISE, torch.rand(3, 16, 16) * 12 - 4, files=True)

    nested = Nested()
    write('nested', nested, str(nested), torch.randn(3, 15, 15) * 2, files=True)

    alex = alexnet_features()
    write('alexnet_features', alex, str(alex), torch.rand(3, 67, 67) * 255)

    # --input-size: torchvision's Resize(antialias=True) on a tensor is this
    d = os.path.join(HERE, 'resize')
    os.makedirs(d, exist_ok=True)
    for name, (c, h, w), (oh, ow) in [('down', (3, 37, 29), (16, 20)), ('up', (2, 5, 7), (11, 9))]:
        x = torch.rand(c, h, w) * 255
        y = torch.nn.functional.interpolate(x.unsqueeze(0), size=(oh, ow), mode='bilinear',
                                            align_corners=False, antialias=True)[0]
        np.save(os.path.join(d, name + '_in.npy'), x.numpy())
        np.save(os.path.join(d, name + '_out.npy'), y.numpy())


if __name__ == '__main__':
    main()
