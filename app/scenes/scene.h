/* scene.h: what the window (and the exporter) shows. A Scene holds one
 * layer applied to one input, stepped by the core's stepper (the
 * single-layer scene, and the input every kind starts from), and the kind
 * it shows (kind.h): the single layer itself or another kind with a model
 * of its own (the layer stack). Generic code reaches the kind only through
 * scene_kind's table.
 *
 * SceneOptions are the SCENE OPTIONS of DESIGN.md, parsed one at a time so
 * the window's and export's command lines share them. A Scene owns the input,
 * the weights and bias, the layer's parameters and the Stepper. Every
 * scene_set_* rebuilds the stepper with one setting changed: it either
 * succeeds (keeping the granularity and, where it still exists, the output
 * position) or returns an error whose message suits the status line and
 * leaves the scene exactly as it was.
 *
 * The default scene (no input given): assets/default.png, a small crop of a
 * photograph (RGB), and one 3-channel 3x3 filter with a different kernel per
 * channel (R sobel-x, G sobel-y, B laplacian) and bias 0.5, then ReLU. */
#ifndef CONVSTEP_SCENE_H
#define CONVSTEP_SCENE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "geom.h"
#include "kind.h"
#include "kernels.h"
#include "stepper.h"
#include "tensor.h"
#include "theme.h"

/* The largest input side the window accepts as it is; a bigger image is
 * resampled to fit (area averaging) and the scene says so in its note. */
#define SCENE_MAX_SIDE 256

/* The largest padded input and output side the scene builds (the window
 * draws both cell by cell): 4 x SCENE_MAX_SIDE, so the largest input keeps
 * room for padding 384 a side, or full padding at dilation 64 up to a 7x7
 * kernel. Every scene_create and scene_set_* refuses a setting past it. */
#define SCENE_MAX_GRID 1024

/* The largest kernel side (--kernel-size, weights files, a network's layer
 * opened in the single-layer scene). */
#define SCENE_MAX_KERNEL 15

/* Filters shown at most (--filters). */
#define SCENE_MAX_FILTERS 8

/* SCENE OPTIONS. A zero field means "the default", written in its comment.
 * Strings are borrowed (argv); scene_create copies what it keeps. */
typedef struct SceneOptions {
    const char *input;          /* -i INPUT or IMAGE (.npy or image file); NULL: default scene */
    int fit_h, fit_w;           /* --fit H[,W]: resample an image input; 0: as it is */
    const char *kernel;         /* --kernel: a preset name (kernels.h), an initialiser
                                   name (uniform, xavier-uniform, ..., he-normal: random
                                   weights from --seed), or a weights .npy file
                                   (F x C x kh x kw or C x kh x kw); NULL: the default
                                   scene's mixed filter for 3 channels, else sobel-x */
    const char *bias;           /* --bias: a number (every filter) or a bias .npy; NULL:
                                   0.5 for the default filter, none otherwise */
    int kernel_h, kernel_w;     /* --kernel-size K[,K]: size for random weights and the
                                   pooling window; 0: 3 (conv), 2 (pooling) */
    int stride_h, stride_w;     /* --stride; 0: 1 (conv), the kernel size (pooling) */
    Padding padding;            /* --padding; default explicit 0 */
    PadMode pad_mode;           /* --padding-mode; default zeros */
    int dilation_h, dilation_w; /* --dilation; 0: 1 */
    bool pool;                  /* --pool max|avg given: a pooling scene */
    PoolMode pool_mode;         /* its mode */
    bool ceil_mode;             /* --ceil-mode (pooling) */
    const char *layers;         /* --layers SPEC or @FILE: the layer-stack scene (stack.h) */
    const char *lesson;         /* --lesson NAME: a demonstration (lesson.h) */
    const char *weights;        /* --weights FILE: the network's state dict (.safetensors
                                   or .npz), loaded strictly; NULL: PyTorch's default
                                   initialisation from --seed (the network scene) */
    const char *labels;         /* --labels FILE: class names, one per line; NULL:
                                   "class N" */
    const char *normalize;      /* --normalize unit|imagenet|M1,M2,M3/S1,S2,S3; NULL:
                                   image values enter the network as 0-255 */
    int size_h, size_w;         /* --input-size H[,W]: the layer-stack scene's input
                                   (0: the -i input's, the lesson's, or 32, 224 when the
                                   stack needs it); the network scene resamples its
                                   input to it (0: as it is) */
    StepGranularity step;       /* --step position|channel|term; default position */
    ThemeKind theme;            /* --theme dark|light; default dark */
    bool has_seed;              /* --seed given */
    uint64_t seed;              /* --seed N; default 1 */
    const char *font;           /* --font FILE; NULL: DejaVu Sans Mono via fontconfig */
    int filters;                /* --filters N (1..SCENE_MAX_FILTERS) for presets and random
                                   weights; 0: 1 */
    bool has_act;               /* --act given */
    ActKind act;                /* --act none|relu|leaky_relu|sigmoid|tanh; default relu */
    float ui_scale;             /* --scale F (0.5..4): text and cell size factor; 0: 1 */
} SceneOptions;

/* All defaults (everything zero except what the comments above say). */
void scene_options_init(SceneOptions *o);

/* argv[*i] as one SCENE OPTION ("--stride 2" or "--stride=2"): returns 1 and
 * advances *i past its value (so *i points at the option's last word) when
 * it is one, 0 when it is not a scene option (a bare IMAGE word is not: the
 * caller stores it in o->input), -1 with err (CS_ERR_SYNTAX for a missing
 * value, CS_ERR_RANGE for a bad one; the message names the option and value)
 * otherwise. */
int scene_options_parse_one(SceneOptions *o, int argc, char **argv, int *i, Error *err);

/* Where the weights came from, for the window's labels and the preset cycle. */
typedef enum KernelSource {
    KERNEL_DEFAULT,     /* the default scene's per-channel filter */
    KERNEL_PRESET,      /* kernels.h preset `preset` in every slice */
    KERNEL_RANDOM,      /* initialiser `init` with `seed` */
    KERNEL_FILE,        /* a weights .npy */
    KERNEL_EDITED       /* any of the above with a weight typed in */
} KernelSource;

/* The scene. Read its fields freely; change it only through scene_set_*. */
typedef struct Scene {
    LayerKind kind;             /* LAYER_CONV or LAYER_POOL */
    Tensor input;               /* 1 x C x H x W */
    Tensor weights;             /* F x C x kh x kw (kept while pooling, for switching back) */
    Tensor bias;                /* conv: F values (rank 1); empty when has_bias is false */
    bool has_bias;
    ConvParams conv;            /* stride, padding, mode, dilation (groups 1) */
    PoolParams pool;            /* pooling scene */
    Activation act;
    int kernel_h, kernel_w;     /* current kernel / pooling window size */
    int fit_h, fit_w;           /* --fit, applied to every image loaded later too */
    KernelSource kernel_source;
    int preset;                 /* KERNEL_PRESET: kernels.h index; else -1 */
    InitKind init;              /* KERNEL_RANDOM: the initialiser */
    uint64_t seed;              /* the seed random weights were drawn with */
    bool image_input;           /* the input is an image: channels are R, G, B(, A) */
    char input_name[128];       /* file name (no folder) or "default" */
    char kernel_name[96];       /* "sobel-x", "he-uniform (seed 7)", "w.npy", "edited" */
    char note[160];             /* a remark for the status line ("resampled from
                                   1024x768 to 256x192"), or "" */
    char *layers;               /* --layers SPEC as given, owned; NULL when none */
    Stepper *stepper;           /* always valid after scene_create */
    const SceneKind *scene_kind;/* what is shown (kinds.h); always valid */
    void *kind_model;           /* that kind's own model, owned (NULL for the single
                                   layer); only the kind's own files look inside */
    const SceneKind *kept_kind; /* the kind a drill-down left (scene_push), to go back
                                   to with scene_pop; NULL: none */
    void *kept_model;           /* its model, owned while kept */
} Scene;

/* Builds the scene o describes (loading files, resampling, building weights
 * and the stepper at step 0 with o->step granularity). On failure *out is
 * NULL and err names the file or value at fault. */
Status scene_create(const SceneOptions *o, Scene **out, Error *err);

/* Frees everything. NULL is fine. */
void scene_destroy(Scene *s);

/* Shows kind with its model (owned from now on; NULL for the single layer),
 * freeing the model of the kind shown before (and any kept one). */
void scene_show(Scene *s, const SceneKind *kind, void *model);

/* Like scene_show, but the model shown before is not freed: it is
 * returned (the caller owns it; NULL for the single layer) and *was is
 * its kind. Lessons park the scene they leave this way (stack.h's home). */
void *scene_replace(Scene *s, const SceneKind *kind, void *model, const SceneKind **was);

/* A drill-down: shows kind with its model like scene_show, but keeps the
 * kind shown before and its model aside (one level: a model kept earlier
 * is freed) for scene_pop. */
void scene_push(Scene *s, const SceneKind *kind, void *model);

/* Back from a drill-down: shows the kept kind with its model again,
 * freeing the model shown now. Returns false (and changes nothing) when
 * nothing is kept. */
bool scene_pop(Scene *s);

/* The steps of the kind shown: the stepper's for the single layer, the
 * growth steps (layers added so far) for the layer stack. */
size_t scene_step_count(const Scene *s);
size_t scene_step_index(const Scene *s);
/* Goes to step index (clamped to the last step). */
void scene_seek(Scene *s, size_t index);

/* Short name of input channel c for labels and the sum line: "R", "G", "B",
 * "A" for images with 3 or 4 channels, "grey" (1) or "grey","alpha" (2);
 * "c0", "c1", ... otherwise. Returns buf. */
const char *scene_channel_name(const Scene *s, int c, char *buf, size_t size);

/* Number of output maps: filters (conv) or channels (pooling). */
size_t scene_output_maps(const Scene *s);

/* ---- changing the scene: each returns CS_OK, or an error and no change ---- */

/* Stride (>= 1 each). */
Status scene_set_stride(Scene *s, int stride_h, int stride_w, Error *err);
/* Padding: explicit numbers or valid/same/full (pooling: explicit only). */
Status scene_set_padding(Scene *s, Padding padding, Error *err);
/* Padding mode (conv only; pooling pads with -inf (max) or zeros (avg)). */
Status scene_set_pad_mode(Scene *s, PadMode mode, Error *err);
/* Dilation (>= 1 each; average pooling refuses > 1). */
Status scene_set_dilation(Scene *s, int dilation_h, int dilation_w, Error *err);
/* Kernel size k x k (1..15). Conv: a preset of that natural size is kept
 * only if it has that size, otherwise the weights are drawn with the current
 * initialiser (uniform if none) and the scene's seed. Pooling: the window. */
Status scene_set_kernel_size(Scene *s, int k, Error *err);
/* Every slice of every filter becomes preset `index` (kernels.h), at its
 * natural size. */
Status scene_set_preset(Scene *s, int index, Error *err);
/* Random weights of the current size from initialiser kind and seed. */
Status scene_set_init(Scene *s, InitKind kind, uint64_t seed, Error *err);
/* The default scene's teaching filter again (needs 3 input channels,
 * becomes 3x3). */
Status scene_set_default_kernel(Scene *s, Error *err);
/* Pooling (pool true, with mode) or convolution (pool false). Switching to
 * pooling uses a 2x2 window with stride 2 unless the kernel is already set;
 * switching back restores the previous convolution. */
Status scene_set_pool(Scene *s, bool pool, PoolMode mode, Error *err);
/* Pooling: floor or ceil output size. */
Status scene_set_ceil_mode(Scene *s, bool ceil_mode, Error *err);
/* The activation after the bias (conv). */
Status scene_set_activation(Scene *s, Activation act, Error *err);
/* One weight (f, c, ky, kx must be in range; value finite). */
Status scene_set_weight(Scene *s, int f, int c, int ky, int kx, float value, Error *err);
/* Filter f's bias (adds a zero bias to every filter first if there was none). */
Status scene_set_bias(Scene *s, int f, float value, Error *err);
/* A new input from a file (image or .npy; an image larger than
 * SCENE_MAX_SIDE is resampled to fit and s->note says so). The weights are
 * kept when their channel count fits, else rebuilt for the new channels
 * from the preset, initialiser or default (mixed for 3 channels). */
Status scene_set_input(Scene *s, const char *path, Error *err);
/* Reads the file scene_set_input would take into *in (the caller frees it)
 * without changing s: image says its channels are colours, name is the
 * file's label and note says when it was resampled (else ""). */
Status scene_read_input(const Scene *s, const char *path, Tensor *in, bool *image, char *name,
                        size_t name_size, char *note, size_t note_size, Error *err);
/* Same with an input already loaded (1 x C x H x W, copied; name for labels;
 * image says its channels are colour channels). */
Status scene_set_input_tensor(Scene *s, const Tensor *input, const char *name, bool image,
                              Error *err);
/* The single layer a network's layer is, at one filter: input (1 x C x H x
 * W, copied) named input_name, with image saying its channels are colours;
 * then for kind LAYER_CONV one filter's weights (1 x C x kh x kw, copied),
 * its bias (NULL: none), conv (groups 1) and act; for LAYER_POOL pool.
 * kernel_name labels the weights ("features.3 filter 5"). The stepper goes
 * to the end of output position (out_y, out_x) of filter 0 (its total is
 * computed there). Fails with no change (past the window's caps, shapes
 * that do not fit). */
Status scene_set_layer(Scene *s, LayerKind kind, const Tensor *input, const char *input_name, bool image,
                       const Tensor *weights, const Tensor *bias, const ConvParams *conv, const PoolParams *pool,
                       Activation act, const char *kernel_name, int out_y, int out_x, Error *err);

/* Granularity of the stepper (keeps the output position). */
void scene_set_granularity(Scene *s, StepGranularity g);

#endif
