/* format.h: numbers as the scenes print them: cell values as short as they
 * read well, counts with thousands separators or unit suffixes, and "h x w"
 * pairs. Pure string formatting, no drawing. */
#ifndef CONVSTEP_FORMAT_H
#define CONVSTEP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* v as short as it reads well: whole numbers without a point, others with
 * up to two decimals (fewer for large values), trailing zeros dropped;
 * decimals dropped to fit max_chars, then large values in exponent form
 * ("1e+05"); infinities as "∞", "-∞", NaN as "nan". Writes buf and
 * returns it. */
const char *format_value(float v, char *buf, size_t size, int max_chars);

/* 1234567 as "1,234,567". Returns buf. */
const char *format_count(uint64_t v, char *buf, size_t size);

/* 296, 4.6K, 1.1M, 15.3G: a count short enough for a label. Returns buf. */
const char *format_count_short(uint64_t v, char *buf, size_t size);

/* "5" when both axes agree, else "5x3" (h then w, %.10g each). Returns
 * buf. */
const char *format_pair(double h, double w, char *buf, size_t size);

#endif
