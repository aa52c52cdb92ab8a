/* format.c: numbers as the scenes print them (see format.h). */
#include "format.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *format_value(float v, char *buf, size_t size, int max_chars)
{
    if (isinf(v)) {
        snprintf(buf, size, "%s", v < 0 ? "-\xe2\x88\x9e" : "\xe2\x88\x9e");
        return buf;
    }
    if (v != v) {
        snprintf(buf, size, "nan");
        return buf;
    }
    double a = fabs((double)v);
    int decimals = a < 10.0 ? 2 : a < 1000.0 ? 1 : 0;
    for (; decimals >= 0; decimals--) {
        snprintf(buf, size, "%.*f", decimals, (double)v);
        if (strchr(buf, '.')) {
            char *end = buf + strlen(buf) - 1;
            while (*end == '0')
                *end-- = '\0';
            if (*end == '.')
                *end = '\0';
        }
        if (strcmp(buf, "-0") == 0)
            snprintf(buf, size, "0");
        if ((int)strlen(buf) <= max_chars)
            return buf;
    }
    if (a >= 1e4)
        snprintf(buf, size, "%.0e", (double)v);
    return buf;
}

char *format_put_uint(char *p, uint64_t v)
{
    char digits[24];
    int n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    while (n > 0)
        *p++ = digits[--n];
    return p;
}

const char *format_count(uint64_t v, char *buf, size_t size)
{
    char digits[24];
    int n = (int)(format_put_uint(digits, v) - digits);
    size_t j = 0;
    for (int i = 0; i < n && j + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[j++] = ',';
        buf[j++] = digits[i];
    }
    buf[j] = '\0';
    return buf;
}

const char *format_count_short(uint64_t v, char *buf, size_t size)
{
    static const char units[] = "KMGTP";
    if (v < 1000) {
        snprintf(buf, size, "%llu", (unsigned long long)v);
        return buf;
    }
    double d = (double)v;
    int u = -1;
    while (d >= 999.95 && u < 4) {
        d /= 1000.0;
        u++;
    }
    snprintf(buf, size, d < 9.95 ? "%.1f%c" : "%.0f%c", d, units[u]);
    return buf;
}

/* v as format_number writes it into text (room for 32 bytes), without
 * printf for whole numbers; returns its length. */
static size_t number_text(double v, char *text)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        char *end = text;
        if (v < 0)
            *end++ = '-';
        end = format_put_uint(end, (uint64_t)fabs(v));
        *end = '\0';
        return (size_t)(end - text);
    }
    if (!isfinite(v))
        return (size_t)snprintf(text, 32, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
    if (fabs(v) >= 1e5 || fabs(v) < 1e-3)
        return (size_t)snprintf(text, 32, "%.4g", v);
    /* four decimals, trailing zeros trimmed: 0.1111, -3.5 */
    size_t n = (size_t)snprintf(text, 32, "%.4f", v);
    while (text[n - 1] == '0')
        text[--n] = '\0';
    if (text[n - 1] == '.')
        text[--n] = '\0';
    return n;
}

/* Copies n bytes of text and a terminator into buf of size bytes (cut to
 * fit). */
static void put_text(char *buf, size_t size, const char *text, size_t n)
{
    if (size == 0)
        return;
    if (n >= size)
        n = size - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
}

const char *format_number(double v, char *buf, size_t size)
{
    char text[32];
    put_text(buf, size, text, number_text(v, text));
    return buf;
}

const char *format_pair(double h, double w, char sep, char *buf, size_t size)
{
    char text[66];
    size_t a = number_text(h, text);
    size_t b = number_text(w, text + a + 1);
    /* equal text for unequal values (both round to the same) is one number */
    if (a == b && memcmp(text, text + a + 1, a) == 0) {
        put_text(buf, size, text, a);
    } else {
        text[a] = sep;
        put_text(buf, size, text, a + 1 + b);
    }
    return buf;
}
