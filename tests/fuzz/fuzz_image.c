/* fuzz_image.c: libFuzzer harness for image loading and resampling
 * (core/image.h, core/input.h).
 *
 * Each input is loaded from memory and from a file (through input_load,
 * which reads the file once with filein_read); both must agree. A loaded
 * image must lie within the caps with 1 to 4 channels of whole 0-255
 * values, and must load resampled (image_load_memory_fit, down and up) to
 * whole 0-255 values. A refusal must name the file. Images within the caps but over 256K pixels are
 * skipped: decoding them is correct but slow, and would only make the
 * fuzzer spend its time in memset. Headers over the caps still run, since
 * refusing them early is what is being tested. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "input.h"
#include "stb_image.h"

#define FUZZ_MAX_PIXELS ((size_t)1 << 18)

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_image: %s\n", what);
        abort();
    }
}

static char scratch[4096];

static void remove_scratch(void)
{
    unlink(scratch);
}

/* A file rewritten for every input, in $TMPDIR (or /tmp), removed at exit. */
static const char *scratch_path(void)
{
    if (!scratch[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(scratch, sizeof scratch, "%s/fuzz-%ld.%s", dir && dir[0] ? dir : "/tmp", (long)getpid(), "img");
        atexit(remove_scratch);
    }
    return scratch;
}

static void check_whole_bytes(const Tensor *t, const char *what)
{
    for (size_t i = 0; i < tensor_count(t); i++)
        check(t->data[i] >= 0.0f && t->data[i] <= 255.0f && t->data[i] == (float)(int)t->data[i], what);
}

/* The image loaded again, resampled to h x w while decoding: it must have
 * that shape and whole 0-255 values. */
static void check_resize(const uint8_t *data, size_t size, const Tensor *t, size_t h, size_t w)
{
    Tensor out;
    Error err;
    ImageFit fit = {.h = h, .w = w};
    size_t file_h, file_w;
    check(image_load_memory_fit(data, size, "fuzz.img", &fit, &out, &file_h, &file_w, &err) == CS_OK,
          "a fitted load of a loadable image failed");
    check(out.c == t->c && out.h == h && out.w == w && out.rank == t->rank, "resize gave the wrong shape");
    check(file_h == t->h && file_w == t->w, "a fitted load reports the wrong size in the file");
    check_whole_bytes(&out, "a resized value is not a whole 0-255 number");
    tensor_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int w, h, comp;
    if (size > 0 && size < INT32_MAX && stbi_info_from_memory(data, (int)size, &w, &h, &comp) && w > 0 && h > 0 &&
        w <= IMAGE_MAX_SIDE && h <= IMAGE_MAX_SIDE && (size_t)w * (size_t)h > FUZZ_MAX_PIXELS &&
        (size_t)w * (size_t)h <= IMAGE_MAX_PIXELS)
        return 0;

    /* the file goes through input_load, which would read these as .npy */
    if (size >= 6 && memcmp(data, "\x93NUMPY", 6) == 0)
        return 0;

    Tensor mem, file;
    Error mem_err = {0}, file_err = {0};
    Status mem_st = image_load_memory(data, size, "fuzz.img", &mem, &mem_err);

    const char *path = scratch_path();
    FILE *f = fopen(path, "wb");
    check(f != NULL, "cannot create the scratch file");
    check(fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write the scratch file");
    Status file_st = input_load(path, NULL, &file, NULL, &file_err);

    check((mem_st == CS_OK) == (file_st == CS_OK), "memory and file loaders disagree");
    if (mem_st != CS_OK) {
        check(strstr(mem_err.message, "fuzz.img") != NULL, "a memory error does not name the file");
        check(strstr(file_err.message, path) != NULL, "a file error does not name the file");
        check(mem.data == NULL && file.data == NULL, "a failed load left data");
        return 0;
    }
    check(mem.rank == 3 && mem.n == 1 && mem.c >= 1 && mem.c <= 4, "bad channel count or rank");
    check(mem.h <= IMAGE_MAX_SIDE && mem.w <= IMAGE_MAX_SIDE, "a side over the cap");
    check(file.c == mem.c && file.h == mem.h && file.w == mem.w, "memory and file loaders disagree on the shape");
    check(memcmp(file.data, mem.data, tensor_count(&mem) * sizeof(float)) == 0,
          "memory and file loaders disagree on the pixels");
    check_whole_bytes(&mem, "a pixel is not a whole 0-255 number");
    check_resize(data, size, &mem, (mem.h + 1) / 2, (mem.w + 1) / 2);
    check_resize(data, size, &mem, mem.h * 2 < 64 ? mem.h * 2 : 64, mem.w + 3 < 64 ? mem.w + 3 : 64);
    tensor_free(&mem);
    tensor_free(&file);
    return 0;
}
