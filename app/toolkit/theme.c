/* theme.c: the dark and light themes and the colour maps (see theme.h).
 *
 * Viridis is interpolated linearly between its eleven published stops
 * (matplotlib's map at t = 0, 0.1, ..., 1); the diverging map runs from
 * ColorBrewer RdBu's blue through the theme's neutral to its red. */
#include "theme.h"

#include <math.h>
#include <string.h>

static const Theme theme_dark = {
    .kind = THEME_DARK,
    .bg = {24, 26, 31, 255},
    .panel = {34, 37, 44, 255},
    .grid_line = {24, 26, 31, 255},
    .text = {236, 238, 242, 255},
    .text_dim = {160, 166, 178, 255},
    .accent = {255, 214, 0, 255},
    .accent2 = {0, 229, 255, 255},
    .window = {255, 214, 0, 255},
    .step = {0, 229, 255, 255},
    .halo = {0, 0, 0, 255},
    .ghost = {255, 214, 0, 110},
    .pad_fill = {52, 56, 66, 255},
    .pad_hatch = {86, 92, 106, 255},
    .unreached = {24, 26, 31, 170},
    .pending = {44, 48, 56, 255},
    .error = {255, 120, 100, 255},
    .overlay = {16, 18, 22, 236},
    .signed_mid = {58, 60, 66, 255},
};

static const Theme theme_light = {
    .kind = THEME_LIGHT,
    .bg = {250, 250, 247, 255},
    .panel = {236, 236, 232, 255},
    .grid_line = {250, 250, 247, 255},
    .text = {18, 20, 24, 255},
    .text_dim = {84, 88, 98, 255},
    .accent = {176, 84, 0, 255},
    .accent2 = {0, 96, 180, 255},
    .window = {255, 200, 0, 255},
    .step = {0, 210, 255, 255},
    .halo = {16, 16, 16, 255},
    .ghost = {176, 84, 0, 150},
    .pad_fill = {222, 222, 216, 255},
    .pad_hatch = {170, 170, 162, 255},
    .unreached = {250, 250, 247, 170},
    .pending = {228, 228, 224, 255},
    .error = {190, 30, 20, 255},
    .overlay = {252, 252, 250, 240},
    .signed_mid = {247, 247, 247, 255},
};

const Theme *theme_get(ThemeKind kind)
{
    return kind == THEME_LIGHT ? &theme_light : &theme_dark;
}

const char *theme_name(ThemeKind kind)
{
    return kind == THEME_LIGHT ? "light" : "dark";
}

bool theme_parse(const char *name, ThemeKind *kind)
{
    if (strcmp(name, "dark") == 0)
        *kind = THEME_DARK;
    else if (strcmp(name, "light") == 0)
        *kind = THEME_LIGHT;
    else
        return false;
    return true;
}

static float clamp01(float t)
{
    if (!(t > 0.0f))
        return 0.0f;
    return t > 1.0f ? 1.0f : t;
}

static Rgba lerp(Rgba a, Rgba b, float t)
{
    Rgba c;
    c.r = (uint8_t)lroundf(a.r + (b.r - a.r) * t);
    c.g = (uint8_t)lroundf(a.g + (b.g - a.g) * t);
    c.b = (uint8_t)lroundf(a.b + (b.b - a.b) * t);
    c.a = 255;
    return c;
}

Rgba theme_sequential(float t)
{
    static const Rgba stops[11] = {
        {0x44, 0x01, 0x54, 255}, {0x48, 0x25, 0x76, 255}, {0x41, 0x44, 0x87, 255},
        {0x35, 0x60, 0x8d, 255}, {0x2a, 0x78, 0x8e, 255}, {0x21, 0x90, 0x8c, 255},
        {0x22, 0xa8, 0x84, 255}, {0x43, 0xbf, 0x71, 255}, {0x7a, 0xd1, 0x51, 255},
        {0xbb, 0xdf, 0x27, 255}, {0xfd, 0xe7, 0x25, 255},
    };
    float x = clamp01(t) * 10.0f;
    int i = (int)x;
    if (i >= 10)
        return stops[10];
    return lerp(stops[i], stops[i + 1], x - (float)i);
}

Rgba theme_diverging(const Theme *th, float t)
{
    static const Rgba blue = {0x21, 0x66, 0xac, 255}, red = {0xb2, 0x18, 0x2b, 255};
    static const Rgba blue_dark = {0x43, 0x93, 0xc3, 255}, red_dark = {0xe0, 0x6a, 0x4d, 255};
    bool dark = th->kind == THEME_DARK;
    if (t != t)
        t = 0.0f;
    if (t < 0.0f)
        return lerp(th->signed_mid, dark ? blue_dark : blue, clamp01(-t));
    return lerp(th->signed_mid, dark ? red_dark : red, clamp01(t));
}

Rgba theme_tint(int channel, bool tinted, float t)
{
    static const Rgba ends[3] = {{236, 64, 52, 255}, {64, 200, 84, 255}, {80, 128, 255, 255}};
    static const Rgba black = {0, 0, 0, 255}, white = {235, 235, 235, 255};
    if (tinted && channel >= 0 && channel < 3)
        return lerp(black, ends[channel], clamp01(t));
    return lerp(black, white, clamp01(t));
}

Rgba theme_channel_color(const Theme *th, int channel, bool tinted)
{
    static const Rgba on_dark[3] = {{255, 110, 96, 255}, {110, 220, 120, 255}, {120, 160, 255, 255}};
    static const Rgba on_light[3] = {{200, 30, 30, 255}, {20, 130, 40, 255}, {30, 80, 210, 255}};
    if (!tinted || channel < 0 || channel > 2)
        return th->text_dim;
    return th->kind == THEME_DARK ? on_dark[channel] : on_light[channel];
}

/* WCAG relative luminance of an sRGB colour. */
static double luminance(Rgba c)
{
    double v[3] = {c.r / 255.0, c.g / 255.0, c.b / 255.0};
    for (int i = 0; i < 3; i++)
        v[i] = v[i] <= 0.04045 ? v[i] / 12.92 : pow((v[i] + 0.055) / 1.055, 2.4);
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
}

Rgba theme_text_on(Rgba bg)
{
    static const Rgba dark = {16, 16, 16, 255}, light = {250, 250, 250, 255};
    double l = luminance(bg);
    /* contrast ratios (L1 + 0.05) / (L2 + 0.05) against each text colour */
    double with_dark = (l + 0.05) / (luminance(dark) + 0.05);
    double with_light = (luminance(light) + 0.05) / (l + 0.05);
    return with_dark >= with_light ? dark : light;
}
