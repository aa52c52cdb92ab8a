/* theme.h: the two colour themes (dark for screens, light for projectors)
 * and the colour maps every panel uses:
 *   - channel tints: an input channel's values as black -> its colour (R, G,
 *     B for images; grey for other inputs),
 *   - a perceptual sequential map (viridis) for output values, readable by
 *     colour-blind viewers and in greyscale,
 *   - a diverging map (blue - neutral - orange-red, ColorBrewer RdBu-like)
 *     for signed numbers: weights and products,
 *   - the text colour that contrasts with a given background.
 * Pure functions over plain structs; no SDL. */
#ifndef CONVSTEP_THEME_H
#define CONVSTEP_THEME_H

#include <stdbool.h>
#include <stdint.h>

typedef enum ThemeKind { THEME_DARK, THEME_LIGHT } ThemeKind;

typedef struct Rgba {
    uint8_t r, g, b, a;
} Rgba;

typedef struct Theme {
    ThemeKind kind;
    Rgba bg;            /* window background */
    Rgba panel;         /* background of panels (grids, strips) */
    Rgba grid_line;     /* lines between cells */
    Rgba text;          /* body text */
    Rgba text_dim;      /* labels, secondary text */
    Rgba accent;        /* text about the current position (the result, the max) */
    Rgba accent2;       /* text about the current sub-step (channel or multiply) */
    Rgba window;        /* outline of the kernel window, the current cell, the link */
    Rgba step;          /* outline of the current sub-step and selections */
    Rgba halo;          /* thin border around those outlines, so they read on any cell */
    Rgba ghost;         /* the previous window position (stride) */
    Rgba pad_fill;      /* padding cells */
    Rgba pad_hatch;     /* hatching over padding cells */
    Rgba unreached;     /* veil over input rows/columns no window reads */
    Rgba pending;       /* output cells not computed yet */
    Rgba error;         /* status line errors */
    Rgba overlay;       /* the help overlay's background (translucent) */
    Rgba signed_mid;    /* the diverging map's centre (zero) */
} Theme;

/* The theme's colours (static storage). */
const Theme *theme_get(ThemeKind kind);

/* "dark" / "light"; parse returns false for other names. */
const char *theme_name(ThemeKind kind);
bool theme_parse(const char *name, ThemeKind *kind);

/* Viridis at t in [0, 1] (clamped; NaN gives the t = 0 colour). */
Rgba theme_sequential(float t);

/* The diverging map at t in [-1, 1] (clamped): -1 blue, 0 the theme's
 * signed_mid, +1 orange-red. */
Rgba theme_diverging(const Theme *th, float t);

/* A channel tint at t in [0, 1]: black to the channel's colour. channel is
 * 0 R, 1 G, 2 B for image inputs; tinted false (or channel > 2) gives grey. */
Rgba theme_tint(int channel, bool tinted, float t);

/* The pure colour of a channel for labels and outlines (grey when not
 * tinted), adjusted to read on the theme's background. */
Rgba theme_channel_color(const Theme *th, int channel, bool tinted);

/* Black or white text (near-black / near-white), whichever contrasts more
 * with bg by WCAG relative luminance. */
Rgba theme_text_on(Rgba bg);

#endif
