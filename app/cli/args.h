/* args.h: parsing option values shared by every command and the window:
 * integers, "N" or "H,W" pairs, padding ("N", "H,W", valid, same, full).
 * Each parser names the option and the offending text in its message, e.g.
 * "--stride: expected a whole number >= 1 or H,W, got '0'". */
#ifndef CONVSTEP_ARGS_H
#define CONVSTEP_ARGS_H

#include <stdbool.h>

#include "error.h"
#include "geom.h"

/* A whole number in [min, max]; refuses words, trailing text and overflow. */
Status args_parse_int(const char *option, const char *text, long min, long max, long *out, Error *err);

/* A finite number in [lo, hi] with nothing after it. */
Status args_parse_float(const char *option, const char *text, float lo, float hi, float *out, Error *err);

/* "N" (both h and w) or "H,W", each in [min, max]. */
Status args_parse_pair(const char *option, const char *text, int min, int max, int *h, int *w,
                       Error *err);

/* "N", "H,W" (>= 0), "valid", "same" or "full". */
Status args_parse_padding(const char *option, const char *text, Padding *out, Error *err);

/* A padding mode name: zeros, reflect, replicate, circular. */
Status args_parse_pad_mode(const char *option, const char *text, PadMode *out, Error *err);

/* "ROW,COL" for trace --at and export --at: two whole numbers >= 0. */
Status args_parse_cell(const char *option, const char *text, int *row, int *col, Error *err);

#endif
