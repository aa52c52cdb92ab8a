/* npy.c: NumPy .npy reading (every real dtype, converted to float32) and
 * float32 writing (see npy.h).
 *
 * Layout of a .npy file:
 *   "\x93NUMPY" major minor          6 + 2 bytes; versions 1.0, 2.0, 3.0
 *   header length                    uint16 LE (1.0) or uint32 LE (2.0, 3.0)
 *   header                           a Python dict literal, e.g.
 *       {'descr': '<f4', 'fortran_order': False, 'shape': (3, 64, 64), }
 *                                    padded with spaces, ending in '\n'
 *   data                             prod(shape) items of descr, C order
 * The header is parsed strictly as the literal NumPy writes: exactly the
 * three keys, in any order, single- or double-quoted, with free whitespace
 * and an optional trailing comma; a shape is a tuple of non-negative
 * integers ("(5,)" for one dimension; a Python 2 "5L" is accepted). */
#include "npy.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filein.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_MAX_HEADER 65536      /* NumPy itself refuses headers over 10000 bytes */
#define NPY_CHUNK 65536           /* bytes written at a time */

typedef enum NpyKind { NPY_KIND_BOOL, NPY_KIND_INT, NPY_KIND_UINT, NPY_KIND_FLOAT } NpyKind;

typedef struct NpyHeader {
    NpyKind kind;
    size_t itemsize;            /* bytes per item: 1, 2, 4 or 8 */
    bool big_endian;            /* byte order of the items in the file */
    bool fortran_order;
    int rank;
    size_t dims[4];
    size_t count;               /* product of dims */
} NpyHeader;

static bool host_is_big_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 0;
}

/* ---- header parsing ------------------------------------------------- */

typedef struct Cursor {
    const char *start, *p, *end;
    const char *name;           /* file name for messages */
    Error *err;
} Cursor;

static Status bad_header(Cursor *c, const char *what)
{
    return error_set(c->err, CS_ERR_FORMAT, "%s: bad .npy header: %s at byte %zu of the header",
                     c->name, what, (size_t)(c->p - c->start));
}

static void skip_space(Cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool accept(Cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static bool peek(Cursor *c, char ch)
{
    skip_space(c);
    return c->p < c->end && *c->p == ch;
}

/* A quoted string without escapes, into buf. */
static Status parse_string(Cursor *c, char *buf, size_t size, const char *what)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return bad_header(c, what);
    char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (*c->p == '\\' || *c->p == '\n' || n + 1 >= size)
            return bad_header(c, what);
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return bad_header(c, "unterminated string");
    c->p++;
    buf[n] = '\0';
    return CS_OK;
}

static Status parse_bool(Cursor *c, bool *value)
{
    skip_space(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
        c->p += 4;
        *value = true;
    } else if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
        c->p += 5;
        *value = false;
    } else {
        return bad_header(c, "'fortran_order' must be True or False");
    }
    return CS_OK;
}

static Status parse_dim(Cursor *c, size_t *value)
{
    skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return bad_header(c, "expected a non-negative integer in 'shape'");
    size_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        size_t digit = (size_t)(*c->p - '0');
        if (v > (SIZE_MAX - digit) / 10)
            return error_set(c->err, CS_ERR_LIMIT, "%s: a dimension in the .npy shape is too large", c->name);
        v = v * 10 + digit;
        c->p++;
    }
    if (c->p < c->end && *c->p == 'L')
        c->p++;
    *value = v;
    return CS_OK;
}

/* A tuple of up to 4 dimensions; a fifth is refused as it is read. */
static Status parse_shape(Cursor *c, size_t *dims, int *rank)
{
    Status st;
    *rank = 0;
    if (!accept(c, '('))
        return bad_header(c, "'shape' must be a tuple such as (3, 64, 64)");
    if (accept(c, ')'))
        return CS_OK;
    for (;;) {
        size_t d = 0;
        if ((st = parse_dim(c, &d)) != CS_OK)
            return st;
        if (*rank == 4)
            return error_set(c->err, CS_ERR_FORMAT, "%s: the array has more than 4 dimensions; convstep takes 1 to 4",
                             c->name);
        dims[(*rank)++] = d;
        if (accept(c, ')')) {
            if (*rank == 1)
                return bad_header(c, "a one-element shape needs a comma, as in (5,)");
            return CS_OK;
        }
        if (!accept(c, ','))
            return bad_header(c, "expected ',' or ')' in 'shape'");
        if (accept(c, ')'))
            return CS_OK;
    }
}

/* Decodes a descr such as "<f4" into kind, item size and byte order. */
static Status parse_descr(const char *descr, const char *name, NpyHeader *h, Error *err)
{
    const char *p = descr;
    bool big = host_is_big_endian();
    if (*p == '<' || *p == '>' || *p == '|' || *p == '=') {
        if (*p == '<')
            big = false;
        else if (*p == '>')
            big = true;
        p++;
    }
    char kind = *p ? *p++ : '\0';
    char *endp;
    errno = 0;
    long size = *p >= '0' && *p <= '9' ? strtol(p, &endp, 10) : -1;
    bool size_ok = size > 0 && errno == 0 && *endp == '\0';

    switch (kind) {
    case 'c':
        return error_set(err, CS_ERR_FORMAT, "%s: complex dtype '%s' is not supported (use a real dtype)", name, descr);
    case 'O':
        return error_set(err, CS_ERR_FORMAT, "%s: object dtype '%s' is not supported (use a number dtype)", name, descr);
    case 'S': case 'U': case 'a':
        return error_set(err, CS_ERR_FORMAT, "%s: string dtype '%s' is not supported (use a number dtype)", name, descr);
    case 'V':
        return error_set(err, CS_ERR_FORMAT, "%s: raw void dtype '%s' is not supported (use a number dtype)", name, descr);
    case 'M': case 'm':
        return error_set(err, CS_ERR_FORMAT, "%s: date/time dtype '%s' is not supported (use a number dtype)", name, descr);
    case 'b':
        if (size_ok && size == 1) {
            h->kind = NPY_KIND_BOOL;
            break;
        }
        goto unknown;
    case 'i': case 'u':
        if (size_ok && (size == 1 || size == 2 || size == 4 || size == 8)) {
            h->kind = kind == 'i' ? NPY_KIND_INT : NPY_KIND_UINT;
            break;
        }
        goto unknown;
    case 'f':
        if (size_ok && (size == 2 || size == 4 || size == 8)) {
            h->kind = NPY_KIND_FLOAT;
            break;
        }
        if (size_ok && (size == 10 || size == 12 || size == 16))
            return error_set(err, CS_ERR_FORMAT,
                             "%s: long double dtype '%s' is not supported (use float64 or float32)", name, descr);
        goto unknown;
    default:
        goto unknown;
    }
    h->itemsize = (size_t)size;
    h->big_endian = big;
    return CS_OK;
unknown:
    return error_set(err, CS_ERR_FORMAT, "%s: dtype '%s' is not a real number dtype convstep reads", name, descr);
}

/* Parses the header dict text into h and checks the shape. */
static Status parse_header(const char *text, size_t len, const char *name, NpyHeader *h, Error *err)
{
    Cursor c = {text, text, text + len, name, err};
    char key[32], descr[32];
    bool seen_descr = false, seen_order = false, seen_shape = false;
    Status st;

    memset(h, 0, sizeof *h);
    if (!accept(&c, '{'))
        return bad_header(&c, "expected '{'");
    while (!peek(&c, '}')) {
        if ((st = parse_string(&c, key, sizeof key, "expected a quoted key")) != CS_OK)
            return st;
        if (!accept(&c, ':'))
            return bad_header(&c, "expected ':' after a key");
        if (strcmp(key, "descr") == 0 && !seen_descr) {
            seen_descr = true;
            if (peek(&c, '['))
                return error_set(err, CS_ERR_FORMAT, "%s: structured (record) dtypes are not supported", name);
            if ((st = parse_string(&c, descr, sizeof descr, "'descr' must be a dtype string such as '<f4'")) != CS_OK)
                return st;
        } else if (strcmp(key, "fortran_order") == 0 && !seen_order) {
            seen_order = true;
            if ((st = parse_bool(&c, &h->fortran_order)) != CS_OK)
                return st;
        } else if (strcmp(key, "shape") == 0 && !seen_shape) {
            seen_shape = true;
            if ((st = parse_shape(&c, h->dims, &h->rank)) != CS_OK)
                return st;
        } else if (strcmp(key, "descr") == 0 || strcmp(key, "fortran_order") == 0 || strcmp(key, "shape") == 0) {
            return bad_header(&c, "a key appears twice");
        } else {
            return bad_header(&c, "unknown key (only 'descr', 'fortran_order' and 'shape' belong)");
        }
        if (!accept(&c, ',') && !peek(&c, '}'))
            return bad_header(&c, "expected ',' or '}'");
    }
    c.p++;
    skip_space(&c);
    if (c.p != c.end)
        return bad_header(&c, "unexpected text after '}'");
    if (!seen_descr || !seen_order || !seen_shape)
        return error_set(err, CS_ERR_FORMAT, "%s: bad .npy header: missing the '%s' key", name,
                         !seen_descr ? "descr" : !seen_order ? "fortran_order" : "shape");

    if ((st = parse_descr(descr, name, h, err)) != CS_OK)
        return st;
    if (h->fortran_order)
        return error_set(err, CS_ERR_FORMAT,
                         "%s: the array is in Fortran order; save it in C order (numpy.ascontiguousarray)", name);
    if (h->rank == 0)
        return error_set(err, CS_ERR_FORMAT, "%s: the array is a scalar (shape ()); convstep takes 1 to 4 dimensions",
                         name);
    h->count = 1;
    for (int i = 0; i < h->rank; i++) {
        if (h->dims[i] == 0)
            return error_set(err, CS_ERR_FORMAT, "%s: dimension %d of the shape is 0 (the array is empty)", name, i);
        if (h->dims[i] > NPY_MAX_ELEMENTS || h->count > NPY_MAX_ELEMENTS / h->dims[i])
            return error_set(err, CS_ERR_LIMIT, "%s: the shape has more than %zu elements, the limit", name,
                             (size_t)NPY_MAX_ELEMENTS);
        h->count *= h->dims[i];
    }
    return CS_OK;
}

/* Checks the magic and version in the first bytes of a file; on success
 * *start is where the header text begins and *len its length. */
static Status parse_prelude(const unsigned char *p, size_t size, const char *name,
                            size_t *start, size_t *len, Error *err)
{
    if (size == 0)
        return error_set(err, CS_ERR_FORMAT, "%s is empty", name);
    if (size < NPY_MAGIC_LEN || memcmp(p, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return error_set(err, CS_ERR_FORMAT, "%s is not a .npy file (it does not start with \\x93NUMPY)", name);
    if (size < 8)
        return error_set(err, CS_ERR_FORMAT, "%s: the .npy file is truncated inside its header", name);
    int major = p[6], minor = p[7];
    if (major < 1 || major > 3 || minor != 0)
        return error_set(err, CS_ERR_FORMAT, "%s: .npy format version %d.%d is not supported (1.0, 2.0, 3.0 are)",
                         name, major, minor);
    *start = major == 1 ? 10 : 12;
    if (size < *start)
        return error_set(err, CS_ERR_FORMAT, "%s: the .npy file is truncated inside its header", name);
    *len = major == 1 ? (size_t)p[8] | (size_t)p[9] << 8
                      : (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24;
    if (*len > NPY_MAX_HEADER)
        return error_set(err, CS_ERR_FORMAT, "%s: the .npy header claims %zu bytes, more than %d", name, *len,
                         NPY_MAX_HEADER);
    return CS_OK;
}

/* ---- conversion ----------------------------------------------------- */

static float half_to_float(uint16_t bits)
{
    int sign = bits >> 15, exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
    float v;
    if (exponent == 0)
        v = ldexpf((float)mantissa, -24);
    else if (exponent == 31)
        v = mantissa ? NAN : INFINITY;
    else
        v = ldexpf((float)(mantissa | 0x400), exponent - 25);
    return sign ? -v : v;
}

/* Converts count items at src (layout h) to floats at dst. */
static void convert_items(const unsigned char *src, size_t count, const NpyHeader *h, float *dst)
{
    size_t size = h->itemsize;
    if (h->kind == NPY_KIND_FLOAT && size == 4 && h->big_endian == host_is_big_endian()) {
        memcpy(dst, src, count * 4);
        return;
    }
    for (size_t i = 0; i < count; i++, src += size) {
        uint64_t v = 0;
        for (size_t b = 0; b < size; b++)
            v = v << 8 | src[h->big_endian ? b : size - 1 - b];
        switch (h->kind) {
        case NPY_KIND_BOOL:
            dst[i] = v ? 1.0f : 0.0f;
            break;
        case NPY_KIND_UINT:
            dst[i] = (float)v;
            break;
        case NPY_KIND_INT: {
            uint64_t sign_bit = (uint64_t)1 << (8 * size - 1);
            if (v & sign_bit) {
                uint64_t magnitude = (~v + 1) & (sign_bit | (sign_bit - 1));
                dst[i] = -(float)magnitude;
            } else {
                dst[i] = (float)v;
            }
            break;
        }
        case NPY_KIND_FLOAT:
            if (size == 2) {
                dst[i] = half_to_float((uint16_t)v);
            } else if (size == 4) {
                uint32_t bits = (uint32_t)v;
                memcpy(&dst[i], &bits, 4);
            } else {
                double d;
                memcpy(&d, &v, 8);
                dst[i] = (float)d;
            }
            break;
        }
    }
}

/* Shapes the tensor from the header's dims, right-aligned. */
static Status alloc_tensor(const NpyHeader *h, Tensor *out, Error *err)
{
    size_t d[4] = {1, 1, 1, 1};
    for (int i = 0; i < h->rank; i++)
        d[4 - h->rank + i] = h->dims[i];
    return tensor_init(out, d[0], d[1], d[2], d[3], h->rank, err);
}

/* ---- reading -------------------------------------------------------- */

Status npy_read_memory(const unsigned char *data, size_t size, const char *name,
                       Tensor *out, Error *err)
{
    size_t start = 0, len = 0;   /* set by parse_prelude (zeroed for the compiler) */
    NpyHeader h;
    Status st;

    memset(out, 0, sizeof *out);
    if ((st = parse_prelude(data, size, name, &start, &len, err)) != CS_OK)
        return st;
    if (size - start < len)
        return error_set(err, CS_ERR_FORMAT, "%s: the .npy file is truncated inside its header", name);
    if ((st = parse_header((const char *)data + start, len, name, &h, err)) != CS_OK)
        return st;
    size_t have = size - start - len, need = h.count * h.itemsize;
    if (have < need)
        return error_set(err, CS_ERR_FORMAT, "%s: the data is short: the shape needs %zu bytes, the file has %zu",
                         name, need, have);
    if (have > need)
        return error_set(err, CS_ERR_FORMAT, "%s: %zu unexpected bytes follow the data", name, have - need);
    if ((st = alloc_tensor(&h, out, err)) != CS_OK)
        return st;
    convert_items(data + start + len, h.count, &h, out->data);
    return CS_OK;
}

Status npy_read(const char *path, Tensor *out, Error *err)
{
    unsigned char *bytes;
    size_t size;
    memset(out, 0, sizeof *out);
    Status st = filein_read(path, NPY_MAX_FILE_BYTES, &bytes, &size, err);
    if (st != CS_OK)
        return st;
    st = npy_read_memory(bytes, size, filein_name(path), out, err);
    free(bytes);
    return st;
}

/* ---- writing -------------------------------------------------------- */

Status npy_write_stream(FILE *f, const char *name, const Tensor *t, Error *err)
{
    size_t all[4] = {t->n, t->c, t->h, t->w};
    if (t->rank < 1 || t->rank > 4 || !t->data)
        return error_set(err, CS_ERR_SHAPE, "%s: cannot write a tensor of rank %d", name, t->rank);
    for (int i = 0; i < 4 - t->rank; i++)
        if (all[i] != 1)
            return error_set(err, CS_ERR_SHAPE, "%s: a rank-%d tensor cannot hold leading dimension %zu",
                             name, t->rank, all[i]);

    char shape[128], header[256];
    const size_t *dims = all + 4 - t->rank;
    int n = snprintf(shape, sizeof shape, "(%zu", dims[0]);
    for (int i = 1; i < t->rank; i++)
        n += snprintf(shape + n, sizeof shape - (size_t)n, ", %zu", dims[i]);
    snprintf(shape + n, sizeof shape - (size_t)n, t->rank == 1 ? ",)" : ")");

    /* Magic (6) + version (2) + length (2) + dict + spaces + '\n' is a
     * multiple of 64, as NumPy aligns it. */
    int len = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", shape);
    size_t total = 10 + (size_t)len + 1;
    size_t padded = (total + 63) / 64 * 64;
    memset(header + len, ' ', padded - total);
    header[padded - 11] = '\n';
    size_t header_len = padded - 10;
    unsigned char prelude[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                 (unsigned char)(header_len & 0xff), (unsigned char)(header_len >> 8)};
    if (fwrite(prelude, 1, sizeof prelude, f) != sizeof prelude || fwrite(header, 1, header_len, f) != header_len)
        return error_set(err, CS_ERR_IO, "cannot write %s: %s", name, strerror(errno));

    unsigned char chunk[NPY_CHUNK];
    size_t count = tensor_count(t), per_chunk = NPY_CHUNK / 4;
    for (size_t done = 0; done < count; done += per_chunk) {
        size_t items = count - done < per_chunk ? count - done : per_chunk;
        for (size_t i = 0; i < items; i++) {
            uint32_t bits;
            memcpy(&bits, &t->data[done + i], 4);
            for (int b = 0; b < 4; b++)
                chunk[4 * i + (size_t)b] = (unsigned char)(bits >> (8 * b));
        }
        if (fwrite(chunk, 4, items, f) != items)
            return error_set(err, CS_ERR_IO, "cannot write %s: %s", name, strerror(errno));
    }
    return CS_OK;
}
