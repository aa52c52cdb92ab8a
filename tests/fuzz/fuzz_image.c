/* fuzz_image.c: libFuzzer harness for image loading and resizing
 * (core/image.h).
 *
 * Each input is loaded from memory and from a file; both must agree. A
 * loaded image must lie within the caps with 1 to 4 channels of whole 0-255
 * values, and must resize (down and up) to whole 0-255 values. A refusal
 * must name the file. Images within the caps but over 64K pixels are
 * skipped: decoding them is correct but slow (stb is instrumented too), and
 * would only make the fuzzer spend its time on pixels, not on headers. Headers over the caps still run, since
 * refusing them early is what is being tested. The size of a JPEG is read
 * by walking its markers here, not with stbi_info: stb 2.27 overflows a
 * table while reading some JPEG headers, which the loader refuses before
 * calling stb, and this harness must not reach stb by a path the loader
 * does not take. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "stb_image.h"

#define FUZZ_MAX_PIXELS ((size_t)1 << 16)

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

static void check_resize(const Tensor *t, size_t h, size_t w)
{
    Tensor out;
    Error err;
    check(image_resize(t, h, w, &out, &err) == CS_OK, "resizing a loaded image failed");
    check(out.c == t->c && out.h == h && out.w == w && out.rank == t->rank, "resize gave the wrong shape");
    check_whole_bytes(&out, "a resized value is not a whole 0-255 number");
    tensor_free(&out);
}

/* Where a JPEG's segments start: after its start-of-image marker, which stb
 * (and the loader) take after any number of 0xFF fill bytes; 0 when the
 * input is not a JPEG. */
static size_t jpeg_start(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] == 0xff)
        i++;
    return i >= 1 && i < n && p[i] == 0xd8 ? i + 1 : 0;
}

/* The height and width in a JPEG's first start-of-frame segment (C0-CF other
 * than C4 DHT, C8 JPG and CC DAC); false when there is none. */
static int jpeg_size(const uint8_t *p, size_t n, size_t start, int *w, int *h)
{
    for (size_t i = start; i + 9 <= n;) {
        if (p[i] != 0xff)
            return 0;
        unsigned marker = p[i + 1];
        if (marker == 0xff) {
            i++;
            continue;
        }
        if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc) {
            *h = p[i + 5] << 8 | p[i + 6];
            *w = p[i + 7] << 8 | p[i + 8];
            return 1;
        }
        i += 2 + ((size_t)p[i + 2] << 8 | p[i + 3]);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int w, h, comp;
    size_t jpeg = jpeg_start(data, size);
    int sized = jpeg ? jpeg_size(data, size, jpeg, &w, &h)
                        : size > 0 && size < INT32_MAX && stbi_info_from_memory(data, (int)size, &w, &h, &comp);
    if (sized && w > 0 && h > 0 && w <= IMAGE_MAX_SIDE && h <= IMAGE_MAX_SIDE &&
        (size_t)w * (size_t)h > FUZZ_MAX_PIXELS && (size_t)w * (size_t)h <= IMAGE_MAX_PIXELS)
        return 0;

    Tensor mem, file;
    Error mem_err = {0}, file_err = {0};
    Status mem_st = image_load_memory(data, size, "fuzz.img", &mem, &mem_err);

    const char *path = scratch_path();
    FILE *f = fopen(path, "wb");
    check(f != NULL, "cannot create the scratch file");
    check(fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write the scratch file");
    Status file_st = image_load(path, &file, &file_err);

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
    check_resize(&mem, (mem.h + 1) / 2, (mem.w + 1) / 2);
    check_resize(&mem, mem.h * 2 < 64 ? mem.h * 2 : 64, mem.w + 3 < 64 ? mem.w + 3 : 64);
    tensor_free(&mem);
    tensor_free(&file);
    return 0;
}
