/* idx.c: the MNIST IDX reader (see idx.h), plain or through zlib.
 *
 * Both forms are read through one Source, a byte stream that either copies
 * from memory or inflates from it, so the header checks, the size checks
 * before allocating, the cut-short and trailing-bytes checks are written
 * once:
 *   magic 00 00 TT RR -> RR dims (uint32 BE) -> count = prod(dims) checked
 *   against IDX_MAX_BYTES (and, gzipped, against what deflate can give)
 *   -> allocate count bytes -> read them -> one more byte must not exist. */
#include "idx.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "filein.h"

/* Deflate's best case is 258 bytes from one 2-bit code after the first
 * literal: a little under 1032 to 1 (zlib's technical notes). */
#define IDX_DEFLATE_MAX_RATIO 1032
#define IDX_HEADER_MAX (4 + 4 * IDX_MAX_RANK)

/* ---- the byte source: memory or an inflated gzip stream ---------------- */

typedef struct Source {
    const unsigned char *data;
    size_t size, pos;           /* plain: the next byte; gzip: input consumed */
    bool gzip;
    bool ended;                 /* gzip: the last member's end was reached */
    z_stream zs;
    const char *name;
    Error *err;
} Source;

static bool is_gzip(const unsigned char *data, size_t size)
{
    return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

static Status source_open(Source *s, const unsigned char *data, size_t size, const char *name, Error *err)
{
    memset(s, 0, sizeof *s);
    s->data = data;
    s->size = size;
    s->name = name;
    s->err = err;
    s->gzip = is_gzip(data, size);
    if (!s->gzip)
        return CS_OK;
    /* 16 + MAX_WBITS: a gzip wrapper (header, CRC-32 and length checked). */
    if (inflateInit2(&s->zs, 16 + MAX_WBITS) != Z_OK)
        return error_set(err, CS_ERR_NOMEM, "%s: cannot start inflating (zlib: %s)", name,
                         s->zs.msg ? s->zs.msg : "out of memory");
    return CS_OK;
}

static void source_close(Source *s)
{
    if (s->gzip)
        inflateEnd(&s->zs);
}

/* Inflates up to n bytes into dst; *got says how many came. Fewer than n
 * only at the clean end of the last gzip member. A stream that stops
 * before its end, or a corrupt one, is an error. Concatenated members
 * (gzip(1) reads them as one file) follow each other. */
static Status gzip_read(Source *s, unsigned char *dst, size_t n, size_t *got)
{
    *got = 0;
    while (*got < n && !s->ended) {
        size_t in_left = s->size - s->pos;
        size_t out_left = n - *got;
        s->zs.next_in = (unsigned char *)(s->data + s->pos);
        s->zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
        s->zs.next_out = dst + *got;
        s->zs.avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
        uInt in_before = s->zs.avail_in, out_before = s->zs.avail_out;
        int ret = inflate(&s->zs, Z_NO_FLUSH);
        s->pos += in_before - s->zs.avail_in;
        *got += out_before - s->zs.avail_out;
        if (ret == Z_STREAM_END) {
            if (s->pos == s->size)
                s->ended = true;
            else if (inflateReset(&s->zs) != Z_OK)
                return error_set(s->err, CS_ERR_FORMAT, "%s: corrupt gzip stream", s->name);
        } else if (ret == Z_BUF_ERROR || (ret == Z_OK && s->pos == s->size && s->zs.avail_out > 0)) {
            return error_set(s->err, CS_ERR_FORMAT, "%s: gzip stream cut short after %zu compressed bytes",
                             s->name, s->size);
        } else if (ret != Z_OK) {
            return error_set(s->err, ret == Z_MEM_ERROR ? CS_ERR_NOMEM : CS_ERR_FORMAT,
                             "%s: corrupt gzip stream at compressed byte %zu (zlib: %s)", s->name, s->pos,
                             s->zs.msg ? s->zs.msg : "bad data");
        }
    }
    return CS_OK;
}

/* Reads up to n bytes into dst (*got fewer only at the end of the data). */
static Status source_read(Source *s, unsigned char *dst, size_t n, size_t *got)
{
    if (s->gzip)
        return gzip_read(s, dst, n, got);
    size_t left = s->size - s->pos;
    *got = n < left ? n : left;
    memcpy(dst, s->data + s->pos, *got);
    s->pos += *got;
    return CS_OK;
}

/* ---- the header ------------------------------------------------------ */

static const char *type_name(int type)
{
    switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    }
    return NULL;
}

static uint32_t read_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* "60000x28x28" for messages. */
static void dims_text(const IdxArray *a, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < a->rank && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%zu", i ? "x" : "", a->dims[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Reads and checks the magic and the dims into out (rank, dims, count). */
static Status read_header(Source *s, IdxArray *out)
{
    unsigned char head[IDX_HEADER_MAX];
    size_t got;
    Status st = source_read(s, head, 4, &got);
    if (st != CS_OK)
        return st;
    if (got < 4)
        return error_set(s->err, CS_ERR_FORMAT, "%s: IDX header cut short: %zu of 4 magic bytes", s->name, got);
    if (head[0] != 0 || head[1] != 0)
        return error_set(s->err, CS_ERR_FORMAT,
                         "%s: not an IDX file: it starts %02x %02x %02x %02x, not 00 00 TYPE RANK", s->name,
                         head[0], head[1], head[2], head[3]);
    int type = head[2];
    if (type != IDX_TYPE_UBYTE) {
        const char *what = type_name(type);
        if (what)
            return error_set(s->err, CS_ERR_FORMAT,
                             "%s: IDX item type 0x%02X (%s) is not supported, only 0x08 (unsigned byte)", s->name,
                             type, what);
        return error_set(s->err, CS_ERR_FORMAT, "%s: IDX item type 0x%02X is unknown", s->name, type);
    }
    size_t rank = head[3];
    if (rank < 1 || rank > IDX_MAX_RANK)
        return error_set(s->err, CS_ERR_FORMAT, "%s: IDX rank %zu is not supported (1 to %d)", s->name, rank,
                         IDX_MAX_RANK);
    if ((st = source_read(s, head + 4, 4 * rank, &got)) != CS_OK)
        return st;
    if (got < 4 * rank)
        return error_set(s->err, CS_ERR_FORMAT, "%s: IDX header cut short: %zu of %zu bytes", s->name, 4 + got,
                         4 + 4 * rank);
    out->type = type;
    out->rank = rank;
    out->count = 1;
    bool over = false;
    for (size_t i = 0; i < rank; i++) {
        out->dims[i] = read_be32(head + 4 + 4 * i);
        if (out->dims[i] == 0)
            return error_set(s->err, CS_ERR_FORMAT, "%s: IDX dimension %zu is 0", s->name, i + 1);
        /* The count stays <= IDX_MAX_BYTES < 2^31 before each product with
         * a dim < 2^32, so it never overflows; past the cap it stops. */
        if (!over && (out->count *= out->dims[i]) > IDX_MAX_BYTES)
            over = true;
    }
    char shape[64];
    dims_text(out, shape, sizeof shape);
    if (over)
        return error_set(s->err, CS_ERR_LIMIT, "%s: IDX dimensions %s hold more than the %zu-byte limit", s->name,
                         shape, IDX_MAX_BYTES);
    if (s->gzip && out->count / IDX_DEFLATE_MAX_RATIO > s->size)
        return error_set(s->err, CS_ERR_FORMAT,
                         "%s: IDX data cut short: %s needs %zu bytes, more than a %zu-byte gzip file can hold",
                         s->name, shape, out->count, s->size);
    return CS_OK;
}

/* ---- reading --------------------------------------------------------- */

static Status read_array(Source *s, IdxArray *out)
{
    Status st = read_header(s, out);
    if (st != CS_OK)
        return st;
    char shape[64];
    dims_text(out, shape, sizeof shape);
    if (!s->gzip && s->size - s->pos < out->count)
        return error_set(s->err, CS_ERR_FORMAT, "%s: IDX data cut short: %zu of the %zu bytes of %s", s->name,
                         s->size - s->pos, out->count, shape);
    out->data = malloc(out->count);
    if (!out->data)
        return error_set(s->err, CS_ERR_NOMEM, "%s: no memory for %zu bytes of IDX data", s->name, out->count);
    size_t got;
    if ((st = source_read(s, out->data, out->count, &got)) != CS_OK)
        return st;
    if (got < out->count)
        return error_set(s->err, CS_ERR_FORMAT, "%s: IDX data cut short: %zu of the %zu bytes of %s", s->name, got,
                         out->count, shape);
    unsigned char extra;
    if ((st = source_read(s, &extra, 1, &got)) != CS_OK)
        return st;
    if (got != 0) {
        if (!s->gzip)
            return error_set(s->err, CS_ERR_FORMAT, "%s: %zu bytes after the IDX data of %s", s->name,
                             s->size - s->pos + 1, shape);
        return error_set(s->err, CS_ERR_FORMAT, "%s: bytes after the IDX data of %s", s->name, shape);
    }
    return CS_OK;
}

Status idx_read_memory(const unsigned char *data, size_t size, const char *name, IdxArray *out, Error *err)
{
    memset(out, 0, sizeof *out);
    if (size == 0)
        return error_set(err, CS_ERR_FORMAT, "%s: empty file, not an IDX file", name);
    Source s;
    Status st = source_open(&s, data, size, name, err);
    if (st != CS_OK)
        return st;
    st = read_array(&s, out);
    source_close(&s);
    if (st != CS_OK)
        idx_free(out);
    return st;
}

Status idx_read(const char *path, IdxArray *out, Error *err)
{
    unsigned char *bytes;
    size_t size;
    memset(out, 0, sizeof *out);
    Status st = filein_read(path, IDX_MAX_BYTES + IDX_HEADER_MAX, &bytes, &size, err);
    if (st != CS_OK)
        return st;
    st = idx_read_memory(bytes, size, filein_name(path), out, err);
    free(bytes);
    return st;
}

void idx_free(IdxArray *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}
