/* gif_out.c: animated GIF through giflib, with a palette per frame that
 * keeps interface colours exact (see gif_out.h).
 *
 * Read top to bottom: the colour table (a hash of the frame's colours and
 * their pixel counts), the quantiser (exact colours, weighted median cut for
 * the rest, nearest-colour mapping), then the encoder (changed rectangle,
 * graphics control extension with the delay, local colour map, LZW by
 * giflib). */
#include "gif_out.h"

#include <errno.h>
#include <gif_lib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Colours of at least this share of a frame's pixels (1/4096: 225 pixels of
 * a 1280x720 frame, a 15x15 flat patch) are interface colours, kept exact
 * when the frame has more colours than the palette holds... */
#define GIF_FLAT_SHARE 4096
/* ...but this many palette entries are left to the median cut, so a
 * photograph in the scene keeps enough colours. */
#define GIF_CUT_SLOTS 64

/* ---- the colour table: RGB -> pixel count, palette index ---- */

typedef struct ColorEntry {
    uint32_t key;       /* 0x01RRGGBB; 0 marks an empty slot */
    uint32_t count;
    uint32_t index;     /* palette index, once assigned */
} ColorEntry;

typedef struct ColorTable {
    ColorEntry *slots;
    size_t cap;         /* a power of two */
    unsigned bits;      /* log2(cap) */
    size_t used;
} ColorTable;

static size_t table_slot(const ColorTable *t, uint32_t key)
{
    size_t i = (size_t)((key * 0x9E3779B1u) >> (32 - t->bits));
    while (t->slots[i].key != 0 && t->slots[i].key != key)
        i = (i + 1) & (t->cap - 1);
    return i;
}

static Status table_init(ColorTable *t, unsigned bits, Error *err)
{
    t->bits = bits;
    t->cap = (size_t)1 << bits;
    t->used = 0;
    t->slots = calloc(t->cap, sizeof *t->slots);
    if (!t->slots)
        return error_set(err, CS_ERR_NOMEM, "out of memory for the GIF colour table");
    return CS_OK;
}

/* Doubles the table when it is half full, so probes stay short. */
static Status table_grow(ColorTable *t, Error *err)
{
    ColorTable bigger;
    Status st = table_init(&bigger, t->bits + 1, err);
    if (st != CS_OK)
        return st;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].key != 0)
            bigger.slots[table_slot(&bigger, t->slots[i].key)] = t->slots[i];
    }
    bigger.used = t->used;
    free(t->slots);
    *t = bigger;
    return CS_OK;
}

static Status table_add(ColorTable *t, uint32_t rgb, uint32_t count, Error *err)
{
    uint32_t key = rgb | 0x01000000u;
    size_t i = table_slot(t, key);
    if (t->slots[i].key == 0) {
        if (2 * (t->used + 1) > t->cap) {
            Status st = table_grow(t, err);
            if (st != CS_OK)
                return st;
            i = table_slot(t, key);
        }
        t->slots[i].key = key;
        t->used++;
    }
    t->slots[i].count += count;
    return CS_OK;
}

static uint32_t table_index(const ColorTable *t, uint32_t rgb)
{
    return t->slots[table_slot(t, rgb | 0x01000000u)].index;
}

/* ---- the quantiser ---- */

static int r_of(uint32_t key) { return (int)((key >> 16) & 0xff); }
static int g_of(uint32_t key) { return (int)((key >> 8) & 0xff); }
static int b_of(uint32_t key) { return (int)(key & 0xff); }

/* Most frequent first; equal counts by colour, so the order is total. */
static int by_count(const void *a, const void *b)
{
    const ColorEntry *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

static int by_red(const void *a, const void *b)
{
    const ColorEntry *x = a, *y = b;
    int d = r_of(x->key) - r_of(y->key);
    return d ? d : (x->key < y->key ? -1 : x->key > y->key);
}

static int by_green(const void *a, const void *b)
{
    const ColorEntry *x = a, *y = b;
    int d = g_of(x->key) - g_of(y->key);
    return d ? d : (x->key < y->key ? -1 : x->key > y->key);
}

static int by_blue(const void *a, const void *b)
{
    const ColorEntry *x = a, *y = b;
    int d = b_of(x->key) - b_of(y->key);
    return d ? d : (x->key < y->key ? -1 : x->key > y->key);
}

/* A box of the median cut: entries [start, end), their pixel-weighted mean,
 * spread (sum of squared distances to the mean) and widest axis. */
typedef struct Box {
    size_t start, end;
    double mean[3];
    double sse;
    int axis;
} Box;

static void box_measure(const ColorEntry *e, Box *b)
{
    double n = 0, s[3] = {0, 0, 0}, q[3] = {0, 0, 0};
    for (size_t i = b->start; i < b->end; i++) {
        double c[3] = {r_of(e[i].key), g_of(e[i].key), b_of(e[i].key)};
        double w = e[i].count;
        n += w;
        for (int k = 0; k < 3; k++) {
            s[k] += w * c[k];
            q[k] += w * c[k] * c[k];
        }
    }
    b->sse = 0;
    b->axis = 0;
    double widest = -1;
    for (int k = 0; k < 3; k++) {
        b->mean[k] = s[k] / n;
        double var = q[k] - s[k] * s[k] / n;
        b->sse += var;
        if (var > widest) {
            widest = var;
            b->axis = k;
        }
    }
}

/* Splits b at the pixel-weighted median of its widest axis into b and *hi.
 * Returns false when b holds a single colour. */
static bool box_split(ColorEntry *e, Box *b, Box *hi)
{
    size_t n = b->end - b->start;
    if (n < 2)
        return false;
    static int (*const cmp[3])(const void *, const void *) = {by_red, by_green, by_blue};
    qsort(e + b->start, n, sizeof *e, cmp[b->axis]);
    double total = 0, half, acc = 0;
    for (size_t i = b->start; i < b->end; i++)
        total += e[i].count;
    half = total / 2;
    size_t m = b->start + 1;
    for (size_t i = b->start; i < b->end - 1; i++) {
        acc += e[i].count;
        m = i + 1;
        if (acc >= half)
            break;
    }
    hi->start = m;
    hi->end = b->end;
    b->end = m;
    box_measure(e, b);
    box_measure(e, hi);
    return true;
}

/* Weighted median cut of entries e[0..n) into at most slots colours,
 * appended to palette[*count...]. */
static Status median_cut(ColorEntry *e, size_t n, int slots, uint32_t *palette, int *count, Error *err)
{
    Box *boxes = malloc((size_t)slots * sizeof *boxes);
    if (!boxes)
        return error_set(err, CS_ERR_NOMEM, "out of memory for the GIF palette");
    int nb = 1;
    boxes[0] = (Box){.start = 0, .end = n};
    box_measure(e, &boxes[0]);
    while (nb < slots) {
        int pick = -1;
        for (int i = 0; i < nb; i++) {
            if (boxes[i].end - boxes[i].start >= 2 && boxes[i].sse > 0 &&
                (pick < 0 || boxes[i].sse > boxes[pick].sse))
                pick = i;
        }
        if (pick < 0 || !box_split(e, &boxes[pick], &boxes[nb]))
            break;
        nb++;
    }
    for (int i = 0; i < nb; i++) {
        uint32_t r = (uint32_t)(boxes[i].mean[0] + 0.5);
        uint32_t g = (uint32_t)(boxes[i].mean[1] + 0.5);
        uint32_t b = (uint32_t)(boxes[i].mean[2] + 0.5);
        palette[(*count)++] = r << 16 | g << 8 | b;
    }
    free(boxes);
    return CS_OK;
}

static uint32_t nearest(const uint32_t *palette, int count, uint32_t rgb)
{
    int r = r_of(rgb), g = g_of(rgb), b = b_of(rgb);
    uint32_t best = 0;
    long best_d = -1;
    for (int i = 0; i < count; i++) {
        long dr = r - r_of(palette[i]), dg = g - g_of(palette[i]), db = b - b_of(palette[i]);
        long d = dr * dr + dg * dg + db * db;
        if (best_d < 0 || d < best_d) {
            best_d = d;
            best = (uint32_t)i;
            if (d == 0)
                break;
        }
    }
    return best;
}

/* Builds a palette of at most slots colours for the colours in list[0..n)
 * (sorted by count) and stores every colour's palette index in the table. */
static Status build_palette(ColorTable *t, ColorEntry *list, size_t n, size_t pixels, int slots,
                            uint32_t *palette, int *count, Error *err)
{
    *count = 0;
    size_t exact = n;
    if (n > (size_t)slots) {
        uint32_t flat = (uint32_t)(pixels / GIF_FLAT_SHARE);
        if (flat < 4)
            flat = 4;
        exact = 0;
        while ((int)exact < slots - GIF_CUT_SLOTS && list[exact].count >= flat)
            exact++;
    }
    for (size_t i = 0; i < exact; i++)
        palette[(*count)++] = list[i].key & 0xffffff;
    if (exact < n) {
        Status st = median_cut(list + exact, n - exact, slots - (int)exact, palette, count, err);
        if (st != CS_OK)
            return st;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t rgb = list[i].key & 0xffffff;
        uint32_t idx = i < exact ? (uint32_t)i : nearest(palette, *count, rgb);
        t->slots[table_slot(t, list[i].key)].index = idx;
    }
    return CS_OK;
}

/* gif_out_quantize with a palette of at most slots (2..256) colours. */
static Status quantize(const uint32_t *pixels, size_t n, int slots, uint32_t *palette, int *count,
                       uint8_t *indices, Error *err)
{
    *count = 0;
    if (n == 0)
        return CS_OK;
    ColorTable t;
    Status st = table_init(&t, 12, err);
    if (st != CS_OK)
        return st;
    ColorEntry *list = NULL;
    /* Histogram; runs of one colour (most of an interface) cost one add. */
    size_t i = 0;
    while (i < n && st == CS_OK) {
        uint32_t rgb = pixels[i] & 0xffffff;
        size_t j = i + 1;
        while (j < n && (pixels[j] & 0xffffff) == rgb)
            j++;
        st = table_add(&t, rgb, (uint32_t)(j - i), err);
        i = j;
    }
    if (st == CS_OK) {
        list = malloc(t.used * sizeof *list);
        if (!list)
            st = error_set(err, CS_ERR_NOMEM, "out of memory for the GIF palette");
    }
    if (st == CS_OK) {
        size_t k = 0;
        for (size_t s = 0; s < t.cap; s++) {
            if (t.slots[s].key != 0)
                list[k++] = t.slots[s];
        }
        qsort(list, k, sizeof *list, by_count);
        st = build_palette(&t, list, k, n, slots, palette, count, err);
    }
    if (st == CS_OK) {
        uint32_t last = 0x01000000u, idx = 0;
        for (i = 0; i < n; i++) {
            uint32_t rgb = pixels[i] & 0xffffff;
            if (rgb != last) {
                last = rgb;
                idx = table_index(&t, rgb);
            }
            indices[i] = (uint8_t)idx;
        }
    }
    free(list);
    free(t.slots);
    return st;
}

Status gif_out_quantize(const uint32_t *pixels, size_t n, uint32_t *palette, int *count, uint8_t *indices,
                        Error *err)
{
    return quantize(pixels, n, 256, palette, count, indices, err);
}

/* ---- the encoder ---- */

struct GifOut {
    GifFileType *gif;
    FILE *stream;
    int w, h, fps;
    size_t frames;
    uint32_t *previous;     /* the last frame, to find what changed */
    uint32_t *rect;         /* the changed pixels, contiguous */
    uint8_t *indices;       /* their palette indices */
    uint8_t *line;          /* one row of the image being written */
    int write_errno;        /* why the last short write failed */
    char name[256];
};

static int gif_write(GifFileType *gif, const GifByteType *data, int len)
{
    GifOut *g = gif->UserData;
    errno = 0;
    size_t n = fwrite(data, 1, (size_t)len, g->stream);
    if (n < (size_t)len)
        g->write_errno = errno ? errno : EIO;
    return (int)n;
}

static Status gif_fail(GifOut *g, int code, Error *err)
{
    if ((code == E_GIF_ERR_WRITE_FAILED || code == E_GIF_ERR_DISK_IS_FULL) && g->write_errno)
        return error_set(err, CS_ERR_IO, "cannot write %s: %s", g->name, strerror(g->write_errno));
    const char *why = GifErrorString(code);
    return error_set(err, CS_ERR_IO, "cannot write %s: %s", g->name, why ? why : "giflib error");
}

Status gif_out_open(GifOut **out, FILE *stream, int w, int h, int fps, const char *name, Error *err)
{
    *out = NULL;
    if (w <= 0 || h <= 0 || w > 65535 || h > 65535)
        return error_set(err, CS_ERR_RANGE, "cannot write %s: a GIF frame is 1..65535 pixels wide and high, "
                         "not %dx%d", name, w, h);
    if (fps < 1 || fps > GIF_OUT_MAX_FPS)
        return error_set(err, CS_ERR_RANGE, "cannot write %s: a GIF plays 1 to %d frames per second, not %d",
                         name, GIF_OUT_MAX_FPS, fps);
    GifOut *g = calloc(1, sizeof *g);
    size_t n = (size_t)w * (size_t)h;
    if (g) {
        g->previous = malloc(n * sizeof *g->previous);
        g->rect = malloc(n * sizeof *g->rect);
        g->indices = malloc(n);
        g->line = malloc((size_t)w);
    }
    if (!g || !g->previous || !g->rect || !g->indices || !g->line) {
        if (g) {
            free(g->previous);
            free(g->rect);
            free(g->indices);
            free(g->line);
        }
        free(g);
        return error_set(err, CS_ERR_NOMEM, "cannot write %s: out of memory", name);
    }
    g->stream = stream;
    g->w = w;
    g->h = h;
    g->fps = fps;
    snprintf(g->name, sizeof g->name, "%s", name);
    int code = 0;
    g->gif = EGifOpen(g, gif_write, &code);
    Status st = CS_OK;
    if (!g->gif) {
        st = gif_fail(g, code, err);
        gif_out_close(g, NULL);
        return st;
    }
    EGifSetGifVersion(g->gif, true);
    /* Loop forever: NETSCAPE2.0 block, sub-block 1, loop count 0. */
    static const unsigned char loop[3] = {1, 0, 0};
    if (EGifPutScreenDesc(g->gif, w, h, 8, 0, NULL) == GIF_ERROR ||
        EGifPutExtensionLeader(g->gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
        EGifPutExtensionBlock(g->gif, 11, "NETSCAPE2.0") == GIF_ERROR ||
        EGifPutExtensionBlock(g->gif, 3, loop) == GIF_ERROR ||
        EGifPutExtensionTrailer(g->gif) == GIF_ERROR) {
        st = gif_fail(g, g->gif->Error, err);
        gif_out_close(g, NULL);
        return st;
    }
    *out = g;
    return CS_OK;
}

/* The bounding box of the pixels that differ from the previous frame; the
 * whole frame for the first one, one pixel when nothing changed (a frame
 * must still be written to carry its delay). */
static void changed_rect(const GifOut *g, const uint32_t *px, int *x0, int *y0, int *rw, int *rh)
{
    *x0 = 0;
    *y0 = 0;
    *rw = g->w;
    *rh = g->h;
    if (g->frames == 0)
        return;
    size_t row = (size_t)g->w * sizeof *px;
    int top = 0, bottom = g->h - 1;
    while (top < g->h && memcmp(px + (size_t)top * g->w, g->previous + (size_t)top * g->w, row) == 0)
        top++;
    if (top == g->h) {
        *rw = 1;
        *rh = 1;
        return;
    }
    while (memcmp(px + (size_t)bottom * g->w, g->previous + (size_t)bottom * g->w, row) == 0)
        bottom--;
    int left = g->w, right = -1;
    for (int y = top; y <= bottom; y++) {
        const uint32_t *a = px + (size_t)y * g->w, *b = g->previous + (size_t)y * g->w;
        int x = 0;
        while (x < left && a[x] == b[x])
            x++;
        if (x < left)
            left = x;
        x = g->w - 1;
        while (x > right && a[x] == b[x])
            x--;
        if (x > right)
            right = x;
    }
    *x0 = left;
    *y0 = top;
    *rw = right - left + 1;
    *rh = bottom - top + 1;
}

/* Delay of frame i in hundredths of a second: rounded on the running total,
 * so the average rate is exactly fps even when 100/fps is not whole. */
static int frame_delay(size_t i, int fps)
{
    size_t a = (i * 100 + (size_t)fps / 2) / (size_t)fps;
    size_t b = ((i + 1) * 100 + (size_t)fps / 2) / (size_t)fps;
    return (int)(b - a);
}

Status gif_out_add(GifOut *g, const uint32_t *pixels, Error *err)
{
    int x0, y0, rw, rh;
    changed_rect(g, pixels, &x0, &y0, &rw, &rh);
    /* After the first frame, only the pixels that changed are quantised;
     * the others get the transparent index and show the previous frame, so
     * they cost almost nothing to encode and never flicker. */
    bool see_through = g->frames > 0;
    size_t n = 0;
    for (int y = 0; y < rh; y++) {
        const uint32_t *now = pixels + (size_t)(y0 + y) * g->w + x0;
        const uint32_t *before = g->previous + (size_t)(y0 + y) * g->w + x0;
        for (int x = 0; x < rw; x++)
            if (!see_through || now[x] != before[x])
                g->rect[n++] = now[x];
    }
    if (n == 0)
        g->rect[n++] = pixels[(size_t)y0 * g->w + x0];
    uint32_t palette[256];
    int count = 0;
    Status st = quantize(g->rect, n, see_through ? 255 : 256, palette, &count, g->indices, err);
    if (st != CS_OK)
        return st;
    int transparent = see_through ? count : NO_TRANSPARENT_COLOR;
    int used = see_through ? count + 1 : count;
    int size = 2;
    while (size < used)
        size *= 2;
    ColorMapObject *map = GifMakeMapObject(size, NULL);
    if (!map)
        return error_set(err, CS_ERR_NOMEM, "cannot write %s: out of memory", g->name);
    for (int i = 0; i < size; i++) {
        uint32_t c = i < count ? palette[i] : 0;
        map->Colors[i].Red = (GifByteType)(c >> 16);
        map->Colors[i].Green = (GifByteType)(c >> 8);
        map->Colors[i].Blue = (GifByteType)c;
    }
    GraphicsControlBlock gcb = {
        .DisposalMode = DISPOSE_DO_NOT,
        .UserInputFlag = false,
        .DelayTime = frame_delay(g->frames, g->fps),
        .TransparentColor = transparent,
    };
    GifByteType ext[4];
    size_t ext_len = EGifGCBToExtension(&gcb, ext);
    int ok = EGifPutExtension(g->gif, GRAPHICS_EXT_FUNC_CODE, (int)ext_len, ext) != GIF_ERROR &&
             EGifPutImageDesc(g->gif, x0, y0, rw, rh, false, map) != GIF_ERROR;
    /* Rows of indices: the quantised changed pixels in order (g->indices),
     * transparent for the rest. */
    GifPixelType *line = g->line;
    size_t k = 0;
    for (int y = 0; ok && y < rh; y++) {
        const uint32_t *now = pixels + (size_t)(y0 + y) * g->w + x0;
        const uint32_t *before = g->previous + (size_t)(y0 + y) * g->w + x0;
        for (int x = 0; x < rw; x++)
            line[x] = (!see_through || now[x] != before[x]) ? g->indices[k++] : (GifPixelType)transparent;
        ok = EGifPutLine(g->gif, line, rw) != GIF_ERROR;
    }
    GifFreeMapObject(map);
    if (!ok)
        return gif_fail(g, g->gif->Error, err);
    memcpy(g->previous, pixels, (size_t)g->w * (size_t)g->h * sizeof *pixels);
    g->frames++;
    return CS_OK;
}

Status gif_out_close(GifOut *g, Error *err)
{
    if (!g)
        return CS_OK;
    Status st = CS_OK;
    if (g->gif) {
        int code = 0;
        if (EGifCloseFile(g->gif, &code) == GIF_ERROR)
            st = gif_fail(g, code, err);
    }
    free(g->previous);
    free(g->rect);
    free(g->indices);
    free(g->line);
    free(g);
    return st;
}
