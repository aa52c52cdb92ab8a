/* test_npy.c: the .npy reader and writer (core/npy.h).
 *
 * Every dtype and byte order is checked against bytes NumPy itself wrote
 * (tests/npy_fixtures.h); header variants and bad files are built here from
 * their header text. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "npy.h"
#include "npy_fixtures.h"
#include "rng.h"
#include "support_tmp.h"

#define FIXTURE_COUNT (sizeof NPY_FIXTURES / sizeof NPY_FIXTURES[0])

/* ---- helpers ---------------------------------------------------------- */

TestSuite(npy, .init = tmp_dir_create, .fini = tmp_dir_remove);

/* A version 1.0 file: magic, the header text as given, then data_len bytes
 * counting up from 0 (byte values). Returns a malloc'd buffer. */
static unsigned char *build_npy(const char *header, size_t data_len, size_t *size)
{
    size_t hlen = strlen(header);
    *size = 10 + hlen + data_len;
    unsigned char *buf = malloc(*size);
    cr_assert_not_null(buf);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    memcpy(buf + 10, header, hlen);
    for (size_t i = 0; i < data_len; i++)
        buf[10 + hlen + i] = (unsigned char)i;
    return buf;
}

static Status read_header_text(const char *header, size_t data_len, Tensor *t, Error *err)
{
    size_t size;
    unsigned char *buf = build_npy(header, data_len, &size);
    Status st = npy_read_memory(buf, size, "case.npy", t, err);
    free(buf);
    return st;
}

static void expect_fixture_values(const Tensor *t, FixtureValues values, const char *what)
{
    cr_expect_eq(t->rank, 2, "%s: rank %d", what, t->rank);
    cr_expect(t->n == 1 && t->c == 1 && t->h == 2 && t->w == 3, "%s: shape %zux%zux%zux%zu", what, t->n, t->c,
              t->h, t->w);
    for (int i = 0; i < 6; i++)
        cr_expect_eq(t->data[i], FIX_VALUES[values][i], "%s: element %d is %g, wanted %g", what, i, t->data[i],
                     FIX_VALUES[values][i]);
}

/* ---- every dtype NumPy writes ------------------------------------------ */

Test(npy, every_dtype_and_byte_order_from_memory)
{
    cr_assert_geq(FIXTURE_COUNT, 21);
    for (size_t i = 0; i < FIXTURE_COUNT; i++) {
        const NpyFixture *fx = &NPY_FIXTURES[i];
        Tensor t;
        Error err;
        Status st = npy_read_memory((const unsigned char *)fx->bytes, fx->size, fx->descr, &t, &err);
        cr_assert_eq(st, CS_OK, "%s: %s", fx->descr, err.message);
        expect_fixture_values(&t, fx->values, fx->descr);
        tensor_free(&t);
    }
}

Test(npy, every_dtype_and_byte_order_from_a_file)
{
    for (size_t i = 0; i < FIXTURE_COUNT; i++) {
        const NpyFixture *fx = &NPY_FIXTURES[i];
        const char *path = tmp_path("fixture.npy");
        Tensor t;
        Error err;
        tmp_write_file(path, fx->bytes, fx->size);
        Status st = npy_read(path, &t, &err);
        cr_assert_eq(st, CS_OK, "%s: %s", fx->descr, err.message);
        expect_fixture_values(&t, fx->values, fx->descr);
        tensor_free(&t);
    }
}

Test(npy, format_versions_2_and_3)
{
    const char *files[] = {NPY_V2_F4, NPY_V3_F4};
    const size_t sizes[] = {sizeof NPY_V2_F4 - 1, sizeof NPY_V3_F4 - 1};
    for (int i = 0; i < 2; i++) {
        Tensor t;
        Error err;
        cr_assert_eq(files[i][6], i + 2);
        Status st = npy_read_memory((const unsigned char *)files[i], sizes[i], "v.npy", &t, &err);
        cr_assert_eq(st, CS_OK, "version %d: %s", i + 2, err.message);
        expect_fixture_values(&t, FIX_FLOAT, "version 2/3");
        tensor_free(&t);
    }
}

Test(npy, extreme_values_convert_like_numpy_astype_float32)
{
    /* int64 min and max, uint64 max, float64 beyond float32, half inf and
     * subnormal: each becomes the float32 NumPy's astype(np.float32) gives. */
    struct {
        const char *descr;
        unsigned char bytes[8];
        float want;
    } cases[] = {
        {"<i8", {0, 0, 0, 0, 0, 0, 0, 0x80}, -9223372036854775808.0f},
        {"<i8", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 9223372036854775807.0f},
        {">u8", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 18446744073709551615.0f},
        {"<i2", {0x00, 0x80}, -32768.0f},
        {"|i1", {0x80}, -128.0f},
        {"<f8", {0, 0, 0, 0, 0, 0, 0xf0, 0x7f}, INFINITY},
        {"<f8", {0, 0, 0, 0, 0, 0, 0xf0, 0x47}, INFINITY},          /* 2^128, past float32 */
        {"<f2", {0x00, 0x7c}, INFINITY},
        {"<f2", {0x01, 0x80}, -5.9604644775390625e-08f},             /* smallest negative subnormal */
        {">f2", {0x7b, 0xff}, 65504.0f},
        {"|b1", {0x01}, 1.0f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char header[128];
        snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (1,), }\n",
                 cases[i].descr);
        size_t item = (size_t)(cases[i].descr[2] - '0'), size;
        unsigned char *buf = build_npy(header, item, &size);
        memcpy(buf + size - item, cases[i].bytes, item);
        Tensor t;
        Error err;
        Status st = npy_read_memory(buf, size, "x.npy", &t, &err);
        free(buf);
        cr_assert_eq(st, CS_OK, "case %zu: %s", i, err.message);
        cr_expect_eq(t.data[0], cases[i].want, "case %zu (%s): got %g, wanted %g", i, cases[i].descr,
                     t.data[0], cases[i].want);
        tensor_free(&t);
    }
}

Test(npy, float16_nan_stays_nan)
{
    size_t size;
    unsigned char *buf = build_npy("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }\n", 2, &size);
    buf[size - 2] = 0x00;
    buf[size - 1] = 0x7e;
    Tensor t;
    Error err;
    cr_assert_eq(npy_read_memory(buf, size, "nan.npy", &t, &err), CS_OK, "%s", err.message);
    cr_expect(isnan(t.data[0]));
    tensor_free(&t);
    free(buf);
}

/* ---- header variants NumPy (or Python 2 NumPy) writes ------------------ */

Test(npy, header_variants_are_accepted)
{
    const char *headers[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }       \n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\n",
        "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}\n",
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}\n",
        "{'descr':'<f4','fortran_order':False,'shape':(2,3)}",
        "{ 'descr' : '<f4' ,\n 'fortran_order' : False ,\n 'shape' : ( 2 , 3 , ) , }\n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }\n",
        "\t{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\r\n",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        Tensor t;
        Error err;
        Status st = read_header_text(headers[i], 24, &t, &err);
        cr_expect_eq(st, CS_OK, "header %zu refused: %s", i, err.message);
        if (st == CS_OK) {
            cr_expect(t.rank == 2 && t.h == 2 && t.w == 3, "header %zu: wrong shape", i);
            tensor_free(&t);
        }
    }
}

Test(npy, ranks_1_to_4_are_right_aligned)
{
    struct {
        const char *shape;
        int rank;
        size_t n, c, h, w;
    } cases[] = {
        {"(6,)", 1, 1, 1, 1, 6},
        {"(2, 3)", 2, 1, 1, 2, 3},
        {"(3, 1, 2)", 3, 1, 3, 1, 2},
        {"(1, 2, 1, 3)", 4, 1, 2, 1, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char header[128];
        snprintf(header, sizeof header, "{'descr': '|u1', 'fortran_order': False, 'shape': %s, }\n",
                 cases[i].shape);
        Tensor t;
        Error err;
        cr_assert_eq(read_header_text(header, 6, &t, &err), CS_OK, "%s: %s", cases[i].shape, err.message);
        cr_expect_eq(t.rank, cases[i].rank, "%s", cases[i].shape);
        cr_expect(t.n == cases[i].n && t.c == cases[i].c && t.h == cases[i].h && t.w == cases[i].w,
                  "%s read as %zux%zux%zux%zu", cases[i].shape, t.n, t.c, t.h, t.w);
        for (int k = 0; k < 6; k++)
            cr_expect_eq(t.data[k], (float)k);
        tensor_free(&t);
    }
}

/* ---- bad files ---------------------------------------------------------- */

Test(npy, bad_headers_and_dtypes_are_refused_with_a_reason)
{
    struct {
        const char *header;
        size_t data;
        Status want;
        const char *says;
    } cases[] = {
        {"{'descr': '<f4', 'fortran_order': False}\n", 0, CS_ERR_FORMAT, "missing the 'shape'"},
        {"{'fortran_order': False, 'shape': (2,)}\n", 8, CS_ERR_FORMAT, "missing the 'descr'"},
        {"{'descr': '<f4', 'shape': (2,)}\n", 8, CS_ERR_FORMAT, "missing the 'fortran_order'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}\n", 8, CS_ERR_FORMAT, "unknown key"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n", 8, CS_ERR_FORMAT, "twice"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2)}\n", 8, CS_ERR_FORMAT, "needs a comma"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}\n", 24, CS_ERR_FORMAT, "must be a tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}\n", 24, CS_ERR_FORMAT, "non-negative integer"},
        {"{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}\n", 8, CS_ERR_FORMAT, "True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x\n", 8, CS_ERR_FORMAT, "after '}'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)\n", 8, CS_ERR_FORMAT, "expected"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}\n", 8, CS_ERR_FORMAT, "bad .npy header"},
        {"{'descr: '<f4'}", 0, CS_ERR_FORMAT, "bad .npy header"},
        {"'descr': '<f4', 'fortran_order': False, 'shape': (2,)\n", 8, CS_ERR_FORMAT, "expected '{'"},
        {"", 0, CS_ERR_FORMAT, "expected '{'"},
        {"{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}\n", 8, CS_ERR_FORMAT, "expected ',' or '}'"},
        {"{'descr': 4, 'fortran_order': False, 'shape': (2,)}\n", 8, CS_ERR_FORMAT, "dtype string"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}\n", 8, CS_ERR_FORMAT, "structured"},
        {"{'descr': '<c16', 'fortran_order': False, 'shape': (1,)}\n", 16, CS_ERR_FORMAT, "complex"},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (1,)}\n", 8, CS_ERR_FORMAT, "object"},
        {"{'descr': '<U2', 'fortran_order': False, 'shape': (1,)}\n", 8, CS_ERR_FORMAT, "string"},
        {"{'descr': '|S3', 'fortran_order': False, 'shape': (1,)}\n", 3, CS_ERR_FORMAT, "string"},
        {"{'descr': '|V4', 'fortran_order': False, 'shape': (1,)}\n", 4, CS_ERR_FORMAT, "void"},
        {"{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (1,)}\n", 8, CS_ERR_FORMAT, "date/time"},
        {"{'descr': '<f16', 'fortran_order': False, 'shape': (1,)}\n", 16, CS_ERR_FORMAT, "long double"},
        {"{'descr': '<f3', 'fortran_order': False, 'shape': (1,)}\n", 3, CS_ERR_FORMAT, "not a real number dtype"},
        {"{'descr': '<i3', 'fortran_order': False, 'shape': (1,)}\n", 3, CS_ERR_FORMAT, "not a real number dtype"},
        {"{'descr': '<x4', 'fortran_order': False, 'shape': (1,)}\n", 4, CS_ERR_FORMAT, "not a real number dtype"},
        {"{'descr': '', 'fortran_order': False, 'shape': (1,)}\n", 4, CS_ERR_FORMAT, "not a real number dtype"},
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3)}\n", 24, CS_ERR_FORMAT, "Fortran order"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': ()}\n", 4, CS_ERR_FORMAT, "scalar"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 2)}\n", 8, CS_ERR_FORMAT, "more than 4"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3)}\n", 0, CS_ERR_FORMAT, "is 0"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000)}\n", 0, CS_ERR_LIMIT,
         "limit"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}\n", 0,
         CS_ERR_LIMIT, "limit"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}\n", 0, CS_ERR_LIMIT,
         "too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\n", 23, CS_ERR_FORMAT, "short"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}\n", 0, CS_ERR_FORMAT, "short"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\n", 25, CS_ERR_FORMAT, "follow the data"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Tensor t;
        Error err = {0};
        Status st = read_header_text(cases[i].header, cases[i].data, &t, &err);
        cr_expect_eq(st, cases[i].want, "case %zu (%s): status %d, message \"%s\"", i, cases[i].header, st,
                     err.message);
        cr_expect(strstr(err.message, cases[i].says) != NULL, "case %zu (%s): message \"%s\" lacks \"%s\"", i,
                  cases[i].header, err.message, cases[i].says);
        cr_expect(strstr(err.message, "case.npy") != NULL, "case %zu: message \"%s\" does not name the file", i,
                  err.message);
        cr_expect_null(t.data, "case %zu: a failed read left data", i);
    }
}

Test(npy, bad_preludes_are_refused)
{
    struct {
        const char *bytes;
        size_t size;
        const char *says;
    } cases[] = {
        {"", 0, "is empty"},
        {"\x93NUM", 4, "not a .npy file"},
        {"PK\x03\x04 this is a zip file", 22, "not a .npy file"},
        {"\x93NUMPY\x01", 7, "truncated"},
        {"\x93NUMPY\x01\x00\x10", 9, "truncated"},
        {"\x93NUMPY\x02\x00\x10\x00\x00", 11, "truncated"},
        {"\x93NUMPY\x01\x00\x40\x00{'descr'", 17, "truncated inside its header"},
        {"\x93NUMPY\x04\x00\x10\x00{}", 12, "version 4.0"},
        {"\x93NUMPY\x01\x01\x10\x00{}", 12, "version 1.1"},
        {"\x93NUMPY\x02\x00\x00\x00\x00\x01{}", 14, "more than"},
        {"\x93NUMPY\x03\x00\xff\xff\xff\xff{}", 14, "more than"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Tensor t;
        Error err = {0};
        Status st = npy_read_memory((const unsigned char *)cases[i].bytes, cases[i].size, "case.npy", &t, &err);
        cr_expect_eq(st, CS_ERR_FORMAT, "case %zu: status %d (%s)", i, st, err.message);
        cr_expect(strstr(err.message, cases[i].says) && strstr(err.message, "case.npy"),
                  "case %zu: message \"%s\" lacks \"%s\" or the file name", i, err.message, cases[i].says);
    }
}

Test(npy, numpy_files_convstep_cannot_take)
{
    struct {
        const char *bytes;
        size_t size;
        const char *says;
    } cases[] = {
        {NPY_FORTRAN, sizeof NPY_FORTRAN - 1, "Fortran order"},
        {NPY_COMPLEX, sizeof NPY_COMPLEX - 1, "complex"},
        {NPY_OBJECT, sizeof NPY_OBJECT - 1, "object"},
        {NPY_SCALAR, sizeof NPY_SCALAR - 1, "scalar"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Tensor t;
        Error err = {0};
        Status st = npy_read_memory((const unsigned char *)cases[i].bytes, cases[i].size, "np.npy", &t, &err);
        cr_expect_eq(st, CS_ERR_FORMAT, "case %zu: status %d", i, st);
        cr_expect(strstr(err.message, cases[i].says) != NULL, "case %zu: \"%s\"", i, err.message);
    }
}

Test(npy, bad_files_on_disk)
{
    Tensor t;
    Error err = {0};
    char random_bytes[512];
    Rng rng;
    rng_seed(&rng, 7);
    for (size_t i = 0; i < sizeof random_bytes; i++)
        random_bytes[i] = (char)(rng_next(&rng) >> 56);

    cr_expect_eq(npy_read(tmp_path("missing.npy"), &t, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "missing.npy") && strstr(err.message, "No such file"), "%s", err.message);

    cr_expect_eq(npy_read(tmp_dir, &t, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "is a directory") != NULL, "%s", err.message);

    tmp_write_file(tmp_path("empty.npy"), "", 0);
    cr_expect_eq(npy_read(tmp_path("empty.npy"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "empty.npy is empty") != NULL, "%s", err.message);

    cr_expect_eq(npy_read("/dev/null", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "/dev/null is empty") != NULL, "%s", err.message);

    tmp_write_file(tmp_path("random.npy"), random_bytes, sizeof random_bytes);
    cr_expect_eq(npy_read(tmp_path("random.npy"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "random.npy is not a .npy file") != NULL, "%s", err.message);

    tmp_write_file(tmp_path("short.npy"), NPY_LE_F8, sizeof NPY_LE_F8 - 1 - 5);
    cr_expect_eq(npy_read(tmp_path("short.npy"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "short.npy: the data is short") != NULL, "%s", err.message);

    tmp_write_file(tmp_path("cut.npy"), NPY_LE_F8, 40);
    cr_expect_eq(npy_read(tmp_path("cut.npy"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "cut.npy: the .npy file is truncated") != NULL, "%s", err.message);

    char longer[sizeof NPY_LE_F4];
    memcpy(longer, NPY_LE_F4, sizeof NPY_LE_F4);   /* the terminating NUL is one byte too many */
    tmp_write_file(tmp_path("long.npy"), longer, sizeof longer);
    cr_expect_eq(npy_read(tmp_path("long.npy"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "long.npy: 1 unexpected bytes follow the data") != NULL, "%s", err.message);
}

Test(npy, an_enormous_shape_is_refused_before_allocating, .timeout = 2)
{
    size_t size;
    unsigned char *buf = build_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 65536, 3), }\n", 64,
                                   &size);
    tmp_write_file(tmp_path("huge.npy"), buf, size);
    free(buf);
    Tensor t;
    Error err;
    cr_expect_eq(npy_read(tmp_path("huge.npy"), &t, &err), CS_ERR_LIMIT);
    cr_expect(strstr(err.message, "huge.npy") && strstr(err.message, "limit"), "%s", err.message);

    /* Just within the element limit, but the file holds no data: refused
     * from the file size, not after reading 2 GiB. */
    buf = build_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (16384, 16384), }\n", 64, &size);
    tmp_write_file(tmp_path("big.npy"), buf, size);
    free(buf);
    cr_expect_eq(npy_read(tmp_path("big.npy"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "big.npy: the data is short") != NULL, "%s", err.message);
}

/* ---- writing ------------------------------------------------------------ */

Test(npy, writer_output_equals_numpys_bytes)
{
    Tensor t;
    Error err;
    char *out = NULL;
    size_t out_size = 0;
    cr_assert_eq(tensor_init(&t, 1, 1, 2, 3, 2, &err), CS_OK);
    memcpy(t.data, FIX_VALUES[FIX_FLOAT], sizeof FIX_VALUES[FIX_FLOAT]);
    FILE *f = open_memstream(&out, &out_size);
    cr_assert_eq(npy_write_stream(f, "mem.npy", &t, &err), CS_OK, "%s", err.message);
    cr_assert_eq(fclose(f), 0);
    cr_expect_eq(out_size, sizeof NPY_LE_F4 - 1);
    cr_expect_arr_eq(out, NPY_LE_F4, sizeof NPY_LE_F4 - 1, "the bytes differ from np.save's");
    free(out);
    tensor_free(&t);
}

static void round_trip(size_t n, size_t c, size_t h, size_t w, int rank, uint64_t seed)
{
    Tensor t, back;
    Error err;
    Rng rng;
    cr_assert_eq(tensor_init(&t, n, c, h, w, rank, &err), CS_OK);
    rng_seed(&rng, seed);
    for (size_t i = 0; i < tensor_count(&t); i++)
        t.data[i] = rng_normal(&rng) * 1000.0f;
    t.data[0] = -0.0f;
    if (tensor_count(&t) > 3) {
        t.data[1] = INFINITY;
        t.data[2] = NAN;
        t.data[3] = 1e-45f;
    }
    const char *path = tmp_path("round.npy");
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(npy_write_stream(f, path, &t, &err), CS_OK, "%s", err.message);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(npy_read(path, &back, &err), CS_OK, "%s", err.message);
    cr_expect(back.rank == rank && back.n == n && back.c == c && back.h == h && back.w == w,
              "rank %d %zux%zux%zux%zu came back as rank %d %zux%zux%zux%zu", rank, n, c, h, w, back.rank, back.n,
              back.c, back.h, back.w);
    cr_expect_arr_eq(back.data, t.data, tensor_count(&t) * sizeof(float), "values differ after a round trip");
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_expect_eq((sb.st_size - (off_t)tensor_count(&t) * 4) % 64, 0, "header not padded to 64 bytes");
    tensor_free(&t);
    tensor_free(&back);
}

Test(npy, round_trips_keep_rank_shape_and_bits)
{
    round_trip(1, 1, 1, 1, 1, 1);
    round_trip(1, 1, 1, 7, 1, 2);
    round_trip(1, 1, 5, 3, 2, 3);
    round_trip(1, 3, 4, 5, 3, 4);
    round_trip(2, 3, 4, 5, 4, 5);
    round_trip(1, 1, 1, 1, 4, 6);
    round_trip(1, 3, 100, 100, 3, 7);            /* several read and write chunks */
    round_trip(1, 1, 1, 12345678 / 1000, 1, 8);
}

Test(npy, writer_refuses_a_rank_that_hides_dimensions)
{
    Tensor t;
    Error err = {0};
    cr_assert_eq(tensor_init(&t, 1, 2, 3, 4, 2, &err), CS_OK);
    FILE *f = fopen("/dev/null", "wb");
    cr_expect_eq(npy_write_stream(f, "x.npy", &t, &err), CS_ERR_SHAPE);
    cr_expect(strstr(err.message, "x.npy") != NULL, "%s", err.message);
    fclose(f);
    tensor_free(&t);
}

Test(npy, writer_reports_a_full_disk)
{
    Tensor t;
    Error err = {0};
    cr_assert_eq(tensor_init(&t, 1, 1, 4, 4, 2, &err), CS_OK);
    FILE *f = fopen("/dev/full", "wb");
    cr_assert_not_null(f);
    setvbuf(f, NULL, _IONBF, 0);
    cr_expect_eq(npy_write_stream(f, "full.npy", &t, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "full.npy") && strstr(err.message, "No space left"), "%s", err.message);
    fclose(f);
    tensor_free(&t);
}
