/* test_weights.c: weights files (core/weights.h): safetensors, .npz and the
 * torch.save refusal.
 *
 * The files in tests/fixtures/weights/ were written by PyTorch 1.13 and
 * NumPy 1.24 (tests/gen_weights_fixtures.py); values are checked bit for bit
 * against what torch's .float() gives. Hostile safetensors headers are built
 * here from their JSON text; hostile zips are fixtures (the generator says
 * how each was made). */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npz.h"
#include "safetensors.h"
#include "support_tmp.h"
#include "weights.h"

#define FIXTURES "tests/fixtures/weights/"

TestSuite(weights, .init = tmp_dir_create, .fini = tmp_dir_remove);

/* ---- helpers ---------------------------------------------------------- */

static uint32_t bits_of(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static void read_ok(const char *path, WeightsFile *w)
{
    Error err = {0};
    Status st = weights_read(path, w, &err);
    cr_assert_eq(st, CS_OK, "%s: %s", path, err.message);
}

/* The tensor called name, which must exist with the given rank and shape. */
static const NamedTensor *expect_tensor(const WeightsFile *w, const char *name, int rank, size_t d0, size_t d1,
                                        size_t d2, size_t d3)
{
    const NamedTensor *t = weights_find(w, name);
    cr_assert_not_null(t, "no tensor '%s'", name);
    const size_t want[4] = {d0, d1, d2, d3};
    cr_assert_eq(t->rank, rank, "%s: rank %d, wanted %d", name, t->rank, rank);
    cr_assert_eq(t->t.rank, rank ? rank : 1, "%s: tensor rank %d", name, t->t.rank);
    size_t right[4] = {1, 1, 1, 1};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(t->shape[i], i < rank ? want[i] : 0, "%s: shape[%d] is %zu", name, i, t->shape[i]);
        if (i < rank)
            right[4 - rank + i] = want[i];
    }
    cr_assert(t->t.n == right[0] && t->t.c == right[1] && t->t.h == right[2] && t->t.w == right[3],
              "%s: tensor %zux%zux%zux%zu is not right-aligned", name, t->t.n, t->t.c, t->t.h, t->t.w);
    return t;
}

static void expect_bits(const NamedTensor *t, const uint32_t *bits, size_t count)
{
    cr_assert_eq(tensor_count(&t->t), count, "%s: %zu values", t->name, tensor_count(&t->t));
    for (size_t i = 0; i < count; i++)
        cr_expect_eq(bits_of(t->t.data[i]), bits[i], "%s[%zu]: bits 0x%08x (%g), wanted 0x%08x", t->name, i,
                     bits_of(t->t.data[i]), (double)t->t.data[i], bits[i]);
}

/* 8-byte length, the header text, then data_len bytes 0, 1, 2, ... */
static unsigned char *build_st(const char *header, size_t data_len, size_t *size)
{
    size_t n = strlen(header);
    *size = 8 + n + data_len;
    unsigned char *buf = malloc(*size);
    cr_assert_not_null(buf);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(buf + 8, header, n);
    for (size_t i = 0; i < data_len; i++)
        buf[8 + n + i] = (unsigned char)i;
    return buf;
}

static Status read_st(const char *header, size_t data_len, WeightsFile *w, Error *err)
{
    size_t size;
    unsigned char *buf = build_st(header, data_len, &size);
    Status st = weights_read_memory(buf, size, "case.safetensors", w, err);
    free(buf);
    return st;
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)len + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *size = (size_t)len;
    return buf;
}

/* A failing read: the status, an empty result and a message naming the file
 * and containing every given fragment. */
static void expect_refusal(Status st, const WeightsFile *w, const Error *err, Status want, const char *file,
                           const char *fragment, const char *fragment2)
{
    cr_expect_eq(st, want, "status %d (%s), wanted %d", st, err->message, want);
    cr_expect(w->items == NULL && w->count == 0, "a failed read left tensors");
    cr_expect(strstr(err->message, file) != NULL, "'%s' does not name %s", err->message, file);
    cr_expect(!fragment || strstr(err->message, fragment), "'%s' does not say '%s'", err->message, fragment);
    cr_expect(!fragment2 || strstr(err->message, fragment2), "'%s' does not say '%s'", err->message, fragment2);
    cr_expect(!strchr(err->message, '\n'), "'%s' is not one line", err->message);
}

/* ---- every dtype --------------------------------------------------------- */

static const uint32_t F32_BITS[] = {0xbfc00000, 0x3e800000, 0x00000000, 0x3f800000, 0x40000000, 0x42c80000};
/* float16 2^-24 (the smallest subnormal), its negative, 1023 * 2^-24 (the
 * largest subnormal), 2^-14 (the smallest normal), 65504 (the largest),
 * inf, -inf, NaN (0x7e00), -0, 1/3 (0x3555 = 0.333251953125). */
static const uint32_t F16_BITS[] = {0x33800000, 0xb3800000, 0x387fc000, 0x38800000, 0x477fe000,
                                    0x7f800000, 0xff800000, 0x7fc00000, 0x80000000, 0x3eaaa000};
/* bfloat16 1, -2.5, 3.140625, inf, NaN (0x7fc0), 2^-133 (a subnormal):
 * the 16 bits shifted left by 16. */
static const uint32_t BF16_BITS[] = {0x3f800000, 0xc0200000, 0x40490000, 0x7f800000, 0x7fc00000, 0x00010000};
/* float64 rounded to nearest even: 0.1, 1/3, 1e300 (overflow: inf), -1e-50
 * (underflow: -0), 16777217 (tie: 16777216), 1 + 2^-24 (tie: 1),
 * -(1 + 1.5 * 2^-23) (tie to even: -(1 + 2^-22)), FLT_MAX + half an ulp
 * (tie to even: inf). */
static const uint32_t F64_BITS[] = {0x3dcccccd, 0x3eaaaaab, 0x7f800000, 0x80000000,
                                    0x4b800000, 0x3f800000, 0xbf800002, 0x7f800000};
static const uint32_t CONV_BITS[] = {0xc0600000, 0xc0200000, 0xbfc00000, 0xbf000000,
                                     0x3f000000, 0x3fc00000, 0x40200000, 0x40600000};
static const uint32_t SEVEN_BITS[] = {0x40e00000};
static const uint32_t I32_BITS[] = {0xc0000000, 0x00000000, 0x4b800000};   /* -2, 0, 16777217 -> 16777216 */

Test(weights, safetensors_every_dtype_exact)
{
    WeightsFile w;
    read_ok(FIXTURES "dtypes.safetensors", &w);
    static const char *order[] = {"f32", "f16", "bf16", "f64", "conv.weight", "bn.num_batches_tracked", "i32"};
    cr_assert_eq(w.count, 7);
    for (size_t i = 0; i < 7; i++)
        cr_expect_str_eq(w.items[i].name, order[i], "item %zu", i);
    expect_bits(expect_tensor(&w, "f32", 2, 2, 3, 0, 0), F32_BITS, 6);
    expect_bits(expect_tensor(&w, "f16", 1, 10, 0, 0, 0), F16_BITS, 10);
    expect_bits(expect_tensor(&w, "bf16", 2, 3, 2, 0, 0), BF16_BITS, 6);
    expect_bits(expect_tensor(&w, "f64", 3, 2, 2, 2, 0), F64_BITS, 8);
    expect_bits(expect_tensor(&w, "conv.weight", 4, 2, 1, 2, 2), CONV_BITS, 8);
    expect_bits(expect_tensor(&w, "bn.num_batches_tracked", 0, 0, 0, 0, 0), SEVEN_BITS, 1);
    expect_bits(expect_tensor(&w, "i32", 1, 3, 0, 0, 0), I32_BITS, 3);
    cr_expect_null(weights_find(&w, "__metadata__"));
    cr_expect_null(weights_find(&w, "f3"));
    weights_free(&w);
    cr_expect(w.items == NULL && w.count == 0);
    weights_free(&w);   /* twice is safe */
}

/* The same arrays through NumPy: stored and deflated. NumPy's float16 NaN
 * goes through npy.c, which keeps NaN but not its payload. */
static void check_npz_dtypes(const char *path)
{
    WeightsFile w;
    read_ok(path, &w);
    cr_assert_eq(w.count, 6, "%s: %zu tensors", path, w.count);
    cr_expect_str_eq(w.items[0].name, "f32");
    cr_expect_str_eq(w.items[4].name, "bn.num_batches_tracked");
    expect_bits(expect_tensor(&w, "f32", 2, 2, 3, 0, 0), F32_BITS, 6);
    const NamedTensor *f16 = expect_tensor(&w, "f16", 1, 10, 0, 0, 0);
    for (size_t i = 0; i < 10; i++) {
        if (i == 7)
            cr_expect(isnan(f16->t.data[i]), "f16[7] is %g, not NaN", (double)f16->t.data[i]);
        else
            cr_expect_eq(bits_of(f16->t.data[i]), F16_BITS[i], "f16[%zu]: 0x%08x", i, bits_of(f16->t.data[i]));
    }
    expect_bits(expect_tensor(&w, "f64", 3, 2, 2, 2, 0), F64_BITS, 8);
    expect_bits(expect_tensor(&w, "conv.weight", 4, 2, 1, 2, 2), CONV_BITS, 8);
    expect_bits(expect_tensor(&w, "bn.num_batches_tracked", 0, 0, 0, 0, 0), SEVEN_BITS, 1);
    expect_bits(expect_tensor(&w, "i32", 1, 3, 0, 0, 0), I32_BITS, 3);
    cr_expect_null(weights_find(&w, "bf16"));
    weights_free(&w);
}

Test(weights, npz_stored_every_dtype_exact)
{
    check_npz_dtypes(FIXTURES "dtypes.npz");
}

Test(weights, npz_compressed_every_dtype_exact)
{
    check_npz_dtypes(FIXTURES "dtypes_compressed.npz");
}

/* ---- a real state dict ------------------------------------------------ */

/* nn.Sequential(Conv2d(1, 2, 3), BatchNorm2d(2), ReLU(), Flatten(),
 * Linear(8, 3)) after one training step: the same tensors, bit for bit, from
 * safetensors, savez and savez_compressed, in state_dict order. */
Test(weights, state_dict_same_in_every_format)
{
    static const char *files[] = {FIXTURES "model.safetensors", FIXTURES "model.npz",
                                  FIXTURES "model_compressed.npz"};
    static const char *names[] = {"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                  "1.num_batches_tracked", "4.weight", "4.bias"};
    WeightsFile w[3];
    for (int f = 0; f < 3; f++) {
        read_ok(files[f], &w[f]);
        cr_assert_eq(w[f].count, 9, "%s: %zu tensors", files[f], w[f].count);
        for (int i = 0; i < 9; i++)
            cr_expect_str_eq(w[f].items[i].name, names[i], "%s item %d", files[f], i);
        expect_tensor(&w[f], "0.weight", 4, 2, 1, 3, 3);
        expect_tensor(&w[f], "1.running_var", 1, 2, 0, 0, 0);
        expect_tensor(&w[f], "4.weight", 2, 3, 8, 0, 0);
        const NamedTensor *nbt = expect_tensor(&w[f], "1.num_batches_tracked", 0, 0, 0, 0, 0);
        cr_expect_eq(nbt->t.data[0], 1.0f);
    }
    for (int f = 1; f < 3; f++)
        for (int i = 0; i < 9; i++) {
            const Tensor *a = &w[0].items[i].t, *b = &w[f].items[i].t;
            cr_assert_eq(tensor_count(a), tensor_count(b));
            cr_expect(memcmp(a->data, b->data, tensor_count(a) * sizeof(float)) == 0, "%s: %s differs",
                      files[f], names[i]);
        }
    for (int f = 0; f < 3; f++)
        weights_free(&w[f]);
}

/* Half precision values of the same model are the float32 ones rounded. */
Test(weights, state_dict_f16)
{
    WeightsFile full, half;
    read_ok(FIXTURES "model.safetensors", &full);
    read_ok(FIXTURES "model_f16.safetensors", &half);
    cr_assert_eq(half.count, 9);
    for (size_t i = 0; i < 9; i++) {
        const Tensor *a = &full.items[i].t, *b = &half.items[i].t;
        for (size_t k = 0; k < tensor_count(a); k++)
            cr_expect(fabsf(a->data[k] - b->data[k]) <= fabsf(a->data[k]) / 1024.0f + 1e-7f, "%s[%zu]: %g vs %g",
                      full.items[i].name, k, (double)a->data[k], (double)b->data[k]);
    }
    weights_free(&full);
    weights_free(&half);
}

/* The reader from memory and from a file agree. */
Test(weights, memory_and_file_agree)
{
    size_t size;
    unsigned char *bytes = slurp(FIXTURES "model_compressed.npz", &size);
    WeightsFile a, b;
    Error err = {0};
    cr_assert_eq(weights_read_memory(bytes, size, "mem.npz", &a, &err), CS_OK, "%s", err.message);
    read_ok(FIXTURES "model_compressed.npz", &b);
    cr_assert_eq(a.count, b.count);
    for (size_t i = 0; i < a.count; i++) {
        cr_expect_str_eq(a.items[i].name, b.items[i].name);
        cr_expect(memcmp(a.items[i].t.data, b.items[i].t.data, tensor_count(&a.items[i].t) * 4) == 0);
    }
    weights_free(&a);
    weights_free(&b);
    free(bytes);
}

/* ---- torch.save and other files ---------------------------------------- */

Test(weights, torch_save_refused_with_recipe)
{
    static const char *files[] = {FIXTURES "model.pt", FIXTURES "legacy.pt"};
    for (int i = 0; i < 2; i++) {
        WeightsFile w;
        Error err = {0};
        Status st = weights_read(files[i], &w, &err);
        expect_refusal(st, &w, &err, CS_ERR_FORMAT, files[i], "is a torch.save file; convert it: python3 -c \"",
                       ".state_dict()");
        char load[160];
        snprintf(load, sizeof load, "torch.load('%s',map_location='cpu')", files[i]);
        cr_expect(strstr(err.message, load), "'%s' does not load the file", err.message);
        cr_expect(strstr(err.message, i ? "numpy.savez('legacy.npz'" : "numpy.savez('model.npz'"), "%s",
                  err.message);
    }
}

/* A path too long for the recipe in one message falls back to its base
 * name in the recipe, a much longer one in the whole message; one with a
 * quote to a placeholder. The message is never cut. */
Test(weights, torch_recipe_long_and_quoted_paths)
{
    size_t size;
    unsigned char *bytes = slurp(FIXTURES "model.pt", &size);
    static const size_t lengths[] = {60, 250};
    for (int i = 0; i < 2; i++) {
        char name[300];
        memset(name, 'd', sizeof name);
        memcpy(name + lengths[i] - 13, "/resnet18.pth", 14);
        WeightsFile w;
        Error err = {0};
        Status st = weights_read_memory(bytes, size, name, &w, &err);
        expect_refusal(st, &w, &err, CS_ERR_FORMAT, "resnet18.pth is a torch.save file", "torch.load('resnet18.pth',",
                       "numpy.savez('resnet18.npz'");
        cr_expect(strlen(err.message) < sizeof err.message - 1, "the message was cut: %s", err.message);
        cr_expect_eq(strstr(err.message, name) == err.message, i == 0, "%s", err.message);
    }
    WeightsFile w;
    Error err = {0};
    Status st = weights_read_memory(bytes, size, "it's.pt", &w, &err);
    expect_refusal(st, &w, &err, CS_ERR_FORMAT, "it's.pt", "torch.load('model.pt',", NULL);
    free(bytes);
}

Test(weights, other_files_refused)
{
    WeightsFile w;
    Error err = {0};
    Status st = weights_read_memory((const unsigned char *)"hello, world\n", 13, "notes.txt", &w, &err);
    expect_refusal(st, &w, &err, CS_ERR_FORMAT, "notes.txt", "not a safetensors or .npz file", NULL);
    st = weights_read_memory((const unsigned char *)"", 0, "empty.bin", &w, &err);
    expect_refusal(st, &w, &err, CS_ERR_FORMAT, "empty.bin", "empty", NULL);
    st = weights_read_memory((const unsigned char *)"\x93NUMPY\x01\x00", 8, "w.npy", &w, &err);
    expect_refusal(st, &w, &err, CS_ERR_FORMAT, "w.npy", "single .npy array", "numpy.savez");
    st = weights_read(tmp_path("missing.safetensors"), &w, &err);
    expect_refusal(st, &w, &err, CS_ERR_IO, "missing.safetensors", "No such file", NULL);
    st = weights_read(tmp_dir, &w, &err);
    expect_refusal(st, &w, &err, CS_ERR_IO, tmp_dir, "directory", NULL);
}

/* ---- hostile safetensors headers ----------------------------------------- */

typedef struct StCase {
    const char *header;
    size_t data_len;
    Status status;
    const char *says;           /* a fragment of the message */
    const char *names;          /* the tensor it names, or NULL */
} StCase;

#define ST_ONE(dtype, shape, offsets) "{\"a\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" offsets "}}"

static const StCase ST_CASES[] = {
    /* offsets */
    {ST_ONE("F32", "[2]", "[8,0]"), 8, CS_ERR_FORMAT, "end before they begin", "'a'"},
    {ST_ONE("F32", "[2]", "[0,8]"), 4, CS_ERR_FORMAT, "run past the 4 bytes", "'a'"},
    {ST_ONE("F32", "[2]", "[0,12]"), 12, CS_ERR_FORMAT, "hold 12 bytes, but shape [2] of F32 needs 8", "'a'"},
    {ST_ONE("F32", "[2]", "[4,12]"), 12, CS_ERR_FORMAT, "gap of 4 bytes", "'a'"},
    {ST_ONE("F32", "[2]", "[0,8]"), 9, CS_ERR_FORMAT, "1 bytes of data follow the last tensor", NULL},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, CS_ERR_FORMAT, "overlap those of 'a'", "'b'"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, CS_ERR_FORMAT, "overlap", NULL},
    {ST_ONE("F32", "[2]", "[0,18446744073709551615]"), 8, CS_ERR_FORMAT, "run past", "'a'"},
    {ST_ONE("F32", "[2]", "[0,18446744073709551616]"), 8, CS_ERR_FORMAT, "a number too large", NULL},
    /* shapes */
    {ST_ONE("F32", "[4294967296,4294967296,4294967296]", "[0,8]"), 8, CS_ERR_FORMAT, "element count overflows", "'a'"},
    {ST_ONE("F64", "[4611686018427387904]", "[0,8]"), 8, CS_ERR_FORMAT, "byte count overflows", "'a'"},
    {ST_ONE("F32", "[2,0]", "[0,0]"), 0, CS_ERR_FORMAT, "dimension 1 of the shape is 0", "'a'"},
    {ST_ONE("F32", "[1,1,1,1,2]", "[0,8]"), 8, CS_ERR_FORMAT, "5 dimensions; convstep takes at most 4", "'a'"},
    {ST_ONE("F32", "[-2]", "[0,8]"), 8, CS_ERR_FORMAT, "a negative number", NULL},
    {ST_ONE("F32", "[2.0]", "[0,8]"), 8, CS_ERR_FORMAT, "not a whole number", NULL},
    {ST_ONE("F32", "[2e0]", "[0,8]"), 8, CS_ERR_FORMAT, "not a whole number", NULL},
    {ST_ONE("F32", "[02]", "[0,8]"), 8, CS_ERR_FORMAT, "leading zero", NULL},
    {ST_ONE("F32", "[2,]", "[0,8]"), 8, CS_ERR_FORMAT, "expected a non-negative integer", NULL},
    {ST_ONE("F32", "2", "[0,8]"), 8, CS_ERR_FORMAT, "expected '['", NULL},
    {ST_ONE("F32", "[2]", "[0]"), 8, CS_ERR_FORMAT, "two numbers", NULL},
    {ST_ONE("F32", "[2]", "[0,8,8]"), 8, CS_ERR_FORMAT, "two numbers", NULL},
    /* dtypes */
    {ST_ONE("Q7", "[2]", "[0,8]"), 8, CS_ERR_FORMAT, "unknown dtype 'Q7'", "'a'"},
    {ST_ONE("U8", "[2]", "[0,2]"), 2, CS_ERR_FORMAT, "dtype U8 is not supported", "'a'"},
    {ST_ONE("F8_E4M3", "[2]", "[0,2]"), 2, CS_ERR_FORMAT, "dtype F8_E4M3 is not supported", "'a'"},
    {ST_ONE("f32", "[2]", "[0,8]"), 8, CS_ERR_FORMAT, "unknown dtype 'f32'", "'a'"},
    /* keys and names */
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, CS_ERR_FORMAT, "'a' occurs twice", NULL},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, CS_ERR_FORMAT, "no data_offsets", "'a'"},
    {"{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, CS_ERR_FORMAT, "no dtype", "'a'"},
    {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, CS_ERR_FORMAT, "no shape", "'a'"},
    {"{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, CS_ERR_FORMAT,
     "'dtype' appears twice", "'a'"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", 8, CS_ERR_FORMAT,
     "unknown key 'extra'", "'a'"},
    {"{\"a\":[1]}", 0, CS_ERR_FORMAT, "expected '{' to open", NULL},
    {"{\"__metadata__\":{\"k\":1}}", 0, CS_ERR_FORMAT, "values must be strings", NULL},
    {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, CS_ERR_FORMAT, "__metadata__ appears twice", NULL},
    {"{\"a\\u0000b\":{}}", 0, CS_ERR_FORMAT, "NUL character", NULL},
    {"{\"\\ud800x\":{}}", 0, CS_ERR_FORMAT, "high surrogate", NULL},
    {"{\"\\udc00\":{}}", 0, CS_ERR_FORMAT, "lone low surrogate", NULL},
    {"{\"\\q\":{}}", 0, CS_ERR_FORMAT, "unknown escape", NULL},
    {"{\"\\u12g4\":{}}", 0, CS_ERR_FORMAT, "four hex digits", NULL},
    {"{\"\xc3\x28\":{}}", 0, CS_ERR_FORMAT, "invalid UTF-8", NULL},
    {"{\"\xe0\x80\xaf\":{}}", 0, CS_ERR_FORMAT, "invalid UTF-8", NULL},
    {"{\"\xed\xa0\x80\":{}}", 0, CS_ERR_FORMAT, "invalid UTF-8", NULL},
    {"{\"a\tb\":{}}", 0, CS_ERR_FORMAT, "control character", NULL},
    {"{'a':{}}", 0, CS_ERR_FORMAT, "expected a string", NULL},
    {"{} {}", 0, CS_ERR_FORMAT, "unexpected text after", NULL},
    {"{,}", 0, CS_ERR_FORMAT, "expected a string", NULL},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}", 8, CS_ERR_FORMAT, "expected a string",
     NULL},
};

Test(weights, safetensors_hostile_headers)
{
    for (size_t i = 0; i < sizeof ST_CASES / sizeof ST_CASES[0]; i++) {
        const StCase *c = &ST_CASES[i];
        WeightsFile w;
        Error err = {0};
        Status st = read_st(c->header, c->data_len, &w, &err);
        cr_expect_eq(st, c->status, "case %zu (%s): status %d: %s", i, c->header, st, err.message);
        cr_expect(w.items == NULL && w.count == 0, "case %zu left tensors", i);
        cr_expect(strstr(err.message, "case.safetensors") != NULL, "case %zu: '%s' does not name the file", i,
                  err.message);
        cr_expect(strstr(err.message, c->says) != NULL, "case %zu (%s): '%s' does not say '%s'", i, c->header,
                  err.message, c->says);
        cr_expect(!c->names || strstr(err.message, c->names), "case %zu: '%s' does not name %s", i, err.message,
                  c->names);
    }
}

/* Headers that are fine: padding, escapes, metadata, empty files, scalars. */
Test(weights, safetensors_accepted_headers)
{
    WeightsFile w;
    Error err = {0};
    cr_assert_eq(read_st("{}", 0, &w, &err), CS_OK, "%s", err.message);
    cr_expect_eq(w.count, 0);
    weights_free(&w);
    cr_assert_eq(read_st("{\"__metadata__\":{\"format\":\"pt\",\"x\":\"\\\"\"}} \t\r\n  ", 0, &w, &err), CS_OK,
                 "%s", err.message);
    weights_free(&w);
    /* The format says the header starts with '{'. */
    cr_expect_eq(read_st(" {}", 0, &w, &err), CS_ERR_FORMAT);
    cr_assert_eq(read_st("{\"caf\\u00e9\\/\\ud83d\\ude00\\n\xc3\xa9\":{\"dtype\":\"F32\",\"shape\":[],"
                         "\"data_offsets\":[0,4]}}", 4, &w, &err), CS_OK, "%s", err.message);
    cr_assert_eq(w.count, 1);
    cr_expect_str_eq(w.items[0].name, "caf\xc3\xa9/\xf0\x9f\x98\x80\n\xc3\xa9");
    cr_expect_eq(w.items[0].rank, 0);
    cr_expect_eq(bits_of(w.items[0].t.data[0]), 0x03020100u);
    weights_free(&w);
    /* Out of offset order in the header, listed in header order. */
    cr_assert_eq(read_st("{\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]},"
                         "\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1],\"data_offsets\":[0,4]}}", 6, &w, &err),
                 CS_OK, "%s", err.message);
    cr_expect_str_eq(w.items[0].name, "b");
    cr_expect_eq(bits_of(w.items[0].t.data[0]), 0x05040000u);
    expect_tensor(&w, "a", 4, 1, 1, 1, 1);
    weights_free(&w);
}

/* The 8-byte length: past the end of the file, over the cap, too short or
 * too long for the JSON. */
Test(weights, safetensors_bad_lengths)
{
    static const char header[] = ST_ONE("F32", "[2]", "[0,8]");
    size_t size;
    unsigned char *buf = build_st(header, 8, &size);
    WeightsFile w;
    Error err = {0};
    size_t n = strlen(header);

    buf[0] = (unsigned char)(n + 9);
    Status st = weights_read_memory(buf, size, "len.safetensors", &w, &err);
    expect_refusal(st, &w, &err, CS_ERR_FORMAT, "len.safetensors", "only", "truncated");

    memset(buf, 0xff, 8);
    st = weights_read_memory(buf, size, "len.safetensors", &w, &err);
    expect_refusal(st, &w, &err, CS_ERR_LIMIT, "len.safetensors", "more than the 100000000", NULL);

    uint64_t big = SAFETENSORS_MAX_HEADER + 1;
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(big >> (8 * i));
    st = weights_read_memory(buf, size, "len.safetensors", &w, &err);
    expect_refusal(st, &w, &err, CS_ERR_LIMIT, "len.safetensors", "claims 100000001 bytes", NULL);

    for (size_t len = 0; len < n + 8; len++) {
        if (len == n)
            continue;
        buf[0] = (unsigned char)len;
        memset(buf + 1, 0, 7);
        st = weights_read_memory(buf, size, "len.safetensors", &w, &err);
        cr_expect_eq(st, CS_ERR_FORMAT, "length %zu of %zu: %s", len, n, err.message);
        cr_expect(w.count == 0);
    }
    free(buf);
}

/* Every prefix of a small valid header (the length saying the prefix) is
 * refused as bad JSON, and so is every truncation of a whole file. */
Test(weights, safetensors_truncated_everywhere)
{
    static const char header[] = "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F16\",\"shape\":[2,1],"
                                 "\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[],"
                                 "\"data_offsets\":[4,8]}}";
    size_t n = strlen(header);
    char prefix[sizeof header];
    for (size_t k = 0; k < n; k++) {
        memcpy(prefix, header, k);
        prefix[k] = '\0';
        WeightsFile w;
        Error err = {0};
        Status st = read_st(prefix, 8, &w, &err);
        cr_expect_eq(st, CS_ERR_FORMAT, "prefix of %zu bytes: status %d: %s", k, st, err.message);
        cr_expect(w.count == 0 && strstr(err.message, "case.safetensors"), "prefix %zu: %s", k, err.message);
    }
    size_t size;
    unsigned char *buf = build_st(header, 8, &size);
    WeightsFile w;
    Error err = {0};
    cr_assert_eq(weights_read_memory(buf, size, "whole.safetensors", &w, &err), CS_OK, "%s", err.message);
    expect_tensor(&w, "w", 2, 2, 1, 0, 0);
    weights_free(&w);
    for (size_t k = 0; k < size; k++) {
        Status st = weights_read_memory(buf, k, "cut.safetensors", &w, &err);
        cr_expect_neq(st, CS_OK, "a file cut to %zu of %zu bytes was read", k, size);
        cr_expect(w.count == 0);
    }
    free(buf);
}

/* Every single-byte change to a small file either reads or is refused
 * cleanly (the sanitizer build checks the memory side). */
Test(weights, safetensors_every_byte_flipped)
{
    size_t size;
    unsigned char *buf = slurp(FIXTURES "model_f16.safetensors", &size);
    static const unsigned char values[] = {0x00, '"', '\\', '{', '}', '[', ']', ',', ':', '9', 0xff};
    for (size_t i = 0; i < size; i++) {
        unsigned char keep = buf[i];
        for (size_t v = 0; v < sizeof values; v++) {
            buf[i] = values[v];
            WeightsFile w;
            Error err = {0};
            Status st = weights_read_memory(buf, size, "flip.safetensors", &w, &err);
            if (st == CS_OK)
                weights_free(&w);
            else
                cr_expect(w.count == 0 && strstr(err.message, "flip.safetensors"), "byte %zu: %s", i, err.message);
        }
        buf[i] = keep;
    }
    free(buf);
}

Test(weights, safetensors_unsupported_dtype_fixture)
{
    WeightsFile w;
    Error err = {0};
    Status st = weights_read(FIXTURES "u8.safetensors", &w, &err);
    expect_refusal(st, &w, &err, CS_ERR_FORMAT, "u8.safetensors", "tensor 'pixels'", "dtype U8 is not supported");
}

/* ---- hostile .npz files -------------------------------------------------- */

Test(weights, npz_refusals)
{
    static const struct {
        const char *file;
        Status status;
        const char *says, *says2;
    } cases[] = {
        {"rank5.npz", CS_ERR_FORMAT, "member 'five.npy'", "more than 4 dimensions"},
        {"not_npy_member.npz", CS_ERR_FORMAT, "member 'readme.txt'", "is not a .npy array"},
        {"duplicate.npz", CS_ERR_FORMAT, "'w' occurs twice", NULL},
        {"bomb_claims.npz", CS_ERR_LIMIT, "member 'b.npy' claims 4294967280 bytes", "more than"},
        {"bomb_total.npz", CS_ERR_LIMIT, "more than 2147483648 bytes uncompressed in all", NULL},
        {"bomb_lies.npz", CS_ERR_FORMAT, "member 'z.npy'", "more than the 200 bytes it claims"},
        {"bomb_ratio.npz", CS_ERR_FORMAT, "member 'b.npy' claims 100663296 bytes from", "more than deflate can give"},
        {"stored_claims.npz", CS_ERR_FORMAT, "member 'w.npy' is stored", "claims 1000 bytes in 140"},
        /* Found by fuzz_npz: a member claiming 2 GiB (within the cap) from a
         * 270-byte file made the reader allocate 2 GiB before reading; the
         * claim is now checked against the bytes that could give it. */
        {"fuzz_oom_method.npz", CS_ERR_FORMAT, "member 'five.npy'", "compression method 8224"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, FIXTURES "%s", cases[i].file);
        WeightsFile w;
        Error err = {0};
        Status st = weights_read(path, &w, &err);
        expect_refusal(st, &w, &err, cases[i].status, path, cases[i].says, cases[i].says2);
    }
}

/* A stored member whose bytes changed fails its CRC; a cut zip is refused. */
Test(weights, npz_damaged)
{
    size_t size;
    unsigned char *buf = slurp(FIXTURES "model.npz", &size);
    WeightsFile w;
    Error err = {0};
    /* The first member's array data starts after its local header (30 bytes
     * + name + extra) and the 128-byte .npy header: flip a byte well inside. */
    unsigned char *hit = buf + 30 + 12 + 20 + 128 + 4;
    *hit ^= 0x40;
    Status st = weights_read_memory(buf, size, "crc.npz", &w, &err);
    expect_refusal(st, &w, &err, CS_ERR_FORMAT, "crc.npz", "0.weight.npy", NULL);
    *hit ^= 0x40;
    for (size_t k = 0; k < size; k += 7) {
        st = weights_read_memory(buf, k, "cut.npz", &w, &err);
        cr_expect_neq(st, CS_OK, "a zip cut to %zu of %zu bytes was read", k, size);
        cr_expect(w.count == 0 && strstr(err.message, "cut.npz"), "cut at %zu: %s", k, err.message);
    }
    free(buf);
}

/* Every single-byte change to a small compressed .npz reads or is refused
 * cleanly. */
Test(weights, npz_every_byte_flipped)
{
    size_t size;
    unsigned char *buf = slurp(FIXTURES "dtypes_compressed.npz", &size);
    for (size_t i = 0; i < size; i++) {
        unsigned char keep = buf[i];
        buf[i] ^= 0xa5;
        WeightsFile w;
        Error err = {0};
        Status st = weights_read_memory(buf, size, "flip.npz", &w, &err);
        if (st == CS_OK)
            weights_free(&w);
        else
            cr_expect(w.count == 0 && strstr(err.message, "flip.npz"), "byte %zu: %s", i, err.message);
        buf[i] = keep;
    }
    free(buf);
}

/* ---- helpers for the format modules ------------------------------------ */

Test(weights, printable_names)
{
    char buf[96];
    cr_expect_str_eq(weights_printable("features.0.weight", buf, sizeof buf), "features.0.weight");
    cr_expect_str_eq(weights_printable("a\nb\x7f", buf, sizeof buf), "a?b?");
    char long_name[300];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    cr_expect_eq(strlen(weights_printable(long_name, buf, sizeof buf)), 83);
    cr_expect_str_eq(buf + 80, "...");
    /* A cut never splits a UTF-8 character. */
    for (int i = 0; i < 149; i++)
        memcpy(long_name + 2 * i, "\xc3\xa9", 2);
    weights_printable(long_name, buf, sizeof buf);
    cr_expect_str_eq(buf + 80, "...");
    cr_expect_str_eq(weights_printable("abc", buf, 5), "a...");
}
