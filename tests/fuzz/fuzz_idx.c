/* fuzz_idx.c: libFuzzer harness for the MNIST IDX reader (core/idx.h).
 *
 * Each input is read three ways, which must agree:
 *   - from memory (idx_read_memory);
 *   - from a file (idx_read: read whole by filein_read, the path in
 *     messages): the same status and array;
 *   - gzipped here by zlib (when the input is not itself gzip): the same
 *     status and array, so the inflating path is held to the plain one.
 * An array that loads has a rank of 1..IDX_MAX_RANK, no zero dimension, a
 * count that is the product of its dims and within IDX_MAX_BYTES, and is
 * exactly the input's bytes after the header. A refusal leaves no data and
 * names the file. Corpus: tests/fuzz/corpus_idx/ (gen_corpus_idx.py). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "idx.h"

#define FUZZ_NAME "fuzz_idx"
#include "fuzz_support.h"

static void same_array(const IdxArray *a, const IdxArray *b, const char *what)
{
    fuzz_check(a->type == b->type && a->rank == b->rank && a->count == b->count, what);
    fuzz_check(memcmp(a->dims, b->dims, sizeof a->dims) == 0, what);
    fuzz_check(memcmp(a->data, b->data, a->count) == 0, what);
}

static void check_refusal(const IdxArray *a, const Error *err, const char *name)
{
    fuzz_check(a->data == NULL && a->count == 0, "a refused file left data");
    fuzz_check(strncmp(err->message, name, strlen(name)) == 0, "a refusal does not start with the file's name");
}

/* The input as one gzip member (level 1: the fuzzer wants speed). */
static unsigned char *gzip_of(const uint8_t *data, size_t size, size_t *out_size)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    fuzz_check(deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2 failed");
    size_t bound = deflateBound(&zs, (uLong)size);
    unsigned char *out = malloc(bound);
    fuzz_check(out != NULL, "no memory for the gzip copy");
    zs.next_in = (unsigned char *)data;
    zs.avail_in = (uInt)size;
    zs.next_out = out;
    zs.avail_out = (uInt)bound;
    fuzz_check(deflate(&zs, Z_FINISH) == Z_STREAM_END, "deflate failed");
    *out_size = zs.total_out;
    deflateEnd(&zs);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    IdxArray mem, file, zipped;
    Error mem_err = {0}, file_err = {0}, zip_err = {0};
    Status mem_st = idx_read_memory(data, size, "fuzz.idx", &mem, &mem_err);

    const char *path = fuzz_scratch_path("idx");
    FILE *f = fopen(path, "wb");
    fuzz_check(f != NULL, "cannot create the scratch file");
    fuzz_check(fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write the scratch file");
    Status file_st = idx_read(path, &file, &file_err);
    fuzz_check(mem_st == file_st, "memory and file readers disagree on the status");

    bool is_gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    Status zip_st = CS_OK;
    if (!is_gzip) {
        size_t zsize;
        unsigned char *z = gzip_of(data, size, &zsize);
        zip_st = idx_read_memory(z, zsize, "fuzz.idx.gz", &zipped, &zip_err);
        free(z);
        fuzz_check(zip_st == mem_st, "the gzipped input and the plain one disagree on the status");
    }

    if (mem_st != CS_OK) {
        check_refusal(&mem, &mem_err, "fuzz.idx");
        check_refusal(&file, &file_err, path);
        if (!is_gzip)
            check_refusal(&zipped, &zip_err, "fuzz.idx.gz");
        return 0;
    }
    fuzz_check(mem.type == IDX_TYPE_UBYTE, "a type other than unsigned byte loaded");
    fuzz_check(mem.rank >= 1 && mem.rank <= IDX_MAX_RANK, "rank out of 1..IDX_MAX_RANK");
    size_t count = 1;
    for (size_t i = 0; i < mem.rank; i++) {
        fuzz_check(mem.dims[i] != 0, "a zero dimension loaded");
        count *= mem.dims[i];
    }
    fuzz_check(count == mem.count && count <= IDX_MAX_BYTES, "count is not the product of the dims, or over the limit");
    if (!is_gzip) {
        fuzz_check(size == 4 + 4 * mem.rank + count, "a plain file loaded with a size other than header + data");
        fuzz_check(memcmp(mem.data, data + 4 + 4 * mem.rank, count) == 0, "items are not the file's bytes");
        same_array(&mem, &zipped, "the gzipped input and the plain one disagree on the array");
        idx_free(&zipped);
    }
    same_array(&mem, &file, "memory and file readers disagree on the array");
    idx_free(&mem);
    idx_free(&file);
    return 0;
}
