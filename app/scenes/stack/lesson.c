/* lesson.c: the lessons' data (see lesson.h). To add a lesson, add an entry
 * to the table: its stacks are ordinary layer specs, its caption plain
 * sentences that stay true for the numbers the program works out. */
#include "lesson.h"

#include <stdio.h>
#include <string.h>

static const Lesson lessons[] = {
    {
        "199-to-1",
        "How many 3x3 convolutions take 199x199 to 1x1?",
        "A 3x3 convolution without padding loses one pixel on every side: 199x199 becomes "
        "197x197, then 195x195, and so on. From 199 down to 1 in steps of 2 takes "
        "(199 - 1) / 2 = 99 layers. Each layer adds (3 - 1) x jump = 2 pixels to the receptive "
        "field, so after 99 layers the single output sees all 199x199 input pixels.",
        LESSON_SIZES,
        1,
        {{"3x3 convolutions, no padding", "Conv2d(1, 1, 3)", 1, 199, 199, 1}},
    },
    {
        "why-3x3",
        "Why (nearly) always 3x3 kernels?",
        "Two stacked 3x3 layers see a 5x5 patch, like one 5x5 layer; three see 7x7, like one "
        "7x7. With C channels in and out they hold 18C^2 weights against 25C^2, and 27C^2 "
        "against 49C^2, and every extra layer adds a non-linearity (ReLU), so the stack of "
        "small kernels is cheaper and more expressive. This is VGG's design.",
        LESSON_COMPARE,
        4,
        {{"two 3x3", "Conv2d(64, 64, 3, bias=False), ReLU(), Conv2d(64, 64, 3, bias=False), ReLU()",
          0, 5, 5, 64},
         {"one 5x5", "Conv2d(64, 64, 5, bias=False), ReLU()", 0, 5, 5, 64},
         {"three 3x3",
          "Conv2d(64, 64, 3, bias=False), ReLU(), Conv2d(64, 64, 3, bias=False), ReLU(), "
          "Conv2d(64, 64, 3, bias=False), ReLU()",
          0, 7, 7, 64},
         {"one 7x7", "Conv2d(64, 64, 7, bias=False), ReLU()", 0, 7, 7, 64}},
    },
    {
        "shapes",
        "How do channels and 1x1 convolutions change the shape?",
        "A filter spans every input channel and makes one output channel: 15 filters of 3x3x1 "
        "turn 5x5x1 into 3x3x15, and ReLU keeps the shape. A 1x1 convolution looks at one "
        "position only and mixes its 15 channels into 10 (10 filters of 1x1x15), so the "
        "highlighted column runs through every channel. Six 3x3x10 filters then give 1x1x6.",
        LESSON_PLAIN,
        1,
        {{"[5x5x1] to [1x1x6]",
          "Conv2d(1, 15, 3), ReLU(), Conv2d(15, 10, 1), Conv2d(10, 6, 3)", 0, 5, 5, 1}},
    },
    {
        "stride-padding-pooling",
        "What do stride, padding, pooling and dilation do to a stack?",
        "Padding 1 keeps a 3x3 layer's size. Stride 2 visits every other position: the map "
        "halves and the jump doubles, so every later kernel covers twice as many input pixels. "
        "2x2 max pooling keeps the largest of each 2x2 block, also halving the map. Dilation 2 "
        "spreads a 3x3 kernel's taps over 5x5 (k_eff = d(k - 1) + 1) without adding weights.",
        LESSON_PLAIN,
        1,
        {{"16x16 input",
          "Conv2d(1, 4, 3, padding=1), ReLU(), Conv2d(4, 4, 3, stride=2, padding=1), ReLU(), "
          "MaxPool2d(2), Conv2d(4, 4, 3, padding=2, dilation=2), ReLU()",
          0, 16, 16, 1}},
    },
    {
        "alexnet",
        "AlexNet: how far does one output see?",
        "AlexNet's feature layers as torchvision writes them, pasted as PyTorch code. The 11x11 "
        "kernel with stride 4 and three max pools with stride 2 make the jump 4 x 2 x 2 x 2 = 32: "
        "neighbouring outputs of the last layer are 32 input pixels apart, and each one sees a "
        "195x195 patch of the 224x224 image.",
        LESSON_PLAIN,
        1,
        {{"AlexNet features (torchvision)", "@alexnet.txt", 0, 224, 224, 3}},
    },
    {
        "vgg16",
        "VGG-16: only 3x3 kernels, yet a large receptive field",
        "VGG-16 uses 3x3 convolutions with padding 1 (the size stays) and 2x2 max pools (the "
        "size halves). Each pool doubles the jump, so the 3x3 layers after it add twice as much "
        "to the field: after 13 convolutions and 5 pools each output sees 212x212 input pixels, "
        "32 apart.",
        LESSON_PLAIN,
        1,
        {{"VGG-16 features (torchvision)", "@vgg16.txt", 0, 224, 224, 3}},
    },
    {
        "init",
        "How are kernels initialised?",
        "Training starts from random weights scaled to the layer's fan_in = C_in x k x k, the "
        "number of inputs one output reads, so that activations keep roughly the same size from "
        "layer to layer. PyTorch's Conv2d default draws from U(-b, b) with b = 1/sqrt(fan_in); "
        "He (Kaiming) normal uses std = sqrt(2/fan_in), Xavier (Glorot) uniform "
        "b = sqrt(6/(fan_in + fan_out)). The strip shows them for the current layer.",
        LESSON_INIT,
        1,
        {{"a small network on a 32x32 RGB image",
          "Conv2d(3, 16, 3, padding=1), ReLU(), Conv2d(16, 32, 3, padding=1), ReLU(), "
          "MaxPool2d(2), Conv2d(32, 64, 3, padding=1), ReLU(), MaxPool2d(2)",
          0, 32, 32, 3}},
    },
    {
        "training",
        "What happens during training?",
        "Training shows the network labelled images and measures a loss, a number saying how "
        "wrong its outputs are. Backpropagation works out how the loss changes with every "
        "weight and bias, and gradient descent moves each one a small step against that slope "
        "(w = w - lr x dL/dw), over and over. Kernels that start as noise become detectors of "
        "edges, colours and textures; the shapes and receptive fields here never change.",
        LESSON_TRAINING,
        1,
        {{"a small network on a 32x32 RGB image",
          "Conv2d(3, 16, 3, padding=1), ReLU(), Conv2d(16, 32, 3, padding=1), ReLU(), "
          "MaxPool2d(2), Conv2d(32, 64, 3, padding=1), ReLU(), MaxPool2d(2)",
          0, 32, 32, 3}},
    },
};

#define LESSON_COUNT (sizeof lessons / sizeof lessons[0])

const Lesson *lesson_table(size_t *count)
{
    *count = LESSON_COUNT;
    return lessons;
}

const Lesson *lesson_find(const char *name)
{
    for (size_t i = 0; i < LESSON_COUNT; i++)
        if (strcmp(lessons[i].name, name) == 0)
            return &lessons[i];
    return NULL;
}

const char *lesson_names(char *buf, size_t size)
{
    size_t used = 0;
    if (size)
        buf[0] = '\0';
    for (size_t i = 0; i < LESSON_COUNT && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", lessons[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return buf;
}
