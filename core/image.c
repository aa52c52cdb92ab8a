/* image.c: image files through stb_image, resampling through
 * stb_image_resize (see image.h). Debian's libstb ships both
 * implementations in libstb, so only the declarations are included here.
 *
 * Loading: stbi_info reads the size and channel count from the header; the
 * caps are checked; then the file is decoded with its own channel count and
 * the interleaved bytes become planes: out[c][y][x] = pixel[(y*W + x)*C + c].
 * Resizing: each plane on its own, a box (area-averaging) filter along an
 * axis that shrinks and a triangle (bilinear) filter along one that grows,
 * edges clamped; each value is then rounded and clamped to 0..255. */
#include "image.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "stb_image.h"
#include "stb_image_resize.h"

#define SNIFF_BYTES 4096   /* header bytes searched for a claimed size */

/* Checks a size read from a header against the caps. */
static Status check_size(const char *name, long w, long h, Error *err)
{
    if (w <= 0 || h <= 0)
        return error_set(err, CS_ERR_FORMAT, "%s: the image claims an empty size %ldx%ld", name, w, h);
    if (w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE || (size_t)w * (size_t)h > IMAGE_MAX_PIXELS)
        return error_set(err, CS_ERR_LIMIT,
                         "%s: the image is %ldx%ld, larger than the limit (%d pixels a side, %zu pixels in all)",
                         name, w, h, IMAGE_MAX_SIDE, (size_t)IMAGE_MAX_PIXELS);
    return CS_OK;
}

static Status check_info(const char *name, int w, int h, int channels, Error *err)
{
    Status st = check_size(name, w, h, err);
    if (st == CS_OK && (channels < 1 || channels > 4))
        st = error_set(err, CS_ERR_FORMAT, "%s: the image has %d channels; 1 to 4 are supported", name, channels);
    return st;
}

/* The size a PNG or JPEG header claims, read by hand. stb_image refuses an
 * image over 1 GiB already in stbi_info and then reports only "unknown image
 * type", which would hide why a huge image is refused. */
static bool claimed_size(const unsigned char *p, size_t n, long *w, long *h)
{
    static const unsigned char png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n >= 24 && memcmp(p, png_signature, 8) == 0 && memcmp(p + 12, "IHDR", 4) == 0) {
        *w = (long)((unsigned long)p[16] << 24 | (unsigned long)p[17] << 16 | (unsigned long)p[18] << 8 | p[19]);
        *h = (long)((unsigned long)p[20] << 24 | (unsigned long)p[21] << 16 | (unsigned long)p[22] << 8 | p[23]);
        return true;
    }
    if (n < 4 || p[0] != 0xff || p[1] != 0xd8)
        return false;
    /* JPEG: walk the marker segments to the first start-of-frame (C0-CF
     * other than C4 DHT, C8 JPG and CC DAC), which holds height then width. */
    for (size_t i = 2; i + 9 <= n;) {
        if (p[i] != 0xff)
            return false;
        unsigned marker = p[i + 1];
        if (marker == 0xff) {
            i++;
            continue;
        }
        if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc) {
            *h = (long)p[i + 5] << 8 | p[i + 6];
            *w = (long)p[i + 7] << 8 | p[i + 8];
            return true;
        }
        size_t len = (size_t)p[i + 2] << 8 | p[i + 3];
        if (len < 2)
            return false;
        i += 2 + len;
    }
    return false;
}

/* After stbi_info failed: a size limit when the header claims a size over
 * the caps, else "not an image". */
static Status refuse_unreadable(const unsigned char *head, size_t n, const char *name, Error *err)
{
    long w, h;
    if (claimed_size(head, n, &w, &h) && check_size(name, w, h, err) == CS_ERR_LIMIT)
        return CS_ERR_LIMIT;
    const char *why = stbi_failure_reason();
    return error_set(err, CS_ERR_FORMAT, "%s is not an image stb_image reads (%s)", name, why ? why : "unknown");
}

/* Moves stb's interleaved 8-bit pixels into a new 1 x C x H x W tensor and
 * frees them. */
static Status pixels_to_tensor(stbi_uc *pixels, int w, int h, int channels, Tensor *out, Error *err)
{
    Status st = tensor_init(out, 1, (size_t)channels, (size_t)h, (size_t)w, 3, err);
    if (st == CS_OK) {
        size_t plane = (size_t)w * (size_t)h;
        for (size_t i = 0; i < plane; i++)
            for (size_t c = 0; c < (size_t)channels; c++)
                out->data[c * plane + i] = (float)pixels[i * (size_t)channels + c];
    }
    stbi_image_free(pixels);
    return st;
}

Status image_load(const char *path, Tensor *out, Error *err)
{
    int w, h, channels;
    struct stat sb;
    Status st;

    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return error_set(err, CS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return error_set(err, CS_ERR_IO, "%s is a directory, not an image", path);
    }
    if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
        fclose(f);
        return error_set(err, CS_ERR_FORMAT, "%s is empty", path);
    }
    if (!stbi_info_from_file(f, &w, &h, &channels)) {
        unsigned char head[SNIFF_BYTES];
        rewind(f);
        size_t n = fread(head, 1, sizeof head, f);
        fclose(f);
        return refuse_unreadable(head, n, path, err);
    }
    if ((st = check_info(path, w, h, channels, err)) != CS_OK) {
        fclose(f);
        return st;
    }
    int want = channels;
    stbi_uc *pixels = stbi_load_from_file(f, &w, &h, &channels, want);
    fclose(f);
    if (!pixels) {
        const char *why = stbi_failure_reason();
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: %s", path, why ? why : "unknown error");
    }
    if ((st = check_info(path, w, h, want, err)) != CS_OK) {
        stbi_image_free(pixels);
        return st;
    }
    return pixels_to_tensor(pixels, w, h, want, out, err);
}

Status image_load_memory(const unsigned char *data, size_t size, const char *name,
                         Tensor *out, Error *err)
{
    int w, h, channels;
    Status st;

    memset(out, 0, sizeof *out);
    if (size == 0)
        return error_set(err, CS_ERR_FORMAT, "%s is empty", name);
    if (size > INT_MAX)
        return error_set(err, CS_ERR_LIMIT, "%s: %zu bytes is too large for the image decoder", name, size);
    if (!stbi_info_from_memory(data, (int)size, &w, &h, &channels))
        return refuse_unreadable(data, size, name, err);
    if ((st = check_info(name, w, h, channels, err)) != CS_OK)
        return st;
    int want = channels;
    stbi_uc *pixels = stbi_load_from_memory(data, (int)size, &w, &h, &channels, want);
    if (!pixels) {
        const char *why = stbi_failure_reason();
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: %s", name, why ? why : "unknown error");
    }
    if ((st = check_info(name, w, h, want, err)) != CS_OK) {
        stbi_image_free(pixels);
        return st;
    }
    return pixels_to_tensor(pixels, w, h, want, out, err);
}

Status image_resize(const Tensor *in, size_t out_h, size_t out_w, Tensor *out, Error *err)
{
    memset(out, 0, sizeof *out);
    if (out_h == 0 || out_w == 0 || out_h > IMAGE_MAX_SIDE || out_w > IMAGE_MAX_SIDE)
        return error_set(err, CS_ERR_RANGE, "cannot resize to %zux%zu: each side must be 1 to %d",
                         out_h, out_w, IMAGE_MAX_SIDE);
    if (in->h > IMAGE_MAX_SIDE || in->w > IMAGE_MAX_SIDE)
        return error_set(err, CS_ERR_LIMIT, "cannot resize a %zux%zu image: each side must be at most %d",
                         in->h, in->w, IMAGE_MAX_SIDE);
    Status st = tensor_init(out, in->n, in->c, out_h, out_w, in->rank, err);
    if (st != CS_OK)
        return st;
    stbir_filter filter_x = out_w < in->w ? STBIR_FILTER_BOX : STBIR_FILTER_TRIANGLE;
    stbir_filter filter_y = out_h < in->h ? STBIR_FILTER_BOX : STBIR_FILTER_TRIANGLE;
    size_t planes = in->n * in->c, in_plane = in->h * in->w, out_plane = out_h * out_w;
    for (size_t p = 0; p < planes; p++) {
        if (!stbir_resize(in->data + p * in_plane, (int)in->w, (int)in->h, 0,
                          out->data + p * out_plane, (int)out_w, (int)out_h, 0,
                          STBIR_TYPE_FLOAT, 1, STBIR_ALPHA_CHANNEL_NONE, 0,
                          STBIR_EDGE_CLAMP, STBIR_EDGE_CLAMP, filter_x, filter_y,
                          STBIR_COLORSPACE_LINEAR, NULL)) {
            tensor_free(out);
            return error_set(err, CS_ERR_NOMEM, "cannot resize %zux%zu to %zux%zu: out of memory",
                             in->h, in->w, out_h, out_w);
        }
    }
    for (size_t i = 0; i < planes * out_plane; i++) {
        float v = roundf(out->data[i]);
        out->data[i] = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
    }
    return CS_OK;
}
