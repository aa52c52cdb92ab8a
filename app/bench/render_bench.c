/* render_bench.c: the drawing row of `convstep bench` (bench.h): frame_ms,
 * the time to draw one 1280x720 frame of the default scene offscreen. */
#include "bench.h"
#include "render.h"
#include "scene.h"
#include "view.h"

/* The default scene at 1280x720, one frame per step after a warm-up pass
 * over every step (so the text cache holds what playing would draw), the
 * median of BENCH_FRAMES frames. Timed in this thread's CPU time, so other
 * processes on a busy machine do not inflate it. */
Status bench_frame_ms(double *value, Error *err)
{
    enum { BENCH_FRAMES = 51 };
    SceneOptions o;
    Scene *s = NULL;
    Render *r = NULL;
    View v;
    const uint32_t *px;
    double t[BENCH_FRAMES];
    Status st;
    scene_options_init(&o);
    if ((st = scene_create(&o, &s, err)) != CS_OK)
        return st;
    if ((st = render_open(&r, &o, 1280, 720, err)) != CS_OK) {
        scene_destroy(s);
        return st;
    }
    view_init(&v, &o);
    size_t count = stepper_count(s->stepper);
    for (size_t i = 0; i < count && st == CS_OK; i++) {
        stepper_seek(s->stepper, i);
        st = render_frame(r, s, &v, &px, err);
    }
    for (int i = 0; i < BENCH_FRAMES && st == CS_OK; i++) {
        stepper_seek(s->stepper, (size_t)i % count);
        double t0 = bench_cpu_ms();
        st = render_frame(r, s, &v, &px, err);
        t[i] = bench_cpu_ms() - t0;
    }
    render_close(r);
    scene_destroy(s);
    if (st != CS_OK)
        return st;
    *value = bench_median(t, BENCH_FRAMES);
    return CS_OK;
}
