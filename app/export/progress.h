/* progress.h: a progress bar for long runs (an export's frames, training's
 * images), on stderr when it is a terminal: units done of total, units per
 * second, time left and a note (training's loss), redrawn in place at most
 * ten times a second. Silent when stderr is not a terminal or when quiet. */
#ifndef CONVSTEP_PROGRESS_H
#define CONVSTEP_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Progress {
    bool shown;             /* stderr is a terminal and not quiet */
    bool drawn;             /* a bar is on the screen (finish clears it) */
    size_t total;
    double start;           /* seconds, monotonic clock */
    double last_draw;
    const char *unit;       /* "frames" */
    const char *rate;       /* "fps" */
    char note[64];          /* shown after the time left; empty: nothing */
} Progress;

/* Starts a bar for total units (nothing is drawn yet): unit names them
 * ("frames", "images") and rate their speed ("fps", "images/s"). */
void progress_start(Progress *p, size_t total, bool quiet, const char *unit, const char *rate);

/* Reports done units (0..total); redraws when the last redraw is 0.1 s
 * old or done == total. */
void progress_update(Progress *p, size_t done);

/* Ends the bar's line (the last state stays on screen), so what follows
 * starts on a line of its own. */
void progress_finish(Progress *p);

#endif
