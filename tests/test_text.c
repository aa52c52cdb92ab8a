/* test_text.c: the text cache: the font lookup, strings rasterised once and
 * drawn from the cache afterwards, eviction of the least recently used, and
 * the fitting helpers, on a software renderer (no display). */
#include <criterion/criterion.h>
#include <stdio.h>
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
    cr_assert_leq(text_cache_entries(f.tc), 3000, "the cache is bounded");
    size_t misses = text_cache_misses(f.tc);
    cr_assert_eq(misses, 3501);
    text_draw(f.tc, "kept", 10, white, 0, 0, 0);
    text_draw(f.tc, "3499", 10, white, 0, 0, 0);
    cr_assert_eq(text_cache_misses(f.tc), misses, "recent strings stay");
    text_draw(f.tc, "0", 10, white, 0, 0, 0);
    cr_assert_eq(text_cache_misses(f.tc), misses + 1, "the oldest string was evicted");
    close_fixture(&f);
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
