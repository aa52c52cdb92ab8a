import torch
import torch.nn as nn
from collections import OrderedDict

model = nn.Sequential(
    nn.Conv2d(3, 16, kernel_size=3, stride=2, padding=1),  # stem
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Sequential(nn.Conv2d(16, 32, (1, 7), padding=(0, 3)), nn.ReLU6()),
    nn.Flatten(),
    nn.Linear(32 * 8 * 8, 10),
)
print(model)
