/* test_text.c: the text cache: the font lookup, strings rasterised once and
 * drawn from the cache afterwards, eviction of the least recently used, and
 * the fitting helpers, on a software renderer (no display). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "text.h"

typedef struct Fixture {
    SDL_Surface *surface;
    SDL_Renderer *renderer;
    TextCache *tc;
} Fixture;

static Fixture open_fixture(void)
{
    Fixture f;
    char font[4096];
    Error err = {0};
    cr_assert_eq(text_find_font(NULL, font, sizeof font, &err), CS_OK, "%s", err.message);
    f.surface = SDL_CreateRGBSurfaceWithFormat(0, 320, 200, 32, SDL_PIXELFORMAT_ARGB8888);
    cr_assert_not_null(f.surface);
    f.renderer = SDL_CreateSoftwareRenderer(f.surface);
    cr_assert_not_null(f.renderer);
    cr_assert_eq(text_cache_create(f.renderer, font, &f.tc, &err), CS_OK, "%s", err.message);
    return f;
}

static void close_fixture(Fixture *f)
{
    text_cache_destroy(f->tc);
    SDL_DestroyRenderer(f->renderer);
    SDL_FreeSurface(f->surface);
}

Test(text, finds_dejavu_sans_mono_and_refuses_a_missing_font)
{
    char font[4096];
    Error err = {0};
    cr_assert_eq(text_find_font(NULL, font, sizeof font, &err), CS_OK, "%s", err.message);
    cr_assert(strstr(font, "DejaVuSansMono"), "found %s", font);
    cr_assert_eq(text_find_font(font, font, sizeof font, &err), CS_OK, "an existing --font is taken");
    cr_assert_neq(text_find_font("/nonexistent/x.ttf", font, sizeof font, &err), CS_OK);
    cr_assert(strstr(err.message, "/nonexistent/x.ttf") && strstr(err.message, "No such file"), "%s",
              err.message);
    cr_assert_neq(text_find_font("/tmp", font, sizeof font, &err), CS_OK, "a folder is not a font");
}

Test(text, a_file_that_is_not_a_font_is_refused)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 8, 8, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = SDL_CreateSoftwareRenderer(s);
    TextCache *tc;
    Error err = {0};
    const char *path = "/tmp/convstep-test-not-a-font.ttf";
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("not a font", f);
    fclose(f);
    cr_assert_neq(text_cache_create(r, path, &tc, &err), CS_OK);
    cr_assert_null(tc);
    cr_assert(strstr(err.message, path), "%s", err.message);
    remove(path);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
}

Test(text, strings_are_rasterised_once_and_drawn)
{
    Fixture f = open_fixture();
    SDL_Color white = {255, 255, 255, 255}, red = {255, 0, 0, 255};
    SDL_FillRect(f.surface, NULL, 0xFF000000u);
    int w = text_draw(f.tc, "123", 20, white, 10, 10, TEXT_LEFT | TEXT_TOP);
    cr_assert_gt(w, 0);
    cr_assert_eq(text_cache_misses(f.tc), 1);
    text_draw(f.tc, "123", 20, white, 50, 50, TEXT_CENTER | TEXT_MIDDLE);
    cr_assert_eq(text_cache_misses(f.tc), 1, "the same string, size and colour come from the cache");
    text_draw(f.tc, "123", 20, red, 10, 10, TEXT_LEFT | TEXT_TOP);
    text_draw(f.tc, "123", 24, white, 10, 10, TEXT_LEFT | TEXT_TOP);
    cr_assert_eq(text_cache_misses(f.tc), 3, "colour and size are part of the key");
    cr_assert_eq(text_draw(f.tc, "", 20, white, 0, 0, 0), 0);
    SDL_RenderFlush(f.renderer);
    /* something was painted where the first string went */
    int lit = 0;
    const uint32_t *px = f.surface->pixels;
    for (int y = 10; y < 34; y++)
        for (int x = 10; x < 10 + w; x++)
            lit += (px[y * 320 + x] & 0xFF) > 128;
    cr_assert_gt(lit, 20);
    close_fixture(&f);
}

Test(text, the_least_recently_used_strings_are_evicted)
{
    Fixture f = open_fixture();
    SDL_Color white = {255, 255, 255, 255};
    char buf[32];
    for (int i = 0; i < 3500; i++) {
        snprintf(buf, sizeof buf, "%d", i);
        text_draw(f.tc, buf, 10, white, 0, 0, 0);
        text_draw(f.tc, "kept", 10, white, 0, 0, 0);   /* used all the time: never evicted */
    }
    cr_assert_leq(text_cache_entries(f.tc), TEXT_CACHE_MAX_ENTRIES, "the cache is bounded");
    size_t misses = text_cache_misses(f.tc);
    cr_assert_eq(misses, 3501);
    text_draw(f.tc, "kept", 10, white, 0, 0, 0);
    text_draw(f.tc, "3499", 10, white, 0, 0, 0);
    cr_assert_eq(text_cache_misses(f.tc), misses, "recent strings stay");
    text_draw(f.tc, "0", 10, white, 0, 0, 0);
    cr_assert_eq(text_cache_misses(f.tc), misses + 1, "the oldest string was evicted");
    close_fixture(&f);
}

/* Draws text at (0, 0) on a cleared surface and returns a copy of the
 * surface's pixels (caller frees). */
static uint32_t *draw_alone(Fixture *f, const char *text, int px, SDL_Color c)
{
    SDL_FillRect(f->surface, NULL, 0xFF000000u);
    text_draw(f->tc, text, px, c, 0, 0, TEXT_LEFT | TEXT_TOP);
    SDL_RenderFlush(f->renderer);
    size_t bytes = (size_t)f->surface->pitch * (size_t)f->surface->h;
    uint32_t *copy = malloc(bytes);
    cr_assert_not_null(copy);
    memcpy(copy, f->surface->pixels, bytes);
    return copy;
}

Test(text, the_cache_stays_within_its_bytes_and_fonts_and_redraws_evicted_strings_the_same)
{
    /* 120 strings of 20 characters at sizes 80 to 199 (each texture about
     * 20 * 0.6 * px by 1.2 * px pixels of 4 bytes: 0.3 to 1.9 MB) hold over
     * 100 MB in all and use 120 font sizes: the cache must keep within its
     * byte limit (for this 320x200 renderer, TEXT_CACHE_MIN_BYTES) and
     * TEXT_FONTS_MAX throughout. The first string,
     * at a size whose font was closed meanwhile, must come back exactly as
     * it was drawn the first time. */
    Fixture f = open_fixture();
    cr_assert_eq(text_cache_byte_limit(f.tc), TEXT_CACHE_MIN_BYTES);
    SDL_Color white = {255, 255, 255, 255}, gold = {250, 200, 40, 255};
    uint32_t *first = draw_alone(&f, "Conv2d(3, 16, k=3)", 24, gold);
    size_t misses = text_cache_misses(f.tc);
    char buf[32];
    for (int i = 0; i < 120; i++) {
        snprintf(buf, sizeof buf, "%03d 0123456789abcdef", i);
        text_draw(f.tc, buf, 80 + i, white, 0, 0, 0);
        cr_assert_leq(text_cache_bytes(f.tc), TEXT_CACHE_MIN_BYTES, "after string %d: %zu bytes", i,
                      text_cache_bytes(f.tc));
        cr_assert_leq(text_cache_fonts(f.tc), TEXT_FONTS_MAX, "after string %d: %zu fonts", i,
                      text_cache_fonts(f.tc));
    }
    cr_assert_gt(text_cache_bytes(f.tc), TEXT_CACHE_MIN_BYTES / 2, "the strings were big enough to fill it");
    cr_assert_eq(text_cache_misses(f.tc), misses + 120);
    uint32_t *again = draw_alone(&f, "Conv2d(3, 16, k=3)", 24, gold);
    cr_assert_eq(text_cache_misses(f.tc), misses + 121, "the first string was evicted and rendered again");
    size_t bytes = (size_t)f.surface->pitch * (size_t)f.surface->h;
    cr_assert(memcmp(first, again, bytes) == 0, "a string rendered again draws the same pixels");
    size_t lit = 0;
    for (size_t i = 0; i < bytes / 4; i++)
        lit += (first[i] & 0xFFFFFFu) != 0;
    cr_assert_gt(lit, 50, "the string was drawn at all");
    free(first);
    free(again);
    close_fixture(&f);
}

Test(text, the_byte_limit_is_two_screenfuls_of_the_renderer_output)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 2000, 1500, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = SDL_CreateSoftwareRenderer(s);
    char font[4096];
    TextCache *tc;
    Error err = {0};
    cr_assert_eq(text_find_font(NULL, font, sizeof font, &err), CS_OK, "%s", err.message);
    cr_assert_eq(text_cache_create(r, font, &tc, &err), CS_OK, "%s", err.message);
    cr_assert_eq(text_cache_byte_limit(tc), (size_t)TEXT_CACHE_SCREENS * 2000 * 1500 * 4);
    text_cache_destroy(tc);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
}

Test(text, measuring_and_fitting)
{
    Fixture f = open_fixture();
    int w3, w6, h;
    text_measure(f.tc, "123", 20, &w3, &h);
    text_measure(f.tc, "123456", 20, &w6, &h);
    cr_assert_gt(h, 15);
    cr_assert_eq(w6, 2 * w3, "a monospace font: width grows with the characters");
    cr_assert_eq(w3, 3 * text_char_width(f.tc, 20));
    cr_assert_eq(text_fit(f.tc, "123", 20, 1000), 20, "fits at the asked size");
    int small = text_fit(f.tc, "123456", 20, w3);
    cr_assert_lt(small, 20);
    text_measure(f.tc, "123456", small, &w6, &h);
    cr_assert_leq(w6, w3 + 1);
    close_fixture(&f);
}
