#!/usr/bin/python3
"""gen_train_fixtures.py: writes the training steps tests/test_train.c
replays (tests/fixtures/train/), computed by PyTorch. Run from the repository:
   /usr/bin/python3 tests/gen_train_fixtures.py
The files are committed; `make test` does not need Python.

For each case: a small network with random initial weights (NAME-w0.npz, a
numpy.savez of the state dict), a batch of images and labels, and what
PyTorch's training loop gives after STEPS steps on that same batch
(cross-entropy, train mode): the weights (NAME-w3.npz, running statistics
included) and the loss of every step (NAME-loss.npy). The batch of 12 is
more than one of the trainer's chunks of 8 images, so the chunked sums are
checked too. The BatchNorm2d follows a ReLU, not the convolution itself:
there the convolution's bias would get a gradient of rounding noise (the
normalisation removes it), which Adam would blow up to full steps."""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'fixtures', 'train')
STEPS = 3

# Kept in step with tests/test_train.c.
LAYERS = ("Conv2d(1, 4, 3, padding=1), ReLU(), BatchNorm2d(4), MaxPool2d(2), "
          "Conv2d(4, 6, 3), Tanh(), AvgPool2d(2), Flatten(), Linear(6, 10)")


def network():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(4), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(6, 10))


def state_npz(model, path):
    np.savez(path, **{k: v.detach().numpy() for k, v in model.state_dict().items()
                      if not k.endswith('num_batches_tracked')})


def case(name, make_optimizer, seed):
    torch.manual_seed(seed)
    model = network()
    with torch.no_grad():                  # BatchNorm's affine parameters off their defaults
        model[2].weight.uniform_(0.5, 1.5)
        model[2].bias.uniform_(-0.2, 0.2)
    model.train()
    images = torch.rand(12, 1, 10, 10)
    labels = torch.randint(0, 10, (12,))
    state_npz(model, os.path.join(OUT, name + '-w0.npz'))
    np.save(os.path.join(OUT, name + '-images.npy'), images.numpy())
    np.save(os.path.join(OUT, name + '-labels.npy'), labels.numpy().astype(np.uint8))
    opt = make_optimizer(model.parameters())
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    state_npz(model, os.path.join(OUT, name + '-w%d.npz' % STEPS))
    np.save(os.path.join(OUT, name + '-loss.npy'), np.array(losses, dtype=np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    case('sgd', lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), 11)
    case('sgd-decay', lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01), 12)
    case('adam', lambda p: torch.optim.Adam(p, lr=0.01), 13)


if __name__ == '__main__':
    main()
