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

/* v in decimal at p (no terminator, room for 20 bytes); returns the end.
 * Without printf: the rf table writes 10,000 rows of these within 10 ms. */
char *format_put_uint(char *p, uint64_t v);

/* 1234567 as "1,234,567". Returns buf (room for 28 bytes needed for any v). */
const char *format_count(uint64_t v, char *buf, size_t size);

/* 296, 4.6K, 1.1M, 15.3G: a count short enough for a label. Returns buf. */
const char *format_count_short(uint64_t v, char *buf, size_t size);

/* v as the command line and the scenes' labels print a number: whole
 * numbers in full (below 1e15), others with up to four decimals and
 * trailing zeros trimmed (0.1111, -3.5), |v| >= 1e5 or < 1e-3 as %.4g,
 * "nan", "inf", "-inf". (format_value is for grid cells, which must fit a
 * few characters.) Returns buf. */
const char *format_number(double v, char *buf, size_t size);

/* "5" when both axes print the same, else h, sep, w: "5x3" for sizes on
 * screen and in tables, "2,1" as the command line writes them. Each number
 * as format_number. Returns buf. */
const char *format_pair(double h, double w, char sep, char *buf, size_t size);

#endif
