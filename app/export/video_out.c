/* video_out.c: frames piped to ffmpeg (see video_out.h).
 *
 * fileout_open reserves the temporary name beside the final one and checks
 * the target; ffmpeg (a child in its own process group, so a Ctrl-C at the
 * terminal reaches only us and we decide what happens to the file) reads raw
 * frames on its stdin and overwrites that temporary file. When it ends, its
 * exit status, its log (empty unless something failed) and the file itself
 * (a complete MP4, core/mp4.h) must all be right before fileout_commit syncs
 * and renames it, exactly as for the files we write ourselves. */
#include "video_out.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileout.h"
#include "mp4.h"

struct VideoOut {
    FileOut fo;
    pid_t pid;
    int pipe_fd;            /* ffmpeg's stdin */
    FILE *log;              /* ffmpeg's stderr (an unlinked temporary file) */
    size_t frame_bytes;
    struct sigaction old_pipe;
};

bool video_out_available(void)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return false;
    char dir_file[4096];
    while (*path) {
        size_t len = strcspn(path, ":");
        /* An empty PATH entry means the current folder. */
        int n = len ? snprintf(dir_file, sizeof dir_file, "%.*s/ffmpeg", (int)len, path)
                    : snprintf(dir_file, sizeof dir_file, "./ffmpeg");
        struct stat st;
        if (n > 0 && (size_t)n < sizeof dir_file && stat(dir_file, &st) == 0 && S_ISREG(st.st_mode) &&
            access(dir_file, X_OK) == 0)
            return true;
        path += len;
        if (*path == ':')
            path++;
    }
    return false;
}

/* True when line ends with ": " and the system's words for an error that
 * means the file could not be written (ffmpeg prints them so: "Error
 * writing trailer of F: No space left on device"); *why is then those words. */
static bool write_errno_text(const char *line, const char **why)
{
    static const int codes[] = {ENOSPC, EDQUOT, EFBIG, EIO, EROFS, EACCES};
    size_t len = strlen(line);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *text = strerror(codes[i]);
        size_t n = strlen(text);
        if (len >= n + 2 && strcmp(line + len - n, text) == 0 && memcmp(line + len - n - 2, ": ", 2) == 0) {
            *why = line + len - n;
            return true;
        }
    }
    return false;
}

/* Why ffmpeg failed, from the end of its log, into buf: the system's words
 * when a line names a write error ("No space left on device"), otherwise
 * "ffmpeg: " and its last line, otherwise "" when it printed nothing. */
static void ffmpeg_reason(FILE *log, char *buf, size_t size)
{
    char text[4096];
    buf[0] = '\0';
    if (!log || fflush(log) != 0 || fseek(log, 0, SEEK_END) != 0)
        return;
    long end = ftell(log);
    long start = end > (long)sizeof text - 1 ? end - (long)sizeof text + 1 : 0;
    if (end <= 0 || fseek(log, start, SEEK_SET) != 0)
        return;
    size_t n = fread(text, 1, (size_t)(end - start), log);
    text[n] = '\0';
    const char *last = NULL;
    char *save = NULL;
    for (char *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        size_t len = strlen(line);
        while (len > 0 && line[len - 1] == ' ')
            line[--len] = '\0';
        const char *why;
        if (write_errno_text(line, &why)) {
            snprintf(buf, size, "%s", why);
            return;
        }
        /* "    Last message repeated 47 times" says nothing new. */
        if (len > 0 && !strstr(line, "Last message repeated"))
            last = line;
    }
    if (last)
        snprintf(buf, size, "ffmpeg: %s", last);
}

/* The error for a failed ffmpeg: "cannot write FILE: WHY". */
static Status ffmpeg_failed(VideoOut *v, Error *err)
{
    char why[256];
    ffmpeg_reason(v->log, why, sizeof why);
    if (!why[0])
        snprintf(why, sizeof why, "ffmpeg exited without a message");
    return error_set(err, CS_ERR_IO, "cannot write %s: %s", v->fo.final_path, why);
}

static void video_free(VideoOut *v)
{
    if (v->log)
        fclose(v->log);
    sigaction(SIGPIPE, &v->old_pipe, NULL);
    free(v);
}

/* Starts ffmpeg reading w x h frames at fps on the pipe fds[0] and writing
 * v's temporary file, its messages into v->log. Returns the child's pid, or
 * -1 with errno set when fork fails. */
static pid_t start_ffmpeg(VideoOut *v, const int fds[2], int w, int h, int fps)
{
    char size[32], rate[16];
    snprintf(size, sizeof size, "%dx%d", w, h);
    snprintf(rate, sizeof rate, "%d", fps);
    /* Our pixels are 32-bit 0xAARRGGBB values: bytes B,G,R,A in memory on a
     * little-endian machine, A,R,G,B on a big-endian one. */
    const uint32_t probe = 0x01020304u;
    const char *pix_fmt = *(const unsigned char *)&probe == 0x04 ? "bgra" : "argb";
    const char *argv[] = {
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", pix_fmt, "-s", size, "-r", rate, "-i", "-",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18",
        "-movflags", "+faststart", "-fflags", "+bitexact", "-flags:v", "+bitexact",
        "-map_metadata", "-1", "-f", "mp4", fileout_temp_path(&v->fo), NULL,
    };
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    setpgid(0, 0);
    int null = open("/dev/null", O_WRONLY);
    dup2(fds[0], STDIN_FILENO);
    if (null >= 0)
        dup2(null, STDOUT_FILENO);
    dup2(fileno(v->log), STDERR_FILENO);
    signal(SIGPIPE, SIG_DFL);
    execvp("ffmpeg", (char *const *)argv);
    /* Not "...: <system words>", which ffmpeg_reason would take for a write error. */
    dprintf(STDERR_FILENO, "cannot run ffmpeg (%s)\n", strerror(errno));
    _exit(127);
}

/* Why a video of w x h at fps cannot be written to path, or CS_OK. */
static Status check_video_request(const char *path, int w, int h, int fps, Error *err)
{
    if (!video_out_available())
        return error_set(err, CS_ERR_IO, "cannot write %s: --video needs ffmpeg, which is not on PATH "
                         "(Debian: apt-get install ffmpeg), or use --frames DIR or --gif FILE", path);
    if (w % 2 != 0 || h % 2 != 0)
        return error_set(err, CS_ERR_RANGE, "cannot write %s: H.264 video (yuv420p) needs an even width and "
                         "height, not %dx%d (use --size %dx%d)", path, w, h, w + w % 2, h + h % 2);
    if (fps < 1 || fps > 240)
        return error_set(err, CS_ERR_RANGE, "cannot write %s: --fps must be 1..240 for video, not %d", path, fps);
    return CS_OK;
}

Status video_out_open(VideoOut **out, const char *path, bool overwrite, int w, int h, int fps, Error *err)
{
    *out = NULL;
    Status st = check_video_request(path, w, h, fps, err);
    if (st != CS_OK)
        return st;
    VideoOut *v = calloc(1, sizeof *v);
    if (!v)
        return error_set(err, CS_ERR_NOMEM, "cannot write %s: out of memory", path);
    v->pid = -1;
    v->pipe_fd = -1;
    v->frame_bytes = (size_t)w * (size_t)h * 4;
    /* A dead ffmpeg must turn our next write into EPIPE, not kill us. */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &v->old_pipe);

    if ((st = fileout_open(&v->fo, path, overwrite, err)) != CS_OK) {
        video_free(v);
        return st;
    }
    v->log = tmpfile();
    int fds[2] = {-1, -1};
    pid_t pid = -1;
    if (v->log && pipe(fds) == 0) {
        fcntl(fds[1], F_SETFD, FD_CLOEXEC);
        pid = start_ffmpeg(v, fds, w, h, fps);
    }
    if (pid < 0) {
        int e = errno;
        if (fds[0] >= 0) {
            close(fds[0]);
            close(fds[1]);
        }
        fileout_abort(&v->fo);
        video_free(v);
        return error_set(err, CS_ERR_IO, "cannot start ffmpeg for %s: %s", path, strerror(e));
    }
    close(fds[0]);
    v->pid = pid;
    v->pipe_fd = fds[1];
    *out = v;
    return CS_OK;
}

/* Waits for ffmpeg; returns its exit status, or -1 when it was killed. */
static int wait_child(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Status video_out_add(VideoOut *v, const uint32_t *pixels, Error *err)
{
    const unsigned char *p = (const unsigned char *)pixels;
    size_t left = v->frame_bytes;
    while (left > 0) {
        ssize_t n = write(v->pipe_fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(v->pipe_fd);
            v->pipe_fd = -1;
            wait_child(v->pid);
            v->pid = -1;
            return ffmpeg_failed(v, err);
        }
        p += n;
        left -= (size_t)n;
    }
    return CS_OK;
}

Status video_out_commit(VideoOut *v, Error *err)
{
    close(v->pipe_fd);
    v->pipe_fd = -1;
    int code = wait_child(v->pid);
    v->pid = -1;
    /* ffmpeg's exit status is not enough: 5.1 exits 0 after "Error writing
     * trailer ...: No space left on device". With -loglevel error any line
     * it printed is an error, and the file must be a whole MP4. */
    char why[256];
    ffmpeg_reason(v->log, why, sizeof why);
    Status st;
    if (code != 0 || why[0]) {
        st = ffmpeg_failed(v, err);
        fileout_abort(&v->fo);
    } else if ((st = mp4_check_complete(fileout_temp_path(&v->fo), v->fo.final_path, err)) != CS_OK) {
        fileout_abort(&v->fo);
    } else {
        st = fileout_commit(&v->fo, err);
    }
    video_free(v);
    return st;
}

void video_out_abort(VideoOut *v)
{
    if (!v)
        return;
    if (v->pipe_fd >= 0)
        close(v->pipe_fd);
    if (v->pid > 0) {
        kill(v->pid, SIGKILL);
        wait_child(v->pid);
    }
    fileout_abort(&v->fo);
    video_free(v);
}

const char *video_out_temp_path(const VideoOut *v)
{
    return fileout_temp_path(&v->fo);
}

int video_out_pid(const VideoOut *v)
{
    return (int)v->pid;
}
