/* progress.c: the export progress bar (see progress.h). One line,
 *   [#########...........]  12/25 frames  38.2 fps  0:01 left
 * rewritten with a carriage return. */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_WIDTH 30
#define PROGRESS_PERIOD 0.1

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void progress_start(Progress *p, size_t total, bool quiet, const char *unit, const char *rate)
{
    p->unit = unit;
    p->rate = rate;
    p->note[0] = '\0';
    p->shown = !quiet && isatty(STDERR_FILENO);
    p->drawn = false;
    p->total = total;
    p->start = now_seconds();
    p->last_draw = 0;
}

void progress_update(Progress *p, size_t done)
{
    if (!p->shown || p->total == 0)
        return;
    double t = now_seconds();
    if (done < p->total && p->drawn && t - p->last_draw < PROGRESS_PERIOD)
        return;
    p->last_draw = t;
    p->drawn = true;
    if (done > p->total)
        done = p->total;
    char bar[PROGRESS_WIDTH + 1];
    size_t fill = done * PROGRESS_WIDTH / p->total;
    for (size_t i = 0; i < PROGRESS_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[PROGRESS_WIDTH] = '\0';
    double elapsed = t - p->start;
    double fps = elapsed > 0 ? (double)done / elapsed : 0;
    char left[32] = "--:--";
    if (fps > 0) {
        long secs = (long)((double)(p->total - done) / fps + 0.5);
        snprintf(left, sizeof left, "%ld:%02ld", secs / 60, secs % 60);
    }
    fprintf(stderr, "\r[%s] %zu/%zu %s  %.1f %s  %s left%s%s ", bar, done, p->total, p->unit, fps, p->rate, left,
            p->note[0] ? "  " : "", p->note);
    fflush(stderr);
}

void progress_finish(Progress *p)
{
    if (p->drawn) {
        fputc('\n', stderr);
        fflush(stderr);
    }
    p->drawn = false;
}
