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

/* ---- reading through stb's callbacks -------------------------------- */

/* Where stb reads from: a memory buffer or an open file. Both go through
 * stb's callback interface, because some of its decoders (uncompressed TGA,
 * PNM, flat HDR scanlines) ignore a short read and would leave the end of
 * the image as uninitialised memory; the read callback zero-fills instead,
 * and notes the truncation so the file can be refused. */
typedef struct Source {
    const unsigned char *data;  /* memory source, or NULL */
    size_t size, pos;
    FILE *file;                 /* file source, or NULL */
    bool truncated;             /* a decoder asked for data past the end */
} Source;

/* stb refills its own buffer with reads of exactly this many bytes (the size
 * of stbi__context.buffer_start); a short refill is the normal end of a
 * file. Any other short read is a decoder wanting pixel data that is not
 * there. */
#define STB_REFILL_BYTES 128

static int source_read(void *user, char *out, int size)
{
    Source *src = user;
    size_t want = size > 0 ? (size_t)size : 0, got;
    if (src->file) {
        got = fread(out, 1, want, src->file);
    } else {
        got = src->size - src->pos < want ? src->size - src->pos : want;
        memcpy(out, src->data + src->pos, got);
        src->pos += got;
    }
    if (got < want) {
        memset(out + got, 0, want - got);
        if (want != STB_REFILL_BYTES)
            src->truncated = true;
    }
    return (int)got;
}

static void source_skip(void *user, int n)
{
    Source *src = user;
    if (src->file) {
        /* fseek clears the end-of-file flag even past the end; reading a
         * byte sets it again, or stb's decoders would wait for more data
         * forever (as stb's own stdio callbacks do). */
        fseek(src->file, n, SEEK_CUR);
        int ch = fgetc(src->file);
        if (ch != EOF)
            ungetc(ch, src->file);
    } else if (n < 0) {
        src->pos = (size_t)-n > src->pos ? 0 : src->pos - (size_t)-n;
    } else {
        src->pos = (size_t)n > src->size - src->pos ? src->size : src->pos + (size_t)n;
    }
}

static int source_eof(void *user)
{
    Source *src = user;
    if (src->file)
        return feof(src->file) || ferror(src->file);
    return src->pos >= src->size;
}

static const stbi_io_callbacks SOURCE_CALLBACKS = {source_read, source_skip, source_eof};

static void source_rewind(Source *src)
{
    if (src->file)
        rewind(src->file);
    src->pos = 0;
    src->truncated = false;
}

/* The first bytes of the source, for claimed_size. */
static size_t source_head(Source *src, unsigned char *head, size_t size)
{
    source_rewind(src);
    if (src->file)
        return fread(head, 1, size, src->file);
    size_t n = src->size < size ? src->size : size;
    memcpy(head, src->data, n);
    return n;
}

/* Reads the size, checks the caps, then decodes with the file's own channel
 * count. */
static Status load_source(Source *src, const char *name, Tensor *out, Error *err)
{
    int w, h, channels;
    Status st;

    if (!stbi_info_from_callbacks(&SOURCE_CALLBACKS, src, &w, &h, &channels)) {
        unsigned char head[SNIFF_BYTES];
        size_t n = source_head(src, head, sizeof head);
        return refuse_unreadable(head, n, name, err);
    }
    if ((st = check_info(name, w, h, channels, err)) != CS_OK)
        return st;
    int want = channels;
    source_rewind(src);
    stbi_uc *pixels = stbi_load_from_callbacks(&SOURCE_CALLBACKS, src, &w, &h, &channels, want);
    if (!pixels) {
        const char *why = stbi_failure_reason();
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: %s", name, why ? why : "unknown error");
    }
    if (src->truncated) {
        stbi_image_free(pixels);
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: the image data ends early (truncated file)", name);
    }
    if ((st = check_info(name, w, h, want, err)) != CS_OK) {
        stbi_image_free(pixels);
        return st;
    }
    return pixels_to_tensor(pixels, w, h, want, out, err);
}

Status image_load(const char *path, Tensor *out, Error *err)
{
    struct stat sb;

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
    Source src = {.file = f};
    Status st = load_source(&src, path, out, err);
    if (st == CS_OK && ferror(f)) {
        tensor_free(out);
        st = error_set(err, CS_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    }
    fclose(f);
    return st;
}

Status image_load_memory(const unsigned char *data, size_t size, const char *name,
                         Tensor *out, Error *err)
{
    memset(out, 0, sizeof *out);
    if (size == 0)
        return error_set(err, CS_ERR_FORMAT, "%s is empty", name);
    Source src = {.data = data, .size = size};
    return load_source(&src, name, out, err);
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
