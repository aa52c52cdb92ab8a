/* png_out.c: ARGB8888 pixels to a PNG file (see png_out.h).
 *
 * The container is written here, around ISA-L's zlib stream:
 *   signature, IHDR (w, h, depth 8, colour type 2 RGB or 3 indexed),
 *   PLTE (indexed only), one IDAT (the zlib stream), IEND;
 * each chunk is length, type, data and the CRC-32 of type and data.
 * The image data is the rows, each led by its filter byte (0: none).
 *
 * Why ISA-L at level 1 without a filter: measured on 1280x720 frames (the
 * bench's 7x7 scene and the default scene), thread CPU time, best of 25:
 *   zlib level 1 (libpng, libspng)  4.4-6.3 ms, 70-152 KB
 *   libdeflate level 1              3.0-3.6 ms, 52-132 KB
 *   ISA-L level 1                   0.43-0.80 ms, 64-141 KB
 * The "sub" and "up" filters made libdeflate twice as slow for at most 10%
 * fewer bytes: interface pictures are runs of one colour and repeated
 * glyphs, which deflate finds as they are.
 *
 * Indexed colour: a frame with at most 256 colours is written as indices
 * into a palette of its colours in the order they first appear (so the
 * bytes depend only on the pixels). Measured: about half the bytes of RGB at
 * the same time; a frame with more colours is found out within its first
 * rows (0.01 ms on the frames above, which have 1200-9000 colours
 * because of antialiased text) and written as RGB. */
#include "png_out.h"

#include <errno.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>

/* Room before the image data: signature, IHDR, PLTE of 256 colours, and
 * IDAT's length and type. */
#define PNG_HEAD_MAX (8 + 25 + 12 + 3 * 256 + 8)
/* Slots of the colour table (a power of two, at most a quarter full). */
#define PNG_SLOTS 1024

struct PngOut {
    unsigned char *raw;         /* the rows with their filter bytes */
    size_t raw_size;
    unsigned char *file;        /* the whole file */
    size_t file_size;
    unsigned char level_buf[ISAL_DEF_LVL1_DEFAULT]; /* ISA-L's level 1 working memory */
    uint32_t palette[256];
};

Status png_out_new(PngOut **out, Error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return error_set(err, CS_ERR_NOMEM, "out of memory for a PNG encoder");
    return CS_OK;
}

void png_out_free(PngOut *png)
{
    if (!png)
        return;
    free(png->raw);
    free(png->file);
    free(png);
}

/* Makes *buf hold at least size bytes (its contents need not survive). */
static int grow(unsigned char **buf, size_t *have, size_t size)
{
    if (*have >= size)
        return 0;
    free(*buf);
    *buf = malloc(size);
    *have = *buf ? size : 0;
    return *buf ? 0 : -1;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Ends the chunk whose length field is at p (data_len bytes of data after
 * the type): writes the length and the CRC; returns the byte after it. */
static unsigned char *chunk_end(unsigned char *p, const char type[4], size_t data_len)
{
    put_u32(p, (uint32_t)data_len);
    memcpy(p + 4, type, 4);
    put_u32(p + 8 + data_len, crc32_gzip_refl(0, p + 4, (uint64_t)data_len + 4));
    return p + 12 + data_len;
}

/* The frame as indices (rows of 1 + w bytes) into raw and its colours into
 * palette, in the order they first appear; returns the number of colours,
 * or 0 when there are more than 256. Why the last colour is kept: most
 * pixels repeat their left neighbour, and skip the table. */
static int rows_indexed(const uint32_t *px, int w, int h, unsigned char *raw, uint32_t *palette)
{
    uint32_t keys[PNG_SLOTS];
    int16_t index[PNG_SLOTS];
    memset(index, 0xff, sizeof index); /* -1: a free slot */
    int n = 0;
    uint32_t last = (px[0] & 0xffffffu) ^ 1u; /* unlike the first pixel */
    unsigned char last_index = 0;
    for (int y = 0; y < h; y++) {
        const uint32_t *row = px + (size_t)y * (size_t)w;
        unsigned char *out = raw + (size_t)y * ((size_t)w + 1);
        *out++ = 0;
        for (int x = 0; x < w; x++) {
            uint32_t c = row[x] & 0xffffffu;
            if (c != last) {
                uint32_t slot = (c * 2654435761u) >> 22;
                while (index[slot] >= 0 && keys[slot] != c)
                    slot = (slot + 1) & (PNG_SLOTS - 1);
                if (index[slot] < 0) {
                    if (n == 256)
                        return 0;
                    keys[slot] = c;
                    index[slot] = (int16_t)n;
                    palette[n++] = c;
                }
                last = c;
                last_index = (unsigned char)index[slot];
            }
            out[x] = last_index;
        }
    }
    return n;
}

/* The frame as R, G, B rows (1 + 3w bytes) into raw, which has one byte
 * more than that for the last store. On a little-endian machine each pixel
 * is one 4-byte store of R, G, B, 0 whose last byte the next pixel (or the
 * next row's filter byte) overwrites: a third of the time of storing the
 * bytes one by one, measured at 1280x720. */
static void rows_rgb(const uint32_t *px, int w, int h, unsigned char *raw)
{
    size_t stride = 3 * (size_t)w + 1;
    for (int y = 0; y < h; y++) {
        const uint32_t *row = px + (size_t)y * (size_t)w;
        unsigned char *out = raw + (size_t)y * stride;
        out[0] = 0;
        out++;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
        for (int x = 0; x < w; x++) {
            uint32_t rgb0 = __builtin_bswap32(row[x]) >> 8;
            memcpy(out + 3 * x, &rgb0, 4);
        }
#else
        for (int x = 0; x < w; x++) {
            out[3 * x] = (unsigned char)(row[x] >> 16);
            out[3 * x + 1] = (unsigned char)(row[x] >> 8);
            out[3 * x + 2] = (unsigned char)row[x];
        }
#endif
    }
}

Status png_out_encode(PngOut *png, FILE *stream, const uint32_t *pixels, int w, int h, const char *name,
                      Error *err)
{
    if (w <= 0 || h <= 0)
        return error_set(err, CS_ERR_RANGE, "cannot write %s: empty frame %dx%d", name, w, h);
    /* One IDAT holds at most 2^31 - 1 bytes: frames up to about 26000 x
     * 26000 pixels, far beyond what the exporter makes. */
    size_t rgb_size = (3 * (size_t)w + 1) * (size_t)h;
    if (w > 1 << 14 || h > 1 << 14 || rgb_size > 0x7fff0000u)
        return error_set(err, CS_ERR_RANGE, "cannot write %s: frame %dx%d is too large", name, w, h);
    if (grow(&png->raw, &png->raw_size, rgb_size + 1) != 0)
        return error_set(err, CS_ERR_NOMEM, "cannot write %s: out of memory", name);

    int colours = rows_indexed(pixels, w, h, png->raw, png->palette);
    size_t raw_len = colours ? ((size_t)w + 1) * (size_t)h : rgb_size;
    if (!colours)
        rows_rgb(pixels, w, h, png->raw);

    /* ISA-L's stateless deflate never grows data by more than a stored
     * block's header per 64 KiB, and the zlib header and trailer. */
    size_t bound = raw_len + raw_len / 4096 + ISAL_DEF_MAX_HDR_SIZE + 64;
    if (grow(&png->file, &png->file_size, PNG_HEAD_MAX + bound + 12 + 12) != 0)
        return error_set(err, CS_ERR_NOMEM, "cannot write %s: out of memory", name);

    unsigned char *p = png->file;
    memcpy(p, "\x89PNG\r\n\x1a\n", 8);
    p += 8;
    put_u32(p + 8, (uint32_t)w);
    put_u32(p + 12, (uint32_t)h);
    p[16] = 8;                       /* bits per sample or index */
    p[17] = colours ? 3 : 2;         /* indexed colour, or RGB */
    p[18] = p[19] = p[20] = 0;       /* deflate, filters of method 0, no interlace */
    p = chunk_end(p, "IHDR", 13);
    if (colours) {
        for (int i = 0; i < colours; i++) {
            p[8 + 3 * i] = (unsigned char)(png->palette[i] >> 16);
            p[8 + 3 * i + 1] = (unsigned char)(png->palette[i] >> 8);
            p[8 + 3 * i + 2] = (unsigned char)png->palette[i];
        }
        p = chunk_end(p, "PLTE", 3 * (size_t)colours);
    }

    struct isal_zstream z;
    isal_deflate_stateless_init(&z);
    z.level = 1;
    z.level_buf = png->level_buf;
    z.level_buf_size = sizeof png->level_buf;
    z.gzip_flag = IGZIP_ZLIB;
    z.flush = NO_FLUSH;
    z.end_of_stream = 1;
    z.next_in = png->raw;
    z.avail_in = (uint32_t)raw_len;
    z.next_out = p + 8;
    z.avail_out = (uint32_t)bound;
    int zs = isal_deflate_stateless(&z);
    if (zs != COMP_OK)
        return error_set(err, CS_ERR_IO, "cannot write %s: ISA-L deflate failed (%d)", name, zs);
    p = chunk_end(p, "IDAT", z.total_out);
    p = chunk_end(p, "IEND", 0);

    /* One write of the whole file: stdio hands a buffer this large to the
     * system at once, so a failure is known here, with its errno (the
     * stream's error flag alone would leave fileout's commit to guess). */
    size_t size = (size_t)(p - png->file);
    errno = 0;
    if (fwrite(png->file, 1, size, stream) != size)
        return error_set(err, CS_ERR_IO, "cannot write %s: %s", name, errno ? strerror(errno) : "write error");
    return CS_OK;
}

Status png_out_write(FILE *stream, const uint32_t *pixels, int w, int h, const char *name, Error *err)
{
    PngOut *png;
    Status st = png_out_new(&png, err);
    if (st != CS_OK)
        return st;
    st = png_out_encode(png, stream, pixels, w, h, name, err);
    png_out_free(png);
    return st;
}
