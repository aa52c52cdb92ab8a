/* text.c: the font lookup and the string texture cache (see text.h).
 *
 * The cache is a chained hash table of (text, size, colour) -> texture with
 * an intrusive least-recently-used list: a hit moves the entry to the front,
 * and inserting beyond TEXT_CACHE_MAX_ENTRIES or text_cache_byte_limit()
 * drops entries from the back. Fonts are opened lazily, one TTF_Font per pixel
 * size in use, and the least recently used size is closed when more than
 * TEXT_FONTS_MAX would be open. */
#include "text.h"

#include <errno.h>
#include <limits.h>
#include <fontconfig/fontconfig.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <SDL_ttf.h>

#define TEXT_PX_MIN 6
#define TEXT_PX_MAX 400
#define TEXT_BUCKETS 4096       /* power of two */

static const char *const dejavu_path = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

typedef struct Entry {
    struct Entry *next_in_bucket;
    struct Entry *prev, *next;  /* LRU list, most recent first */
    uint32_t hash;
    int px;
    uint32_t color;
    SDL_Texture *tex;
    int w, h;
    char text[];
} Entry;

struct TextCache {
    SDL_Renderer *renderer;
    char font_path[4096];
    void *font_data;                /* the font file, read once (SDL_LoadFile) */
    size_t font_size;
    TTF_Font *fonts[TEXT_PX_MAX + 1];
    unsigned long font_used[TEXT_PX_MAX + 1];  /* font_clock at its last use */
    unsigned long font_clock;
    size_t open_fonts;
    int advance[TEXT_PX_MAX + 1];   /* 0 = not measured yet; kept when the font closes */
    Entry *buckets[TEXT_BUCKETS];
    Entry *head, *tail;
    size_t count, bytes, misses;
};

/* ------------------------------------------------------------------- fonts */

static bool is_readable_file(const char *path)
{
    struct stat st;
    FILE *f;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    if (!(f = fopen(path, "rb")))
        return false;
    fclose(f);
    return true;
}

/* fontconfig's file for "DejaVu Sans Mono", only when the match really is
 * that family (fontconfig substitutes another font when it is missing). */
static bool fontconfig_dejavu(char *buf, size_t size)
{
    bool found = false;
    FcResult result;
    if (!FcInit())
        return false;
    FcPattern *pat = FcNameParse((const FcChar8 *)"DejaVu Sans Mono");
    if (!pat)
        return false;
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcPattern *match = FcFontMatch(NULL, pat, &result);
    if (match) {
        FcChar8 *family = NULL, *file = NULL;
        if (FcPatternGetString(match, FC_FAMILY, 0, &family) == FcResultMatch &&
            FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch &&
            strcmp((const char *)family, "DejaVu Sans Mono") == 0 &&
            strlen((const char *)file) < size && is_readable_file((const char *)file)) {
            snprintf(buf, size, "%s", (const char *)file);
            found = true;
        }
        FcPatternDestroy(match);
    }
    FcPatternDestroy(pat);
    /* The path is copied: fontconfig's own state can go (without this
     * LeakSanitizer reports it at exit and `make sanitize` fails). */
    FcFini();
    return found;
}

Status text_find_font(const char *override, char *buf, size_t size, Error *err)
{
    if (override) {
        struct stat st;
        if (stat(override, &st) != 0)
            return error_set(err, CS_ERR_IO, "font %s: %s", override, strerror(errno));
        if (!S_ISREG(st.st_mode) || !is_readable_file(override))
            return error_set(err, CS_ERR_IO, "font %s: not a readable file", override);
        if (strlen(override) >= size)
            return error_set(err, CS_ERR_RANGE, "font path too long: %s", override);
        snprintf(buf, size, "%s", override);
        return CS_OK;
    }
    if (fontconfig_dejavu(buf, size))
        return CS_OK;
    if (is_readable_file(dejavu_path)) {
        snprintf(buf, size, "%s", dejavu_path);
        return CS_OK;
    }
    return error_set(err, CS_ERR_IO,
                     "no monospace font found (DejaVu Sans Mono): install fonts-dejavu-core or give --font FILE");
}

static int clamp_px(int px)
{
    return px < TEXT_PX_MIN ? TEXT_PX_MIN : px > TEXT_PX_MAX ? TEXT_PX_MAX : px;
}

/* Closes the open font used least recently. */
static void close_oldest_font(TextCache *tc)
{
    int oldest = -1;
    for (int px = TEXT_PX_MIN; px <= TEXT_PX_MAX; px++)
        if (tc->fonts[px] && (oldest < 0 || tc->font_used[px] < tc->font_used[oldest]))
            oldest = px;
    TTF_CloseFont(tc->fonts[oldest]);
    tc->fonts[oldest] = NULL;
    tc->open_fonts--;
}

/* The font at size px, opened on first use from the file's bytes in
 * memory (FreeType reading a file seeks before every read: thousands of
 * system calls per size); NULL if SDL_ttf fails. The pointer stays valid
 * until the next call. */
static TTF_Font *font_at(TextCache *tc, int px)
{
    if (!tc->fonts[px]) {
        if (tc->open_fonts >= TEXT_FONTS_MAX)
            close_oldest_font(tc);
        SDL_RWops *rw = SDL_RWFromConstMem(tc->font_data, (int)tc->font_size);
        tc->fonts[px] = rw ? TTF_OpenFontRW(rw, 1, px) : NULL;
        tc->open_fonts += tc->fonts[px] != NULL;
    }
    tc->font_used[px] = ++tc->font_clock;
    return tc->fonts[px];
}

Status text_cache_create(SDL_Renderer *r, const char *font_path, TextCache **out, Error *err)
{
    *out = NULL;
    if (!TTF_WasInit() && TTF_Init() != 0)
        return error_set(err, CS_ERR_IO, "cannot start SDL_ttf: %s", TTF_GetError());
    TextCache *tc = calloc(1, sizeof *tc);
    if (!tc)
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    tc->renderer = r;
    snprintf(tc->font_path, sizeof tc->font_path, "%s", font_path);
    tc->font_data = SDL_LoadFile(font_path, &tc->font_size);
    if (!tc->font_data || tc->font_size > INT_MAX) {
        Status st = error_set(err, CS_ERR_IO, "font %s: %s", font_path,
                              tc->font_data ? "too large" : SDL_GetError());
        SDL_free(tc->font_data);
        free(tc);
        return st;
    }
    TTF_Font *probe = font_at(tc, 16);
    if (!probe) {
        Status st = error_set(err, CS_ERR_FORMAT, "font %s: %s", font_path, TTF_GetError());
        SDL_free(tc->font_data);
        free(tc);
        return st;
    }
    *out = tc;
    return CS_OK;
}

static void entry_free(Entry *e)
{
    if (e->tex)
        SDL_DestroyTexture(e->tex);
    free(e);
}

void text_cache_destroy(TextCache *tc)
{
    if (!tc)
        return;
    for (Entry *e = tc->head, *next; e; e = next) {
        next = e->next;
        entry_free(e);
    }
    for (int px = 0; px <= TEXT_PX_MAX; px++)
        if (tc->fonts[px])
            TTF_CloseFont(tc->fonts[px]);
    SDL_free(tc->font_data);
    free(tc);
}

/* ------------------------------------------------------------------- cache */

static uint32_t hash_key(const char *text, int px, uint32_t color)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 16777619u;
    h = (h ^ (uint32_t)px) * 16777619u;
    h = (h ^ color) * 16777619u;
    return h;
}

static void lru_unlink(TextCache *tc, Entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        tc->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        tc->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(TextCache *tc, Entry *e)
{
    e->prev = NULL;
    e->next = tc->head;
    if (tc->head)
        tc->head->prev = e;
    tc->head = e;
    if (!tc->tail)
        tc->tail = e;
}

static void evict_oldest(TextCache *tc)
{
    Entry *e = tc->tail;
    Entry **link = &tc->buckets[e->hash & (TEXT_BUCKETS - 1)];
    while (*link != e)
        link = &(*link)->next_in_bucket;
    *link = e->next_in_bucket;
    lru_unlink(tc, e);
    tc->bytes -= (size_t)e->w * (size_t)e->h * 4;
    entry_free(e);
    tc->count--;
}

/* The cached entry for (text, px, c), rendering it on a miss; NULL when the
 * text cannot be rendered. */
static Entry *lookup(TextCache *tc, const char *text, int px, SDL_Color c)
{
    uint32_t color = (uint32_t)c.r << 24 | (uint32_t)c.g << 16 | (uint32_t)c.b << 8 | c.a;
    uint32_t h = hash_key(text, px, color);
    Entry **bucket = &tc->buckets[h & (TEXT_BUCKETS - 1)];
    for (Entry *e = *bucket; e; e = e->next_in_bucket) {
        if (e->hash == h && e->px == px && e->color == color && strcmp(e->text, text) == 0) {
            if (tc->head != e) {
                lru_unlink(tc, e);
                lru_push_front(tc, e);
            }
            return e;
        }
    }
    TTF_Font *font = font_at(tc, px);
    if (!font)
        return NULL;
    SDL_Surface *surf = TTF_RenderUTF8_Blended(font, text, c);
    if (!surf)
        return NULL;
    size_t len = strlen(text);
    Entry *e = calloc(1, sizeof *e + len + 1);
    if (!e) {
        SDL_FreeSurface(surf);
        return NULL;
    }
    e->tex = SDL_CreateTextureFromSurface(tc->renderer, surf);
    e->w = surf->w;
    e->h = surf->h;
    SDL_FreeSurface(surf);
    if (!e->tex) {
        free(e);
        return NULL;
    }
    SDL_SetTextureBlendMode(e->tex, SDL_BLENDMODE_BLEND);
    memcpy(e->text, text, len + 1);
    e->hash = h;
    e->px = px;
    e->color = color;
    e->next_in_bucket = *bucket;
    *bucket = e;
    lru_push_front(tc, e);
    tc->count++;
    tc->bytes += (size_t)e->w * (size_t)e->h * 4;
    tc->misses++;
    /* The new entry itself stays, even when it alone is over the bytes. */
    size_t limit = text_cache_byte_limit(tc);
    while (tc->count > TEXT_CACHE_MAX_ENTRIES || (tc->bytes > limit && tc->tail != e))
        evict_oldest(tc);
    return e;
}

/* -------------------------------------------------------------- drawing */

/* Cap height of DejaVu Sans Mono (1493 / 2048 em): vertical centring uses
 * the digits' and capitals' middle, not the line box's. */
static int cap_height(int px)
{
    return (px * 1493 + 1024) / 2048;
}

int text_draw(TextCache *tc, const char *text, int px, SDL_Color c, int x, int y, int align)
{
    if (!text || !*text)
        return 0;
    px = clamp_px(px);
    Entry *e = lookup(tc, text, px, c);
    if (!e)
        return 0;
    SDL_Rect dst = {x, y, e->w, e->h};
    if ((align & 3) == TEXT_CENTER)
        dst.x = x - e->w / 2;
    else if ((align & 3) == TEXT_RIGHT)
        dst.x = x - e->w;
    if (align & TEXT_MIDDLE) {
        TTF_Font *font = font_at(tc, px);
        dst.y = y - (font ? TTF_FontAscent(font) : px) + cap_height(px) / 2;
    }
    else if (align & TEXT_BOTTOM)
        dst.y = y - e->h;
    SDL_RenderCopy(tc->renderer, e->tex, NULL, &dst);
    return e->w;
}

int text_char_width(TextCache *tc, int px)
{
    px = clamp_px(px);
    if (!tc->advance[px]) {
        int minx, maxx, miny, maxy, adv = px * 6 / 10;
        TTF_Font *font = font_at(tc, px);
        if (font)
            TTF_GlyphMetrics(font, '0', &minx, &maxx, &miny, &maxy, &adv);
        tc->advance[px] = adv > 0 ? adv : 1;
    }
    return tc->advance[px];
}

void text_measure(TextCache *tc, const char *text, int px, int *w, int *h)
{
    int tw = 0, th = 0;
    px = clamp_px(px);
    TTF_Font *font = font_at(tc, px);
    if (font && text && *text)
        TTF_SizeUTF8(font, text, &tw, &th);
    else if (font)
        th = TTF_FontHeight(font);
    if (w)
        *w = tw;
    if (h)
        *h = th;
}

int text_fit(TextCache *tc, const char *text, int px, int max_w)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        n += (*p & 0xC0) != 0x80;   /* count UTF-8 characters: the font is monospace */
    px = clamp_px(px);
    while (px > TEXT_PX_MIN && n * text_char_width(tc, px) > max_w)
        px--;
    return px;
}

size_t text_cache_entries(const TextCache *tc)
{
    return tc->count;
}

size_t text_cache_bytes(const TextCache *tc)
{
    return tc->bytes;
}

size_t text_cache_misses(const TextCache *tc)
{
    return tc->misses;
}

size_t text_cache_fonts(const TextCache *tc)
{
    return tc->open_fonts;
}

size_t text_cache_byte_limit(const TextCache *tc)
{
    int w, h;
    if (SDL_GetRendererOutputSize(tc->renderer, &w, &h) != 0 || w < 0 || h < 0)
        w = h = 0;
    size_t screens = TEXT_CACHE_SCREENS * (size_t)w * (size_t)h * 4;
    return screens > TEXT_CACHE_MIN_BYTES ? screens : TEXT_CACHE_MIN_BYTES;
}
