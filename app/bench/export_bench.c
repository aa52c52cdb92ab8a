/* export_bench.c: the exporter's rows of `convstep bench` (bench.h):
 * png_ms and gif_ms, the time to encode one 1280x720 frame of the default
 * scene, one thread, into memory (no disk), median over its 25 steps
 * (PNG: through one encoder, as a frame writer does). The
 * frames are drawn first and not timed (frame_ms measures drawing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "gif_out.h"
#include "png_out.h"
#include "render.h"
#include "scene.h"
#include "view.h"

enum { BENCH_W = 1280, BENCH_H = 720, BENCH_FRAMES = 25 };

/* The default scene's first steps at 1280x720, one buffer each (*n of
 * them, caller frees with frames_free). */
static Status frames_draw(uint32_t ***out, size_t *n, Error *err)
{
    SceneOptions o;
    scene_options_init(&o);
    Scene *s = NULL;
    Render *r = NULL;
    Status st = scene_create(&o, &s, err);
    if (st == CS_OK)
        st = render_open(&r, &o, BENCH_W, BENCH_H, err);
    size_t count = st == CS_OK ? scene_step_count(s) : 0;
    if (count > BENCH_FRAMES)
        count = BENCH_FRAMES;
    uint32_t **frames = calloc(count ? count : 1, sizeof *frames);
    if (st == CS_OK && !frames)
        st = error_set(err, CS_ERR_NOMEM, "out of memory");
    View v;
    view_init(&v, &o);
    v.playing = true;
    for (size_t i = 0; st == CS_OK && i < count; i++) {
        const uint32_t *px;
        scene_seek(s, i);
        st = render_frame(r, s, &v, &px, err);
        if (st != CS_OK)
            break;
        frames[i] = malloc((size_t)BENCH_W * BENCH_H * sizeof *px);
        if (!frames[i]) {
            st = error_set(err, CS_ERR_NOMEM, "out of memory");
            break;
        }
        memcpy(frames[i], px, (size_t)BENCH_W * BENCH_H * sizeof *px);
    }
    render_close(r);
    scene_destroy(s);
    if (st != CS_OK) {
        for (size_t i = 0; frames && i < count; i++)
            free(frames[i]);
        free(frames);
        return st;
    }
    *out = frames;
    *n = count;
    return CS_OK;
}

static void frames_free(uint32_t **frames, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(frames[i]);
    free(frames);
}

Status bench_png_ms(double *value, Error *err)
{
    uint32_t **frames;
    size_t n;
    Status st = frames_draw(&frames, &n, err);
    if (st != CS_OK)
        return st;
    /* One encoder for every frame, as each frame writer keeps one. */
    PngOut *png = NULL;
    st = png_out_new(&png, err);
    double times[BENCH_FRAMES];
    for (size_t i = 0; i < n && st == CS_OK; i++) {
        char *data = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&data, &size);
        if (!f) {
            st = error_set(err, CS_ERR_NOMEM, "out of memory");
            break;
        }
        double t0 = bench_wall_ms();
        st = png_out_encode(png, f, frames[i], BENCH_W, BENCH_H, "bench.png", err);
        fflush(f);
        times[i] = bench_wall_ms() - t0;
        fclose(f);
        free(data);
    }
    png_out_free(png);
    frames_free(frames, n);
    if (st != CS_OK)
        return st;
    *value = bench_median(times, n);
    return CS_OK;
}

Status bench_gif_ms(double *value, Error *err)
{
    uint32_t **frames;
    size_t n;
    Status st = frames_draw(&frames, &n, err);
    if (st != CS_OK)
        return st;
    char *data = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&data, &size);
    GifOut *g = NULL;
    if (!f)
        st = error_set(err, CS_ERR_NOMEM, "out of memory");
    if (st == CS_OK)
        st = gif_out_open(&g, f, BENCH_W, BENCH_H, 4, "bench.gif", err);
    double times[BENCH_FRAMES];
    for (size_t i = 0; i < n && st == CS_OK; i++) {
        double t0 = bench_wall_ms();
        st = gif_out_add(g, frames[i], err);
        times[i] = bench_wall_ms() - t0;
    }
    gif_out_close(g, NULL);
    if (f)
        fclose(f);
    free(data);
    frames_free(frames, n);
    if (st != CS_OK)
        return st;
    /* Frame 1 is the whole picture, the others what changed: the median is
     * a typical animation frame. */
    *value = bench_median(times, n);
    return CS_OK;
}
