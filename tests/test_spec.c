/* test_spec.c: the layer-spec parser. Tables of accepted forms (what each
 * layer becomes, with PyTorch's defaults), of where layers start and how
 * their text reads, and of refused specs with the exact message: line,
 * column, what was expected and what was found. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

/* Parses text, failing the test (with the parser's message) if it does not. */
static LayerStack parse_ok(const char *text)
{
    LayerStack s = {0};
    Error err = {0};
    Status st = spec_parse(text, &s, &err);
    cr_assert_eq(st, CS_OK, "spec %s: %s", text, err.message);
    return s;
}

/* ---- structure: separators, containers, labels, comments ---- */

typedef struct ShapeCase {
    const char *what;
    const char *text;
    const char *types;  /* the layers' class names, space-separated */
} ShapeCase;

static const ShapeCase shape_cases[] = {
    {"DESIGN.md's example",
     "Conv2d(3, 16, kernel_size=3, stride=2, padding=1)\nReLU()\nMaxPool2d(2)\n"
     "nn.Conv2d(16, 32, (1, 7), padding=(0, 3), dilation=1, groups=1, bias=False)\n",
     "Conv2d ReLU MaxPool2d Conv2d"},
    {"commas", "Conv2d(1, 1, 3), ReLU(), Tanh()", "Conv2d ReLU Tanh"},
    {"semicolons", "Conv2d(1, 1, 3); Sigmoid(); Identity()", "Conv2d Sigmoid Identity"},
    {"trailing separators and blank lines", "\n\nReLU(),\n\n;Tanh(),;\n", "ReLU Tanh"},
    {"nn. prefix", "nn.Conv2d(1, 1, 3)\nnn.ReLU()", "Conv2d ReLU"},
    {"torch.nn. prefix", "torch.nn.Conv2d(1, 1, 3), torch.nn.MaxPool2d(2)", "Conv2d MaxPool2d"},
    {"Sequential", "Sequential(Conv2d(1, 1, 3), ReLU())", "Conv2d ReLU"},
    {"nn.Sequential with a trailing comma",
     "nn.Sequential(\n    nn.Conv2d(1, 1, 3),\n    nn.ReLU(inplace=True),\n)", "Conv2d ReLU"},
    {"nested Sequential",
     "Sequential(Conv2d(1, 2, 3), Sequential(ReLU(), Sequential(MaxPool2d(2))), Tanh())",
     "Conv2d ReLU MaxPool2d Tanh"},
    {"Sequential and layers side by side", "Conv2d(1, 1, 3)\nSequential(ReLU())\nTanh()",
     "Conv2d ReLU Tanh"},
    {"empty Sequential inside", "Sequential(), ReLU()", "ReLU"},
    {"Sequential separated by new lines only", "Sequential(\n  ReLU()\n  Tanh()\n)", "ReLU Tanh"},
    {"comments", "# a stack\nConv2d(1, 1, 3)  # first\n# ReLU()\nTanh() # last", "Conv2d Tanh"},
    {"comment inside the arguments", "Conv2d(1,  # in\n 1, # out\n 3)", "Conv2d"},
    {"arguments over several lines", "Conv2d(\n  3,\n  16,\n  kernel_size\n  =\n  3\n)", "Conv2d"},
    {"backslash continuation", "Conv2d(1, 1, 3), \\\nReLU()", "Conv2d ReLU"},
    {"CRLF line ends", "Conv2d(1, 1, 3)\r\nReLU()\r\n", "Conv2d ReLU"},
    {"a UTF-8 byte-order mark", "\xEF\xBB\xBFReLU()", "ReLU"},
    {"print(model) labels",
     "Sequential(\n  (0): Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
     "  (1): ReLU(inplace=True)\n"
     "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n)",
     "Conv2d ReLU MaxPool2d"},
    {"named labels and a nested printed Sequential",
     "(features): Sequential(\n  (conv1): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))\n"
     "  (act): LeakyReLU(negative_slope=0.2)\n)",
     "Conv2d LeakyReLU"},
    {"an assignment from model code",
     "self.features = nn.Sequential(\n    nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),\n"
     "    nn.ReLU(inplace=True),\n)",
     "Conv2d ReLU"},
    {"batch norm and dropout are kept as neutral layers",
     "Conv2d(3, 8, 3), BatchNorm2d(8), Dropout(0.5), Dropout2d(p=0.1), ReLU()",
     "Conv2d BatchNorm2d Dropout Dropout ReLU"},
    {"Identity ignores its arguments", "Identity(54, unused_argument1=0.1)", "Identity"},
    {"Sequential of an OrderedDict, as PyTorch's documentation writes it",
     "model = nn.Sequential(OrderedDict([\n  ('conv1', nn.Conv2d(1,20,5)),\n  ('relu1', nn.ReLU()),\n"
     "  (\"conv2\", nn.Conv2d(20,64,5)),\n  ('relu2', nn.ReLU())\n]))",
     "Conv2d ReLU Conv2d ReLU"},
    {"nested OrderedDict and Sequential",
     "collections.OrderedDict([('a', Sequential(ReLU(), Tanh())), ('b', OrderedDict([('c', Sigmoid()),]))])",
     "ReLU Tanh Sigmoid"},
};

static void check_shapes(const ShapeCase *c)
{
    char types[256] = "";
    LayerStack s = parse_ok(c->text);

    for (size_t i = 0; i < s.count; i++) {
        strcat(types, i ? " " : "");
        strcat(types, spec_type_name(s.layers[i].type));
    }
    cr_expect_str_eq(types, c->types, "%s", c->what);
    spec_free(&s);
}

Test(spec, shapes)
{
    for (size_t i = 0; i < sizeof shape_cases / sizeof shape_cases[0]; i++)
        check_shapes(&shape_cases[i]);
}

/* ---- the layers of issue 10: arguments and defaults ---- */

Test(spec, network_layers_and_their_defaults)
{
    LayerStack s = parse_ok(
        "AdaptiveAvgPool2d(output_size=(6, 6)), AdaptiveMaxPool2d(1), AdaptiveAvgPool2d((None, 7)),\n"
        "Flatten(), Flatten(start_dim=1, end_dim=-1), Flatten(2, 3),\n"
        "Linear(in_features=9216, out_features=4096, bias=True), Linear(10, 2, False),\n"
        "ReLU6(inplace=True), ELU(), ELU(alpha=0.5, inplace=False), SiLU(), GELU(),\n"
        "GELU(approximate='tanh'), GELU(approximate='none'), Hardswish(), Softmax(dim=1),\n"
        "Softmax(), LogSoftmax(dim=-1), BatchNorm2d(8, eps=1e-3), BatchNorm2d(8)");
    const LayerSpec *l = s.layers;
    cr_assert_eq(s.count, 21);
    cr_expect_eq(l[0].type, SPEC_ADAPTIVE_AVGPOOL2D);
    cr_expect_eq(l[0].adaptive_h, 6);
    cr_expect_eq(l[0].adaptive_w, 6);
    cr_expect_eq(l[1].type, SPEC_ADAPTIVE_MAXPOOL2D);
    cr_expect_eq(l[1].adaptive_h, 1);
    cr_expect_eq(l[1].adaptive_w, 1);
    cr_expect_eq(l[2].adaptive_h, 0, "None keeps the input's height");
    cr_expect_eq(l[2].adaptive_w, 7);
    cr_expect(spec_is_spatial(&l[0]) && spec_is_spatial(&l[1]));
    cr_expect_eq(l[3].type, SPEC_FLATTEN);
    cr_expect_eq(l[3].start_dim, 1);
    cr_expect_eq(l[3].end_dim, -1);
    cr_expect_eq(l[5].start_dim, 2);
    cr_expect_eq(l[5].end_dim, 3);
    cr_expect(spec_is_flat(&l[3]) && spec_is_flat(&l[6]) && !spec_is_spatial(&l[6]));
    cr_expect_eq(l[6].type, SPEC_LINEAR);
    cr_expect_eq(l[6].in_channels, 9216);
    cr_expect_eq(l[6].out_channels, 4096);
    cr_expect(l[6].bias);
    cr_expect(!l[7].bias);
    cr_expect_eq(l[8].act.kind, ACT_RELU6);
    cr_expect_eq(l[9].act.kind, ACT_ELU);
    cr_expect_float_eq(l[9].act.slope, 1.0f, 1e-7f, "ELU's alpha defaults to 1");
    cr_expect_float_eq(l[10].act.slope, 0.5f, 1e-7f);
    cr_expect_eq(l[11].act.kind, ACT_SILU);
    cr_expect_eq(l[12].act.kind, ACT_GELU);
    cr_expect_eq(l[13].act.kind, ACT_GELU_TANH);
    cr_expect_eq(l[14].act.kind, ACT_GELU);
    cr_expect_eq(l[15].act.kind, ACT_HARDSWISH);
    for (int i = 8; i <= 15; i++)
        cr_expect(spec_is_activation(&l[i]), "layer %d", i);
    cr_expect_eq(l[16].type, SPEC_SOFTMAX);
    cr_expect(!l[16].dim_none);
    cr_expect_eq(l[16].dim, 1);
    cr_expect(l[17].dim_none);
    cr_expect(!spec_is_activation(&l[16]));
    cr_expect_eq(l[18].type, SPEC_LOGSOFTMAX);
    cr_expect_eq(l[18].dim, -1);
    cr_expect_float_eq(l[19].eps, 1e-3f, 1e-9f);
    cr_expect_float_eq(l[20].eps, 1e-5f, 1e-11f);
    spec_free(&s);
}

/* ---- state_dict names ---- */

typedef struct NameCase {
    const char *what;
    const char *text;
    const char *names;  /* the layers' names, space-separated */
} NameCase;

static const NameCase name_cases[] = {
    {"a bare list counts every layer", "Conv2d(1, 2, 3), ReLU(), MaxPool2d(2), Linear(2, 3)", "0 1 2 3"},
    {"nn.Sequential is the model", "nn.Sequential(Conv2d(1, 2, 3), ReLU(), Linear(2, 3))", "0 1 2"},
    {"a model = assignment", "model = nn.Sequential(\n  nn.Conv2d(1, 2, 3),\n  nn.Tanh(),\n)", "0 1"},
    {"nested Sequentials add a level",
     "Sequential(Conv2d(1, 2, 3), Sequential(ReLU(), Tanh()), Sigmoid())", "0 1.0 1.1 2"},
    {"several top-level items are numbered", "Conv2d(1, 2, 3)\nSequential(ReLU(), Tanh())", "0 1.0 1.1"},
    {"OrderedDict keys", "nn.Sequential(OrderedDict([('conv1', nn.Conv2d(1,20,5)), ('relu1', nn.ReLU())]))",
     "conv1 relu1"},
    {"self.NAME = names the module",
     "self.features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())\n"
     "self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(8, 2))",
     "features.0 features.1 classifier.0 classifier.1"},
    {"a printed Sequential",
     "Sequential(\n  (0): Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1))\n  (1): ReLU(inplace=True)\n)", "0 1"},
    {"a printed fragment keeps its label",
     "(features): Sequential(\n  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))\n  (1): ReLU()\n)",
     "features.0 features.1"},
    {"a printed whole model",
     "AlexNet(\n  (features): Sequential(\n    (0): Conv2d(3, 64, kernel_size=(11, 11))\n"
     "    (1): ReLU(inplace=True)\n  )\n  (avgpool): AdaptiveAvgPool2d(output_size=(6, 6))\n"
     "  (classifier): Sequential(\n    (0): Dropout(p=0.5, inplace=False)\n"
     "    (1): Linear(in_features=9216, out_features=4096, bias=True)\n  )\n)",
     "features.0 features.1 avgpool classifier.0 classifier.1"},
    {"printed Sequential subclasses run in order",
     "MobileNetV2(\n  (features): Sequential(\n    (0): Conv2dNormActivation(\n"
     "      (0): Conv2d(3, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)\n"
     "      (1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
     "      (2): ReLU6(inplace=True)\n    )\n  )\n)",
     "features.0.0 features.0.1 features.0.2"},
    {"BasicConv2d gets the ReLU of its forward",
     "(conv1): BasicConv2d(\n  (conv): Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), bias=False)\n"
     "  (bn): BatchNorm2d(64, eps=0.001, momentum=0.1, affine=True, track_running_stats=True)\n)",
     "conv1.conv conv1.bn conv1.relu"},
    {"a .py file as it is",
     "import torch\nimport torch.nn as nn\nfrom collections import OrderedDict\n"
     "from torch import (\n    nn,\n)\n\nmodel = nn.Sequential(\n    nn.Conv2d(1, 4, 3),\n    nn.ReLU(),\n"
     "    nn.Flatten(),\n    nn.Linear(4 * 26 * 26, 10),\n)\nprint(model)\n",
     NULL},
};

static void check_names(const NameCase *c)
{
    char names[256] = "";
    LayerStack s = parse_ok(c->text);
    for (size_t i = 0; i < s.count; i++) {
        strcat(names, i ? " " : "");
        strcat(names, s.layers[i].name);
    }
    cr_expect_str_eq(names, c->names ? c->names : "0 1 2 3", "%s", c->what);
    spec_free(&s);
}

Test(spec, state_dict_names)
{
    for (size_t i = 0; i < sizeof name_cases / sizeof name_cases[0]; i++)
        check_names(&name_cases[i]);
}

Test(spec, basic_conv2d_relu_reads_as_such)
{
    LayerStack s = parse_ok("BasicConv2d(\n  (conv): Conv2d(3, 8, 3)\n  (bn): BatchNorm2d(8)\n)");
    cr_assert_eq(s.count, 3);
    cr_expect_eq(s.layers[2].type, SPEC_RELU);
    cr_expect_eq(s.layers[2].act.kind, ACT_RELU);
    cr_expect_str_eq(s.layers[2].text, "ReLU() (F.relu in BasicConv2d's forward)");
    spec_free(&s);
}

Test(spec, every_layer_type_parses)
{
    LayerStack s = parse_ok("Conv2d(1,1,1), ConvTranspose2d(1,1,1), MaxPool2d(1), AvgPool2d(1), "
                            "ReLU(), LeakyReLU(), Sigmoid(), Tanh(), Identity(), BatchNorm2d(1), "
                            "Dropout()");
    static const LayerType want[] = {SPEC_CONV2D, SPEC_CONV_TRANSPOSE2D, SPEC_MAXPOOL2D,
                                     SPEC_AVGPOOL2D, SPEC_RELU, SPEC_LEAKY_RELU, SPEC_SIGMOID,
                                     SPEC_TANH, SPEC_IDENTITY, SPEC_BATCHNORM2D, SPEC_DROPOUT};
    cr_assert_eq(s.count, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < s.count; i++) {
        cr_expect_eq(s.layers[i].type, want[i], "layer %zu", i);
        cr_expect_eq(spec_is_spatial(&s.layers[i]), i < 4, "layer %zu", i);
    }
    spec_free(&s);
}

/* ---- convolutions: arguments, defaults, tuples, padding words ---- */

typedef struct ConvCase {
    const char *text;
    int in, out, kh, kw, sh, sw;
    PadKind pad;
    int ph, pw, dh, dw, groups;
    bool bias;
    PadMode mode;
    int oph, opw;
} ConvCase;

static const ConvCase conv_cases[] = {
    /* text                                                   in out kh kw sh sw pad           ph pw dh dw g  bias  mode             op */
    {"Conv2d(3, 16, 3)",                                      3, 16, 3, 3, 1, 1, PAD_EXPLICIT, 0, 0, 1, 1, 1, true, PADMODE_ZEROS, 0, 0},
    {"Conv2d(3, 16, kernel_size=3, stride=2, padding=1)",     3, 16, 3, 3, 2, 2, PAD_EXPLICIT, 1, 1, 1, 1, 1, true, PADMODE_ZEROS, 0, 0},
    {"Conv2d(16, 32, (1, 7), padding=(0, 3), dilation=1, groups=1, bias=False)",
                                                              16, 32, 1, 7, 1, 1, PAD_EXPLICIT, 0, 3, 1, 1, 1, false, PADMODE_ZEROS, 0, 0},
    /* every argument positional, in PyTorch's order */
    {"Conv2d(4, 8, 5, 2, 1, 3, 2, False, 'reflect')",         4, 8, 5, 5, 2, 2, PAD_EXPLICIT, 1, 1, 3, 3, 2, false, PADMODE_REFLECT, 0, 0},
    {"Conv2d(in_channels=2, out_channels=4, kernel_size=[3, 5], stride=[1, 2])",
                                                              2, 4, 3, 5, 1, 2, PAD_EXPLICIT, 0, 0, 1, 1, 1, true, PADMODE_ZEROS, 0, 0},
    {"Conv2d(1, 1, (3), stride=(2))",                         1, 1, 3, 3, 2, 2, PAD_EXPLICIT, 0, 0, 1, 1, 1, true, PADMODE_ZEROS, 0, 0},
    {"Conv2d(1, 1, 3, padding='same')",                       1, 1, 3, 3, 1, 1, PAD_SAME, 0, 0, 1, 1, 1, true, PADMODE_ZEROS, 0, 0},
    {"Conv2d(1, 1, 3, padding=\"valid\")",                    1, 1, 3, 3, 1, 1, PAD_VALID, 0, 0, 1, 1, 1, true, PADMODE_ZEROS, 0, 0},
    {"Conv2d(1, 1, 3, padding=full)",                         1, 1, 3, 3, 1, 1, PAD_FULL, 0, 0, 1, 1, 1, true, PADMODE_ZEROS, 0, 0},
    /* same with stride 2: TensorFlow's rule (PyTorch refuses it) */
    {"Conv2d(1, 1, 3, stride=2, padding='same')",             1, 1, 3, 3, 2, 2, PAD_SAME, 0, 0, 1, 1, 1, true, PADMODE_ZEROS, 0, 0},
    {"Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=same, bias=False, padding_mode=replicate)",
                                                              3, 64, 3, 3, 1, 1, PAD_SAME, 0, 0, 1, 1, 1, false, PADMODE_REPLICATE, 0, 0},
    {"Conv2d(8, 8, 3, groups=8, padding_mode='circular')",    8, 8, 3, 3, 1, 1, PAD_EXPLICIT, 0, 0, 1, 1, 8, true, PADMODE_CIRCULAR, 0, 0},
    {"Conv2d(1, 1, 3, device=None, dtype=torch.float32)",     1, 1, 3, 3, 1, 1, PAD_EXPLICIT, 0, 0, 1, 1, 1, true, PADMODE_ZEROS, 0, 0},
    {"Conv2d(1,1,3,bias=True,)",                              1, 1, 3, 3, 1, 1, PAD_EXPLICIT, 0, 0, 1, 1, 1, true, PADMODE_ZEROS, 0, 0},
    /* ConvTranspose2d's order: ..., padding, output_padding, groups, bias, dilation */
    {"ConvTranspose2d(4, 2, 3, 2, 1, 1, 2, False, 2)",        4, 2, 3, 3, 2, 2, PAD_EXPLICIT, 1, 1, 2, 2, 2, false, PADMODE_ZEROS, 1, 1},
    {"nn.ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1)",
                                                              64, 32, 4, 4, 2, 2, PAD_EXPLICIT, 1, 1, 1, 1, 1, true, PADMODE_ZEROS, 0, 0},
    {"ConvTranspose2d(1, 1, 3, stride=1, dilation=2, output_padding=1)",
                                                              1, 1, 3, 3, 1, 1, PAD_EXPLICIT, 0, 0, 2, 2, 1, true, PADMODE_ZEROS, 1, 1},
};

static void check_convs(const ConvCase *c)
{
    LayerStack s = parse_ok(c->text);
    const LayerSpec *l = &s.layers[0];
    cr_assert_eq(s.count, 1);
    cr_expect_eq(l->type, c->oph || strstr(c->text, "Transpose") ? SPEC_CONV_TRANSPOSE2D : SPEC_CONV2D);
    cr_expect_eq(l->conv.transposed, l->type == SPEC_CONV_TRANSPOSE2D);
    cr_expect_eq(l->in_channels, c->in, "%s", c->text);
    cr_expect_eq(l->out_channels, c->out, "%s", c->text);
    cr_expect_eq(l->kernel_h, c->kh, "%s", c->text);
    cr_expect_eq(l->kernel_w, c->kw, "%s", c->text);
    cr_expect_eq(l->conv.stride_h, c->sh, "%s", c->text);
    cr_expect_eq(l->conv.stride_w, c->sw, "%s", c->text);
    cr_expect_eq(l->conv.padding.kind, c->pad, "%s", c->text);
    cr_expect_eq(l->conv.padding.h, c->ph, "%s", c->text);
    cr_expect_eq(l->conv.padding.w, c->pw, "%s", c->text);
    cr_expect_eq(l->conv.dilation_h, c->dh, "%s", c->text);
    cr_expect_eq(l->conv.dilation_w, c->dw, "%s", c->text);
    cr_expect_eq(l->conv.groups, c->groups, "%s", c->text);
    cr_expect_eq(l->bias, c->bias, "%s", c->text);
    cr_expect_eq(l->conv.pad_mode, c->mode, "%s", c->text);
    cr_expect_eq(l->conv.output_padding_h, c->oph, "%s", c->text);
    cr_expect_eq(l->conv.output_padding_w, c->opw, "%s", c->text);
    cr_expect_eq(l->act.kind, ACT_NONE, "%s", c->text);
    spec_free(&s);
}

Test(spec, convs)
{
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++)
        check_convs(&conv_cases[i]);
}

/* ---- pooling: stride defaults to the kernel ---- */

typedef struct PoolCase {
    const char *text;
    PoolMode mode;
    int kh, kw, sh, sw, ph, pw, dh, dw;
    bool ceil_mode, count_include_pad;
} PoolCase;

static const PoolCase pool_cases[] = {
    {"MaxPool2d(2)",                                       POOL_MAX, 2, 2, 2, 2, 0, 0, 1, 1, false, true},
    {"MaxPool2d(3, 2)",                                    POOL_MAX, 3, 3, 2, 2, 0, 0, 1, 1, false, true},
    {"MaxPool2d(kernel_size=3, stride=None)",              POOL_MAX, 3, 3, 3, 3, 0, 0, 1, 1, false, true},
    {"MaxPool2d((2, 4))",                                  POOL_MAX, 2, 4, 2, 4, 0, 0, 1, 1, false, true},
    {"MaxPool2d(3, 1, 1, 2, False, True)",                 POOL_MAX, 3, 3, 1, 1, 1, 1, 2, 2, true, true},
    {"MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)",
                                                           POOL_MAX, 3, 3, 2, 2, 0, 0, 1, 1, false, true},
    {"nn.MaxPool2d(kernel_size=(3, 5), padding=(1, 2))",   POOL_MAX, 3, 5, 3, 5, 1, 2, 1, 1, false, true},
    {"AvgPool2d(2)",                                       POOL_AVG, 2, 2, 2, 2, 0, 0, 1, 1, false, true},
    {"AvgPool2d(3, None, 1, True, False, None)",           POOL_AVG, 3, 3, 3, 3, 1, 1, 1, 1, true, false},
    {"AvgPool2d(kernel_size=2, stride=2, padding=0)",      POOL_AVG, 2, 2, 2, 2, 0, 0, 1, 1, false, true},
    {"AvgPool2d(4, stride=(1, 2), count_include_pad=False, divisor_override=None)",
                                                           POOL_AVG, 4, 4, 1, 2, 0, 0, 1, 1, false, false},
};

static void check_pools(const PoolCase *c)
{
    LayerStack s = parse_ok(c->text);
    const LayerSpec *l = &s.layers[0];
    cr_assert_eq(s.count, 1);
    cr_expect_eq(l->type, c->mode == POOL_MAX ? SPEC_MAXPOOL2D : SPEC_AVGPOOL2D, "%s", c->text);
    cr_expect_eq(l->pool.mode, c->mode, "%s", c->text);
    cr_expect_eq(l->kernel_h, c->kh, "%s", c->text);
    cr_expect_eq(l->kernel_w, c->kw, "%s", c->text);
    cr_expect_eq(l->pool.kernel_h, c->kh, "%s", c->text);
    cr_expect_eq(l->pool.kernel_w, c->kw, "%s", c->text);
    cr_expect_eq(l->pool.stride_h, c->sh, "%s", c->text);
    cr_expect_eq(l->pool.stride_w, c->sw, "%s", c->text);
    cr_expect_eq(l->pool.pad_h, c->ph, "%s", c->text);
    cr_expect_eq(l->pool.pad_w, c->pw, "%s", c->text);
    cr_expect_eq(l->pool.dilation_h, c->dh, "%s", c->text);
    cr_expect_eq(l->pool.dilation_w, c->dw, "%s", c->text);
    cr_expect_eq(l->pool.ceil_mode, c->ceil_mode, "%s", c->text);
    cr_expect_eq(l->pool.count_include_pad, c->count_include_pad, "%s", c->text);
    spec_free(&s);
}

Test(spec, pools)
{
    for (size_t i = 0; i < sizeof pool_cases / sizeof pool_cases[0]; i++)
        check_pools(&pool_cases[i]);
}

/* ---- activations and neutral layers ---- */

typedef struct ActCase {
    const char *text;
    LayerType type;
    ActKind kind;
    float slope;
} ActCase;

static const ActCase act_cases[] = {
    {"ReLU()", SPEC_RELU, ACT_RELU, 0.0f},
    {"nn.ReLU(inplace=True)", SPEC_RELU, ACT_RELU, 0.0f},
    {"ReLU(False)", SPEC_RELU, ACT_RELU, 0.0f},
    {"LeakyReLU()", SPEC_LEAKY_RELU, ACT_LEAKY_RELU, 0.01f},
    {"LeakyReLU(0.2, inplace=True)", SPEC_LEAKY_RELU, ACT_LEAKY_RELU, 0.2f},
    {"LeakyReLU(negative_slope=1e-2)", SPEC_LEAKY_RELU, ACT_LEAKY_RELU, 0.01f},
    {"LeakyReLU(.5)", SPEC_LEAKY_RELU, ACT_LEAKY_RELU, 0.5f},
    {"LeakyReLU(2.5E+1)", SPEC_LEAKY_RELU, ACT_LEAKY_RELU, 25.0f},
    {"LeakyReLU(-0.1)", SPEC_LEAKY_RELU, ACT_LEAKY_RELU, -0.1f},
    {"LeakyReLU(1)", SPEC_LEAKY_RELU, ACT_LEAKY_RELU, 1.0f},
    {"Sigmoid()", SPEC_SIGMOID, ACT_SIGMOID, 0.0f},
    {"nn.Tanh()", SPEC_TANH, ACT_TANH, 0.0f},
    {"Identity()", SPEC_IDENTITY, ACT_NONE, 0.0f},
    {"Dropout(p=0.5, inplace=False)", SPEC_DROPOUT, ACT_NONE, 0.0f},
    {"BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
     SPEC_BATCHNORM2D, ACT_NONE, 0.0f},
};

static void check_activations(const ActCase *c)
{
    LayerStack s = parse_ok(c->text);
    cr_assert_eq(s.count, 1);
    cr_expect_eq(s.layers[0].type, c->type, "%s", c->text);
    cr_expect_eq(s.layers[0].act.kind, c->kind, "%s", c->text);
    if (c->kind == ACT_LEAKY_RELU)
        cr_expect_float_eq(s.layers[0].act.slope, c->slope, 1e-7f, "%s", c->text);
    cr_expect(!spec_is_spatial(&s.layers[0]), "%s", c->text);
    spec_free(&s);
}

Test(spec, activations)
{
    for (size_t i = 0; i < sizeof act_cases / sizeof act_cases[0]; i++)
        check_activations(&act_cases[i]);
}

Test(spec, batchnorm_carries_its_channels_and_affine)
{
    LayerStack s = parse_ok("BatchNorm2d(32), BatchNorm2d(num_features=8, affine=False, momentum=None)");
    cr_expect_eq(s.layers[0].in_channels, 32);
    cr_expect_eq(s.layers[0].out_channels, 32);
    cr_expect(s.layers[0].bias);
    cr_expect_eq(s.layers[1].in_channels, 8);
    cr_expect(!s.layers[1].bias);
    spec_free(&s);
}

/* ---- where layers start and how their text reads ---- */

typedef struct TextCase {
    const char *src;
    size_t index;
    int line, column;
    const char *text;
} TextCase;

static const TextCase text_cases[] = {
    {"Conv2d(3, 16, 3)", 0, 1, 1, "Conv2d(3, 16, 3)"},
    {"  ReLU()\n\tnn.MaxPool2d( 2 )", 1, 2, 2, "nn.MaxPool2d(2)"},
    {"Sequential(\n  (0): Conv2d(3, 64, kernel_size=(11, 11))\n)", 0, 2, 8,
     "Conv2d(3, 64, kernel_size=(11, 11))"},
    {"x = nn.Conv2d(1,\n    1,   # out\n    3 ,\n)", 0, 1, 5, "nn.Conv2d(1, 1, 3,)"},
    {"Conv2d(1, 1, 3, padding='same'  )", 0, 1, 1, "Conv2d(1, 1, 3, padding='same')"},
    /* columns count characters, not bytes: the 'ü' is two bytes */
    {"Identity('\xc3\xbc'), ReLU()", 1, 1, 16, "ReLU()"},
    {"Identity('a # b', \"c\")", 0, 1, 1, "Identity('a # b', \"c\")"},
};

static void check_texts(const TextCase *c)
{
    LayerStack s = parse_ok(c->src);
    cr_assert_gt(s.count, c->index);
    cr_expect_eq(s.layers[c->index].line, c->line, "%s", c->src);
    cr_expect_eq(s.layers[c->index].column, c->column, "%s", c->src);
    cr_expect_str_eq(s.layers[c->index].text, c->text, "%s", c->src);
    spec_free(&s);
}

Test(spec, texts)
{
    for (size_t i = 0; i < sizeof text_cases / sizeof text_cases[0]; i++)
        check_texts(&text_cases[i]);
}

Test(spec, long_text_is_truncated_with_dots)
{
    char src[400];
    LayerStack s;
    size_t len;
    strcpy(src, "Identity((");
    for (int i = 0; i < 50; i++)
        strcat(src, "12345, ");
    strcat(src, "))");
    s = parse_ok(src);
    len = strlen(s.layers[0].text);
    cr_expect_eq(len, sizeof s.layers[0].text - 1);
    cr_expect_str_eq(s.layers[0].text + len - 3, "...");
    cr_expect_eq(strncmp(s.layers[0].text, "Identity((12345, 12345, ", 24), 0);
    spec_free(&s);
}

Test(spec, many_layers_and_the_model_files)
{
    static const char *files[] = {"assets/models/alexnet.txt", "assets/models/vgg16.txt"};
    /* (counts: features only; the printed whole models are in test_net.c) */
    static const size_t counts[] = {13, 31};
    char *text = malloc(1 << 16);
    LayerStack s;

    cr_assert(text);
    for (int f = 0; f < 2; f++) {
        FILE *fp = fopen(files[f], "rb");
        size_t n;
        cr_assert(fp, "%s (tests run from the repository root)", files[f]);
        n = fread(text, 1, (1 << 16) - 1, fp);
        fclose(fp);
        text[n] = '\0';
        s = parse_ok(text);
        cr_expect_eq(s.count, counts[f], "%s", files[f]);
        cr_expect_str_eq(s.layers[0].text, f == 0 ? "nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2)"
                                                  : "nn.Conv2d(3, 64, kernel_size=3, padding=1)");
        spec_free(&s);
    }
    /* 5000 layers grow the array many times */
    free(text);
    text = malloc(5000 * 8 + 1);
    cr_assert(text);
    text[0] = '\0';
    for (int i = 0; i < 5000; i++)
        strcat(text + (size_t)i * 7, "ReLU(),");
    s = parse_ok(text);
    cr_expect_eq(s.count, 5000);
    spec_free(&s);
    cr_expect_eq(s.count, 0);
    cr_expect_null(s.layers);
    free(text);
}

/* ---- refusals: exact messages ---- */

typedef struct ErrorCase {
    const char *text;
    Status status;
    const char *message;
} ErrorCase;

#define LAYERS "a layer (Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, " \
               "AdaptiveMaxPool2d, BatchNorm2d, Dropout, Flatten, Linear, ReLU, ReLU6, LeakyReLU, " \
               "ELU, Sigmoid, Tanh, SiLU, GELU, Hardswish, Softmax, LogSoftmax, Identity, Sequential)"

static const ErrorCase error_cases[] = {
    /* empty */
    {"", CS_ERR_SYNTAX, "line 1, column 1: expected " LAYERS ", found end of input"},
    {"# nothing\n\n", CS_ERR_SYNTAX, "line 3, column 1: expected " LAYERS ", found end of input"},
    {"Sequential()", CS_ERR_SYNTAX, "line 1, column 13: expected " LAYERS ", found end of input"},
    /* unknown and unsupported layers */
    {"Conv2d(1, 1, 3)\nFoo(3)", CS_ERR_SYNTAX, "line 2, column 1: expected " LAYERS ", found 'Foo'"},
    {"conv2d(1, 1, 3)", CS_ERR_SYNTAX, "line 1, column 1: expected " LAYERS ", found 'conv2d'"},
    {"ReLU()\n  nn.LSTM(10, 20)", CS_ERR_SYNTAX,
     "line 2, column 3: LSTM is not supported: convstep runs networks of 2-D image layers "
     "(Conv2d, pooling, BatchNorm2d, Linear, activations)"},
    {"Conv1d(1, 1, 3)", CS_ERR_SYNTAX,
     "line 1, column 1: Conv1d is not supported: convstep runs networks of 2-D image layers "
     "(Conv2d, pooling, BatchNorm2d, Linear, activations)"},
    /* blocks whose forward branches, printed or in code */
    {"ResNet(\n  (conv1): Conv2d(3, 64, 7)\n  (layer1): Sequential(\n    (0): BasicBlock(\n"
     "      (conv1): Conv2d(64, 64, 3)\n    )\n  )\n)", CS_ERR_SYNTAX,
     "line 4, column 10: BasicBlock is not supported: its forward adds or joins branches, which a "
     "stack of layers cannot run; export the model to ONNX (torch.onnx.export) instead"},
    {"models.resnet.Bottleneck(64, 16)", CS_ERR_SYNTAX,
     "line 1, column 1: Bottleneck is not supported: its forward adds or joins branches, which a "
     "stack of layers cannot run; export the model to ONNX (torch.onnx.export) instead"},
    {"(0): InvertedResidual(\n  (conv): Sequential()\n)", CS_ERR_SYNTAX,
     "line 1, column 6: InvertedResidual is not supported: its forward adds or joins branches, which a "
     "stack of layers cannot run; export the model to ONNX (torch.onnx.export) instead"},
    {"Sequential(Fire(96, 16, 64, 64))", CS_ERR_SYNTAX,
     "line 1, column 12: Fire is not supported: its forward adds or joins branches, which a "
     "stack of layers cannot run; export the model to ONNX (torch.onnx.export) instead"},
    {"(Mixed_5b): InceptionA(\n)", CS_ERR_SYNTAX,
     "line 1, column 13: InceptionA is not supported: its forward adds or joins branches, which a "
     "stack of layers cannot run; export the model to ONNX (torch.onnx.export) instead"},
    {"(denseblock1): _DenseBlock(\n)", CS_ERR_SYNTAX,
     "line 1, column 16: _DenseBlock is not supported: its forward adds or joins branches, which a "
     "stack of layers cannot run; export the model to ONNX (torch.onnx.export) instead"},
    {"SqueezeExcitation(16, 4)", CS_ERR_SYNTAX,
     "line 1, column 1: SqueezeExcitation is not supported: its forward adds or joins branches, which a "
     "stack of layers cannot run; export the model to ONNX (torch.onnx.export) instead"},
    {"model = nn.Sequential(*layers)", CS_ERR_SYNTAX,
     "line 1, column 23: nn.Sequential(*...) builds its layers in code that convstep does not run: "
     "write the layers out, as in nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU())"},
    /* an unknown class that is not a printed module */
    {"Net()", CS_ERR_SYNTAX, "line 1, column 1: expected " LAYERS ", found 'Net'"},
    /* unclosed brackets */
    {"Conv2d(3, 16, 3", CS_ERR_SYNTAX,
     "line 1, column 16: expected ')' to close the '(' at line 1, column 7, found end of input"},
    {"Conv2d(3, 16,\n", CS_ERR_SYNTAX,
     "line 2, column 1: expected ')' to close the '(' at line 1, column 7, found end of input"},
    {"Sequential(\n  Conv2d(1, 1, 3),\n  ReLU()\n", CS_ERR_SYNTAX,
     "line 4, column 1: expected ')' to close the '(' at line 1, column 11, found end of input"},
    {"Conv2d(1, 1, (3, 3)", CS_ERR_SYNTAX,
     "line 1, column 20: expected ')' to close the '(' at line 1, column 7, found end of input"},
    {"Conv2d(1, 1, (3, 3", CS_ERR_SYNTAX,
     "line 1, column 19: expected ')' to close the '(' at line 1, column 14, found end of input"},
    {"Conv2d(1, 1, [3, 3)", CS_ERR_SYNTAX, "line 1, column 19: expected ',' or ']', found ')'"},
    {"Conv2d(1, 1, 3]", CS_ERR_SYNTAX, "line 1, column 15: expected ',' or ')', found ']'"},
    {"Conv2d(1, 1, 3))", CS_ERR_SYNTAX,
     "line 1, column 16: expected ',', ';' or a new line after a layer, found ')'"},
    {")", CS_ERR_SYNTAX, "line 1, column 1: expected a layer, found ')'"},
    /* structure */
    {"Conv2d(1, 1, 3) ReLU()", CS_ERR_SYNTAX,
     "line 1, column 17: expected ',', ';' or a new line after a layer, found 'ReLU'"},
    {"Sequential(ReLU() Tanh())", CS_ERR_SYNTAX,
     "line 1, column 19: expected ',', ';', a new line or ')' after a layer, found 'Tanh'"},
    {"ReLU", CS_ERR_SYNTAX, "line 1, column 5: expected '(' after ReLU, found end of input"},
    {"ReLU\n()", CS_ERR_SYNTAX, "line 1, column 5: expected '(' after ReLU, found end of line"},
    {"3", CS_ERR_SYNTAX, "line 1, column 1: expected a layer, found 3"},
    {"(0) Conv2d(1, 1, 3)", CS_ERR_SYNTAX, "line 1, column 5: expected ':' after the label, found 'Conv2d'"},
    {"(0: Conv2d(1, 1, 3)", CS_ERR_SYNTAX, "line 1, column 3: expected ')' after the label, found ':'"},
    {"(): ReLU()", CS_ERR_SYNTAX, "line 1, column 2: expected a label such as (0) or (conv1), found ')'"},
    {"x = 3", CS_ERR_SYNTAX, "line 1, column 5: expected a layer after '=', found 3"},
    {"Conv2d(1, 1, 3, padding='same)", CS_ERR_SYNTAX,
     "line 1, column 31: expected ' to close the string that starts at line 1, column 25, found end of input"},
    {"Conv2d(1, 1, 3, padding=\"same\n)", CS_ERR_SYNTAX,
     "line 1, column 30: expected \" to close the string that starts at line 1, column 25, found end of line"},
    {"Conv2d(1, 1, 3, padding=\xe2\x80\x98same\xe2\x80\x99)", CS_ERR_SYNTAX,
     "line 1, column 25: expected a value, found '\xe2\x80\x98' (a typographic quote: write ' or \")"},
    {"ReLU(), *layers", CS_ERR_SYNTAX, "line 1, column 9: expected a layer, found '*'"},
    {"ReLU()\n\xc3\xa9 = ReLU()", CS_ERR_SYNTAX, "line 2, column 1: expected a layer, found '\xc3\xa9'"},
    {"ReLU(\x01)", CS_ERR_SYNTAX, "line 1, column 6: expected a value, found byte 0x01"},
    {"Conv2d(1, 1, 3, stride=)", CS_ERR_SYNTAX, "line 1, column 24: expected a value, found ')'"},
    {"Conv2d(1, 1, 3,, 1)", CS_ERR_SYNTAX, "line 1, column 16: expected a value, found ','"},
    {"Conv2d(1, 1, -)", CS_ERR_SYNTAX, "line 1, column 15: expected a number after '-', found ')'"},
    {"Conv2d(1, 1, ((3, 3)))", CS_ERR_SYNTAX,
     "line 1, column 15: expected a number (tuples do not nest), found '('"},
    {"Conv2d(1, 1, 3, nn.stride=2)", CS_ERR_SYNTAX,
     "line 1, column 17: expected an argument name, found 'nn.stride'"},
    {"Sequential(OrderedDict((('a', ReLU()),)))", CS_ERR_SYNTAX,
     "line 1, column 24: expected '[' (a list of (name, layer) pairs), found '('"},
    {"Sequential(OrderedDict([ReLU()]))", CS_ERR_SYNTAX,
     "line 1, column 25: expected '(' starting a (name, layer) pair, found 'ReLU'"},
    {"Sequential(OrderedDict([(conv1, ReLU())]))", CS_ERR_SYNTAX,
     "line 1, column 26: expected a quoted layer name, found 'conv1'"},
    {"Sequential(OrderedDict([('a' ReLU())]))", CS_ERR_SYNTAX,
     "line 1, column 30: expected ',' after the layer name, found 'ReLU'"},
    {"Sequential(OrderedDict([('a', ReLU()) ('b', Tanh())]))", CS_ERR_SYNTAX,
     "line 1, column 39: expected ',' or ']', found '('"},
    {"Sequential(OrderedDict([('a', ReLU(), 3)]))", CS_ERR_SYNTAX,
     "line 1, column 37: expected ')' closing the (name, layer) pair, found ','"},
    {"Sequential(OrderedDict([('a', ReLU())]\n", CS_ERR_SYNTAX,
     "line 2, column 1: expected ')' to close the '(' at line 1, column 23, found end of input"},
    {"Sequential(OrderedDict([('a', ReLU()),\n", CS_ERR_SYNTAX,
     "line 2, column 1: expected ']' to close the '[' at line 1, column 24, found end of input"},
    /* arguments */
    {"Conv2d(3, 16)", CS_ERR_SYNTAX, "line 1, column 1: Conv2d is missing kernel_size"},
    {"Conv2d(kernel_size=3)", CS_ERR_SYNTAX, "line 1, column 1: Conv2d is missing in_channels"},
    {"MaxPool2d(stride=2)", CS_ERR_SYNTAX, "line 1, column 1: MaxPool2d is missing kernel_size"},
    {"BatchNorm2d()", CS_ERR_SYNTAX, "line 1, column 1: BatchNorm2d is missing num_features"},
    {"Conv2d(3, 16, 3, foo=1)", CS_ERR_SYNTAX,
     "line 1, column 18: expected an argument of Conv2d: in_channels, out_channels, kernel_size, "
     "stride, padding, dilation, groups, bias, padding_mode, device, dtype, found 'foo'"},
    {"MaxPool2d(2, kernel=2)", CS_ERR_SYNTAX,
     "line 1, column 14: expected an argument of MaxPool2d: kernel_size, stride, padding, dilation, "
     "return_indices, ceil_mode, found 'kernel'"},
    {"Tanh(inplace=True)", CS_ERR_SYNTAX, "line 1, column 6: expected no arguments for Tanh, found 'inplace'"},
    {"Sigmoid(1)", CS_ERR_SYNTAX, "line 1, column 9: expected ')': Sigmoid takes no arguments, found 1"},
    {"ReLU(True, 1)", CS_ERR_SYNTAX,
     "line 1, column 12: expected ')': ReLU takes at most 1 positional argument, found 1"},
    {"MaxPool2d(2, 2, 0, 1, False, False, 7)", CS_ERR_SYNTAX,
     "line 1, column 37: expected ')': MaxPool2d takes at most 6 positional arguments, found 7"},
    {"Conv2d(3, 16, 3, stride=1, stride=2)", CS_ERR_SYNTAX, "line 1, column 28: Conv2d got stride twice"},
    {"Conv2d(3, 16, 3, 2, stride=2)", CS_ERR_SYNTAX, "line 1, column 21: Conv2d got stride twice"},
    {"Conv2d(3, 16, kernel_size=3, 2)", CS_ERR_SYNTAX,
     "line 1, column 30: expected a keyword argument (name=value) after keyword arguments, found '2'"},
    {"Conv2d(3, 16, 3.0)", CS_ERR_SYNTAX,
     "line 1, column 15: expected an integer or a pair (h, w) for Conv2d kernel_size, found 3.0"},
    {"Conv2d('3', 16, 3)", CS_ERR_SYNTAX, "line 1, column 8: expected an integer for Conv2d in_channels, found '3'"},
    {"Conv2d(3, 16, 3, stride=None)", CS_ERR_SYNTAX,
     "line 1, column 25: expected an integer or a pair (h, w) for Conv2d stride, found None"},
    {"Conv2d(3, 16, 3, bias=1)", CS_ERR_SYNTAX, "line 1, column 23: expected True or False for Conv2d bias, found 1"},
    {"Conv2d(3, 16, 3, bias=true)", CS_ERR_SYNTAX,
     "line 1, column 23: expected True or False for Conv2d bias, found true"},
    {"Conv2d(3, 16, 3, padding='SAME')", CS_ERR_SYNTAX,
     "line 1, column 26: expected an integer, a pair (h, w), 'valid', 'same' or 'full' for Conv2d "
     "padding, found 'SAME'"},
    {"Conv2d(3, 16, 3, padding=(1, 'same'))", CS_ERR_SYNTAX,
     "line 1, column 26: expected an integer or a pair (h, w) for Conv2d padding, found (1, 'same')"},
    {"Conv2d(3, 16, 3, padding=None)", CS_ERR_SYNTAX,
     "line 1, column 26: expected an integer, a pair (h, w), 'valid', 'same' or 'full' for Conv2d "
     "padding, found None"},
    {"ConvTranspose2d(3, 16, 3, padding=1.5)", CS_ERR_SYNTAX,
     "line 1, column 35: expected an integer or a pair (h, w) for ConvTranspose2d padding, found 1.5"},
    {"Conv2d(3, 16, 3, padding_mode='mirror')", CS_ERR_SYNTAX,
     "line 1, column 31: expected 'zeros', 'reflect', 'replicate' or 'circular' for Conv2d "
     "padding_mode, found 'mirror'"},
    {"ConvTranspose2d(1, 1, 3, padding='same')", CS_ERR_SYNTAX,
     "line 1, column 34: expected an integer or a pair (h, w) for ConvTranspose2d padding, found 'same'"},
    {"LeakyReLU('0.2')", CS_ERR_SYNTAX, "line 1, column 11: expected a number for LeakyReLU negative_slope, found '0.2'"},
    {"ReLU(inplace=1)", CS_ERR_SYNTAX, "line 1, column 14: expected True or False for ReLU inplace, found 1"},
    {"AvgPool2d(2, stride='2')", CS_ERR_SYNTAX,
     "line 1, column 21: expected an integer or a pair (h, w) for AvgPool2d stride, found '2'"},
    {"AvgPool2d(2, divisor_override='x')", CS_ERR_SYNTAX,
     "line 1, column 31: expected a number or None for AvgPool2d divisor_override, found 'x'"},
    /* values out of range */
    {"Conv2d(0, 16, 3)", CS_ERR_RANGE, "line 1, column 8: Conv2d in_channels must be at least 1, got 0"},
    {"Conv2d(3, 0, 3)", CS_ERR_RANGE, "line 1, column 11: Conv2d out_channels must be at least 1, got 0"},
    {"\nConv2d(1, 1, 3, stride=0)", CS_ERR_RANGE, "line 2, column 24: Conv2d stride must be at least 1, got 0"},
    {"Conv2d(1, 1, 3, stride=(1, 0))", CS_ERR_RANGE, "line 1, column 24: Conv2d stride must be at least 1, got (1, 0)"},
    {"Conv2d(1, 1, 0)", CS_ERR_RANGE, "line 1, column 14: Conv2d kernel_size must be at least 1, got 0"},
    {"Conv2d(1, 1, -3)", CS_ERR_RANGE, "line 1, column 14: Conv2d kernel_size must be at least 1, got -3"},
    {"Conv2d(1, 1, 3, padding=-1)", CS_ERR_RANGE, "line 1, column 25: Conv2d padding must be at least 0, got -1"},
    {"Conv2d(1, 1, 3, dilation=0)", CS_ERR_RANGE, "line 1, column 26: Conv2d dilation must be at least 1, got 0"},
    {"Conv2d(1, 1, 3, groups=0)", CS_ERR_RANGE, "line 1, column 24: Conv2d groups must be at least 1, got 0"},
    {"Conv2d(3, 16, 3, groups=2)", CS_ERR_RANGE,
     "line 1, column 25: Conv2d groups 2 must divide both in_channels 3 and out_channels 16"},
    {"Conv2d(4, 6, 3, groups=4)", CS_ERR_RANGE,
     "line 1, column 24: Conv2d groups 4 must divide both in_channels 4 and out_channels 6"},
    {"Conv2d(1, 1, 99999999999)", CS_ERR_RANGE,
     "line 1, column 14: Conv2d kernel_size is too large (at most 2147483647), got 99999999999"},
    {"Conv2d(1, 1, 2147483648)", CS_ERR_RANGE,
     "line 1, column 14: Conv2d kernel_size is too large (at most 2147483647), got 2147483648"},
    {"Conv2d(1, 1, (3,))", CS_ERR_RANGE,
     "line 1, column 14: Conv2d kernel_size must be one integer or a pair (h, w), got 1 value"},
    {"Conv2d(1, 1, (3, 3, 3))", CS_ERR_RANGE,
     "line 1, column 14: Conv2d kernel_size must be one integer or a pair (h, w), got 3 values"},
    {"ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)", CS_ERR_RANGE,
     "line 1, column 51: ConvTranspose2d output_padding must be smaller than stride or dilation, "
     "got 2 with stride 2 and dilation 1"},
    {"ConvTranspose2d(1, 1, 3, padding_mode='reflect')", CS_ERR_RANGE,
     "line 1, column 39: ConvTranspose2d supports only padding_mode 'zeros', got 'reflect'"},
    {"MaxPool2d(3, padding=2)", CS_ERR_RANGE,
     "line 1, column 22: MaxPool2d padding must be at most half the kernel size (1), got 2"},
    {"MaxPool2d((2, 4), padding=(1, 3))", CS_ERR_RANGE,
     "line 1, column 27: MaxPool2d padding must be at most half the kernel size (2), got (1, 3)"},
    {"MaxPool2d(2, stride=0)", CS_ERR_RANGE, "line 1, column 21: MaxPool2d stride must be at least 1, got 0"},
    {"MaxPool2d(2, dilation=0)", CS_ERR_RANGE, "line 1, column 23: MaxPool2d dilation must be at least 1, got 0"},
    {"MaxPool2d(2, return_indices=True)", CS_ERR_RANGE,
     "line 1, column 29: MaxPool2d return_indices=True is not supported: the next layer would receive a pair"},
    {"AvgPool2d(2, divisor_override=3)", CS_ERR_RANGE,
     "line 1, column 31: AvgPool2d divisor_override is not supported (only None), got 3"},
    {"AvgPool2d(2, dilation=2)", CS_ERR_SYNTAX,
     "line 1, column 14: expected an argument of AvgPool2d: kernel_size, stride, padding, ceil_mode, "
     "count_include_pad, divisor_override, found 'dilation'"},
    {"LeakyReLU(1e999)", CS_ERR_RANGE, "line 1, column 11: LeakyReLU negative_slope is too large, got 1e999"},
    {"Dropout(1.5)", CS_ERR_RANGE, "line 1, column 9: Dropout p must be between 0 and 1, got 1.5"},
    {"Dropout2d(p=-0.5)", CS_ERR_RANGE, "line 1, column 13: Dropout2d p must be between 0 and 1, got -0.5"},
    {"BatchNorm2d(0)", CS_ERR_RANGE, "line 1, column 13: BatchNorm2d num_features must be at least 1, got 0"},
    {"BatchNorm2d(4, eps=0)", CS_ERR_RANGE, "line 1, column 20: BatchNorm2d eps must be above 0, got 0"},
    {"Linear(10)", CS_ERR_SYNTAX, "line 1, column 1: Linear is missing out_features"},
    {"Linear(out_features=10)", CS_ERR_SYNTAX, "line 1, column 1: Linear is missing in_features"},
    {"Linear(0, 10)", CS_ERR_RANGE, "line 1, column 8: Linear in_features must be at least 1, got 0"},
    {"AdaptiveAvgPool2d()", CS_ERR_SYNTAX, "line 1, column 1: AdaptiveAvgPool2d is missing output_size"},
    {"AdaptiveAvgPool2d(0)", CS_ERR_RANGE,
     "line 1, column 19: AdaptiveAvgPool2d output_size must be at least 1, got 0"},
    {"AdaptiveAvgPool2d((1, 2, 3))", CS_ERR_SYNTAX,
     "line 1, column 19: expected an integer or a pair (h, w) of integers or None for AdaptiveAvgPool2d "
     "output_size, found (1, 2, 3)"},
    {"AdaptiveMaxPool2d(2, True)", CS_ERR_RANGE,
     "line 1, column 22: AdaptiveMaxPool2d return_indices=True is not supported: the next layer would "
     "receive a pair"},
    {"GELU(approximate='fast')", CS_ERR_SYNTAX,
     "line 1, column 18: expected 'none' or 'tanh' for GELU approximate, found 'fast'"},
    {"Softmax(dim=1.5)", CS_ERR_SYNTAX, "line 1, column 13: expected an integer for Softmax dim, found 1.5"},
    {"Flatten(start_dim=-9)", CS_ERR_RANGE, "line 1, column 19: Flatten start_dim must be at least -4, got -9"},
};

static void check_errors(const ErrorCase *c)
{
    LayerStack s = {0};
    Error err = {0};
    Status st = spec_parse(c->text, &s, &err);
    cr_expect_eq(st, c->status, "%s: status %d (%s)", c->text, st, err.message);
    cr_expect_str_eq(err.message, c->message, "%s", c->text);
    /* a failed parse leaves nothing to free */
    cr_expect_eq(s.count, 0);
    cr_expect_null(s.layers);
}

Test(spec, errors)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++)
        check_errors(&error_cases[i]);
}

Test(spec, nesting_is_limited)
{
    char src[64 * 20];
    LayerStack s = {0};
    Error err = {0};

    /* an OrderedDict counts as a level too */
    src[0] = '\0';
    for (int i = 0; i < 40; i++)
        strcat(src, "OrderedDict([('a', ");
    cr_expect_eq(spec_parse(src, &s, &err), CS_ERR_LIMIT);
    cr_expect_str_eq(err.message, "line 1, column 609: OrderedDict is nested more than 32 levels deep");

    /* 32 levels parse */
    src[0] = '\0';
    for (int i = 0; i < 32; i++)
        strcat(src, "Sequential(");
    strcat(src, "ReLU()");
    for (int i = 0; i < 32; i++)
        strcat(src, ")");
    s = parse_ok(src);
    cr_expect_eq(s.count, 1);
    spec_free(&s);

    /* the 33rd is refused where it starts, before any recursion beyond */
    src[0] = '\0';
    for (int i = 0; i < 60; i++)
        strcat(src, "Sequential(");
    cr_expect_eq(spec_parse(src, &s, &err), CS_ERR_LIMIT);
    cr_expect_str_eq(err.message, "line 1, column 353: Sequential is nested more than 32 levels deep");
}

Test(spec, error_after_layers_frees_them)
{
    LayerStack s = {0};
    Error err = {0};
    cr_assert_eq(spec_parse("ReLU()\nReLU()\nReLU()\nConv2d(1, 1)", &s, &err), CS_ERR_SYNTAX);
    cr_expect_str_eq(err.message, "line 4, column 1: Conv2d is missing kernel_size");
    cr_expect_eq(s.count, 0);
    cr_expect_null(s.layers);
    /* NULL error records are allowed */
    cr_expect_eq(spec_parse("Foo()", &s, NULL), CS_ERR_SYNTAX);
}

Test(spec, type_names)
{
    cr_expect_str_eq(spec_type_name(SPEC_CONV2D), "Conv2d");
    cr_expect_str_eq(spec_type_name(SPEC_CONV_TRANSPOSE2D), "ConvTranspose2d");
    cr_expect_str_eq(spec_type_name(SPEC_MAXPOOL2D), "MaxPool2d");
    cr_expect_str_eq(spec_type_name(SPEC_AVGPOOL2D), "AvgPool2d");
    cr_expect_str_eq(spec_type_name(SPEC_LEAKY_RELU), "LeakyReLU");
    cr_expect_str_eq(spec_type_name(SPEC_BATCHNORM2D), "BatchNorm2d");
    cr_expect_str_eq(spec_type_name(SPEC_DROPOUT), "Dropout");
}
