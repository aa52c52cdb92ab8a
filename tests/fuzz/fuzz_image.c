/* fuzz_image.c: libFuzzer harness for image loading and resampling
 * (core/image.h, core/input.h).
 *
 * Each input is loaded from memory and from a file (through input_load,
 * which reads the file once with filein_read); both must agree. A loaded
 * image must lie within the caps with 1 to 4 channels of whole 0-255
 * values, and must load resampled (image_load_memory_fit, down and up) to
 * whole 0-255 values. A refusal must name the file. Images within the caps
 * but over 64K pixels are skipped: decoding them is correct but slow (stb
 * is instrumented too), and would only make the fuzzer spend its time on
 * pixels, not on headers. Headers over the caps still run, since refusing
 * them early is what is being tested. The sizes are read from the headers
 * here, not with stbi_info: stb 2.27 misbehaves on some headers (JPEG
 * Huffman tables, PNM numbers) that the loader refuses before calling stb,
 * and this harness must not reach stb by a path the loader does not take. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "input.h"

#define FUZZ_NAME "fuzz_image"
#include "fuzz_support.h"

#define FUZZ_MAX_PIXELS ((size_t)1 << 16)

static void check_whole_bytes(const Tensor *t, const char *what)
{
    for (size_t i = 0; i < tensor_count(t); i++)
        fuzz_check(t->data[i] >= 0.0f && t->data[i] <= 255.0f && t->data[i] == (float)(int)t->data[i], what);
}

/* The image loaded again, resampled to h x w while decoding: it must have
 * that shape and whole 0-255 values. */
static void check_resize(const uint8_t *data, size_t size, const Tensor *t, size_t h, size_t w)
{
    Tensor out;
    Error err;
    ImageFit fit = {.h = h, .w = w};
    size_t file_h, file_w;
    fuzz_check(image_load_memory_fit(data, size, "fuzz.img", &fit, &out, &file_h, &file_w, &err) == CS_OK,
          "a fitted load of a loadable image failed");
    fuzz_check(out.c == t->c && out.h == h && out.w == w && out.rank == t->rank, "resize gave the wrong shape");
    fuzz_check(file_h == t->h && file_w == t->w, "a fitted load reports the wrong size in the file");
    check_whole_bytes(&out, "a resized value is not a whole 0-255 number");
    tensor_free(&out);
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
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
static int jpeg_size(const uint8_t *p, size_t n, size_t start, uint64_t *w, uint64_t *h)
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
            *h = be(p + i + 5, 2);
            *w = be(p + i + 7, 2);
            return 1;
        }
        i += 2 + (size_t)be(p + i + 2, 2);
    }
    return 0;
}

/* The next decimal number in a PNM header after whitespace and # comments,
 * saturated at 10^10; *i moves past it. */
static uint64_t pnm_number(const uint8_t *p, size_t n, size_t *i)
{
    while (*i < n && (strchr(" \t\n\v\f\r", p[*i]) || p[*i] == '#')) {
        if (p[*i] == '#')
            while (*i < n && p[*i] != '\n' && p[*i] != '\r')
                ++*i;
        else
            ++*i;
    }
    uint64_t v = 0;
    for (; *i < n && p[*i] >= '0' && p[*i] <= '9'; ++*i)
        v = v < 10000000000u ? v * 10 + (p[*i] - '0') : v;
    return v;
}

/* The size a Radiance HDR's "-Y H +X W" line claims. */
static int hdr_size(const uint8_t *p, size_t n, uint64_t *w, uint64_t *h)
{
    char line[64];
    for (size_t i = 0; i + 3 < n; i++) {
        if ((i == 0 || p[i - 1] == '\n') && memcmp(p + i, "-Y ", 3) == 0) {
            size_t len = n - i < sizeof line - 1 ? n - i : sizeof line - 1;
            memcpy(line, p + i, len);
            line[len] = '\0';
            long long y, x;
            if (sscanf(line, "-Y %lld +X %lld", &y, &x) != 2 || y < 0 || x < 0)
                return 0;
            *h = (uint64_t)y;
            *w = (uint64_t)x;
            return 1;
        }
    }
    return 0;
}

/* The size an image header claims, read by hand for every format stb reads
 * (a guess at TGA, which has no signature); false when none. The harness
 * never calls stb itself, so every stb call it causes is one the loader
 * makes, after the loader's own checks. */
static int claimed_size(const uint8_t *p, size_t n, uint64_t *w, uint64_t *h)
{
    size_t j = jpeg_start(p, n), i = 2;
    if (j)
        return jpeg_size(p, n, j, w, h);
    if (n >= 24 && memcmp(p, "\x89PNG", 4) == 0) {
        *w = be(p + 16, 4), *h = be(p + 20, 4);
    } else if (n >= 10 && memcmp(p, "GIF8", 4) == 0) {
        *w = le(p + 6, 2), *h = le(p + 8, 2);
    } else if (n >= 26 && memcmp(p, "BM", 2) == 0) {
        int os2 = le(p + 14, 4) == 12;
        int64_t bw = os2 ? (int64_t)le(p + 18, 2) : (int32_t)le(p + 18, 4);
        int64_t bh = os2 ? (int64_t)le(p + 20, 2) : (int32_t)le(p + 22, 4);
        *w = (uint64_t)(bw < 0 ? -bw : bw), *h = (uint64_t)(bh < 0 ? -bh : bh);
    } else if (n >= 22 && memcmp(p, "8BPS", 4) == 0) {
        *h = be(p + 14, 4), *w = be(p + 18, 4);
    } else if (n >= 96 && memcmp(p, "\x53\x80\xf6\x34", 4) == 0) {
        *w = be(p + 92, 2), *h = be(p + 94, 2);
    } else if (n >= 2 && p[0] == 'P' && (p[1] == '5' || p[1] == '6')) {
        *w = pnm_number(p, n, &i);
        *h = pnm_number(p, n, &i);
    } else if (n >= 2 && p[0] == '#' && p[1] == '?') {
        return hdr_size(p, n, w, h);
    } else if (n >= 18) {
        *w = le(p + 12, 2), *h = le(p + 14, 2);
    } else {
        return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t w, h;
    if (claimed_size(data, size, &w, &h) && w > 0 && h > 0 && w <= IMAGE_MAX_SIDE && h <= IMAGE_MAX_SIDE &&
        w * h > FUZZ_MAX_PIXELS && w * h <= IMAGE_MAX_PIXELS)
        return 0;

    /* the file goes through input_load, which would read these as .npy */
    if (size >= 6 && memcmp(data, "\x93NUMPY", 6) == 0)
        return 0;

    Tensor mem, file;
    Error mem_err = {0}, file_err = {0};
    Status mem_st = image_load_memory(data, size, "fuzz.img", &mem, &mem_err);

    const char *path = fuzz_scratch_path("img");
    FILE *f = fopen(path, "wb");
    fuzz_check(f != NULL, "cannot create the scratch file");
    fuzz_check(fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write the scratch file");
    Status file_st = input_load(path, NULL, &file, NULL, &file_err);

    fuzz_check((mem_st == CS_OK) == (file_st == CS_OK), "memory and file loaders disagree");
    if (mem_st != CS_OK) {
        fuzz_check(strstr(mem_err.message, "fuzz.img") != NULL, "a memory error does not name the file");
        fuzz_check(strstr(file_err.message, path) != NULL, "a file error does not name the file");
        fuzz_check(mem.data == NULL && file.data == NULL, "a failed load left data");
        return 0;
    }
    fuzz_check(mem.rank == 3 && mem.n == 1 && mem.c >= 1 && mem.c <= 4, "bad channel count or rank");
    fuzz_check(mem.h <= IMAGE_MAX_SIDE && mem.w <= IMAGE_MAX_SIDE, "a side over the cap");
    fuzz_check(file.c == mem.c && file.h == mem.h && file.w == mem.w, "memory and file loaders disagree on the shape");
    fuzz_check(memcmp(file.data, mem.data, tensor_count(&mem) * sizeof(float)) == 0,
          "memory and file loaders disagree on the pixels");
    check_whole_bytes(&mem, "a pixel is not a whole 0-255 number");
    check_resize(data, size, &mem, (mem.h + 1) / 2, (mem.w + 1) / 2);
    check_resize(data, size, &mem, mem.h * 2 < 64 ? mem.h * 2 : 64, mem.w + 3 < 64 ? mem.w + 3 : 64);
    tensor_free(&mem);
    tensor_free(&file);
    return 0;
}
