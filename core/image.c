/* image.c: image files through stb_image, resampling through
 * stb_image_resize (see image.h). Debian's libstb ships both
 * implementations in libstb, so only the declarations are included here.
 *
 * Loading: stbi_info reads the size and channel count from the header; the
 * caps are checked; a JPEG's tables are checked (stb would read undefined
 * ones from uninitialised memory); then the file is decoded with its own
 * channel count, through callbacks that notice truncated raw data, and the
 * interleaved bytes become planes: out[c][y][x] = pixel[(y*W + x)*C + c].
 * Resampling (a fit): a box (area-averaging) filter along an axis that
 * shrinks and a triangle (bilinear) filter along one that grows, edges
 * clamped, each channel on its own; each value is then rounded and clamped
 * to 0..255. It runs on the 8-bit pixels as stb decoded them, in two passes
 * that never hold the image as floats (see resample_pixels). */
#include "image.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Copies stb's interleaved 8-bit pixels (w x h x c) into a new 1 x C x H x
 * W tensor. */
static Status pixels_to_tensor(const stbi_uc *pixels, size_t w, size_t h, size_t c, Tensor *out, Error *err)
{
    Status st = tensor_init(out, 1, c, h, w, 3, err);
    if (st == CS_OK) {
        size_t plane = w * h;
        for (size_t i = 0; i < plane; i++)
            for (size_t k = 0; k < c; k++)
                out->data[k * plane + i] = (float)pixels[i * c + k];
    }
    return st;
}

/* Keeps the first `keep` of every pixel's `have` interleaved channels, in
 * place (a PIC is decoded as RGBA; see load_source). */
static void keep_channels(stbi_uc *pixels, size_t count, size_t have, size_t keep)
{
    for (size_t i = 0; i < count; i++)
        for (size_t k = 0; k < keep; k++)
            pixels[i * keep + k] = pixels[i * have + k];
}

/* ---- resampling ------------------------------------------------------ */

#define RESAMPLE_STRIP_ROWS 16   /* input rows made float at a time */

/* One stbir_resize call on interleaved floats (c channels, no alpha). */
static bool resize_floats(const float *in, size_t in_w, size_t in_h, float *out, size_t out_w, size_t out_h,
                          size_t c, stbir_filter filter_x, stbir_filter filter_y)
{
    return stbir_resize(in, (int)in_w, (int)in_h, 0, out, (int)out_w, (int)out_h, 0, STBIR_TYPE_FLOAT, (int)c,
                        STBIR_ALPHA_CHANNEL_NONE, 0, STBIR_EDGE_CLAMP, STBIR_EDGE_CLAMP, filter_x, filter_y,
                        STBIR_COLORSPACE_LINEAR, NULL) != 0;
}

/* Resamples 8-bit interleaved pixels (w x h x c) into out (1 x c x out_h x
 * out_w) with the numbers one stbir_resize call on each whole float plane
 * would give, without ever holding the image as floats (4 bytes a value):
 *   pass 1 makes strips of RESAMPLE_STRIP_ROWS rows float and resamples
 *          them across, into rows (h x out_w x c floats);
 *   pass 2 resamples those rows down (or up) to out_h.
 * Why the numbers are the same: stb_image_resize filters every scanline
 * across before it filters down, with weights that depend on that axis
 * alone, and keeps channels apart; and an axis resampled at scale 1 (the
 * other axis in each pass) gets the weight exactly 1.0 on its own sample
 * and 0 on the others, so it changes no bit. */
static Status resample_pixels(const stbi_uc *px, size_t w, size_t h, size_t c, size_t out_h, size_t out_w,
                              const char *name, Tensor *out, Error *err)
{
    stbir_filter filter_x = out_w < w ? STBIR_FILTER_BOX : STBIR_FILTER_TRIANGLE;
    stbir_filter filter_y = out_h < h ? STBIR_FILTER_BOX : STBIR_FILTER_TRIANGLE;
    size_t strip_rows = h < RESAMPLE_STRIP_ROWS ? h : RESAMPLE_STRIP_ROWS;
    float *strip = malloc(strip_rows * w * c * sizeof *strip);
    float *rows = malloc(h * out_w * c * sizeof *rows);
    float *small = malloc(out_h * out_w * c * sizeof *small);
    Status st = CS_OK;
    if (!strip || !rows || !small) {
        st = error_set(err, CS_ERR_NOMEM, "%s: out of memory resampling %zux%zu to %zux%zu", name, h, w, out_h,
                       out_w);
        goto done;
    }
    for (size_t y0 = 0; y0 < h && st == CS_OK; y0 += strip_rows) {
        size_t n = h - y0 < strip_rows ? h - y0 : strip_rows;
        const stbi_uc *src = px + y0 * w * c;
        for (size_t i = 0; i < n * w * c; i++)
            strip[i] = (float)src[i];
        if (!resize_floats(strip, w, n, rows + y0 * out_w * c, out_w, n, c, filter_x, STBIR_FILTER_BOX))
            st = error_set(err, CS_ERR_NOMEM, "%s: out of memory resampling across", name);
    }
    if (st == CS_OK && !resize_floats(rows, out_w, h, small, out_w, out_h, c, STBIR_FILTER_BOX, filter_y))
        st = error_set(err, CS_ERR_NOMEM, "%s: out of memory resampling down", name);
    if (st == CS_OK && (st = tensor_init(out, 1, c, out_h, out_w, 3, err)) == CS_OK) {
        size_t plane = out_h * out_w;
        for (size_t i = 0; i < plane; i++)
            for (size_t k = 0; k < c; k++) {
                float v = roundf(small[i * c + k]);
                out->data[k * plane + i] = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
            }
    }
done:
    free(strip);
    free(rows);
    free(small);
    return st;
}

void image_fit_size(size_t h, size_t w, const ImageFit *fit, size_t *out_h, size_t *out_w)
{
    size_t nh = h, nw = w, max = fit->max_side;
    if (fit->h > 0) {
        nh = fit->h;
        nw = fit->w > 0 ? fit->w : (size_t)lround((double)fit->h * (double)w / (double)h);
    } else if (max > 0 && (h > max || w > max)) {
        double f = (double)max / (double)(h > w ? h : w);
        nh = (size_t)lround((double)h * f);
        nw = (size_t)lround((double)w * f);
    }
    if (nh < 1)
        nh = 1;
    if (nw < 1)
        nw = 1;
    if (max > 0 && nh > max)
        nh = max;
    if (max > 0 && nw > max)
        nw = max;
    *out_h = nh;
    *out_w = nw;
}

/* ---- reading through stb's callbacks -------------------------------- */

/* Where stb reads from: the file's bytes in memory (filein.h reads a file
 * whole). They go through stb's callback interface, because some of its
 * decoders (uncompressed TGA, PNM, flat HDR scanlines) ignore a short read
 * and would leave the end of the image as uninitialised memory; the read
 * callback zero-fills instead, and notes the truncation so the file can be
 * refused. */
typedef struct Source {
    const unsigned char *data;
    size_t size, pos;
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
    size_t want = size > 0 ? (size_t)size : 0;
    size_t got = src->size - src->pos < want ? src->size - src->pos : want;
    memcpy(out, src->data + src->pos, got);
    src->pos += got;
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
    if (n < 0) {
        src->pos = (size_t)-n > src->pos ? 0 : src->pos - (size_t)-n;
    } else {
        src->pos = (size_t)n > src->size - src->pos ? src->size : src->pos + (size_t)n;
    }
}

static int source_eof(void *user)
{
    Source *src = user;
    return src->pos >= src->size;
}

static const stbi_io_callbacks SOURCE_CALLBACKS = {source_read, source_skip, source_eof};

static void source_rewind(Source *src)
{
    src->pos = 0;
    src->truncated = false;
}

/* Reads the first bytes of the source into head; the source is left just
 * after them. */
static size_t source_head(Source *src, unsigned char *head, size_t size)
{
    source_rewind(src);
    size_t n = src->size < size ? src->size : size;
    memcpy(head, src->data, n);
    src->pos = n;
    return n;
}

/* ---- JPEG table check ------------------------------------------------ */

/* stb_image decodes a JPEG whose scans use a quantisation or Huffman table
 * that was never defined from uninitialised memory: it returns made-up
 * pixels or reads out of bounds and crashes. A frame component that no scan
 * fills (for a progressive JPEG, no first DC scan) comes out made up too.
 * This walk over the marker segments, before stb decodes anything, finds
 * those files. It follows stb_image's parser, so it meets every scan stb
 * would decode in the same order: stray bytes skipped before the frame
 * header and refused after it, fill bytes 0xFF before a marker,
 * entropy-coded data up to the first 0xFF not followed by 0x00, 0xFF or a
 * restart marker. Where the walk cannot follow the stream, stb refuses it
 * too, so the file is left to stb.
 *
 * The walk also finds a Huffman table whose 16 code-length counts add up to
 * more than 256 codes. stb_image 2.27 (Debian's libstb) writes one byte per
 * code into a 257-byte array without checking the sum (2.28 added the
 * check), a heap overflow reached already by stbi_info, so that verdict is
 * asked before stb sees the file. */

#define JPEG_MAX_CODES 256    /* symbols one Huffman table can hold */

typedef enum JpegVerdict {
    JPEG_FINE, JPEG_UNDEFINED_TABLE, JPEG_EMPTY_COMPONENT, JPEG_OVERFULL_TABLE
} JpegVerdict;

static int source_getc(Source *src)
{
    return src->pos < src->size ? src->data[src->pos++] : EOF;
}

static int source_get16(Source *src)
{
    int hi = source_getc(src), lo = source_getc(src);
    return hi == EOF || lo == EOF ? -1 : hi << 8 | lo;
}

static bool source_skip_bytes(Source *src, long n)
{
    while (n-- > 0)
        if (source_getc(src) == EOF)
            return false;
    return true;
}

typedef struct JpegTables {
    bool quant[4], dc[4], ac[4];
    int components;             /* 0 until the frame header */
    int id[4], tq[4];
    bool filled[4];
    bool progressive;
    bool overfull;              /* a Huffman table with over JPEG_MAX_CODES codes */
} JpegTables;

/* Reads a DQT or DHT segment body of len bytes, marking the tables it
 * defines; false when the body does not parse as stb would read it, or
 * (t->overfull set) when a Huffman table claims too many codes. */
static bool jpeg_read_tables(Source *src, int marker, long len, JpegTables *t)
{
    while (len > 0) {
        int q = source_getc(src);
        if (q == EOF)
            return false;
        int kind = q >> 4, slot = q & 15;
        if (slot > 3)
            return false;
        if (marker == 0xdb) {
            if (kind > 1)
                return false;
            long size = kind ? 128 : 64;
            if (!source_skip_bytes(src, size))
                return false;
            t->quant[slot] = true;
            len -= 1 + size;
        } else {
            if (kind > 1)
                return false;
            /* stb reads a count past the end of the file as 0 and builds
             * the table from what it read before. */
            long count = 0;
            bool ended = false;
            for (int i = 0; i < 16; i++) {
                int c = source_getc(src);
                ended = ended || c == EOF;
                count += ended ? 0 : c;
            }
            if (count > JPEG_MAX_CODES) {
                t->overfull = true;
                return false;
            }
            if (ended)
                return false;
            if (!source_skip_bytes(src, count))
                return false;
            (kind == 0 ? t->dc : t->ac)[slot] = true;
            len -= 17 + count;
        }
    }
    return len == 0;
}

/* Reads a scan header; false when it uses a table never defined. */
static bool jpeg_read_scan(Source *src, JpegTables *t, bool *used_undefined)
{
    int count = source_getc(src);
    if (count < 1 || count > 4)
        return false;
    int which[4], dc[4], ac[4];
    for (int i = 0; i < count; i++) {
        int id = source_getc(src), q = source_getc(src);
        if (id == EOF || q == EOF)
            return false;
        which[i] = 0;
        while (which[i] < t->components && t->id[which[i]] != id)
            which[i]++;
        if (which[i] == t->components)
            return false;
        dc[i] = q >> 4;
        ac[i] = q & 15;
        if (dc[i] > 3 || ac[i] > 3)
            return false;
    }
    int start = source_getc(src), end = source_getc(src), approx = source_getc(src);
    if (start == EOF || end == EOF || approx == EOF)
        return false;
    bool first_dc = start == 0 && (approx >> 4) == 0;
    for (int i = 0; i < count; i++) {
        int c = which[i];
        bool need_dc = t->progressive ? first_dc : true;
        bool need_ac = t->progressive ? start > 0 : true;
        if (!t->quant[t->tq[c]] || (need_dc && !t->dc[dc[i]]) || (need_ac && !t->ac[ac[i]]))
            *used_undefined = true;
        if (!t->progressive || first_dc)
            t->filled[c] = true;
    }
    return true;
}

/* Where the walk is: stb skips stray bytes before the frame header, refuses
 * them between segments after it, and skips entropy-coded data in a scan. */
typedef enum JpegPhase { JPEG_HEADER, JPEG_SEGMENTS, JPEG_SCAN } JpegPhase;

/* The next marker, or EOF (also for bytes stb would refuse). */
static int jpeg_next_marker(Source *src, JpegPhase phase)
{
    int c;
    while ((c = source_getc(src)) != EOF) {
        if (c != 0xff) {
            if (phase == JPEG_SEGMENTS)
                return EOF;
            continue;
        }
        do
            c = source_getc(src);
        while (c == 0xff);
        if (c == EOF)
            return EOF;
        if (phase == JPEG_SCAN && (c == 0x00 || (c >= 0xd0 && c <= 0xd7)))
            continue;
        return c;
    }
    return EOF;
}

/* Whether the JPEG in src (anything else is fine) uses a table it never
 * defines, leaves a component empty or holds an overfull Huffman table. */
static JpegVerdict jpeg_check(Source *src)
{
    JpegTables t = {0};
    JpegPhase phase = JPEG_HEADER;
    bool used_undefined = false;
    source_rewind(src);
    int c = source_getc(src);
    if (c != 0xff)
        return JPEG_FINE;
    while (c == 0xff)   /* stb takes fill bytes before the start marker too */
        c = source_getc(src);
    if (c != 0xd8)
        return JPEG_FINE;
    for (;;) {
        int marker = jpeg_next_marker(src, phase);
        if (marker == EOF)
            return JPEG_FINE;   /* the end, without an end-of-image marker: stb refuses it */
        if (marker == 0xd9)
            break;
        phase = t.components ? JPEG_SEGMENTS : JPEG_HEADER;
        long len = source_get16(src);
        if (len < 2)
            return JPEG_FINE;
        len -= 2;
        if (marker == 0xdb || marker == 0xc4) {
            if (!jpeg_read_tables(src, marker, len, &t))
                return t.overfull ? JPEG_OVERFULL_TABLE : JPEG_FINE;
        } else if (marker >= 0xc0 && marker <= 0xc2) {
            int precision = source_getc(src);
            int h = source_get16(src), w = source_get16(src), n = source_getc(src);
            if (precision == EOF || h < 0 || w < 0 || n < 1 || n > 4 || t.components)
                return JPEG_FINE;
            for (int i = 0; i < n; i++) {
                int id = source_getc(src), hv = source_getc(src), tq = source_getc(src);
                if (id == EOF || hv == EOF || tq == EOF || tq > 3)
                    return JPEG_FINE;
                t.id[i] = id;
                t.tq[i] = tq;
            }
            t.components = n;
            t.progressive = marker == 0xc2;
            phase = JPEG_SEGMENTS;
            if (!source_skip_bytes(src, len - 6 - 3L * n))
                return JPEG_FINE;
        } else if (marker == 0xda) {
            if (!t.components || !jpeg_read_scan(src, &t, &used_undefined))
                return JPEG_FINE;
            if (used_undefined)
                return JPEG_UNDEFINED_TABLE;
            phase = JPEG_SCAN;
        } else if (!source_skip_bytes(src, len)) {
            return JPEG_FINE;
        }
    }
    for (int i = 0; i < t.components; i++)
        if (!t.filled[i])
            return JPEG_EMPTY_COMPONENT;
    return JPEG_FINE;
}

/* ---- BMP palette check ----------------------------------------------- */

/* stb_image 2.27 reads a palette BMP's colours into an uninitialised
 * 256-entry array, as many as fit between the headers and the pixel data
 * (none when the data offset points into the headers), and looks every
 * pixel's index up in it unchecked: an index past the palette, or any index
 * at all with no palette, comes out as whatever was on the stack. This walk
 * computes the palette size as stb does and reads the indices (stb reads
 * bytes past the end as 0); true when one has no colour. */
static uint32_t source_le(Source *src, int bytes)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++) {
        int c = source_getc(src);
        v |= (uint32_t)(c == EOF ? 0 : c) << (8 * i);
    }
    return v;
}

static bool bmp_index_past_palette(Source *src)
{
    source_rewind(src);
    if (source_getc(src) != 'B' || source_getc(src) != 'M' || !source_skip_bytes(src, 8))
        return false;
    long offset = (int32_t)source_le(src, 4), hsz = (int32_t)source_le(src, 4);
    if (hsz != 12 && hsz != 40 && hsz != 56 && hsz != 108 && hsz != 124)
        return false;   /* stb refuses it */
    long w = hsz == 12 ? (long)source_le(src, 2) : (long)(int32_t)source_le(src, 4);
    long h = hsz == 12 ? (long)source_le(src, 2) : (long)(int32_t)source_le(src, 4);
    source_le(src, 2);
    int bpp = (int)source_le(src, 2);
    if (bpp != 1 && bpp != 4 && bpp != 8)
        return false;   /* no palette, or stb refuses it */
    if (hsz == 12 && bpp >= 24)
        return false;
    long palette = hsz == 12 ? (offset - 14 - 24) / 3 : (offset - 14 - hsz) >> 2;
    if (palette == 0 || palette > 256)
        return false;   /* stb refuses it */
    if (palette < 0)
        return true;
    h = h < 0 ? -h : h;
    if (w <= 0 || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE)
        return false;   /* the caps refuse it */
    source_rewind(src);
    if (!source_skip_bytes(src, offset))
        return false;   /* no pixel data: every index reads as 0 */
    long row_bytes = bpp == 1 ? (w + 7) / 8 : bpp == 4 ? (w + 1) / 2 : w;
    int per_byte = 8 / bpp;
    for (long y = 0; y < h; y++) {
        for (long x = 0; x < row_bytes; x++) {
            int c = source_getc(src);
            if (c == EOF)
                return false;
            for (int k = 0; k < per_byte && x * per_byte + k < w; k++)
                if (((c >> (8 - bpp * (k + 1))) & ((1 << bpp) - 1)) >= palette)
                    return true;
        }
        if (!source_skip_bytes(src, (-row_bytes) & 3))
            return false;
    }
    return false;
}

/* ---- HDR run-length check -------------------------------------------- */

/* stb_image 2.27 decodes a run-length coded Radiance HDR scanline in a loop
 * that only advances on a non-empty run: a count byte of 0, and so any file
 * that ends inside the run-length data (stb reads 0 past the end), makes
 * it loop forever. This walk follows stb's HDR parser over the header and
 * the coded scanlines; true when stb would meet such a count. */

/* True when every byte of src has been read (stb's stbi__at_eof). */
static bool source_at_end(Source *src)
{
    return src->pos >= src->size;
}

/* The next byte as stb reads it: 0 past the end. */
static int source_byte(Source *src)
{
    int c = source_getc(src);
    return c == EOF ? 0 : c;
}

/* One header line as stb's stbi__hdr_gettoken reads it (1024 bytes at most,
 * the rest of a longer line skipped). */
static void hdr_token(Source *src, char buf[1024])
{
    size_t len = 0;
    int c = source_byte(src);
    while (!source_at_end(src) && c != '\n') {
        buf[len++] = (char)c;
        if (len == 1023) {
            while (!source_at_end(src) && source_byte(src) != '\n')
                ;
            break;
        }
        c = source_byte(src);
    }
    buf[len] = '\0';
}

static bool hdr_rle_stalls(Source *src)
{
    char token[1024];
    source_rewind(src);
    hdr_token(src, token);
    if (strcmp(token, "#?RADIANCE") != 0 && strcmp(token, "#?RGBE") != 0)
        return false;
    bool rle = false;
    for (hdr_token(src, token); token[0]; hdr_token(src, token))
        rle = rle || strcmp(token, "FORMAT=32-bit_rle_rgbe") == 0;
    hdr_token(src, token);
    char *p = token;
    if (!rle || strncmp(p, "-Y ", 3) != 0)
        return false;
    long height = strtol(p + 3, &p, 10);
    while (*p == ' ')
        p++;
    if (strncmp(p, "+X ", 3) != 0)
        return false;
    long width = strtol(p + 3, NULL, 10);
    if (width < 8 || width >= 32768 || height > IMAGE_MAX_SIDE)
        return false;   /* flat scanlines, or refused by the caps */
    for (long y = 0; y < height; y++) {
        int c1 = source_byte(src), c2 = source_byte(src), len = source_byte(src);
        if (c1 != 2 || c2 != 2 || (len & 0x80))
            return false;   /* stb reads the rest as flat pixels */
        if ((len << 8 | source_byte(src)) != width)
            return false;   /* stb refuses it */
        for (int k = 0; k < 4; k++) {
            for (long x = 0; x < width;) {
                int count = source_byte(src);
                if (count > 128) {
                    source_byte(src);
                    count -= 128;
                } else if (count == 0) {
                    return true;
                } else {
                    for (int i = 0; i < count; i++)
                        source_byte(src);
                }
                if (count > width - x)
                    return false;   /* stb refuses it */
                x += count;
            }
        }
    }
    return false;
}

/* ---- PNM header check ------------------------------------------------ */

/* stb_image 2.27 reads a binary PNM's width, height and maximum value into
 * an int without a bound (signed overflow: undefined behaviour, in practice
 * a wrapped, made-up size). This walk reads the three numbers as stb does
 * (whitespace and # comments between them); true when one is over INT_MAX. */
static bool pnm_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool pnm_number_overflows(Source *src)
{
    source_rewind(src);
    int p = source_byte(src), t = source_byte(src);
    if (p != 'P' || (t != '5' && t != '6'))
        return false;
    int c = source_byte(src);
    for (int field = 0; field < 3; field++) {
        for (;;) {
            while (!source_at_end(src) && pnm_space(c))
                c = source_byte(src);
            if (source_at_end(src) || c != '#')
                break;
            while (!source_at_end(src) && c != '\n' && c != '\r')
                c = source_byte(src);
        }
        long long value = 0;
        while (!source_at_end(src) && c >= '0' && c <= '9') {
            value = value * 10 + (c - '0');
            if (value > INT_MAX)
                return true;
            c = source_byte(src);
        }
    }
    return false;
}

/* ---- Softimage PIC --------------------------------------------------- */

/* stb_image 2.27's PIC loader, when the pixel data is bad, frees its RGBA
 * buffer and then converts the null pointer to the channel count asked for,
 * reading through it (a crash), unless 4 channels, its own, are asked for.
 * So a PIC is decoded as RGBA and the channels past its own dropped. */
static bool is_pic(Source *src)
{
    unsigned char head[92];
    return source_head(src, head, sizeof head) == sizeof head && memcmp(head, "\x53\x80\xf6\x34", 4) == 0 &&
           memcmp(head + 88, "PICT", 4) == 0;
}

/* ---- TGA length check ------------------------------------------------ */

/* stb reads a TGA's header and uncompressed pixels a byte at a time from
 * its buffer, which reads zeros once the file ends, and never asks the read
 * callback again: a file cut short (even inside its 18-byte header, which
 * then claims a size from the zeros) decodes as a picture padded with
 * black, unnoticed by source_read. TGA is what stb takes when no signature
 * matches; its header says how many bytes an uncompressed image needs.
 * True when the file is shorter than that (or than the header). Run-length
 * coded TGAs (types 9 to 11) cannot be measured without decoding and are
 * left to stb. */
#define TGA_HEADER_BYTES 18

static bool has_signature(const unsigned char *p, size_t n)
{
    static const char *const signatures[] = {"\x89PNG", "\xff\xd8", "GIF8", "BM", "8BPS", "\x53\x80\xf6\x34", "#?"};
    for (size_t i = 0; i < sizeof signatures / sizeof signatures[0]; i++) {
        size_t len = strlen(signatures[i]);
        if (n >= len && memcmp(p, signatures[i], len) == 0)
            return true;
    }
    return n >= 2 && p[0] == 'P' && p[1] >= '1' && p[1] <= '7';   /* PNM, PAM */
}

static bool tga_truncated(const Source *src)
{
    const unsigned char *p = src->data;
    size_t n = src->size;
    if (has_signature(p, n))
        return false;
    if (n < TGA_HEADER_BYTES)
        return true;
    int type = p[2];
    if (type < 1 || type > 3)
        return false;
    uint64_t cmap_entries = (uint64_t)p[5] | (uint64_t)p[6] << 8, cmap_bits = p[7];
    uint64_t w = (uint64_t)p[12] | (uint64_t)p[13] << 8, h = (uint64_t)p[14] | (uint64_t)p[15] << 8;
    uint64_t pixel_bytes = ((uint64_t)p[16] + 7) / 8;
    uint64_t need = TGA_HEADER_BYTES + p[0] + (p[1] ? cmap_entries * ((cmap_bits + 7) / 8) : 0) + w * h * pixel_bytes;
    return n < need;
}

/* ---- PNG chunk check ------------------------------------------------- */

/* stb_image allocates a PNG chunk's claimed length before reading it, so a
 * 100-byte file claiming a 2 GB chunk costs 2 GB. Walking the chunk headers
 * first refuses such a file for what it is, truncated. True when a chunk
 * runs past the end; type and len then say which and how long it claims. */
static bool png_chunk_past_end(Source *src, char type[5], unsigned long *len)
{
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8];
    if (source_head(src, head, sizeof head) != sizeof head || memcmp(head, signature, 8) != 0)
        return false;
    for (size_t pos = 8; pos + 8 <= src->size;) {
        *len = 0;
        for (int i = 0; i < 4; i++)
            *len = *len << 8 | (unsigned long)source_getc(src);
        for (int i = 0; i < 4; i++) {
            int c = source_getc(src);
            type[i] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ? (char)c : '?';   /* printable in messages */
        }
        type[4] = '\0';
        if (*len > src->size - pos - 8 || src->size - pos - 8 - *len < 4)
            return true;
        if (memcmp(type, "IEND", 4) == 0)
            return false;
        pos += 12 + *len;
        src->pos = pos;
    }
    return false;
}

/* Checks a JPEG's Huffman tables and a PNM's header numbers, reads the
 * size, checks the caps, a PNG's chunk lengths, a JPEG's other tables, an
 * HDR's run lengths and a BMP's palette indices, then decodes with the
 * file's own channel count and makes the tensor, at the size fit gives
 * (fit NULL: the file's). */
static Status load_source(Source *src, const char *name, const ImageFit *fit, Tensor *out, size_t *file_h,
                          size_t *file_w, Error *err)
{
    int w, h, channels;
    Status st;

    JpegVerdict jpeg = jpeg_check(src);
    if (jpeg == JPEG_OVERFULL_TABLE)
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: a JPEG Huffman table claims more than %d codes",
                         name, JPEG_MAX_CODES);
    if (pnm_number_overflows(src))
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: a PNM header number is larger than %d", name,
                         INT_MAX);
    source_rewind(src);
    if (!stbi_info_from_callbacks(&SOURCE_CALLBACKS, src, &w, &h, &channels)) {
        unsigned char head[SNIFF_BYTES];
        size_t n = source_head(src, head, sizeof head);
        return refuse_unreadable(head, n, name, err);
    }
    if ((st = check_info(name, w, h, channels, err)) != CS_OK)
        return st;
    char chunk[5];
    unsigned long claimed;
    if (png_chunk_past_end(src, chunk, &claimed))
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: PNG chunk %s claims %lu bytes, past the end of the "
                         "file (truncated)", name, chunk, claimed);
    if (jpeg == JPEG_UNDEFINED_TABLE)
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: a JPEG scan uses a table the file never defines",
                         name);
    if (jpeg == JPEG_EMPTY_COMPONENT)
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: a JPEG colour component has no image data", name);
    if (hdr_rle_stalls(src))
        return error_set(err, CS_ERR_FORMAT,
                         "cannot decode %s: an HDR scanline's run-length data is empty or ends early (truncated file)",
                         name);
    if (tga_truncated(src))
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: the image data ends early (truncated file)", name);
    if (bmp_index_past_palette(src))
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: a BMP pixel uses a colour its palette does not have",
                         name);
    int want = channels, ask = is_pic(src) ? 4 : want;
    source_rewind(src);
    stbi_uc *pixels = stbi_load_from_callbacks(&SOURCE_CALLBACKS, src, &w, &h, &channels, ask);
    if (!pixels) {
        const char *why = stbi_failure_reason();
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: %s", name, why ? why : "unknown error");
    }
    if (src->truncated) {
        stbi_image_free(pixels);
        return error_set(err, CS_ERR_FORMAT, "cannot decode %s: the image data ends early (truncated file)", name);
    }
    if (ask != want)
        keep_channels(pixels, (size_t)w * (size_t)h, (size_t)ask, (size_t)want);
    if ((st = check_info(name, w, h, want, err)) == CS_OK) {
        size_t out_h = (size_t)h, out_w = (size_t)w;
        if (fit)
            image_fit_size((size_t)h, (size_t)w, fit, &out_h, &out_w);
        if (out_h == (size_t)h && out_w == (size_t)w)
            st = pixels_to_tensor(pixels, (size_t)w, (size_t)h, (size_t)want, out, err);
        else
            st = resample_pixels(pixels, (size_t)w, (size_t)h, (size_t)want, out_h, out_w, name, out, err);
        if (file_h)
            *file_h = (size_t)h;
        if (file_w)
            *file_w = (size_t)w;
    }
    stbi_image_free(pixels);
    return st;
}

Status image_load_memory(const unsigned char *data, size_t size, const char *name,
                         Tensor *out, Error *err)
{
    return image_load_memory_fit(data, size, name, NULL, out, NULL, NULL, err);
}

/* ---- PNG palette padding ---------------------------------------------- */

/* stb_image 2.27 expands a palette PNG through a 256-entry table of which
 * only the PLTE chunk's entries are set, and looks pixels up unchecked: an
 * index past a short palette comes out as whatever was on the stack, so the
 * same file decodes differently from run to run. Finding such an index
 * would mean inflating the image; instead the file is given to stb with its
 * PLTE grown to 256 entries, the new ones black, so every index has a
 * colour and the result is the same every time. (stb does not check CRCs,
 * so the grown chunk keeps its old one.) A tRNS chunk longer than the real
 * palette, which stb refuses, is left for stb to refuse. */

#define PNG_PALETTE_BYTES 768   /* 256 RGB entries */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A copy of the PNG in data with its PLTE grown to 256 entries (*grown_size
 * bytes, malloc'd), or NULL when it needs none (not a palette PNG, a full
 * palette, a chunk layout stb refuses anyway) or memory ran out. */
static unsigned char *png_grow_palette(const unsigned char *data, size_t size, size_t *grown_size)
{
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (size < 8 + 25 || memcmp(data, signature, 8) != 0 || memcmp(data + 12, "IHDR", 4) != 0 || data[25] != 3)
        return NULL;
    size_t plte = 0, entries = 0;
    for (size_t pos = 8; pos + 12 <= size;) {
        uint32_t len = be32(data + pos);
        if (len > size - pos - 12)
            return NULL;
        const unsigned char *type = data + pos + 4;
        if (memcmp(type, "PLTE", 4) == 0 && !plte) {
            if (len % 3 != 0 || len >= PNG_PALETTE_BYTES)
                return NULL;
            plte = pos;
            entries = len / 3;
        } else if (memcmp(type, "tRNS", 4) == 0 && plte && len > entries) {
            return NULL;
        } else if (memcmp(type, "IDAT", 4) == 0 || memcmp(type, "IEND", 4) == 0) {
            break;
        }
        pos += 12 + (size_t)len;
    }
    if (!plte)
        return NULL;
    size_t old_len = entries * 3, extra = PNG_PALETTE_BYTES - old_len;
    unsigned char *grown = malloc(size + extra);
    if (!grown)
        return NULL;
    size_t body = plte + 8 + old_len;   /* up to the end of the old entries */
    memcpy(grown, data, body);
    grown[plte] = 0;
    grown[plte + 1] = 0;
    grown[plte + 2] = PNG_PALETTE_BYTES >> 8;
    grown[plte + 3] = PNG_PALETTE_BYTES & 0xff;
    memset(grown + body, 0, extra);
    memcpy(grown + body + extra, data + body, size - body);
    *grown_size = size + extra;
    return grown;
}

Status image_load_memory_fit(const unsigned char *data, size_t size, const char *name, const ImageFit *fit,
                             Tensor *out, size_t *file_h, size_t *file_w, Error *err)
{
    memset(out, 0, sizeof *out);
    if (fit && (fit->h > IMAGE_MAX_SIDE || fit->w > IMAGE_MAX_SIDE || fit->max_side > IMAGE_MAX_SIDE))
        return error_set(err, CS_ERR_RANGE, "cannot resample %s to %zux%zu: each side must be 1 to %d", name,
                         fit->h, fit->w, IMAGE_MAX_SIDE);
    if (size == 0)
        return error_set(err, CS_ERR_FORMAT, "%s is empty", name);
    size_t grown_size = 0;
    unsigned char *grown = png_grow_palette(data, size, &grown_size);
    Source src = {.data = grown ? grown : data, .size = grown ? grown_size : size};
    Status st = load_source(&src, name, fit, out, file_h, file_w, err);
    free(grown);
    return st;
}
