/* safetensors.c: the safetensors reader (see safetensors.h).
 *
 * The header is parsed by a small strict recursive-descent JSON parser for
 * exactly the subset safetensors uses: one object of objects, strings,
 * non-negative integers and arrays of them. Why not a JSON library: core has
 * none as a dependency, the subset is small, and a parser that knows the
 * schema refuses a malformed header at the byte where it goes wrong.
 *
 * Reading is two passes: parse and check every entry (a list of names,
 * dtypes, shapes and offsets, bounded by the header's size), then allocate
 * and convert the tensors in the order the header lists them.
 *
 * Writing (safetensors_write) puts the header together in memory, then
 * streams the values. */
#include "safetensors.h"

#include "fileout.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- dtypes --------------------------------------------------------- */

typedef enum StDtype { ST_F32, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_UNSUPPORTED } StDtype;

typedef struct StDtypeInfo {
    const char *name;
    StDtype dtype;
    size_t size;
} StDtypeInfo;

/* Every dtype the format defines; the unsupported ones are known so that
 * the refusal can say "unsupported" rather than "unknown". */
static const StDtypeInfo DTYPES[] = {
    {"F32", ST_F32, 4},  {"F16", ST_F16, 2},  {"BF16", ST_BF16, 2}, {"F64", ST_F64, 8},
    {"I64", ST_I64, 8},  {"I32", ST_I32, 4},  {"BOOL", ST_UNSUPPORTED, 1},
    {"U8", ST_UNSUPPORTED, 1}, {"I8", ST_UNSUPPORTED, 1}, {"F8_E5M2", ST_UNSUPPORTED, 1},
    {"F8_E4M3", ST_UNSUPPORTED, 1}, {"I16", ST_UNSUPPORTED, 2}, {"U16", ST_UNSUPPORTED, 2},
    {"U32", ST_UNSUPPORTED, 4}, {"U64", ST_UNSUPPORTED, 8},
};

#define DTYPE_COUNT (sizeof DTYPES / sizeof DTYPES[0])

/* ---- the parsed header ---------------------------------------------- */

typedef struct StEntry {
    char *name;                 /* owned until handed to the WeightsFile */
    const StDtypeInfo *dtype;
    int rank;
    size_t shape[4];
    size_t count;               /* product of shape */
    size_t begin, end;          /* data_offsets, relative to the data */
} StEntry;

typedef struct StHeader {
    StEntry *entries;
    size_t count, cap;
} StHeader;

static void header_free(StHeader *h)
{
    for (size_t i = 0; i < h->count; i++)
        free(h->entries[i].name);
    free(h->entries);
    memset(h, 0, sizeof *h);
}

/* ---- the JSON cursor ------------------------------------------------ */

typedef struct Cursor {
    const unsigned char *start, *p, *end;
    const char *file;
    Error *err;
} Cursor;

static Status bad_json(Cursor *c, const char *what)
{
    return error_set(c->err, CS_ERR_FORMAT, "%s: bad safetensors header: %s at byte %zu of the header", c->file,
                     what, (size_t)(c->p - c->start));
}

/* An error about one tensor, naming it. */
static Status bad_tensor(Cursor *c, const char *name, Status st, const char *what)
{
    char shown[96];
    return error_set(c->err, st, "%s: tensor '%s': %s", c->file, weights_printable(name, shown, sizeof shown), what);
}

static void skip_space(Cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool accept(Cursor *c, unsigned char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static Status expect(Cursor *c, unsigned char ch, const char *what)
{
    return accept(c, ch) ? CS_OK : bad_json(c, what);
}

static int hex_value(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Four hex digits after "\u". */
static Status parse_hex4(Cursor *c, unsigned *value)
{
    *value = 0;
    for (int i = 0; i < 4; i++) {
        int v = c->p < c->end ? hex_value(*c->p) : -1;
        if (v < 0)
            return bad_json(c, "a \\u escape needs four hex digits");
        *value = *value << 4 | (unsigned)v;
        c->p++;
    }
    return CS_OK;
}

static size_t put_utf8(unsigned char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xc0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The length of the valid UTF-8 sequence at p (its first byte >= 0x80), or
 * 0 if it is not one: no overlong forms, no surrogates, nothing past
 * U+10FFFF. */
static size_t utf8_length(const unsigned char *p, const unsigned char *end)
{
    size_t n;
    unsigned cp;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        cp = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        cp = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* A JSON string, decoded into a malloc'd NUL-terminated *out. A NUL
 * character (\u0000) is refused: names are C strings. */
static Status parse_string(Cursor *c, char **out)
{
    *out = NULL;
    skip_space(c);
    if (c->p >= c->end || *c->p != '"')
        return bad_json(c, "expected a string");
    c->p++;
    /* Decoding never lengthens a string, so its raw span bounds the copy. */
    const unsigned char *q = c->p;
    while (q < c->end && *q != '"')
        q += *q == '\\' && c->end - q > 1 ? 2 : 1;
    if (q >= c->end)
        return bad_json(c, "unterminated string");
    unsigned char *buf = malloc((size_t)(q - c->p) + 1);
    if (!buf)
        return error_set(c->err, CS_ERR_NOMEM, "%s: cannot allocate a header string", c->file);
    size_t n = 0;
    Status st = CS_OK;
    while (*c->p != '"') {
        unsigned char ch = *c->p;
        if (ch < 0x20) {
            st = bad_json(c, "a control character in a string");
            goto fail;
        }
        if (ch >= 0x80) {
            size_t len = utf8_length(c->p, c->end);
            if (len == 0) {
                st = bad_json(c, "invalid UTF-8 in a string");
                goto fail;
            }
            memcpy(buf + n, c->p, len);
            n += len;
            c->p += len;
            continue;
        }
        c->p++;
        if (ch != '\\') {
            buf[n++] = ch;
            continue;
        }
        unsigned char esc = c->p < c->end ? *c->p++ : 0;
        unsigned cp;
        switch (esc) {
        case '"': case '\\': case '/': buf[n++] = esc; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u':
            if ((st = parse_hex4(c, &cp)) != CS_OK)
                goto fail;
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                st = bad_json(c, "a lone low surrogate in a \\u escape");
                goto fail;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                unsigned low;
                if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u') {
                    st = bad_json(c, "a high surrogate without its low half");
                    goto fail;
                }
                c->p += 2;
                if ((st = parse_hex4(c, &low)) != CS_OK)
                    goto fail;
                if (low < 0xdc00 || low > 0xdfff) {
                    st = bad_json(c, "a high surrogate without its low half");
                    goto fail;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            }
            if (cp == 0) {
                st = bad_json(c, "a NUL character (\\u0000) in a string");
                goto fail;
            }
            n += put_utf8(buf + n, cp);
            break;
        default:
            c->p--;
            st = bad_json(c, "an unknown escape in a string");
            goto fail;
        }
        /* A backslash pair may have ended the raw span early: q skipped two
         * bytes for it, so the closing quote is still at q. */
        if (c->p > q) {
            st = bad_json(c, "unterminated string");
            goto fail;
        }
    }
    c->p++;
    buf[n] = '\0';
    *out = (char *)buf;
    return CS_OK;
fail:
    free(buf);
    return st;
}

/* A non-negative JSON integer (no sign, fraction or exponent). */
static Status parse_size(Cursor *c, size_t *value)
{
    skip_space(c);
    if (c->p < c->end && *c->p == '-')
        return bad_json(c, "a negative number");
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return bad_json(c, "expected a non-negative integer");
    if (*c->p == '0' && c->end - c->p > 1 && c->p[1] >= '0' && c->p[1] <= '9')
        return bad_json(c, "a number with a leading zero");
    size_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        size_t digit = (size_t)(*c->p - '0');
        if (v > (SIZE_MAX - digit) / 10)
            return bad_json(c, "a number too large");
        v = v * 10 + digit;
        c->p++;
    }
    if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
        return bad_json(c, "a number that is not a whole number");
    *value = v;
    return CS_OK;
}

/* ---- the header ----------------------------------------------------- */

/* "shape": [d0, d1, ...]; more than 4 dimensions are counted for the
 * message, then refused. */
static Status parse_shape(Cursor *c, StEntry *e)
{
    Status st;
    int rank = 0;
    if ((st = expect(c, '[', "expected '[' to open a shape")) != CS_OK)
        return st;
    if (!accept(c, ']')) {
        for (;;) {
            size_t d;
            if ((st = parse_size(c, &d)) != CS_OK)
                return st;
            if (rank < 4)
                e->shape[rank] = d;
            if (rank < INT_MAX)
                rank++;
            if (accept(c, ']'))
                break;
            if ((st = expect(c, ',', "expected ',' or ']' in a shape")) != CS_OK)
                return st;
        }
    }
    if (rank > 4) {
        char what[96];
        snprintf(what, sizeof what, "the shape has %d dimensions; convstep takes at most 4", rank);
        return bad_tensor(c, e->name, CS_ERR_FORMAT, what);
    }
    e->rank = rank;
    return CS_OK;
}

static Status parse_offsets(Cursor *c, StEntry *e)
{
    Status st;
    if ((st = expect(c, '[', "expected '[' to open data_offsets")) != CS_OK ||
        (st = parse_size(c, &e->begin)) != CS_OK ||
        (st = expect(c, ',', "data_offsets must be two numbers [begin, end]")) != CS_OK ||
        (st = parse_size(c, &e->end)) != CS_OK ||
        (st = expect(c, ']', "data_offsets must be two numbers [begin, end]")) != CS_OK)
        return st;
    return CS_OK;
}

static Status parse_dtype(Cursor *c, StEntry *e)
{
    char *text;
    Status st = parse_string(c, &text);
    if (st != CS_OK)
        return st;
    e->dtype = NULL;
    for (size_t i = 0; i < DTYPE_COUNT; i++)
        if (strcmp(text, DTYPES[i].name) == 0)
            e->dtype = &DTYPES[i];
    char shown[48], what[160];
    if (!e->dtype) {
        snprintf(what, sizeof what, "unknown dtype '%s'", weights_printable(text, shown, sizeof shown));
        st = bad_tensor(c, e->name, CS_ERR_FORMAT, what);
    } else if (e->dtype->dtype == ST_UNSUPPORTED) {
        snprintf(what, sizeof what, "dtype %s is not supported (convstep reads F32, F16, BF16 and F64)",
                 e->dtype->name);
        st = bad_tensor(c, e->name, CS_ERR_FORMAT, what);
    }
    free(text);
    return st;
}

/* {"dtype": ..., "shape": [...], "data_offsets": [b, e]}, each key once. */
static Status parse_entry(Cursor *c, StEntry *e)
{
    bool seen_dtype = false, seen_shape = false, seen_offsets = false;
    Status st;
    if ((st = expect(c, '{', "expected '{' to open a tensor's entry")) != CS_OK)
        return st;
    if (!accept(c, '}')) {
        for (;;) {
            char *key;
            if ((st = parse_string(c, &key)) != CS_OK)
                return st;
            bool *seen = strcmp(key, "dtype") == 0 ? &seen_dtype
                       : strcmp(key, "shape") == 0 ? &seen_shape
                       : strcmp(key, "data_offsets") == 0 ? &seen_offsets : NULL;
            if (!seen) {
                char shown[48], what[128];
                snprintf(what, sizeof what, "unknown key '%s' (an entry has dtype, shape and data_offsets)",
                         weights_printable(key, shown, sizeof shown));
                free(key);
                return bad_tensor(c, e->name, CS_ERR_FORMAT, what);
            }
            if (*seen) {
                char what[64];
                snprintf(what, sizeof what, "the key '%s' appears twice", key);
                free(key);
                return bad_tensor(c, e->name, CS_ERR_FORMAT, what);
            }
            *seen = true;
            if ((st = expect(c, ':', "expected ':' after a key")) != CS_OK) {
                free(key);
                return st;
            }
            st = seen == &seen_dtype ? parse_dtype(c, e) : seen == &seen_shape ? parse_shape(c, e)
                                                                               : parse_offsets(c, e);
            free(key);
            if (st != CS_OK)
                return st;
            if (accept(c, '}'))
                break;
            if ((st = expect(c, ',', "expected ',' or '}' in a tensor's entry")) != CS_OK)
                return st;
        }
    }
    if (!seen_dtype || !seen_shape || !seen_offsets)
        return bad_tensor(c, e->name, CS_ERR_FORMAT,
                          !seen_dtype ? "the entry has no dtype" : !seen_shape ? "the entry has no shape"
                                                                               : "the entry has no data_offsets");
    return CS_OK;
}

/* "__metadata__": a flat object of strings, checked and ignored. */
static Status parse_metadata(Cursor *c)
{
    Status st;
    if ((st = expect(c, '{', "__metadata__ must be an object of strings")) != CS_OK)
        return st;
    if (accept(c, '}'))
        return CS_OK;
    for (;;) {
        char *text;
        if ((st = parse_string(c, &text)) != CS_OK)
            return st;
        free(text);
        if ((st = expect(c, ':', "expected ':' after a key")) != CS_OK)
            return st;
        skip_space(c);
        if (c->p < c->end && *c->p != '"')
            return bad_json(c, "__metadata__ values must be strings");
        if ((st = parse_string(c, &text)) != CS_OK)
            return st;
        free(text);
        if (accept(c, '}'))
            return CS_OK;
        if ((st = expect(c, ',', "expected ',' or '}' in __metadata__")) != CS_OK)
            return st;
    }
}

static Status add_entry(Cursor *c, StHeader *h, char *name)
{
    if (h->count == WEIGHTS_MAX_TENSORS) {
        free(name);
        return error_set(c->err, CS_ERR_LIMIT, "%s: more than %zu tensors", c->file, WEIGHTS_MAX_TENSORS);
    }
    if (h->count == h->cap) {
        size_t want = h->cap ? h->cap * 2 : 16;
        StEntry *grown = realloc(h->entries, want * sizeof *grown);
        if (!grown) {
            free(name);
            return error_set(c->err, CS_ERR_NOMEM, "%s: cannot allocate the list of %zu tensors", c->file, want);
        }
        h->entries = grown;
        h->cap = want;
    }
    StEntry *e = &h->entries[h->count++];
    memset(e, 0, sizeof *e);
    e->name = name;
    return CS_OK;
}

static Status parse_header(Cursor *c, StHeader *h)
{
    bool seen_metadata = false;
    Status st;
    if ((st = expect(c, '{', "expected '{'")) != CS_OK)
        return st;
    if (!accept(c, '}')) {
        for (;;) {
            char *name;
            if ((st = parse_string(c, &name)) != CS_OK)
                return st;
            if ((st = expect(c, ':', "expected ':' after a name")) != CS_OK) {
                free(name);
                return st;
            }
            if (strcmp(name, "__metadata__") == 0) {
                free(name);
                if (seen_metadata)
                    return bad_json(c, "__metadata__ appears twice");
                seen_metadata = true;
                st = parse_metadata(c);
            } else if ((st = add_entry(c, h, name)) == CS_OK) {
                st = parse_entry(c, &h->entries[h->count - 1]);
            }
            if (st != CS_OK)
                return st;
            if (accept(c, '}'))
                break;
            if ((st = expect(c, ',', "expected ',' or '}' after a tensor's entry")) != CS_OK)
                return st;
        }
    }
    skip_space(c);
    if (c->p != c->end)
        return bad_json(c, "unexpected text after the closing '}'");
    return CS_OK;
}

/* ---- checks --------------------------------------------------------- */

/* "[64, 3, 3, 3]" ("[]" for a scalar) into buf. */
static const char *shape_text(const StEntry *e, char *buf, size_t size)
{
    int n = snprintf(buf, size, "[");
    for (int i = 0; i < e->rank && n > 0 && (size_t)n < size; i++)
        n += snprintf(buf + n, size - (size_t)n, i ? ", %zu" : "%zu", e->shape[i]);
    if (n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "]");
    return buf;
}

static Status check_entry(Cursor *c, StEntry *e, size_t data_len, size_t *total)
{
    char what[200];
    size_t count = 1, bytes;
    for (int i = 0; i < e->rank; i++) {
        if (e->shape[i] == 0) {
            snprintf(what, sizeof what, "dimension %d of the shape is 0 (an empty tensor)", i);
            return bad_tensor(c, e->name, CS_ERR_FORMAT, what);
        }
        if (count > SIZE_MAX / e->shape[i])
            return bad_tensor(c, e->name, CS_ERR_FORMAT, "the shape's element count overflows");
        count *= e->shape[i];
    }
    if (count > SIZE_MAX / e->dtype->size)
        return bad_tensor(c, e->name, CS_ERR_FORMAT, "the shape's byte count overflows");
    bytes = count * e->dtype->size;
    if (e->begin > e->end) {
        snprintf(what, sizeof what, "data_offsets [%zu, %zu] end before they begin", e->begin, e->end);
        return bad_tensor(c, e->name, CS_ERR_FORMAT, what);
    }
    if (e->end > data_len) {
        snprintf(what, sizeof what, "data_offsets [%zu, %zu] run past the %zu bytes of data", e->begin, e->end,
                 data_len);
        return bad_tensor(c, e->name, CS_ERR_FORMAT, what);
    }
    if (e->end - e->begin != bytes) {
        char shape[96];
        snprintf(what, sizeof what, "data_offsets [%zu, %zu] hold %zu bytes, but shape %s of %s needs %zu",
                 e->begin, e->end, e->end - e->begin, shape_text(e, shape, sizeof shape), e->dtype->name, bytes);
        return bad_tensor(c, e->name, CS_ERR_FORMAT, what);
    }
    if (count > WEIGHTS_MAX_TENSOR_ELEMENTS) {
        snprintf(what, sizeof what, "%zu elements, more than the %zu one tensor may have", count,
                 WEIGHTS_MAX_TENSOR_ELEMENTS);
        return bad_tensor(c, e->name, CS_ERR_LIMIT, what);
    }
    if (count > WEIGHTS_MAX_ELEMENTS - *total)
        return error_set(c->err, CS_ERR_LIMIT, "%s: the tensors hold more than %zu elements in all", c->file,
                         WEIGHTS_MAX_ELEMENTS);
    *total += count;
    e->count = count;
    return CS_OK;
}

static int compare_offsets(const void *a, const void *b)
{
    const StEntry *x = *(const StEntry *const *)a, *y = *(const StEntry *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* The tensors, in offset order, must tile the data: no overlap, no gap,
 * nothing after the last (as the reference implementation requires). */
static Status check_tiling(Cursor *c, StHeader *h, size_t data_len)
{
    Status st = CS_OK;
    StEntry **order = malloc((h->count ? h->count : 1) * sizeof *order);
    char **names = malloc((h->count ? h->count : 1) * sizeof *names);
    if (!order || !names) {
        free(order);
        free(names);
        return error_set(c->err, CS_ERR_NOMEM, "%s: cannot allocate the list of %zu tensors", c->file, h->count);
    }
    for (size_t i = 0; i < h->count; i++) {
        order[i] = &h->entries[i];
        names[i] = h->entries[i].name;
    }
    if ((st = weights_check_unique(names, h->count, c->file, c->err)) != CS_OK)
        goto done;
    qsort(order, h->count, sizeof *order, compare_offsets);
    size_t at = 0;
    for (size_t i = 0; i < h->count; i++) {
        char what[200], shown[96];
        if (order[i]->begin < at) {
            snprintf(what, sizeof what, "data_offsets [%zu, %zu] overlap those of '%s'", order[i]->begin,
                     order[i]->end, weights_printable(order[i - 1]->name, shown, sizeof shown));
            st = bad_tensor(c, order[i]->name, CS_ERR_FORMAT, what);
            goto done;
        }
        if (order[i]->begin > at) {
            snprintf(what, sizeof what, "data_offsets [%zu, %zu] leave a gap of %zu bytes before them",
                     order[i]->begin, order[i]->end, order[i]->begin - at);
            st = bad_tensor(c, order[i]->name, CS_ERR_FORMAT, what);
            goto done;
        }
        at = order[i]->end;
    }
    if (at != data_len)
        st = error_set(c->err, CS_ERR_FORMAT, "%s: %zu bytes of data follow the last tensor", c->file,
                       data_len - at);
done:
    free(order);
    free(names);
    return st;
}

/* ---- conversion ----------------------------------------------------- */

static uint64_t load_le(const unsigned char *p, size_t size)
{
    uint64_t v = 0;
    for (size_t i = size; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* IEEE half to float, exactly: subnormals scaled, infinities kept, NaNs
 * keep their sign and payload (as PyTorch's .float() does). */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff, bits;
    float v;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | mantissa << 13;
    } else if (exponent == 0) {
        v = ldexpf((float)mantissa, -24);
        return sign ? -v : v;
    } else {
        bits = sign | (exponent + 112) << 23 | mantissa << 13;
    }
    memcpy(&v, &bits, 4);
    return v;
}

static void convert(const unsigned char *src, const StEntry *e, float *dst)
{
    size_t size = e->dtype->size;
    for (size_t i = 0; i < e->count; i++, src += size) {
        uint64_t v = load_le(src, size);
        uint32_t bits;
        double d;
        switch (e->dtype->dtype) {
        case ST_F32:
            bits = (uint32_t)v;
            memcpy(&dst[i], &bits, 4);
            break;
        case ST_F16:
            dst[i] = half_to_float((uint16_t)v);
            break;
        case ST_BF16:
            bits = (uint32_t)v << 16;
            memcpy(&dst[i], &bits, 4);
            break;
        case ST_F64:
            memcpy(&d, &v, 8);
            dst[i] = (float)d;
            break;
        case ST_I64:
            dst[i] = (float)(int64_t)v;
            break;
        case ST_I32:
            dst[i] = (float)(int32_t)(uint32_t)v;
            break;
        case ST_UNSUPPORTED:
            break;
        }
    }
}

/* ---- the format ----------------------------------------------------- */

static bool safetensors_sniff(const unsigned char *data, size_t size)
{
    return size >= 9 && data[8] == '{';
}

static Status safetensors_read(const unsigned char *data, size_t size, const char *file, WeightsFile *out,
                               Error *err)
{
    StHeader h = {0};
    Status st;
    memset(out, 0, sizeof *out);
    uint64_t n = load_le(data, 8);
    if (n > SAFETENSORS_MAX_HEADER)
        return error_set(err, CS_ERR_LIMIT, "%s: the safetensors header claims %ju bytes, more than the %zu allowed",
                         file, (uintmax_t)n, SAFETENSORS_MAX_HEADER);
    if (n > size - 8)
        return error_set(err, CS_ERR_FORMAT,
                         "%s: the safetensors header claims %ju bytes, but only %zu follow its length (truncated?)",
                         file, (uintmax_t)n, size - 8);
    Cursor c = {data + 8, data + 8, data + 8 + n, file, err};
    size_t data_len = size - 8 - (size_t)n, total = 0;
    const unsigned char *base = data + 8 + n;

    if ((st = parse_header(&c, &h)) != CS_OK)
        goto done;
    for (size_t i = 0; i < h.count; i++)
        if ((st = check_entry(&c, &h.entries[i], data_len, &total)) != CS_OK)
            goto done;
    if ((st = check_tiling(&c, &h, data_len)) != CS_OK)
        goto done;

    for (size_t i = 0; i < h.count; i++) {
        StEntry *e = &h.entries[i];
        size_t d[4] = {1, 1, 1, 1};
        for (int k = 0; k < e->rank; k++)
            d[4 - e->rank + k] = e->shape[k];
        Tensor t;
        if ((st = tensor_init(&t, d[0], d[1], d[2], d[3], e->rank ? e->rank : 1, NULL)) != CS_OK) {
            bad_tensor(&c, e->name, st, "cannot allocate its float32 values");
            goto done;
        }
        convert(base + e->begin, e, t.data);
        st = weights_append(out, e->name, &t, e->rank, e->shape, file, err);
        e->name = NULL;     /* handed over (or freed) */
        if (st != CS_OK)
            goto done;
    }
done:
    header_free(&h);
    if (st != CS_OK)
        weights_free(out);
    return st;
}

const WeightsFormat safetensors_format = {"safetensors", safetensors_sniff, safetensors_read};

/* ---- writing -------------------------------------------------------- */

/* A growing text buffer for the header. */
typedef struct Text {
    char *data;
    size_t len, cap;
    bool failed;
} Text;

static void text_put(Text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *grown = realloc(t->data, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static void text_str(Text *t, const char *s)
{
    text_put(t, s, strlen(s));
}

static void text_size(Text *t, size_t v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%zu", v);
    text_put(t, buf, (size_t)n);
}

/* name as a JSON string. */
static void text_json_string(Text *t, const char *name)
{
    text_put(t, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            text_put(t, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            text_put(t, esc, 6);
        } else {
            text_put(t, (const char *)p, 1);
        }
    }
    text_put(t, "\"", 1);
}

static size_t entry_count(const SafetensorsEntry *e)
{
    size_t n = 1;
    for (int k = 0; k < e->rank; k++)
        n *= e->shape[k];
    return n;
}

static void put_le(unsigned char *out, uint64_t v, size_t size)
{
    for (size_t i = 0; i < size; i++)
        out[i] = (unsigned char)(v >> (8 * i));
}

Status safetensors_write(const char *path, const SafetensorsEntry *entries, size_t count, bool overwrite,
                         Error *err)
{
    Text h = {0};
    size_t offset = 0;
    text_str(&h, "{");
    for (size_t i = 0; i < count; i++) {
        const SafetensorsEntry *e = &entries[i];
        size_t bytes = entry_count(e) * (e->int64 ? 8 : 4);
        text_str(&h, i ? "," : "");
        text_json_string(&h, e->name);
        text_str(&h, e->int64 ? ":{\"dtype\":\"I64\",\"shape\":[" : ":{\"dtype\":\"F32\",\"shape\":[");
        for (int k = 0; k < e->rank; k++) {
            text_str(&h, k ? "," : "");
            text_size(&h, e->shape[k]);
        }
        text_str(&h, "],\"data_offsets\":[");
        text_size(&h, offset);
        text_str(&h, ",");
        text_size(&h, offset + bytes);
        text_str(&h, "]}");
        offset += bytes;
    }
    text_str(&h, "}");
    while (!h.failed && h.len % 8 != 0)
        text_str(&h, " ");
    if (h.failed) {
        free(h.data);
        return error_set(err, CS_ERR_NOMEM, "out of memory for %s's header", path);
    }

    FileOut fo;
    Status st = fileout_open(&fo, path, overwrite, err);
    if (st != CS_OK) {
        free(h.data);
        return st;
    }
    unsigned char word[8];
    put_le(word, h.len, 8);
    fwrite(word, 1, 8, fo.stream);
    fwrite(h.data, 1, h.len, fo.stream);
    free(h.data);
    for (size_t i = 0; i < count; i++) {
        const SafetensorsEntry *e = &entries[i];
        size_t n = entry_count(e);
        for (size_t j = 0; j < n; j++) {
            uint64_t v;
            if (e->int64) {
                v = (uint64_t)((const int64_t *)e->data)[j];
            } else {
                uint32_t bits;
                memcpy(&bits, (const float *)e->data + j, 4);
                v = bits;
            }
            put_le(word, v, e->int64 ? 8 : 4);
            fwrite(word, 1, e->int64 ? 8 : 4, fo.stream);
        }
    }
    return fileout_commit(&fo, err);
}
