/* export.c: writing a scene's steps as files (see export.h).
 *
 * Start at export_scene: it checks the job, prepares the target (a Sink:
 * a frames folder, a GIF, a video or one PNG), then for each step seeks the
 * scene, renders the frame offscreen (render.h, the window's drawing path)
 * and hands the pixels to the sink, whose writer threads encode them while
 * the next frame is drawn; at the end the sink renames its file into place,
 * or on failure removes what it had not finished. */
#include "export.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fileout.h"
#include "frame_memory.h"
#include "gif_out.h"
#include "png_out.h"
#include "progress.h"
#include "render.h"
#include "video_out.h"

/* Threads that encode and write PNG frames while the next one is drawn
 * (measured: 25 frames of 1280x720 take about half the time with 2 writers
 * on 2 cores than drawing and encoding in turn). A GIF or a video, whose
 * frames must go in order, gets one writer. */
#define EXPORT_WRITERS 2

/* ---- what a signal handler cleans up ----
 * File-level because a signal handler can reach nothing else: the
 * temporary paths being written (inside live FileOuts: the GIF, PNG or
 * video's, and each frame writer's) and ffmpeg's pid. */
static const char *volatile signal_temp;
static const char *volatile signal_frame_temp[EXPORT_WRITERS];
static volatile pid_t signal_child = -1;

void export_signal_cleanup(void)
{
    pid_t pid = signal_child;
    const char *temp = signal_temp;
    if (pid > 0)
        kill(pid, SIGKILL);
    if (temp && temp[0])
        unlink(temp);
    for (int i = 0; i < EXPORT_WRITERS; i++) {
        temp = signal_frame_temp[i];
        if (temp && temp[0])
            unlink(temp);
    }
}

/* ---- the frames folder ---- */

/* "frame-" digits ".png", or the temporary file of one ("...png.tmp-..."). */
static bool is_frame_file(const char *name)
{
    if (strncmp(name, "frame-", 6) != 0)
        return false;
    const char *p = name + 6;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    return strcmp(p, ".png") == 0 || strncmp(p, ".png.tmp-", 9) == 0;
}

/* Makes dir ready for frames: creates it when missing (*created), refuses
 * a file, and a non-empty folder unless force; with force removes its old
 * frame files, so an interrupted export never leaves old and new frames
 * side by side. Other files in it are left alone. */
static Status frames_prepare(const char *dir, bool force, bool *created, Error *err)
{
    struct stat st;
    *created = false;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT)
            return error_set(err, CS_ERR_IO, "cannot write frames to %s: %s", dir, strerror(errno));
        if (mkdir(dir, 0777) != 0)
            return error_set(err, CS_ERR_IO, "cannot create folder %s: %s", dir, strerror(errno));
        *created = true;
        return CS_OK;
    }
    if (!S_ISDIR(st.st_mode))
        return error_set(err, CS_ERR_IO, "cannot write frames to %s: it exists and is not a folder", dir);
    DIR *d = opendir(dir);
    if (!d)
        return error_set(err, CS_ERR_IO, "cannot read folder %s: %s", dir, strerror(errno));
    Status result = CS_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (!force) {
            result = error_set(err, CS_ERR_IO, "folder %s is not empty (use --force to write frames into it)",
                               dir);
            break;
        }
        if (!is_frame_file(e->d_name))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0) {
            result = error_set(err, CS_ERR_IO, "cannot remove old frame %s: %s", path, strerror(errno));
            break;
        }
    }
    closedir(d);
    return result;
}

/* ---- frame writers: encoding beside the drawing ----
 * The main thread draws frame n and hands a copy to a free writer, which
 * encodes it (DIR/frame-NNNNN.png renamed into place, or the next frame of
 * the GIF or video) while the main thread draws frame n+1. */

typedef struct FrameWriter {
    struct FramePool *pool;
    int slot;                   /* index in signal_frame_temp */
    pthread_t thread;
    uint32_t *pixels;           /* w*h, the frame to write */
    PngOut *png;                /* PNG frames: this writer's encoder */
    size_t number;              /* its frame number (1-based); 0: idle */
} FrameWriter;

typedef struct FramePool {
    pthread_mutex_t lock;
    pthread_cond_t changed;     /* a writer took work or finished it */
    const char *dir;            /* PNG frames go here, or: */
    GifOut *gif;                /* frames go to this GIF, or */
    VideoOut *video;            /* to this video (one writer, in order) */
    int w, h, n_writers;
    bool force, closing;
    FrameWriter writers[EXPORT_WRITERS];
    size_t completed;           /* frames renamed into place */
    size_t handed;              /* the highest frame number handed out */
    Status status;              /* the failure of the lowest frame that failed */
    size_t failed;              /* that frame's number; 0: none failed */
    Error err;
} FramePool;

/* One frame written as DIR/frame-NNNNN.png, complete or not at all. */
static Status frame_write(const FramePool *p, FrameWriter *fw, size_t number, Error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/frame-%05zu.png", p->dir, number);
    FileOut fo;
    Status st = fileout_open(&fo, path, p->force, err);
    if (st != CS_OK)
        return st;
    signal_frame_temp[fw->slot] = fileout_temp_path(&fo);
    st = png_out_encode(fw->png, fo.stream, fw->pixels, p->w, p->h, path, err);
    if (st == CS_OK)
        st = fileout_commit_unsynced_name(&fo, err);
    else
        fileout_abort(&fo);
    signal_frame_temp[fw->slot] = NULL;
    return st;
}

static void *writer_main(void *arg)
{
    FrameWriter *fw = arg;
    FramePool *p = fw->pool;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (fw->number == 0 && !p->closing)
            pthread_cond_wait(&p->changed, &p->lock);
        if (fw->number == 0)
            break;
        size_t number = fw->number;
        pthread_mutex_unlock(&p->lock);
        Error err = {0};
        Status st = p->gif     ? gif_out_add(p->gif, fw->pixels, &err)
                    : p->video ? video_out_add(p->video, fw->pixels, &err)
                               : frame_write(p, fw, number, &err);
        pthread_mutex_lock(&p->lock);
        if (st == CS_OK) {
            p->completed++;
        } else if (p->failed == 0 || number < p->failed) {
            p->status = st;
            p->err = err;
            p->failed = number;
        }
        fw->number = 0;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Starts the writers for PNG frames in dir, or one for gif or video (with
 * Ctrl-C and SIGTERM blocked in them, so the main thread's handler sees the
 * signals). Fewer writers start when memory or threads run short; none is
 * an error. */
static Status pool_open(FramePool *p, const char *dir, GifOut *gif, VideoOut *video, int w, int h, bool force,
                        const char *name, Error *err)
{
    memset(p, 0, sizeof *p);
    p->dir = dir;
    p->gif = gif;
    p->video = video;
    p->w = w;
    p->h = h;
    p->force = force;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int want = gif || video ? 1 : EXPORT_WRITERS;
    for (int i = 0; i < want; i++) {
        FrameWriter *fw = &p->writers[p->n_writers];
        fw->pool = p;
        fw->slot = p->n_writers;
        fw->pixels = frame_memory_alloc((size_t)w * (size_t)h * sizeof *fw->pixels);
        if (!fw->pixels || (dir && png_out_new(&fw->png, NULL) != CS_OK)) {
            free(fw->pixels);
            break;
        }
        if (pthread_create(&fw->thread, NULL, writer_main, fw) != 0) {
            free(fw->pixels);
            png_out_free(fw->png);
            break;
        }
        p->n_writers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (p->n_writers == 0)
        return error_set(err, CS_ERR_NOMEM, "cannot start a frame writer for %s", name);
    return CS_OK;
}

/* Hands frame number's pixels to the first idle writer (waiting for one). */
static Status pool_add(FramePool *p, const uint32_t *px, size_t number, Error *err)
{
    pthread_mutex_lock(&p->lock);
    FrameWriter *idle = NULL;
    while (p->status == CS_OK && !idle) {
        for (int i = 0; i < p->n_writers && !idle; i++)
            if (p->writers[i].number == 0)
                idle = &p->writers[i];
        if (!idle)
            pthread_cond_wait(&p->changed, &p->lock);
    }
    Status st = p->status;
    if (st == CS_OK) {
        /* An idle writer does not touch its pixels until it has a number,
         * so the copy needs no lock. */
        pthread_mutex_unlock(&p->lock);
        memcpy(idle->pixels, px, (size_t)p->w * (size_t)p->h * sizeof *px);
        pthread_mutex_lock(&p->lock);
        idle->number = number;
        p->handed = number;
        pthread_cond_broadcast(&p->changed);
    } else if (err) {
        *err = p->err;
    }
    pthread_mutex_unlock(&p->lock);
    return st;
}

/* Waits for the frames in hand, stops the writers and frees them. Returns
 * the failure of the lowest frame that failed; *completed counts the frames
 * in place. After a failure the frames after the failed one, which other
 * writers may have finished, are removed: the frames kept are always
 * frame 1 to *completed. */
static Status pool_close(FramePool *p, size_t *completed, Error *err)
{
    pthread_mutex_lock(&p->lock);
    p->closing = true;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_writers; i++) {
        pthread_join(p->writers[i].thread, NULL);
        free(p->writers[i].pixels);
        png_out_free(p->writers[i].png);
    }
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
    if (p->failed != 0) {
        for (size_t n = p->failed + 1; p->dir && n <= p->handed; n++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/frame-%05zu.png", p->dir, n);
            unlink(path);
        }
        p->completed = p->failed - 1;
    }
    *completed = p->completed;
    if (p->status != CS_OK && err)
        *err = p->err;
    return p->status;
}

/* ---- the sink: where frames go ---- */

typedef struct Sink {
    const ExportJob *job;
    int w, h, fps;
    size_t done;            /* frames completed */
    size_t sent;            /* frames handed to the frame writers */
    bool created_dir;       /* EXPORT_FRAMES: the folder is ours */
    bool pool_open;         /* the writers run (frames, GIF, video) */
    bool open;              /* fo (GIF, PNG) holds a temporary file */
    FramePool pool;
    FileOut fo;
    GifOut *gif;
    VideoOut *video;
} Sink;

static Status sink_open(Sink *k, Error *err)
{
    const ExportJob *job = k->job;
    Status st = CS_OK;
    switch (job->target) {
    case EXPORT_FRAMES:
        st = frames_prepare(job->path, job->force, &k->created_dir, err);
        if (st == CS_OK)
            st = pool_open(&k->pool, job->path, NULL, NULL, k->w, k->h, job->force, job->path, err);
        k->pool_open = st == CS_OK;
        return st;
    case EXPORT_GIF:
        st = fileout_open(&k->fo, job->path, job->force, err);
        if (st != CS_OK)
            return st;
        k->open = true;
        signal_temp = fileout_temp_path(&k->fo);
        st = gif_out_open(&k->gif, k->fo.stream, k->w, k->h, k->fps, job->path, err);
        if (st == CS_OK)
            st = pool_open(&k->pool, NULL, k->gif, NULL, k->w, k->h, job->force, job->path, err);
        k->pool_open = st == CS_OK;
        return st;
    case EXPORT_PNG:
        st = fileout_open(&k->fo, job->path, job->force, err);
        if (st == CS_OK) {
            k->open = true;
            signal_temp = fileout_temp_path(&k->fo);
        }
        return st;
    case EXPORT_VIDEO:
        st = video_out_open(&k->video, job->path, job->force, k->w, k->h, k->fps, err);
        if (st != CS_OK)
            return st;
        signal_temp = video_out_temp_path(k->video);
        signal_child = video_out_pid(k->video);
        st = pool_open(&k->pool, NULL, NULL, k->video, k->w, k->h, job->force, job->path, err);
        k->pool_open = st == CS_OK;
        return st;
    }
    return error_set(err, CS_ERR_RANGE, "unknown export target");
}

static Status sink_finish_frames(Sink *k, Error *err);

static Status sink_add(Sink *k, const uint32_t *px, Error *err)
{
    Status st = CS_OK;
    if (k->pool_open) {
        /* Counted as done when a writer has finished it (sink_finish_frames).
         * After a writer's failure, stop them all: the error to report is
         * the lowest frame's, known once every writer has stopped. */
        st = pool_add(&k->pool, px, ++k->sent, err);
        return st == CS_OK ? st : sink_finish_frames(k, err);
    }
    st = png_out_write(k->fo.stream, px, k->w, k->h, k->job->path, err);
    if (st == CS_OK)
        k->done++;
    return st;
}

/* Waits for the writers; returns their first failure. The frames kept
 * are made durable here: each frame's data was fsynced before its rename
 * (a crash never leaves a partial frame under its name), and the folder,
 * whose fsync makes the names durable, is synced once for all of them
 * rather than after every frame; a folder we created is synced in its
 * parent too. */
static Status sink_finish_frames(Sink *k, Error *err)
{
    if (!k->pool_open)
        return CS_OK;
    k->pool_open = false;
    Status st = pool_close(&k->pool, &k->done, err);
    if (k->job->target == EXPORT_FRAMES && k->done > 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/frame-00001.png", k->job->path);
        fileout_sync_folder(path);
        if (k->created_dir)
            fileout_sync_folder(k->job->path);
    }
    return st;
}

/* Frames completed so far (frame writers: renamed into place). */
static size_t sink_done(Sink *k)
{
    if (!k->pool_open)
        return k->done;
    pthread_mutex_lock(&k->pool.lock);
    size_t n = k->pool.completed;
    pthread_mutex_unlock(&k->pool.lock);
    return n;
}

static void sink_abort(Sink *k);

/* Waits for the last frames and completes the file (GIF, PNG, video). */
static Status sink_commit(Sink *k, Error *err)
{
    Status st = sink_finish_frames(k, err);
    if (st != CS_OK) {
        sink_abort(k);
        return st;
    }
    if (k->gif) {
        st = gif_out_close(k->gif, err);
        k->gif = NULL;
    }
    if (k->open) {
        k->open = false;
        if (st == CS_OK)
            st = fileout_commit(&k->fo, err);
        else
            fileout_abort(&k->fo);
    }
    if (k->video) {
        signal_child = -1;
        st = video_out_commit(k->video, err);
        k->video = NULL;
    }
    signal_temp = NULL;
    return st;
}

/* Removes whatever is unfinished; a frames folder we created and left
 * empty goes too. */
static void sink_abort(Sink *k)
{
    sink_finish_frames(k, NULL);
    if (k->gif) {
        gif_out_close(k->gif, NULL);
        k->gif = NULL;
    }
    if (k->open) {
        k->open = false;
        fileout_abort(&k->fo);
    }
    if (k->video) {
        video_out_abort(k->video);
        k->video = NULL;
    }
    signal_child = -1;
    signal_temp = NULL;
    if (k->created_dir && k->done == 0)
        rmdir(k->job->path);
}

/* ---- the export ---- */

/* Checks the job against the scene; fills the frame size, rate and range. */
static Status job_check(const Scene *s, const ExportJob *job, Sink *k, size_t *first, size_t *last, Error *err)
{
    k->w = job->width ? job->width : EXPORT_DEFAULT_WIDTH;
    k->h = job->height ? job->height : EXPORT_DEFAULT_HEIGHT;
    k->fps = job->fps ? job->fps : EXPORT_DEFAULT_FPS;
    if (k->w < EXPORT_MIN_SIDE || k->h < EXPORT_MIN_SIDE || k->w > EXPORT_MAX_SIDE || k->h > EXPORT_MAX_SIDE)
        return error_set(err, CS_ERR_RANGE, "frame size %dx%d is outside %dx%d..%dx%d", k->w, k->h,
                         EXPORT_MIN_SIDE, EXPORT_MIN_SIDE, EXPORT_MAX_SIDE, EXPORT_MAX_SIDE);
    if (job->target == EXPORT_GIF && k->fps > GIF_OUT_MAX_FPS)
        return error_set(err, CS_ERR_RANGE, "--fps %d: a GIF plays at most %d frames per second", k->fps,
                         GIF_OUT_MAX_FPS);
    size_t count = scene_step_count(s);
    *first = job->range ? job->first : 0;
    *last = job->range ? job->last : count - 1;
    if (job->target == EXPORT_PNG)
        *last = *first;
    if (*first > *last || *last >= count)
        return error_set(err, CS_ERR_RANGE, "steps %zu to %zu are outside the scene's steps 1 to %zu",
                         *first + 1, *last + 1, count);
    return CS_OK;
}

/* The message for an export stopped by a signal. */
static Status interrupted(const Sink *k, Error *err)
{
    const ExportJob *job = k->job;
    if (job->target != EXPORT_FRAMES)
        return error_set(err, CS_ERR_IO, "interrupted: %s was not written", job->path);
    if (k->done == 0)
        return error_set(err, CS_ERR_IO, "interrupted before the first frame: nothing written to %s",
                         job->path);
    return error_set(err, CS_ERR_IO, "interrupted: kept %zu complete frame%s in %s (frame-00001.png to "
                     "frame-%05zu.png)", k->done, k->done == 1 ? "" : "s", job->path, k->done);
}

Status export_scene(Scene *s, const View *v, const SceneOptions *o, const ExportJob *job, size_t *written,
                    Error *err)
{
    Sink k;
    memset(&k, 0, sizeof k);
    k.job = job;
    if (written)
        *written = 0;
    size_t first = 0, last = 0;
    Status st = job_check(s, job, &k, &first, &last, err);
    if (st != CS_OK)
        return st;
    /* What the window shows for this state, without transient decoration. */
    View view = *v;
    view.hover.kind = TARGET_NONE;
    view.show_help = false;
    view.status[0] = '\0';
    view.status_error = false;
    view.edit.kind = TARGET_NONE;
    view.edit_text[0] = '\0';

    Render *r = NULL;
    st = render_open(&r, o, k.w, k.h, err);
    if (st != CS_OK)
        return st;
    st = sink_open(&k, err);
    if (st != CS_OK) {
        sink_abort(&k);
        render_close(r);
        return st;
    }
    size_t back = scene_step_index(s);
    Progress progress;
    progress_start(&progress, last - first + 1, job->quiet, "frames", "fps");
    bool stopped = false;
    for (size_t i = first; i <= last && st == CS_OK; i++) {
        if (job->stop && *job->stop) {
            stopped = true;
            break;
        }
        const uint32_t *px;
        scene_seek(s, i);
        st = render_frame(r, s, &view, &px, err);
        if (st == CS_OK)
            st = sink_add(&k, px, err);
        progress_update(&progress, sink_done(&k));
    }
    if (st == CS_OK && job->stop && *job->stop)
        stopped = true;
    if (st == CS_OK && !stopped) {
        st = sink_commit(&k, err);
        progress_update(&progress, k.done);
    } else {
        sink_abort(&k);
        if (stopped)
            st = interrupted(&k, err);
    }
    progress_finish(&progress);
    scene_seek(s, back);
    render_close(r);
    if (written)
        *written = k.done;
    return st;
}

Status export_gif_scene(Scene *s, const View *v, const SceneOptions *o, int w, int h, const char *path,
                        Error *err)
{
    int fps = (int)(v->speed + 0.5f);
    if (fps < 1)
        fps = 1;
    if (fps > GIF_OUT_MAX_FPS)
        fps = GIF_OUT_MAX_FPS;
    ExportJob job = {.target = EXPORT_GIF, .path = path, .width = w, .height = h, .fps = fps, .quiet = true};
    return export_scene(s, v, o, &job, NULL, err);
}

Status export_png_frame(const uint32_t *pixels, int w, int h, const char *path, Error *err)
{
    FileOut fo;
    Status st = fileout_open(&fo, path, false, err);
    if (st != CS_OK)
        return st;
    st = png_out_write(fo.stream, pixels, w, h, path, err);
    if (st != CS_OK) {
        fileout_abort(&fo);
        return st;
    }
    return fileout_commit(&fo, err);
}

Status export_pick_name(const Scene *s, const char *ext, char *buf, size_t size, Error *err)
{
    char base[64];
    size_t n = 0;
    for (const char *c = s->input_name; *c && *c != '.' && n < sizeof base - 1; c++)
        base[n++] = (isalnum((unsigned char)*c) || *c == '-' || *c == '_') ? *c : '_';
    base[n] = '\0';
    if (n == 0)
        snprintf(base, sizeof base, "scene");
    for (int i = 1; i < 100000; i++) {
        struct stat st;
        int len = snprintf(buf, size, "convstep-%s-%d.%s", base, i, ext);
        if (len < 0 || (size_t)len >= size)
            return error_set(err, CS_ERR_RANGE, "no room for an export file name");
        if (lstat(buf, &st) != 0 && errno == ENOENT)
            return CS_OK;
    }
    return error_set(err, CS_ERR_IO, "no free convstep-%s-N.%s name in this folder", base, ext);
}
