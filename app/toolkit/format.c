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

const char *format_count(uint64_t v, char *buf, size_t size)
{
    char digits[48];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
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

const char *format_pair(double h, double w, char *buf, size_t size)
{
    if (h == w)
        snprintf(buf, size, "%.10g", h);
    else
        snprintf(buf, size, "%.10gx%.10g", h, w);
    return buf;
}
