/* text.h: the text cache. Finds the font (--font FILE, else DejaVu Sans
 * Mono through fontconfig, else its standard Debian path), opens it at the
 * pixel sizes asked for, and keeps every rendered string as a texture keyed
 * by (text, size, colour), so a string drawn every frame is rasterised once.
 * Textures belong to one SDL_Renderer: each renderer (the window's, the
 * offscreen one in render.c) needs its own cache. Entries not used for a
 * while are evicted (least recently used first) when the cache is full:
 * over TEXT_CACHE_MAX_ENTRIES strings or text_cache_byte_limit() bytes of
 * texture pixels. Fonts are kept open for at most TEXT_FONTS_MAX pixel sizes (each
 * holds its own FreeType face and glyph cache, about 250 KB; a storm of
 * window resizes would otherwise open one per size ever used). */
#ifndef CONVSTEP_TEXT_H
#define CONVSTEP_TEXT_H

#include <stddef.h>

#include <SDL.h>

#include "error.h"
#include "painter.h"  /* TEXT_LEFT..TEXT_BOTTOM, text_draw's align */

#define TEXT_CACHE_MAX_ENTRIES 3000             /* a busy frame draws well under 1000 */
#define TEXT_CACHE_SCREENS 2                     /* texture bytes kept: two screenfuls... */
#define TEXT_CACHE_MIN_BYTES ((size_t)8 << 20)   /* ...but at least this */
#define TEXT_FONTS_MAX 12                         /* a frame uses a handful of sizes */

typedef struct TextCache TextCache;

/* Writes the font file to use into buf: override if not NULL (it must be a
 * readable file), else fontconfig's match for "DejaVu Sans Mono" (only if it
 * really is DejaVu Sans Mono), else /usr/share/fonts/truetype/dejavu/
 * DejaVuSansMono.ttf. Fails with CS_ERR_IO: "font FILE: No such file or
 * directory" or "no monospace font found: install fonts-dejavu-core or give
 * --font FILE". */
Status text_find_font(const char *override, char *buf, size_t size, Error *err);

/* Opens the font at font_path (TTF_Init is done here if needed) for
 * renderer r. Fails with CS_ERR_FORMAT if SDL_ttf cannot open it. */
Status text_cache_create(SDL_Renderer *r, const char *font_path, TextCache **out, Error *err);

/* Frees textures and fonts. NULL is fine. */
void text_cache_destroy(TextCache *tc);

/* Draws UTF-8 text at pixel size px (clamped to 6..400) in colour c,
 * aligned at (x, y) as align says; returns the drawn width. Empty text draws
 * nothing. */
int text_draw(TextCache *tc, const char *text, int px, SDL_Color c, int x, int y, int align);

/* Width and height text would take at size px (without rendering it). */
void text_measure(TextCache *tc, const char *text, int px, int *w, int *h);

/* The advance of one character at size px (the font is monospace). */
int text_char_width(TextCache *tc, int px);

/* The largest size <= px at which text fits in max_w pixels (at least 6). */
int text_fit(TextCache *tc, const char *text, int px, int max_w);

/* Number of cached strings, the bytes of their textures, how many strings
 * were rasterised since the cache was made and how many font sizes are open
 * (tests use these to check that redrawing a frame rasterises nothing and
 * that the cache stays within its bounds). */
size_t text_cache_entries(const TextCache *tc);
size_t text_cache_bytes(const TextCache *tc);
size_t text_cache_misses(const TextCache *tc);
size_t text_cache_fonts(const TextCache *tc);

/* The bytes of texture pixels (w * h * 4 summed) the cache keeps at most:
 * TEXT_CACHE_SCREENS times the renderer's output, at least
 * TEXT_CACHE_MIN_BYTES, so a frame's strings always fit and a storm of
 * distinct strings (window resizes, edits) cannot grow it further. */
size_t text_cache_byte_limit(const TextCache *tc);

#endif
