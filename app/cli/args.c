/* args.c: option value parsers (see args.h). */
#include "args.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

Status args_parse_int(const char *option, const char *text, long min, long max, long *out, Error *err)
{
    char *end;
    long v;
    if (!text || !*text)
        return error_set(err, CS_ERR_RANGE, "%s: expected a whole number, got nothing", option);
    errno = 0;
    v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || (*text == ' '))
        return error_set(err, CS_ERR_RANGE, "%s: expected a whole number, got '%s'", option, text);
    if (errno == ERANGE || v < min || v > max)
        return error_set(err, CS_ERR_RANGE, "%s: %s is out of range (%ld to %ld)", option, text, min, max);
    *out = v;
    return CS_OK;
}

/* Splits "H,W" at the comma into two parsed numbers, or "N" into one used twice. */
Status args_parse_pair(const char *option, const char *text, int min, int max, int *h, int *w,
                       Error *err)
{
    char first[64];
    const char *comma = text ? strchr(text, ',') : NULL;
    long a, b;
    Status st;
    if (!comma) {
        st = args_parse_int(option, text, min, max, &a, err);
        if (st != CS_OK)
            return st;
        *h = *w = (int)a;
        return CS_OK;
    }
    if ((size_t)(comma - text) >= sizeof first)
        return error_set(err, CS_ERR_RANGE, "%s: expected N or H,W, got '%.40s...'", option, text);
    memcpy(first, text, (size_t)(comma - text));
    first[comma - text] = '\0';
    if ((st = args_parse_int(option, first, min, max, &a, err)) != CS_OK ||
        (st = args_parse_int(option, comma + 1, min, max, &b, err)) != CS_OK)
        return st;
    *h = (int)a;
    *w = (int)b;
    return CS_OK;
}

Status args_parse_padding(const char *option, const char *text, Padding *out, Error *err)
{
    static const struct { const char *name; PadKind kind; } named[] = {
        {"valid", PAD_VALID}, {"same", PAD_SAME}, {"full", PAD_FULL},
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        if (text && strcmp(text, named[i].name) == 0) {
            *out = (Padding){named[i].kind, 0, 0};
            return CS_OK;
        }
    }
    out->kind = PAD_EXPLICIT;
    return args_parse_pair(option, text, 0, 1 << 20, &out->h, &out->w, err);
}

Status args_parse_pad_mode(const char *option, const char *text, PadMode *out, Error *err)
{
    if (text && geom_pad_mode_parse(text, out))
        return CS_OK;
    return error_set(err, CS_ERR_RANGE,
                     "%s: expected zeros, reflect, replicate or circular, got '%s'", option,
                     text ? text : "");
}

Status args_parse_cell(const char *option, const char *text, int *row, int *col, Error *err)
{
    if (!text || !strchr(text, ','))
        return error_set(err, CS_ERR_RANGE, "%s: expected ROW,COL, got '%s'", option, text ? text : "");
    return args_parse_pair(option, text, 0, INT_MAX, row, col, err);
}

Status args_parse_float(const char *option, const char *text, float lo, float hi, float *out, Error *err)
{
    char *end;
    errno = 0;
    float v = strtof(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v))
        return error_set(err, CS_ERR_RANGE, "%s: expected a number, got '%s'", option, text);
    if (v < lo || v > hi)
        return error_set(err, CS_ERR_RANGE, "%s: %s is out of range (%g to %g)", option, text,
                         (double)lo, (double)hi);
    *out = v;
    return CS_OK;
}
