/* test_idx.c: the MNIST IDX reader (core/idx.h): files built here byte by
 * byte, plain and gzipped (zlib, as gzip(1) writes them), every header and
 * length defect, and the real Fashion-MNIST files when Debian's
 * dataset-fashion-mnist is installed. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dataset.h"
#include "idx.h"
#include "rng.h"
#include "support_tmp.h"

TestSuite(idx, .init = tmp_dir_create, .fini = tmp_dir_remove);

/* ---- building files ------------------------------------------------------ */

typedef struct Bytes {
    unsigned char *data;
    size_t size;
} Bytes;

/* An IDX file: 00 00 type rank, the dims big-endian, then data_len bytes
 * (i * 7 + 3 mod 256, a pattern that is not the index itself). */
static Bytes build_idx(int type, size_t rank, const uint32_t *dims, size_t data_len)
{
    Bytes b;
    b.size = 4 + 4 * rank + data_len;
    b.data = malloc(b.size);
    cr_assert_not_null(b.data);
    b.data[0] = 0;
    b.data[1] = 0;
    b.data[2] = (unsigned char)type;
    b.data[3] = (unsigned char)rank;
    for (size_t i = 0; i < rank; i++) {
        b.data[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
        b.data[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
        b.data[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
        b.data[7 + 4 * i] = (unsigned char)dims[i];
    }
    for (size_t i = 0; i < data_len; i++)
        b.data[4 + 4 * rank + i] = (unsigned char)(i * 7 + 3);
    return b;
}

/* in as one gzip member, as gzip(1) writes it. */
static Bytes gzip_bytes(const unsigned char *in, size_t n)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    Bytes b;
    b.size = deflateBound(&zs, (uLong)n);
    b.data = malloc(b.size);
    cr_assert_not_null(b.data);
    zs.next_in = (unsigned char *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = b.data;
    zs.avail_out = (uInt)b.size;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    b.size = zs.total_out;
    deflateEnd(&zs);
    return b;
}

static Bytes gzip_of(Bytes plain)
{
    Bytes g = gzip_bytes(plain.data, plain.size);
    free(plain.data);
    return g;
}

static Bytes concat(Bytes a, Bytes b)
{
    Bytes c;
    c.size = a.size + b.size;
    c.data = malloc(c.size);
    cr_assert_not_null(c.data);
    memcpy(c.data, a.data, a.size);
    memcpy(c.data + a.size, b.data, b.size);
    free(a.data);
    free(b.data);
    return c;
}

/* Expects data to be refused with status and a message naming "case.idx"
 * and containing part. */
static void expect_refused(Bytes b, Status status, const char *part, const char *what)
{
    IdxArray a;
    Error err = {0};
    Status st = idx_read_memory(b.data, b.size, "case.idx", &a, &err);
    cr_expect_eq(st, status, "%s: status %d (%s), wanted %d", what, st, err.message, status);
    cr_expect_null(a.data, "%s: a refused file left data", what);
    cr_expect(strncmp(err.message, "case.idx: ", 10) == 0, "%s: '%s' does not start with the name", what,
              err.message);
    cr_expect(strstr(err.message, part) != NULL, "%s: '%s' lacks '%s'", what, err.message, part);
    free(b.data);
}

static void expect_pattern(const IdxArray *a, size_t count)
{
    cr_assert_eq(a->count, count);
    for (size_t i = 0; i < count; i++)
        cr_assert_eq(a->data[i], (uint8_t)(i * 7 + 3), "item %zu", i);
}

/* ---- good files ------------------------------------------------------------ */

Test(idx, reads_ranks_one_to_four_plain_and_gzipped)
{
    static const uint32_t dims[4] = {3, 5, 2, 7};
    for (size_t rank = 1; rank <= 4; rank++) {
        size_t count = 1;
        for (size_t i = 0; i < rank; i++)
            count *= dims[i];
        for (int gz = 0; gz < 2; gz++) {
            Bytes b = build_idx(IDX_TYPE_UBYTE, rank, dims, count);
            if (gz)
                b = gzip_of(b);
            IdxArray a;
            Error err;
            cr_assert_eq(idx_read_memory(b.data, b.size, "ok.idx", &a, &err), CS_OK, "rank %zu gz %d: %s", rank, gz,
                         err.message);
            cr_expect_eq(a.type, IDX_TYPE_UBYTE);
            cr_expect_eq(a.rank, rank);
            for (size_t i = 0; i < rank; i++)
                cr_expect_eq(a.dims[i], dims[i], "rank %zu dim %zu", rank, i);
            expect_pattern(&a, count);
            idx_free(&a);
            free(b.data);
        }
    }
}

/* gzip(1) reads concatenated members as one file (cat a.gz b.gz); so does
 * the reader: a header and half the data in one member, the rest in two. */
Test(idx, reads_concatenated_gzip_members)
{
    static const uint32_t dims[2] = {40, 25};
    Bytes plain = build_idx(IDX_TYPE_UBYTE, 2, dims, 1000);
    Bytes g = concat(concat(gzip_bytes(plain.data, 508), gzip_bytes(plain.data + 508, 300)),
                     gzip_bytes(plain.data + 808, plain.size - 808));
    IdxArray a;
    Error err;
    cr_assert_eq(idx_read_memory(g.data, g.size, "cat.idx.gz", &a, &err), CS_OK, "%s", err.message);
    expect_pattern(&a, 1000);
    idx_free(&a);
    free(g.data);
    free(plain.data);
}

/* Random shapes and contents, plain and gzipped, read back exactly. */
Test(idx, random_arrays_round_trip)
{
    Rng r;
    rng_seed(&r, 11);
    for (int trial = 0; trial < 40; trial++) {
        size_t rank = 1 + rng_next(&r) % 4;
        uint32_t dims[4];
        size_t count = 1;
        for (size_t i = 0; i < rank; i++) {
            dims[i] = (uint32_t)(1 + rng_next(&r) % 9);
            count *= dims[i];
        }
        Bytes b = build_idx(IDX_TYPE_UBYTE, rank, dims, count);
        for (size_t i = 0; i < count; i++)
            b.data[4 + 4 * rank + i] = (unsigned char)rng_next(&r);
        unsigned char *want = malloc(count);
        cr_assert_not_null(want);
        memcpy(want, b.data + 4 + 4 * rank, count);
        if (trial % 2)
            b = gzip_of(b);
        IdxArray a;
        Error err;
        cr_assert_eq(idx_read_memory(b.data, b.size, "r.idx", &a, &err), CS_OK, "trial %d: %s", trial, err.message);
        cr_expect_eq(a.count, count);
        cr_expect(memcmp(a.data, want, count) == 0, "trial %d: items differ", trial);
        idx_free(&a);
        free(want);
        free(b.data);
    }
}

Test(idx, reads_files_by_path_naming_them)
{
    static const uint32_t dims[1] = {9};
    Bytes b = gzip_of(build_idx(IDX_TYPE_UBYTE, 1, dims, 9));
    const char *path = tmp_path("labels-idx1-ubyte.gz");
    tmp_write_file(path, b.data, b.size);
    IdxArray a;
    Error err;
    cr_assert_eq(idx_read(path, &a, &err), CS_OK, "%s", err.message);
    expect_pattern(&a, 9);
    idx_free(&a);
    idx_free(&a); /* safe twice */

    tmp_write_file(path, b.data, b.size - 3);
    cr_expect_eq(idx_read(path, &a, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, path) == err.message, "'%s' does not start with the path", err.message);
    cr_expect_null(a.data);

    cr_expect_eq(idx_read(tmp_path("absent"), &a, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "absent") != NULL, "%s", err.message);
    free(b.data);
}

/* ---- defects, plain ------------------------------------------------------ */

Test(idx, refuses_header_defects)
{
    static const uint32_t d3[3] = {2, 3, 4};
    static const uint32_t zero[3] = {2, 0, 4};
    static const uint32_t d5[5] = {1, 1, 1, 1, 1};
    Bytes b;

    expect_refused((Bytes){calloc(1, 1), 0}, CS_ERR_FORMAT, "empty file", "empty");
    for (size_t n = 1; n < 4; n++) {
        b = build_idx(IDX_TYPE_UBYTE, 1, d3, 0);
        b.size = n;
        expect_refused(b, CS_ERR_FORMAT, "header cut short", "magic cut");
    }
    b = build_idx(IDX_TYPE_UBYTE, 3, d3, 24);
    b.data[0] = 1;
    expect_refused(b, CS_ERR_FORMAT, "not an IDX file: it starts 01 00 08 03", "magic byte 0");
    b = build_idx(IDX_TYPE_UBYTE, 3, d3, 24);
    b.data[1] = 0x80;
    expect_refused(b, CS_ERR_FORMAT, "not an IDX file", "magic byte 1");

    static const struct { int type; const char *name; } refused[] = {
        {0x09, "0x09 (signed byte)"}, {0x0B, "0x0B (int16)"}, {0x0C, "0x0C (int32)"},
        {0x0D, "0x0D (float32)"},     {0x0E, "0x0E (float64)"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        expect_refused(build_idx(refused[i].type, 3, d3, 24), CS_ERR_FORMAT, refused[i].name, refused[i].name);
    expect_refused(build_idx(0x42, 3, d3, 24), CS_ERR_FORMAT, "type 0x42 is unknown", "unknown type");
    expect_refused(build_idx(IDX_TYPE_UBYTE, 0, d3, 0), CS_ERR_FORMAT, "rank 0 is not supported", "rank 0");
    expect_refused(build_idx(IDX_TYPE_UBYTE, 5, d5, 1), CS_ERR_FORMAT, "rank 5 is not supported", "rank 5");
    expect_refused(build_idx(IDX_TYPE_UBYTE, 3, zero, 0), CS_ERR_FORMAT, "dimension 2 is 0", "zero dim");
    for (size_t cut = 4; cut < 16; cut++) {
        b = build_idx(IDX_TYPE_UBYTE, 3, d3, 24);
        b.size = cut;
        expect_refused(b, CS_ERR_FORMAT, "header cut short", "dims cut");
    }
}

Test(idx, refuses_sizes_over_the_limit_before_allocating)
{
    /* 65536 x 65536 = 4 GiB; four dims of 2^32 - 1 overflow 64 bits. */
    static const uint32_t big[2] = {65536, 65536};
    static const uint32_t huge[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
    static const uint32_t just_over[3] = {1025, 1024, 1024};
    expect_refused(build_idx(IDX_TYPE_UBYTE, 2, big, 0), CS_ERR_LIMIT, "65536x65536 hold more than", "4 GiB");
    expect_refused(build_idx(IDX_TYPE_UBYTE, 4, huge, 0), CS_ERR_LIMIT, "limit", "overflow");
    expect_refused(build_idx(IDX_TYPE_UBYTE, 3, just_over, 0), CS_ERR_LIMIT, "1073741824-byte limit", "1 GiB + 1 MiB");
}

Test(idx, refuses_data_cut_short_or_followed_by_bytes)
{
    static const uint32_t d3[3] = {2, 3, 4};
    for (size_t len = 0; len < 24; len += 5)
        expect_refused(build_idx(IDX_TYPE_UBYTE, 3, d3, len), CS_ERR_FORMAT, "data cut short", "short data");
    Bytes b = build_idx(IDX_TYPE_UBYTE, 3, d3, 23);
    expect_refused(b, CS_ERR_FORMAT, "23 of the 24 bytes of 2x3x4", "one byte short");
    expect_refused(build_idx(IDX_TYPE_UBYTE, 3, d3, 25), CS_ERR_FORMAT, "1 bytes after the IDX data of 2x3x4",
                   "one byte more");
    expect_refused(build_idx(IDX_TYPE_UBYTE, 3, d3, 124), CS_ERR_FORMAT, "100 bytes after", "100 more");
}

/* ---- defects, gzipped ------------------------------------------------------ */

Test(idx, refuses_gzip_defects)
{
    static const uint32_t d2[2] = {30, 30};
    Bytes good = gzip_of(build_idx(IDX_TYPE_UBYTE, 2, d2, 900));

    /* Every cut of the compressed stream, from the gzip header to the
     * 8-byte trailer (CRC-32 and length): refused, never a short array. */
    for (size_t cut = 2; cut < good.size; cut++) {
        Bytes b = {malloc(cut), cut};
        memcpy(b.data, good.data, cut);
        IdxArray a;
        Error err;
        cr_expect_neq(idx_read_memory(b.data, b.size, "case.idx", &a, &err), CS_OK, "cut at %zu of %zu accepted",
                      cut, good.size);
        cr_expect_null(a.data);
        free(b.data);
    }
    Bytes b = {malloc(good.size - 4), good.size - 4};
    memcpy(b.data, good.data, b.size);
    expect_refused(b, CS_ERR_FORMAT, "gzip stream cut short", "no length");

    /* A flipped bit in the CRC-32, then in the deflate data. */
    b = (Bytes){malloc(good.size), good.size};
    memcpy(b.data, good.data, good.size);
    b.data[good.size - 6] ^= 0x10;
    expect_refused(b, CS_ERR_FORMAT, "corrupt gzip stream", "bad CRC");
    b = (Bytes){malloc(good.size), good.size};
    memcpy(b.data, good.data, good.size);
    b.data[good.size - 8] ^= 0xff;
    expect_refused(b, CS_ERR_FORMAT, "gzip", "bad data");

    /* Garbage after the last member. */
    b = (Bytes){malloc(good.size + 3), good.size + 3};
    memcpy(b.data, good.data, good.size);
    memcpy(b.data + good.size, "abc", 3);
    expect_refused(b, CS_ERR_FORMAT, "corrupt gzip stream", "trailing garbage");
    free(good.data);

    /* Well-formed gzip around a bad IDX. */
    expect_refused(gzip_of(build_idx(IDX_TYPE_UBYTE, 2, d2, 899)), CS_ERR_FORMAT, "899 of the 900 bytes of 30x30",
                   "gz data short");
    expect_refused(gzip_of(build_idx(IDX_TYPE_UBYTE, 2, d2, 901)), CS_ERR_FORMAT, "bytes after the IDX data of 30x30",
                   "gz data long");
    expect_refused(gzip_of(build_idx(0x0D, 2, d2, 3600)), CS_ERR_FORMAT, "float32", "gz float");
    Bytes empty = build_idx(IDX_TYPE_UBYTE, 1, d2, 0);
    expect_refused(gzip_of((Bytes){empty.data, 0}), CS_ERR_FORMAT, "header cut short", "gz empty");
}

/* A small gzip file claiming far more than deflate can give from it is
 * refused from its header alone: 600 MB from a 40-byte file. */
Test(idx, refuses_gzip_claims_beyond_deflates_ratio)
{
    static const uint32_t d3[3] = {600, 1000, 1000};
    expect_refused(gzip_of(build_idx(IDX_TYPE_UBYTE, 3, d3, 0)), CS_ERR_FORMAT, "more than a", "bomb claim");
}

/* ---- the real files ------------------------------------------------------- */

/* Fashion-MNIST's first ten labels of each split, as Python's gzip module
 * reads them from the same files (9 ankle boot, 0 T-shirt/top, 1 trouser,
 * 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker). */
Test(idx, reads_debians_fashion_mnist)
{
    char path[256];
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", DATASET_DEFAULT_DIR);
    FILE *f = fopen(path, "rb");
    if (!f)
        cr_skip_test("%s absent (Debian: apt-get install dataset-fashion-mnist)", path);
    fclose(f);
    static const uint8_t train_first[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
    static const uint8_t test_first[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
    IdxArray a;
    Error err;
    cr_assert_eq(idx_read(path, &a, &err), CS_OK, "%s", err.message);
    cr_expect(a.rank == 1 && a.dims[0] == 10000, "t10k labels: rank %zu, %zu", a.rank, a.dims[0]);
    cr_expect(memcmp(a.data, test_first, 10) == 0);
    idx_free(&a);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", DATASET_DEFAULT_DIR);
    cr_assert_eq(idx_read(path, &a, &err), CS_OK, "%s", err.message);
    cr_expect(a.rank == 1 && a.dims[0] == 60000, "train labels: rank %zu, %zu", a.rank, a.dims[0]);
    cr_expect(memcmp(a.data, train_first, 10) == 0);
    idx_free(&a);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", DATASET_DEFAULT_DIR);
    cr_assert_eq(idx_read(path, &a, &err), CS_OK, "%s", err.message);
    cr_expect(a.rank == 3 && a.dims[0] == 60000 && a.dims[1] == 28 && a.dims[2] == 28);
    idx_free(&a);
}
