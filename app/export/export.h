/* export.h: a scene's steps as PNG frames, an animated GIF, an MP4 video or
 * one PNG still, drawn exactly as the window draws them (render.h, through
 * draw_frame). `convstep export` (cli_export.c) and the window's export
 * keys both come here.
 *
 * Nothing is lost: every file is written under a temporary name beside its
 * final one and renamed when complete (core/fileout.h); an existing file,
 * or a non-empty frames folder, is refused unless the job says force; a
 * failure or an interruption leaves no temporary file and no partial file
 * under a final name (with frames, the frames already completed stay). */
#ifndef CONVSTEP_EXPORT_H
#define CONVSTEP_EXPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "scene.h"
#include "view.h"

#define EXPORT_DEFAULT_WIDTH 1280
#define EXPORT_DEFAULT_HEIGHT 720
/* The window's default playback speed (view.h: 2 steps per second). */
#define EXPORT_DEFAULT_FPS 2
/* Frame sizes accepted (each side). */
#define EXPORT_MIN_SIDE 32
#define EXPORT_MAX_SIDE 8192

typedef enum ExportTarget {
    EXPORT_FRAMES,      /* DIR/frame-00001.png, ... one PNG per step */
    EXPORT_GIF,         /* one animated, looping GIF */
    EXPORT_VIDEO,       /* H.264 MP4 through ffmpeg */
    EXPORT_PNG          /* one PNG of the first step of the range */
} ExportTarget;

/* What to write. A zero field means the default written in its comment. */
typedef struct ExportJob {
    ExportTarget target;
    const char *path;           /* the folder (EXPORT_FRAMES) or file */
    int width, height;          /* frame size; 0: EXPORT_DEFAULT_WIDTH x _HEIGHT */
    int fps;                    /* frames per second (GIF delay, video rate); 0: EXPORT_DEFAULT_FPS */
    size_t first, last;         /* step indices (0-based, inclusive) to write; both 0 and
                                   !range: every step */
    bool range;                 /* first..last were chosen */
    bool force;                 /* replace an existing file; write into a non-empty folder
                                   (its old frame-NNNNN.png files are removed first) */
    bool quiet;                 /* no progress bar */
    volatile sig_atomic_t *stop; /* becomes non-zero (a signal handler) to stop between
                                    frames; NULL: never */
} ExportJob;

/* Writes steps job->first..last of s, as v shows them (v's hover, help
 * overlay, status text and edit are not drawn), with the font of o (o may be
 * NULL: the default font). The scene is back at its own step afterwards.
 * *written (may be NULL) counts the frames completed, also on failure.
 * Errors name the file or folder; an interruption through job->stop fails
 * with "interrupted ..." saying what was kept. */
Status export_scene(Scene *s, const View *v, const SceneOptions *o, const ExportJob *job, size_t *written,
                    Error *err);

/* The window's GIF key: every step of s at w x h, at the view's playback
 * speed (rounded, 1..50 frames per second), to path (which must not exist). */
Status export_gif_scene(Scene *s, const View *v, const SceneOptions *o, int w, int h, const char *path,
                        Error *err);

/* The window's PNG key: pixels (w*h ARGB8888 values 0xAARRGGBB, row stride
 * w) as a PNG at path (which must not exist). */
Status export_png_frame(const uint32_t *pixels, int w, int h, const char *path, Error *err);

/* A free file name in the current folder for the window's keys:
 * "convstep-INPUT-N.EXT" (INPUT is s's input name without its extension,
 * N the first number from 1 whose file does not exist). */
Status export_pick_name(const Scene *s, const char *ext, char *buf, size_t size, Error *err);

/* For a signal handler that must end the process at once (a second
 * Ctrl-C): removes the temporary file being written and stops ffmpeg, using
 * only async-signal-safe calls. */
void export_signal_cleanup(void);

#endif
