/* test_export.c: the exporter's encoders and its one drawing path.
 *
 * - PNG: a rendered frame written by png_out_write decodes (libpng, which
 *   checks every chunk's CRC) to exactly its pixels, and the bytes are the
 *   same every time and from a reused encoder; a frame of at most 256
 *   colours is written indexed (colour type 3), one of 257 as RGB, both
 *   exact.
 * - The GIF quantiser: at most 256 colours are kept exact; with more, the
 *   flat interface colours stay exact and the rest stay close.
 * - GIF: frames rendered from the default scene, encoded by gif_out and
 *   decoded again by giflib (DGifSlurp, composited the way a viewer does:
 *   transparent pixels keep the previous frame) match the rendered pixels
 *   within quantisation; the file loops and its delays add up to the rate.
 * - Window equals export: the window draws with SDL_CreateRenderer(window,
 *   SOFTWARE) and draw_frame (app/window.c, window_draw); doing exactly that
 *   on a window of the dummy video driver gives the pixels render_frame
 *   gives for the same state and size, for several scenes.
 * - The window's keys: export_pick_name, export_gif_scene and
 *   export_png_frame never overwrite, and the scene's step comes back. */
#include <criterion/criterion.h>
#include <gif_lib.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SDL.h>

#include "frame.h"
#include "export.h"
#include "gif_out.h"
#include "png_out.h"
#include "render.h"
#include "scene.h"
#include "text.h"
#include "view.h"

/* ---- helpers ---- */

/* A scene from SCENE OPTIONS (NULL-terminated). */
static Scene *scene_from(const char *const *args, SceneOptions *o)
{
    char *argv[16];
    int argc = 0;
    Error err = {0};
    scene_options_init(o);
    while (args[argc]) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    for (int i = 0; i < argc; i++)
        cr_assert_eq(scene_options_parse_one(o, argc, argv, &i, &err), 1, "%s", err.message);
    Scene *s;
    cr_assert_eq(scene_create(o, &s, &err), CS_OK, "%s", err.message);
    return s;
}

/* Renders steps 0..n-1 of s at w x h into n fresh buffers (caller frees). */
static uint32_t **render_steps(Scene *s, const SceneOptions *o, int w, int h, size_t n)
{
    Error err = {0};
    View v;
    view_init(&v, o);
    Render *r;
    cr_assert_eq(render_open(&r, o, w, h, &err), CS_OK, "%s", err.message);
    uint32_t **frames = calloc(n, sizeof *frames);
    cr_assert_not_null(frames);
    for (size_t i = 0; i < n; i++) {
        const uint32_t *px;
        scene_seek(s, i);
        cr_assert_eq(render_frame(r, s, &v, &px, &err), CS_OK, "%s", err.message);
        frames[i] = malloc((size_t)w * h * 4);
        cr_assert_not_null(frames[i]);
        memcpy(frames[i], px, (size_t)w * h * 4);
    }
    render_close(r);
    return frames;
}

static long rgb_dist2(uint32_t a, uint32_t b)
{
    long dr = (long)((a >> 16) & 0xff) - (long)((b >> 16) & 0xff);
    long dg = (long)((a >> 8) & 0xff) - (long)((b >> 8) & 0xff);
    long db = (long)(a & 0xff) - (long)(b & 0xff);
    return dr * dr + dg * dg + db * db;
}

/* Everything written to a memory stream: data and size stay valid after
 * fclose until freed. */
typedef struct Memory {
    char *data;
    size_t size;
    size_t at;      /* read position (GIF decoding) */
} Memory;

/* ---- PNG ---- */

static uint32_t *png_decode(const Memory *m, int w, int h)
{
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_memory(&image, m->data, m->size), "%s", image.message);
    cr_assert_eq((int)image.width, w);
    cr_assert_eq((int)image.height, h);
    image.format = PNG_FORMAT_RGB;
    unsigned char *rgb = malloc(PNG_IMAGE_SIZE(image));
    cr_assert_not_null(rgb);
    cr_assert(png_image_finish_read(&image, NULL, rgb, 0, NULL), "%s", image.message);
    uint32_t *px = malloc((size_t)w * h * 4);
    for (size_t i = 0; i < (size_t)w * h; i++)
        px[i] = 0xff000000u | (uint32_t)rgb[3 * i] << 16 | (uint32_t)rgb[3 * i + 1] << 8 | rgb[3 * i + 2];
    free(rgb);
    return px;
}

static Memory png_encode(const uint32_t *px, int w, int h)
{
    Memory m = {0};
    Error err = {0};
    FILE *f = open_memstream(&m.data, &m.size);
    cr_assert_not_null(f);
    cr_assert_eq(png_out_write(f, px, w, h, "memory.png", &err), CS_OK, "%s", err.message);
    fclose(f);
    return m;
}

Test(png, decodes_to_the_rendered_pixels_and_is_reproducible)
{
    const char *args[] = {"--theme", "light", NULL};
    SceneOptions o;
    Scene *s = scene_from(args, &o);
    uint32_t **frames = render_steps(s, &o, 321, 181, 2);
    for (int i = 0; i < 2; i++) {
        Memory a = png_encode(frames[i], 321, 181);
        Memory b = png_encode(frames[i], 321, 181);
        cr_assert_eq(a.size, b.size);
        cr_assert(memcmp(a.data, b.data, a.size) == 0, "two encodings of one frame differ");
        uint32_t *back = png_decode(&a, 321, 181);
        for (size_t p = 0; p < 321 * 181; p++)
            cr_assert_eq(back[p] & 0xffffff, frames[i][p] & 0xffffff, "frame %d pixel %zu", i, p);
        free(back);
        free(a.data);
        free(b.data);
        free(frames[i]);
    }
    free(frames);
    scene_destroy(s);
}

/* The colour type byte of a PNG in memory (IHDR's tenth data byte). */
static int png_colour_type(const Memory *m)
{
    cr_assert_gt(m->size, 26);
    cr_assert(memcmp(m->data + 12, "IHDR", 4) == 0);
    return (unsigned char)m->data[25];
}

/* A w x h frame of stripes cycling through n colours (n <= 4096), with a
 * different colour every few pixels across and down. */
static uint32_t *frame_of_colours(int w, int h, int n)
{
    uint32_t *px = malloc((size_t)w * h * 4);
    cr_assert_not_null(px);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t c = (uint32_t)((x / 3 + y * 7) % n);
            px[(size_t)y * w + x] = 0xff000000u | (c * 40503u & 0xff) << 16 | c << 4 | (c & 0xf);
        }
    return px;
}

Test(png, few_colours_are_indexed_and_more_are_rgb_both_exact)
{
    /* 1, 256 and 257 distinct colours (c << 4 | c & 0xf is distinct per c) */
    const int counts[] = {1, 2, 255, 256, 257, 4000};
    for (size_t t = 0; t < sizeof counts / sizeof *counts; t++) {
        int w = 301, h = 97;
        uint32_t *px = frame_of_colours(w, h, counts[t]);
        Memory m = png_encode(px, w, h);
        cr_expect_eq(png_colour_type(&m), counts[t] <= 256 ? 3 : 2, "%d colours", counts[t]);
        uint32_t *back = png_decode(&m, w, h);
        for (size_t p = 0; p < (size_t)w * h; p++)
            cr_assert_eq(back[p] & 0xffffff, px[p] & 0xffffff, "%d colours: pixel %zu", counts[t], p);
        free(back);
        free(m.data);
        free(px);
    }
}

Test(png, a_reused_encoder_writes_the_same_bytes_as_a_fresh_one)
{
    const int sizes[][3] = {{640, 360, 4000}, {33, 35, 7}, {640, 360, 100}, {1280, 40, 4000}};
    PngOut *png;
    Error err = {0};
    cr_assert_eq(png_out_new(&png, &err), CS_OK, "%s", err.message);
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        int w = sizes[t][0], h = sizes[t][1];
        uint32_t *px = frame_of_colours(w, h, sizes[t][2]);
        Memory fresh = png_encode(px, w, h);
        Memory reused = {0};
        FILE *f = open_memstream(&reused.data, &reused.size);
        cr_assert_not_null(f);
        cr_assert_eq(png_out_encode(png, f, px, w, h, "memory.png", &err), CS_OK, "%s", err.message);
        fclose(f);
        cr_assert_eq(reused.size, fresh.size, "%dx%d", w, h);
        cr_assert(memcmp(reused.data, fresh.data, fresh.size) == 0, "%dx%d: bytes differ", w, h);
        free(fresh.data);
        free(reused.data);
        free(px);
    }
    png_out_free(png);
}

Test(png, an_empty_frame_is_refused)
{
    uint32_t px = 0;
    Error err = {0};
    FILE *f = fopen("/dev/null", "wb");
    cr_assert_not_null(f);
    cr_expect_eq(png_out_write(f, &px, 0, 1, "empty.png", &err), CS_ERR_RANGE);
    cr_expect_eq(png_out_write(f, &px, 1, 0, "empty.png", &err), CS_ERR_RANGE);
    fclose(f);
}

/* ---- the quantiser ---- */

Test(quantize, keeps_up_to_256_colours_exact)
{
    enum { N = 64 * 64 };
    uint32_t *px = malloc(N * 4), palette[256];
    uint8_t *idx = malloc(N);
    int count = 0;
    Error err = {0};
    /* 256 distinct colours, each in 16 pixels, spread over the image. */
    for (size_t i = 0; i < N; i++)
        px[i] = 0xff000000u | (uint32_t)((i * 7) % 256) * 0x010203u;
    cr_assert_eq(gif_out_quantize(px, N, palette, &count, idx, &err), CS_OK, "%s", err.message);
    cr_assert_leq(count, 256);
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(palette[idx[i]], px[i] & 0xffffff, "pixel %zu", i);
    free(px);
    free(idx);
}

Test(quantize, keeps_flat_colours_exact_among_many)
{
    enum { W = 200, H = 100, N = W * H };
    uint32_t *px = malloc(N * 4), palette[256];
    uint8_t *idx = malloc(N);
    int count = 0;
    Error err = {0};
    /* Left half: 10 flat bands (interface colours). Right half: a
     * "photograph" of smooth random-ish colours, thousands of them. */
    static const uint32_t flat[10] = {0x1b1d23, 0x2a2e36, 0xffcc00, 0xe04040, 0x40a040,
                                      0x4060c0, 0xffffff, 0x000000, 0x808080, 0x336699};
    uint32_t seed = 12345;
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            uint32_t c;
            if (x < W / 2) {
                c = flat[y / 10];
            } else {
                seed = seed * 1664525u + 1013904223u;
                uint32_t r = (uint32_t)(x * 2 + (seed >> 28)) & 0xff;
                uint32_t g = (uint32_t)(y * 2 + ((seed >> 24) & 15)) & 0xff;
                uint32_t b = (uint32_t)((x + y) + ((seed >> 20) & 15)) & 0xff;
                c = r << 16 | g << 8 | b;
            }
            px[y * W + x] = 0xff000000u | c;
        }
    }
    cr_assert_eq(gif_out_quantize(px, N, palette, &count, idx, &err), CS_OK, "%s", err.message);
    cr_assert_leq(count, 256);
    double photo_err = 0;
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            size_t i = (size_t)y * W + x;
            if (x < W / 2)
                cr_assert_eq(palette[idx[i]], px[i] & 0xffffff, "flat pixel (%d, %d)", x, y);
            else
                photo_err += rgb_dist2(palette[idx[i]], px[i]);
        }
    }
    /* Mean squared RGB distance in the photograph under 100 (10 levels):
     * a uniform grid of 246 colours over this colour box would give about
     * 210; the median cut gives 66. */
    cr_assert_lt(photo_err / (N / 2), 100.0, "photo error %g", photo_err / (N / 2));
    free(px);
    free(idx);
}

/* ---- GIF ---- */

static int memory_read(GifFileType *gif, GifByteType *buf, int len)
{
    Memory *m = gif->UserData;
    size_t n = m->size - m->at < (size_t)len ? m->size - m->at : (size_t)len;
    memcpy(buf, m->data + m->at, n);
    m->at += n;
    return (int)n;
}

static Memory gif_encode(uint32_t **frames, size_t n, int w, int h, int fps)
{
    Memory m = {0};
    Error err = {0};
    FILE *f = open_memstream(&m.data, &m.size);
    cr_assert_not_null(f);
    GifOut *g;
    cr_assert_eq(gif_out_open(&g, f, w, h, fps, "memory.gif", &err), CS_OK, "%s", err.message);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(gif_out_add(g, frames[i], &err), CS_OK, "%s", err.message);
    cr_assert_eq(gif_out_close(g, &err), CS_OK, "%s", err.message);
    fclose(f);
    return m;
}

Test(gif, decodes_to_the_rendered_frames_within_quantisation)
{
    enum { W = 480, H = 270, STEPS = 12, FPS = 3 };
    const char *args[] = {NULL};
    SceneOptions o;
    Scene *s = scene_from(args, &o);
    uint32_t **frames = render_steps(s, &o, W, H, STEPS);
    Memory m = gif_encode(frames, STEPS, W, H, FPS);
    Memory again = gif_encode(frames, STEPS, W, H, FPS);
    cr_assert_eq(m.size, again.size);
    cr_assert(memcmp(m.data, again.data, m.size) == 0, "two encodings of the same frames differ");

    int code = 0;
    GifFileType *gif = DGifOpen(&m, memory_read, &code);
    cr_assert_not_null(gif, "%s", GifErrorString(code));
    cr_assert_eq(DGifSlurp(gif), GIF_OK, "%s", GifErrorString(gif->Error));
    cr_assert_eq(gif->ImageCount, STEPS);
    cr_assert_eq(gif->SWidth, W);
    cr_assert_eq(gif->SHeight, H);

    /* Loops: a NETSCAPE2.0 block with loop count 0 before the first image. */
    bool loops = false;
    const SavedImage *first = &gif->SavedImages[0];
    for (int e = 0; e + 1 < first->ExtensionBlockCount; e++) {
        const ExtensionBlock *b = &first->ExtensionBlocks[e];
        if (b->Function == APPLICATION_EXT_FUNC_CODE && b->ByteCount == 11 &&
            memcmp(b->Bytes, "NETSCAPE2.0", 11) == 0) {
            const ExtensionBlock *sub = &first->ExtensionBlocks[e + 1];
            loops = sub->ByteCount == 3 && sub->Bytes[0] == 1 && sub->Bytes[1] == 0 && sub->Bytes[2] == 0;
        }
    }
    cr_assert(loops, "no NETSCAPE2.0 loop-forever block");

    uint32_t *canvas = calloc((size_t)W * H, 4);
    int delay_total = 0;
    for (int i = 0; i < gif->ImageCount; i++) {
        const SavedImage *im = &gif->SavedImages[i];
        GraphicsControlBlock gcb;
        cr_assert_eq(DGifSavedExtensionToGCB(gif, i, &gcb), GIF_OK);
        cr_assert_geq(gcb.DelayTime, 2, "a delay under 2/100 s is slowed down by viewers");
        delay_total += gcb.DelayTime;
        const ColorMapObject *map = im->ImageDesc.ColorMap ? im->ImageDesc.ColorMap : gif->SColorMap;
        cr_assert_not_null(map);
        const GifImageDesc *d = &im->ImageDesc;
        for (int y = 0; y < d->Height; y++) {
            for (int x = 0; x < d->Width; x++) {
                int k = im->RasterBits[y * d->Width + x];
                if (k == gcb.TransparentColor)
                    continue;
                const GifColorType *c = &map->Colors[k];
                canvas[(size_t)(d->Top + y) * W + d->Left + x] =
                    0xff000000u | (uint32_t)c->Red << 16 | (uint32_t)c->Green << 8 | c->Blue;
            }
        }
        /* The composited frame against the rendered one: close everywhere,
         * and exact for the colours that cover most of the picture. */
        long worst = 0;
        double sum = 0;
        size_t exact_wrong = 0;
        for (size_t p = 0; p < (size_t)W * H; p++) {
            long d2 = rgb_dist2(canvas[p], frames[i][p]);
            worst = d2 > worst ? d2 : worst;
            sum += d2;
            /* The background at the top-left corner is an interface colour. */
            if ((frames[i][p] & 0xffffff) == (frames[i][0] & 0xffffff) && d2 != 0)
                exact_wrong++;
        }
        cr_assert_lt(worst, 64 * 64, "frame %d: a pixel is off by %g", i, sqrt((double)worst));
        /* Mean squared RGB distance: 4.9 on frame 0 (3193 colours); for the
         * same frame ImageMagick's `-colors 256 +dither` gives 5.5, PIL's
         * median cut 21. */
        cr_assert_lt(sum / (W * H), 6.0, "frame %d: mean squared error %g", i, sum / (W * H));
        cr_assert_eq(exact_wrong, 0, "frame %d: %zu background pixels not exact", i, exact_wrong);
    }
    /* Delays are rounded on the running total: 12 frames at 3 per second
     * are exactly 4 seconds. */
    cr_assert_eq(delay_total, STEPS * 100 / FPS);
    DGifCloseFile(gif, &code);
    free(canvas);
    for (int i = 0; i < STEPS; i++)
        free(frames[i]);
    free(frames);
    free(m.data);
    free(again.data);
    scene_destroy(s);
}

/* ---- window equals export ---- */

/* Draws s as app/window.c's window_draw does: a window, SDL's software
 * renderer on it (SDL_CreateRenderer with SDL_RENDERER_SOFTWARE), a text
 * cache for that renderer, draw_frame at the renderer's output size; then
 * reads the pixels back as ARGB8888. */
static uint32_t *window_pixels(const Scene *s, const View *v, const SceneOptions *o, int w, int h)
{
    Error err = {0};
    char font[4096];
    cr_assert_eq(text_find_font(o->font, font, sizeof font, &err), CS_OK, "%s", err.message);
    SDL_Window *win = SDL_CreateWindow("convstep", 0, 0, w, h, SDL_WINDOW_HIDDEN);
    cr_assert_not_null(win, "%s", SDL_GetError());
    SDL_Renderer *ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    cr_assert_not_null(ren, "%s", SDL_GetError());
    TextCache *tc;
    cr_assert_eq(text_cache_create(ren, font, &tc, &err), CS_OK, "%s", err.message);
    int ow, oh;
    SDL_GetRendererOutputSize(ren, &ow, &oh);
    cr_assert_eq(ow, w);
    cr_assert_eq(oh, h);
    draw_frame(ren, tc, s, v, ow, oh);
    uint32_t *px = malloc((size_t)w * h * 4);
    cr_assert_not_null(px);
    cr_assert_eq(SDL_RenderReadPixels(ren, NULL, SDL_PIXELFORMAT_ARGB8888, px, w * 4), 0, "%s",
                 SDL_GetError());
    text_cache_destroy(tc);
    SDL_DestroyRenderer(ren);
    SDL_DestroyWindow(win);
    return px;
}

Test(window, shows_the_exported_pixels)
{
    static const char *const cases[][8] = {
        {NULL},
        {"--theme", "light", "--step", "term", NULL},
        {"--pool", "max", "--stride", "1", NULL},
        {"--padding", "same", "--stride", "2", "--filters", "2", NULL},
    };
    static const size_t steps[] = {6, 40, 10, 3};
    enum { W = 800, H = 450 };
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    cr_assert_eq(SDL_Init(SDL_INIT_VIDEO), 0, "%s", SDL_GetError());
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        SceneOptions o;
        Scene *s = scene_from(cases[c], &o);
        scene_seek(s, steps[c]);
        View v;
        view_init(&v, &o);
        Error err = {0};
        Render *r;
        cr_assert_eq(render_open(&r, &o, W, H, &err), CS_OK, "%s", err.message);
        const uint32_t *px;
        cr_assert_eq(render_frame(r, s, &v, &px, &err), CS_OK, "%s", err.message);
        uint32_t *exported = malloc((size_t)W * H * 4);
        memcpy(exported, px, (size_t)W * H * 4);
        /* The same state again through the same renderer: the same pixels
         * (nothing left over from the previous frame, cached text reused). */
        cr_assert_eq(render_frame(r, s, &v, &px, &err), CS_OK, "%s", err.message);
        for (size_t p = 0; p < (size_t)W * H; p++)
            cr_assert_eq(px[p], exported[p], "case %zu: second render differs at pixel %zu", c, p);
        render_close(r);
        uint32_t *shown = window_pixels(s, &v, &o, W, H);
        size_t differ = 0, first = 0;
        for (size_t p = 0; p < (size_t)W * H; p++) {
            if ((shown[p] & 0xffffff) != (exported[p] & 0xffffff) && differ++ == 0)
                first = p;
        }
        cr_assert_eq(differ, 0, "case %zu: %zu pixels differ, first at (%zu, %zu): window %06x, export %06x", c,
                     differ, first % W, first / W, shown[first] & 0xffffff, exported[first] & 0xffffff);
        free(shown);
        free(exported);
        scene_destroy(s);
    }
    SDL_Quit();
}

/* ---- the window's keys ---- */

/* Reads a whole file into memory. */
static Memory file_read(const char *path)
{
    Memory m = {0};
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    m.size = (size_t)ftell(f);
    rewind(f);
    m.data = malloc(m.size ? m.size : 1);
    cr_assert_eq(fread(m.data, 1, m.size, f), m.size);
    fclose(f);
    return m;
}

/* Moves into a fresh folder (each Criterion test runs in its own process). */
static void enter_temp_folder(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/convstep-test-export-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(chdir(dir), 0);
}

Test(keys, gif_and_png_files_are_fresh_and_the_step_comes_back)
{
    char cwd[4096], dir[64];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    const char *args[] = {NULL};
    SceneOptions o;
    Scene *s = scene_from(args, &o);    /* the assets are found from the source tree */
    enter_temp_folder(dir, sizeof dir);
    scene_seek(s, 5);
    View v;
    view_init(&v, &o);
    v.speed = 4.0f;
    Error err = {0};

    char gif_path[256], png_path[256];
    cr_assert_eq(export_pick_name(s, "gif", gif_path, sizeof gif_path, &err), CS_OK, "%s", err.message);
    cr_assert_str_eq(gif_path, "convstep-default-1.gif");
    cr_assert_eq(export_gif_scene(s, &v, &o, 320, 180, gif_path, &err), CS_OK, "%s", err.message);
    cr_assert_eq(scene_step_index(s), 5, "the window's step moved");

    Memory m = file_read(gif_path);
    int code = 0;
    GifFileType *gif = DGifOpen(&m, memory_read, &code);
    cr_assert_not_null(gif);
    cr_assert_eq(DGifSlurp(gif), GIF_OK);
    cr_assert_eq((size_t)gif->ImageCount, scene_step_count(s), "one frame per step");
    GraphicsControlBlock gcb;
    cr_assert_eq(DGifSavedExtensionToGCB(gif, 0, &gcb), GIF_OK);
    cr_assert_eq(gcb.DelayTime, 25, "4 steps per second is 25/100 s a frame");
    DGifCloseFile(gif, &code);

    /* The next name is free; the taken one is refused and left alone. */
    cr_assert_eq(export_pick_name(s, "gif", gif_path, sizeof gif_path, &err), CS_OK, "%s", err.message);
    cr_assert_str_eq(gif_path, "convstep-default-2.gif");
    cr_assert_neq(export_gif_scene(s, &v, &o, 320, 180, "convstep-default-1.gif", &err), CS_OK);
    cr_assert(strstr(err.message, "already exists"), "%s", err.message);
    Memory again = file_read("convstep-default-1.gif");
    cr_assert(again.size == m.size && memcmp(again.data, m.data, m.size) == 0, "the existing GIF changed");

    /* c: the pixels as they are, to a fresh PNG; never over an existing file. */
    uint32_t **frames = render_steps(s, &o, 200, 100, 1);
    cr_assert_eq(export_pick_name(s, "png", png_path, sizeof png_path, &err), CS_OK, "%s", err.message);
    cr_assert_str_eq(png_path, "convstep-default-1.png");
    cr_assert_eq(export_png_frame(frames[0], 200, 100, png_path, &err), CS_OK, "%s", err.message);
    Memory png = file_read(png_path);
    uint32_t *back = png_decode(&png, 200, 100);
    for (size_t p = 0; p < 200 * 100; p++)
        cr_assert_eq(back[p] & 0xffffff, frames[0][p] & 0xffffff, "pixel %zu", p);
    cr_assert_neq(export_png_frame(frames[0], 200, 100, png_path, &err), CS_OK);
    cr_assert(strstr(err.message, "already exists"), "%s", err.message);

    free(back);
    free(png.data);
    free(frames[0]);
    free(frames);
    free(m.data);
    free(again.data);
    unlink("convstep-default-1.gif");
    unlink("convstep-default-1.png");
    cr_assert_eq(chdir(cwd), 0);
    cr_assert_eq(rmdir(dir), 0, "files left in %s", dir);
    scene_destroy(s);
}
