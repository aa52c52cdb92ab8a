/* kernels.c: kernel presets and PyTorch-style weight initialisers (see
 * kernels.h).
 *
 * The fans follow torch.nn.init._calculate_fan_in_and_fan_out, which reads
 * them from the weight tensor itself: fan_in = size(1)*kh*kw and
 * fan_out = size(0)*kh*kw. Then
 *   uniform         bound = 1/sqrt(fan_in)   (kaiming_uniform_ with a = sqrt(5))
 *   xavier-uniform  bound = sqrt(6/(fan_in+fan_out))
 *   xavier-normal   std   = sqrt(2/(fan_in+fan_out))
 *   he-uniform      bound = sqrt(2)*sqrt(3/fan_in) = sqrt(6/fan_in)
 *   he-normal       std   = sqrt(2/fan_in)
 * and every weight is drawn in C order from one Rng seeded with the seed. */
#include "kernels.h"

#include <math.h>
#include <string.h>

#include "rng.h"

/* ---- presets --------------------------------------------------------- */

typedef struct Preset {
    const char *name;
    const char *summary;
    int size;               /* odd side length */
    float scale;            /* every value is divided by this */
    float values[25];       /* size*size, row by row */
} Preset;

static const Preset PRESETS[] = {
    {"identity", "copies each pixel unchanged: only the centre weight is 1", 3, 1.0f,
     {0, 0, 0,
      0, 1, 0,
      0, 0, 0}},
    {"box-blur", "blurs: each output is the plain average of its 3x3 neighbourhood", 3, 9.0f,
     {1, 1, 1,
      1, 1, 1,
      1, 1, 1}},
    {"gaussian-3", "blurs gently: a weighted average that counts the centre most (1 2 1 / 16)", 3, 16.0f,
     {1, 2, 1,
      2, 4, 2,
      1, 2, 1}},
    {"gaussian-5", "blurs more smoothly over 5x5, weights from the binomial row 1 4 6 4 1 (/256)", 5, 256.0f,
     {1,  4,  6,  4, 1,
      4, 16, 24, 16, 4,
      6, 24, 36, 24, 6,
      4, 16, 24, 16, 4,
      1,  4,  6,  4, 1}},
    {"sharpen", "sharpens: boosts each pixel against its four neighbours", 3, 1.0f,
     { 0, -1,  0,
      -1,  5, -1,
       0, -1,  0}},
    {"sobel-x", "detects vertical edges: responds where brightness changes from left to right", 3, 1.0f,
     {-1, 0, 1,
      -2, 0, 2,
      -1, 0, 1}},
    {"sobel-y", "detects horizontal edges: responds where brightness changes from top to bottom", 3, 1.0f,
     {-1, -2, -1,
       0,  0,  0,
       1,  2,  1}},
    {"scharr-x", "detects vertical edges like Sobel, with weights tuned to treat every direction alike", 3, 1.0f,
     { -3, 0,  3,
      -10, 0, 10,
       -3, 0,  3}},
    {"scharr-y", "detects horizontal edges like Sobel, with weights tuned to treat every direction alike", 3, 1.0f,
     {-3, -10, -3,
       0,   0,  0,
       3,  10,  3}},
    {"laplacian", "finds edges in every direction: centre against its four neighbours, zero on flat areas", 3, 1.0f,
     {0,  1, 0,
      1, -4, 1,
      0,  1, 0}},
    {"emboss", "makes a raised, lit-from-the-top-left look from the diagonal brightness change", 3, 1.0f,
     {-2, -1, 0,
      -1,  1, 1,
       0,  1, 2}},
    {"outline", "traces outlines: centre against all eight neighbours, zero on flat areas", 3, 1.0f,
     {-1, -1, -1,
      -1,  8, -1,
      -1, -1, -1}},
};

#define PRESET_COUNT ((int)(sizeof PRESETS / sizeof PRESETS[0]))

int kernels_preset_count(void)
{
    return PRESET_COUNT;
}

const char *kernels_preset_name(int index)
{
    return index >= 0 && index < PRESET_COUNT ? PRESETS[index].name : NULL;
}

const char *kernels_preset_summary(int index)
{
    return index >= 0 && index < PRESET_COUNT ? PRESETS[index].summary : NULL;
}

int kernels_preset_find(const char *name)
{
    static const struct { const char *alias, *name; } ALIASES[] = {
        {"blur", "box-blur"},
        {"gaussian", "gaussian-3"},
    };
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof ALIASES / sizeof ALIASES[0]; i++)
        if (strcmp(name, ALIASES[i].alias) == 0)
            name = ALIASES[i].name;
    for (int i = 0; i < PRESET_COUNT; i++)
        if (strcmp(name, PRESETS[i].name) == 0)
            return i;
    return -1;
}

Status kernels_preset_weights(int index, size_t filters, size_t channels, Tensor *out, Error *err)
{
    if (index < 0 || index >= PRESET_COUNT)
        return error_set(err, CS_ERR_RANGE, "kernel preset index %d is not between 0 and %d",
                         index, PRESET_COUNT - 1);
    const Preset *p = &PRESETS[index];
    size_t k = (size_t)p->size;
    Status st = tensor_init(out, filters, channels, k, k, 4, err);
    if (st != CS_OK)
        return st;
    for (size_t f = 0; f < filters; f++)
        for (size_t c = 0; c < channels; c++)
            for (size_t i = 0; i < k * k; i++)
                tensor_at(out, f, c, 0, 0)[i] = p->values[i] / p->scale;
    return CS_OK;
}

/* ---- initialisers ---------------------------------------------------- */

static const char *const INIT_NAMES[] = {
    [INIT_UNIFORM] = "uniform",
    [INIT_XAVIER_UNIFORM] = "xavier-uniform",
    [INIT_XAVIER_NORMAL] = "xavier-normal",
    [INIT_HE_UNIFORM] = "he-uniform",
    [INIT_HE_NORMAL] = "he-normal",
};

#define INIT_COUNT (sizeof INIT_NAMES / sizeof INIT_NAMES[0])

void kernels_fans(size_t dim0, size_t dim1, size_t kh, size_t kw, double *fan_in, double *fan_out)
{
    double field = (double)kh * (double)kw;
    *fan_in = (double)dim1 * field;
    *fan_out = (double)dim0 * field;
}

void kernels_init(Tensor *w, InitKind kind, uint64_t seed)
{
    double fan_in, fan_out;
    kernels_fans(w->n, w->c, w->h, w->w, &fan_in, &fan_out);
    size_t count = tensor_count(w);
    Rng rng;
    rng_seed(&rng, seed);

    switch (kind) {
    case INIT_UNIFORM:
    case INIT_XAVIER_UNIFORM:
    case INIT_HE_UNIFORM: {
        double bound = kind == INIT_UNIFORM ? 1.0 / sqrt(fan_in)
                     : kind == INIT_XAVIER_UNIFORM ? sqrt(6.0 / (fan_in + fan_out))
                     : sqrt(6.0 / fan_in);
        for (size_t i = 0; i < count; i++)
            w->data[i] = rng_range(&rng, (float)-bound, (float)bound);
        break;
    }
    case INIT_XAVIER_NORMAL:
    case INIT_HE_NORMAL: {
        double std = kind == INIT_XAVIER_NORMAL ? sqrt(2.0 / (fan_in + fan_out)) : sqrt(2.0 / fan_in);
        for (size_t i = 0; i < count; i++)
            w->data[i] = (float)(std * (double)rng_normal(&rng));
        break;
    }
    }
}

const char *kernels_init_name(InitKind kind)
{
    return (size_t)kind < INIT_COUNT ? INIT_NAMES[kind] : NULL;
}

bool kernels_init_parse(const char *name, InitKind *kind)
{
    for (size_t i = 0; i < INIT_COUNT; i++)
        if (name && strcmp(name, INIT_NAMES[i]) == 0) {
            *kind = (InitKind)i;
            return true;
        }
    return false;
}
