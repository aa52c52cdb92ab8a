/* image_bench.c: the large-image row of `convstep bench` (bench.h):
 * big_png_peak_rss_mb, the peak memory of loading an 8192x8192 RGBA PNG the
 * way the window does (input_load with the window's ImageFit, which
 * resamples it to 256x256 while converting). Issue 16 found 1.32 GB for such
 * a file of 261 KB. The PNG is written row by row with libpng into a
 * temporary folder (so writing it costs no memory), then a child process
 * loads it and reports how far its peak RSS rose (ru_maxrss after minus
 * before), so neither the parent's memory nor earlier figures count. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "input.h"
#include "scene.h"

enum { IMAGE_BENCH_SIDE = 8192 };

/* libpng reports errors through longjmp to write_png's setjmp. */
static void on_png_error(png_structp png, png_const_charp message)
{
    (void)message;
    longjmp(png_jmpbuf(png), 1);
}

static void on_png_warning(png_structp png, png_const_charp message)
{
    (void)png;
    (void)message;
}

/* Writes a side x side RGBA PNG to path: a gradient down, stripes across
 * every 64 rows, so it deflates to a few hundred KB as the file
 * did. One row in memory at a time. */
static Status write_png(const char *path, int side, Error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return error_set(err, CS_ERR_IO, "cannot create %s", path);
    unsigned char *volatile row = malloc((size_t)side * 4);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!row || !png || !info) {
        png_destroy_write_struct(&png, &info);
        free(row);
        fclose(f);
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        fclose(f);
        return error_set(err, CS_ERR_IO, "cannot write %s", path);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 1);
    png_write_info(png, info);
    for (int y = 0; y < side; y++) {
        for (int x = 0; x < side; x++) {
            unsigned char *p = row + (size_t)x * 4;
            p[0] = (unsigned char)(y * 255 / side);
            p[1] = (unsigned char)((y / 64) % 2 * 200);
            p[2] = 128;
            p[3] = 255;
        }
        png_write_row(png, row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    return fclose(f) == 0 ? CS_OK : error_set(err, CS_ERR_IO, "cannot write %s", path);
}

/* The child: loads path as the window does (scene.c's load_input), writes
 * the rise of its peak RSS in KiB (or -1) to fd, exits. */
static void load_child(const char *path, int fd)
{
    struct rusage before, after;
    Tensor t;
    Error err;
    double kib = -1;
    ImageFit fit = {.max_side = SCENE_MAX_SIDE};
    getrusage(RUSAGE_SELF, &before);
    if (input_load(path, &fit, &t, NULL, &err) == CS_OK) {
        getrusage(RUSAGE_SELF, &after);
        kib = (double)(after.ru_maxrss - before.ru_maxrss);
        tensor_free(&t);
    }
    if (write(fd, &kib, sizeof kib) != (ssize_t)sizeof kib)
        _exit(1);
    _exit(0);
}

Status bench_image_peak_mb(int side, double *mb, Error *err)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096], file[4200];
    snprintf(dir, sizeof dir, "%s/convstep-bench-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return error_set(err, CS_ERR_IO, "cannot make a temporary folder in %s", tmp && tmp[0] ? tmp : "/tmp");
    snprintf(file, sizeof file, "%s/big.png", dir);
    Status st = write_png(file, side, err);
    int fds[2] = {-1, -1};
    if (st == CS_OK && pipe(fds) != 0)
        st = error_set(err, CS_ERR_IO, "cannot create a pipe");
    if (st == CS_OK) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            load_child(file, fds[1]);
        }
        close(fds[1]);
        double kib = -1;
        ssize_t n = pid > 0 ? read(fds[0], &kib, sizeof kib) : -1;
        close(fds[0]);
        int status = 0;
        if (pid > 0)
            waitpid(pid, &status, 0);
        if (n != (ssize_t)sizeof kib || kib < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            st = error_set(err, CS_ERR_NOMEM, "loading the %dx%d PNG failed (not enough memory?)", side, side);
        else
            *mb = kib * 1024.0 / 1e6;
    }
    unlink(file);
    rmdir(dir);
    return st;
}

Status bench_big_png_peak_rss(double *value, Error *err)
{
    return bench_image_peak_mb(IMAGE_BENCH_SIDE, value, err);
}
