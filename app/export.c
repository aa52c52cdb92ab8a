/* export.c: writing a scene's steps as files (see export.h).
 *
 * Start at export_scene: it checks the job, prepares the target (a Sink:
 * a frames folder, a GIF, a video or one PNG), then for each step seeks the
 * stepper, renders the frame offscreen (render.h, the window's drawing
 * path) and hands the pixels to the sink; at the end the sink renames its
 * file into place, or on failure removes what it had not finished. */
#include "export.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fileout.h"
#include "gif_out.h"
#include "png_out.h"
#include "progress.h"
#include "render.h"
#include "video_out.h"

/* ---- what a signal handler cleans up ----
 * File-level because a signal handler can reach nothing else: the
 * temporary path being written (inside a live FileOut) and ffmpeg's pid. */
static const char *volatile signal_temp;
static volatile pid_t signal_child = -1;

void export_signal_cleanup(void)
{
    pid_t pid = signal_child;
    const char *temp = signal_temp;
    if (pid > 0)
        kill(pid, SIGKILL);
    if (temp && temp[0])
        unlink(temp);
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

/* ---- the sink: where frames go ---- */

typedef struct Sink {
    const ExportJob *job;
    int w, h, fps;
    size_t done;            /* frames completed */
    bool created_dir;       /* EXPORT_FRAMES: the folder is ours */
    bool open;              /* fo (GIF, PNG) holds a temporary file */
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
        return frames_prepare(job->path, job->force, &k->created_dir, err);
    case EXPORT_GIF:
        st = fileout_open(&k->fo, job->path, job->force, err);
        if (st != CS_OK)
            return st;
        k->open = true;
        signal_temp = fileout_temp_path(&k->fo);
        return gif_out_open(&k->gif, k->fo.stream, k->w, k->h, k->fps, job->path, err);
    case EXPORT_PNG:
        st = fileout_open(&k->fo, job->path, job->force, err);
        if (st == CS_OK) {
            k->open = true;
            signal_temp = fileout_temp_path(&k->fo);
        }
        return st;
    case EXPORT_VIDEO:
        st = video_out_open(&k->video, job->path, job->force, k->w, k->h, k->fps, err);
        if (st == CS_OK) {
            signal_temp = video_out_temp_path(k->video);
            signal_child = video_out_pid(k->video);
        }
        return st;
    }
    return error_set(err, CS_ERR_RANGE, "unknown export target");
}

/* One frame written as DIR/frame-NNNNN.png, complete or not at all. */
static Status frame_write(Sink *k, const uint32_t *px, Error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/frame-%05zu.png", k->job->path, k->done + 1);
    FileOut fo;
    Status st = fileout_open(&fo, path, k->job->force, err);
    if (st != CS_OK)
        return st;
    signal_temp = fileout_temp_path(&fo);
    st = png_out_write(fo.stream, px, k->w, k->h, path, err);
    if (st == CS_OK)
        st = fileout_commit(&fo, err);
    else
        fileout_abort(&fo);
    signal_temp = NULL;
    return st;
}

static Status sink_add(Sink *k, const uint32_t *px, Error *err)
{
    Status st = CS_OK;
    switch (k->job->target) {
    case EXPORT_FRAMES:
        st = frame_write(k, px, err);
        break;
    case EXPORT_GIF:
        st = gif_out_add(k->gif, px, err);
        break;
    case EXPORT_PNG:
        st = png_out_write(k->fo.stream, px, k->w, k->h, k->job->path, err);
        break;
    case EXPORT_VIDEO:
        st = video_out_add(k->video, px, err);
        break;
    }
    if (st == CS_OK)
        k->done++;
    return st;
}

/* Completes the file (GIF, PNG, video); frames are complete already. */
static Status sink_commit(Sink *k, Error *err)
{
    Status st = CS_OK;
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
    size_t count = stepper_count(s->stepper);
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
    size_t back = stepper_index(s->stepper);
    Progress progress;
    progress_start(&progress, last - first + 1, job->quiet);
    for (size_t i = first; i <= last && st == CS_OK; i++) {
        if (job->stop && *job->stop) {
            st = interrupted(&k, err);
            break;
        }
        const uint32_t *px;
        stepper_seek(s->stepper, i);
        st = render_frame(r, s, &view, &px, err);
        if (st == CS_OK)
            st = sink_add(&k, px, err);
        progress_update(&progress, k.done);
    }
    if (st == CS_OK && job->stop && *job->stop)
        st = interrupted(&k, err);
    if (st == CS_OK)
        st = sink_commit(&k, err);
    else
        sink_abort(&k);
    progress_finish(&progress);
    stepper_seek(s->stepper, back);
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
