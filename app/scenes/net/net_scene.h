/* net_scene.h: the network scene's model (issue 10, "The window: the
 * network scene"): a layer stack run as a network (core/net.h) on the
 * scene's input, with every layer's output kept, the numbers the window
 * shows of them (range, per-channel means, the channel order), the class
 * probabilities of a classifier, and the growth state.
 *
 * Cards. Card 0 is the input; then one card per layer whose output differs
 * from its input: Dropout, Dropout2d, Identity (copies in eval mode) and
 * Flatten (the same values in a vector) fold into the card before them and
 * are named in its label. Activations and BatchNorm2d are cards of their
 * own: they change the values, and seeing a convolution's signed map next
 * to what ReLU keeps of it (or what BatchNorm makes of it) is the lesson.
 * A card's values are its own layer's output (folded layers do not change
 * them; a Flatten's vector is the map it flattens).
 *
 * Steps are growth steps, as the layer stack's: step k shows cards 0..k;
 * the scene starts (and export --png draws) at the last, the whole
 * network.
 *
 * The network runs when the model is made (a new image makes a new model).
 * net_job.h makes the next model on a worker thread when that takes long;
 * the model shown holds that job (pending) until the window's loop takes
 * its result. */
#ifndef CONVSTEP_NET_SCENE_H
#define CONVSTEP_NET_SCENE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "net.h"
#include "rf.h"
#include "spec.h"
#include "stepper.h"
#include "tensor.h"
#include "view.h"

/* Passes estimated longer than this (milliseconds) run on a worker
 * thread (net_job.h; NetScene.async_ms starts at it). */
#define NET_ASYNC_MS 100.0

/* Classes the classifier card lists. */
#define NET_SCENE_TOP 5

/* Where the network comes from. A zero field means the default in its
 * comment. Strings are borrowed. */
typedef struct NetSource {
    const char *layers;         /* SPEC text or "@FILE" (required) */
    const char *weights;        /* --weights FILE; NULL: default init from seed */
    const char *labels;         /* --labels FILE; NULL: "class N" */
    const char *normalize;      /* --normalize; NULL: 0-255 */
    int size_h, size_w;         /* --input-size: resample first; 0: as it is */
    uint64_t seed;              /* --seed */
} NetSource;

typedef struct NetCard {
    size_t layer;               /* card 0: unused; else the layer whose output it shows */
    size_t last;                /* the last layer folded into it (= layer when none) */
    char folded[48];            /* "Flatten", "Dropout, Flatten", or "" */
    bool flat;                  /* a vector (c features) */
    size_t c, h, w;             /* its shape */
    const Tensor *values;       /* 1 x C x H x W (or the features), borrowed from the net
                                   or the model's input */
    float lo, hi;               /* over every value */
    bool is_signed;             /* lo < 0: drawn with the diverging map */
    float *mean;                /* c entries: each channel's mean (a feature: its value) */
    int *order;                 /* c entries: channels by mean, largest first */
} NetCard;

typedef struct NetTop {
    size_t index;               /* the class */
    float probability;
    float score;                /* the last layer's value for it */
} NetTop;

/* Where the view was when a drill-down left the network (restored on
 * return). */
typedef struct NetPlace {
    float zoom, pan_x, pan_y;
    Target selected;
} NetPlace;

typedef struct NetScene {
    char *layers, *weights, *labels, *normalize;    /* the source's strings, owned */
    int size_h, size_w;
    uint64_t seed;
    char source[128];           /* "--layers" or the @FILE's name */
    char weights_name[128];     /* the weights file's name, or "default init, seed N" */
    char input_name[128];       /* the picture's name */
    LayerStack spec;
    Net net;                    /* run on input, every output kept */
    RfLayer *rf;                /* net.count entries: each layer's receptive-field
                                   numbers for the input's size (core/rf.h), owned */
    Tensor picture;             /* the input as given, resampled to the network's size
                                   (0-255 for an image): the card drawn as a picture */
    bool image;                 /* picture is an image (R, G, B) */
    Tensor input;               /* what enters the network: picture, normalised */
    NetCard *cards;             /* n_cards, owned; [0] is the input */
    size_t n_cards;
    bool classifier;            /* the last layer gives a vector: top holds its classes */
    NetTop top[NET_SCENE_TOP];
    size_t n_top;
    char *label_text;           /* the labels file, lines cut (owned) */
    char **label;               /* n_labels lines into label_text (owned array) */
    size_t n_labels;
    size_t shown;               /* growth: cards 0..shown are shown */
    bool sorted;                /* tiles in order of mean activation (else in order) */
    NetPlace place;             /* the view kept by a drill-down */
    double async_ms;            /* a new pass estimated longer than this runs on a
                                   worker thread (NET_ASYNC_MS; tests set -1: always) */
    struct NetJob *pending;     /* the next model being built (net_job.h), owned;
                                   NULL: none */
    int pending_tenths;         /* the tenths of a second the status line last said */
} NetScene;

/* Builds the network src names for picture (1 x C x H x W; image: its
 * values are 0-255 colours) called name, runs it once and works out its
 * cards; every card shown. Fails with one line naming the problem: the
 * spec (its file and "line L, column C: ..."), --normalize, the input size
 * ("with a 3x32x32 input: layer 3 (...): ..."), the weights file (strict:
 * "FILE does not fit the layers: missing ..."), or the labels ("--labels
 * FILE has 3 labels, but the network gives 10 classes"). */
Status net_scene_create(const NetSource *src, const Tensor *picture, bool image, const char *name, NetScene **out,
                        Error *err);

/* The same network (its source and settings) on another picture. */
Status net_scene_rebuild(const NetScene *old, const Tensor *picture, bool image, const char *name, NetScene **out,
                         Error *err);

/* Frees everything (a pending job is abandoned: net_job_abandon). NULL is
 * fine. */
void net_scene_destroy(NetScene *s);

/* Growth steps: n_cards (step 0 shows the input alone). */
size_t net_scene_step_count(const NetScene *s);
size_t net_scene_step_index(const NetScene *s);
void net_scene_seek(NetScene *s, size_t index);

/* Card j's channel at position k of the tiles: k itself in order, or the
 * k-th largest mean when sorted. */
int net_scene_channel_at(const NetScene *s, size_t j, size_t k);

/* The value of card j at channel c, row y, column x (a vector: feature c;
 * y, x ignored). Card 0 gives the network's input (normalised). */
float net_scene_value(const NetScene *s, size_t j, int c, int y, int x);

/* Whether t (TARGET_NET_CELL) names a cell of a card shown now. */
bool net_scene_cell_shown(const NetScene *s, const Target *t);

/* The lit field of the focus cell t (a TARGET_NET_CELL of a map card or
 * the input, shown now: net_scene_cell_shown) on every card shown, into
 * out[card][axis] (out has room for shown + 1 cards; axis 0 rows, 1
 * columns): on earlier cards the cells it reads (rf_range_back through
 * every layer between, padding cut off), on later cards the cells that
 * read it (rf_range_forward), on its own card the cell itself. A range
 * with lo > hi lights nothing: vector cards (a Linear reads every cell, so
 * nothing is worth outlining) and every card after the first vector one.
 * The channels are not in the ranges: a convolution reads the field in
 * every channel of its group. Returns false (out untouched) when t is not
 * a cell of a map card or of the input shown now. O(layers). */
bool net_scene_fields(const NetScene *s, const Target *t, CellRange (*out)[2]);

/* Class i's name: its label line, or "class i". Returns buf. */
const char *net_scene_class_name(const NetScene *s, size_t i, char *buf, size_t size);

/* Card j's layer, as "features.3: Conv2d(6, 16, 5)" ("input" for card 0).
 * Returns buf. */
const char *net_scene_card_title(const NetScene *s, size_t j, char *buf, size_t size);

/* What the status line says of t, a cell shown (net_scene_cell_shown):
 * "features.0 (Conv2d) channel 3, row 2, column 5: -0.25", the input's
 * values in every channel, a class's probability. Returns buf. */
const char *net_scene_describe(const NetScene *s, const Target *t, char *buf, size_t size);

/* ---- the drill-down ---- */

/* What the single-layer scene needs to show card j at channel c, output
 * cell (y, x): the layer's real input maps (for a convolution the channels
 * its filter c reads; for pooling channel c alone), filter c's weights
 * and bias, and the layer's geometry. All tensors are owned by the caller
 * (net_drill_free). */
typedef struct NetDrill {
    LayerKind kind;             /* LAYER_CONV or LAYER_POOL */
    Tensor input;               /* 1 x C x H x W */
    Tensor weights;             /* conv: 1 x C x kh x kw */
    Tensor bias;                /* conv with bias: 1 value; else empty */
    bool has_bias;
    ConvParams conv;            /* groups 1 */
    PoolParams pool;
    int out_y, out_x;
    bool image;                 /* the input is the picture's colour channels */
    char input_name[128];       /* "features.3 input, channels 0-5" */
    char kernel_name[96];       /* "features.3 filter 5" */
    float expected;             /* the forward pass's value at that cell */
} NetDrill;

/* Fills *d for card j, channel c, cell (y, x), or fails with the reason
 * for the status line: not a Conv2d or pooling layer, a transposed
 * convolution, or more input channels per filter than max_channels (the
 * single-layer scene's limit) or a kernel larger than max_kernel. */
Status net_scene_drill(const NetScene *s, size_t j, int c, int y, int x, int max_channels, int max_kernel,
                       NetDrill *d, Error *err);

void net_drill_free(NetDrill *d);

#endif
