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
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "stb_image.h"
#include "stb_image_resize.h"

/* Checks a size read from a header against the caps. */
static Status check_size(const char *name, int w, int h, int channels, Error *err)
{
    if (w <= 0 || h <= 0)
        return error_set(err, CS_ERR_FORMAT, "%s: the image claims an empty size %dx%d", name, w, h);
    if (w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE || (size_t)w * (size_t)h > IMAGE_MAX_PIXELS)
        return error_set(err, CS_ERR_LIMIT,
                         "%s: the image is %dx%d, larger than the limit (%d pixels a side, %zu pixels in all)",
                         name, w, h, IMAGE_MAX_SIDE, (size_t)IMAGE_MAX_PIXELS);
    if (channels < 1 || channels > 4)
        return error_set(err, CS_ERR_FORMAT, "%s: the image has %d channels; 1 to 4 are supported", name, channels);
    return CS_OK;
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

static Status not_an_image(const char *name, Error *err)
{
    const char *why = stbi_failure_reason();
    return error_set(err, CS_ERR_FORMAT, "%s is not an image stb_image reads (%s)", name, why ? why : "unknown");
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
        fclose(f);
        return not_an_image(path, err);
    }
    if ((st = check_size(path, w, h, channels, err)) != CS_OK) {
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
    if ((st = check_size(path, w, h, want, err)) != CS_OK) {
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
        return not_an_image(name, err);
    if ((st = check_size(name, w, h, channels, err)) != CS_OK)
        return st;
    int want = channels;
    stbi_uc *pixels = stbi_load_from_memory(data, (int)size, &w, &h, &channels, want);
    if (!pixels) {
        const char *why = stbi_failure_reason();
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: %s", name, why ? why : "unknown error");
    }
    if ((st = check_size(name, w, h, want, err)) != CS_OK) {
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
