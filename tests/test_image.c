/* test_image.c: image loading and resizing (core/image.h). The images are
 * written here with stb_image_write (Debian's libstb) or built byte by byte. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "image.h"
#include "input.h"
#include "rng.h"
#include "stb_image_resize.h"
#include "stb_image_write.h"
#include "support_tmp.h"

TestSuite(image, .init = tmp_dir_create, .fini = tmp_dir_remove);

/* An image file read as the program reads one: opened once, read whole,
 * decoded from memory (input.h). */
static Status load_file(const char *path, Tensor *t, Error *err)
{
    return input_load(path, NULL, t, NULL, err);
}

/* ---- encoded images in memory ------------------------------------------- */

typedef struct Buffer {
    unsigned char *data;
    size_t size;
} Buffer;

static void append(void *context, void *data, int size)
{
    Buffer *b = context;
    b->data = realloc(b->data, b->size + (size_t)size);
    cr_assert_not_null(b->data);
    memcpy(b->data + b->size, data, (size_t)size);
    b->size += (size_t)size;
}

/* The test pattern: pixel (x, y) channel c holds 10*y + 3*x + 50*c. */
static unsigned char pattern(int x, int y, int c)
{
    return (unsigned char)(10 * y + 3 * x + 50 * c);
}

static unsigned char *pattern_pixels(int w, int h, int channels)
{
    unsigned char *px = malloc((size_t)w * h * channels);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < channels; c++)
                px[(y * w + x) * channels + c] = pattern(x, y, c);
    return px;
}

typedef enum Format { FORMAT_PNG, FORMAT_BMP, FORMAT_TGA, FORMAT_JPG } Format;

static Buffer encode(Format format, int w, int h, int channels, const unsigned char *px)
{
    Buffer b = {0};
    int ok = format == FORMAT_PNG ? stbi_write_png_to_func(append, &b, w, h, channels, px, w * channels)
           : format == FORMAT_BMP ? stbi_write_bmp_to_func(append, &b, w, h, channels, px)
           : format == FORMAT_TGA ? stbi_write_tga_to_func(append, &b, w, h, channels, px)
           : stbi_write_jpg_to_func(append, &b, w, h, channels, px, 100);
    cr_assert(ok && b.size > 0, "stb_image_write failed");
    return b;
}

static void expect_pattern(const Tensor *t, int w, int h, int channels, float tolerance, const char *what)
{
    cr_assert(t->rank == 3 && t->n == 1 && t->c == (size_t)channels && t->h == (size_t)h && t->w == (size_t)w,
              "%s: rank %d, %zux%zux%zux%zu", what, t->rank, t->n, t->c, t->h, t->w);
    for (int c = 0; c < channels; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float got = *tensor_at(t, 0, (size_t)c, (size_t)y, (size_t)x);
                cr_expect(fabsf(got - pattern(x, y, c)) <= tolerance, "%s: (c%d, y%d, x%d) = %g, wanted %d", what,
                          c, y, x, got, pattern(x, y, c));
            }
}

/* A PNG of just a signature and an IHDR chunk claiming w x h RGB. */
static size_t png_header(unsigned char *out, uint32_t w, uint32_t h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char *p = out;
    memcpy(p, sig, 8);
    p += 8;
    const unsigned char ihdr[21] = {0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                    w >> 24, w >> 16 & 0xff, w >> 8 & 0xff, w & 0xff,
                                    h >> 24, h >> 16 & 0xff, h >> 8 & 0xff, h & 0xff,
                                    8, 2, 0, 0, 0};
    memcpy(p, ihdr, sizeof ihdr);
    uint32_t crc = 0xffffffffu;   /* CRC-32 of the chunk type and data */
    for (size_t i = 4; i < sizeof ihdr; i++) {
        crc ^= ihdr[i];
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
    }
    crc ^= 0xffffffffu;
    p += sizeof ihdr;
    *p++ = (unsigned char)(crc >> 24);
    *p++ = (unsigned char)(crc >> 16);
    *p++ = (unsigned char)(crc >> 8);
    *p++ = (unsigned char)crc;
    return (size_t)(p - out);
}

/* ---- loading ------------------------------------------------------------ */

Test(image, grey_grey_alpha_rgb_and_rgba_pngs_keep_their_channels)
{
    const char *names[] = {"", "grey", "grey+alpha", "RGB", "RGBA"};
    for (int channels = 1; channels <= 4; channels++) {
        unsigned char *px = pattern_pixels(3, 2, channels);
        Buffer png = encode(FORMAT_PNG, 3, 2, channels, px);
        Tensor t;
        Error err;
        cr_assert_eq(image_load_memory(png.data, png.size, "mem.png", &t, &err), CS_OK, "%s: %s",
                     names[channels], err.message);
        expect_pattern(&t, 3, 2, channels, 0, names[channels]);
        tensor_free(&t);

        const char *path = tmp_path("pattern.png");
        tmp_write_file(path, png.data, png.size);
        cr_assert_eq(load_file(path, &t, &err), CS_OK, "%s: %s", names[channels], err.message);
        expect_pattern(&t, 3, 2, channels, 0, names[channels]);
        tensor_free(&t);
        free(png.data);
        free(px);
    }
}

Test(image, bmp_tga_and_jpeg_load_too)
{
    unsigned char *px = pattern_pixels(8, 8, 3);
    struct {
        Format format;
        const char *name;
        float tolerance;
    } cases[] = {{FORMAT_BMP, "bmp", 0}, {FORMAT_TGA, "tga", 0}, {FORMAT_JPG, "jpeg", 8}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Buffer b = encode(cases[i].format, 8, 8, 3, px);
        Tensor t;
        Error err;
        cr_assert_eq(image_load_memory(b.data, b.size, cases[i].name, &t, &err), CS_OK, "%s: %s", cases[i].name,
                     err.message);
        expect_pattern(&t, 8, 8, 3, cases[i].tolerance, cases[i].name);
        tensor_free(&t);
        free(b.data);
    }
    free(px);
}

Test(image, a_header_claiming_100000x100000_is_refused_at_once, .timeout = 2)
{
    unsigned char png[64];
    size_t size = png_header(png, 100000, 100000);
    Tensor t;
    Error err;
    clock_t start = clock();
    cr_expect_eq(image_load_memory(png, size, "huge.png", &t, &err), CS_ERR_LIMIT);
    cr_expect(strstr(err.message, "huge.png") && strstr(err.message, "100000x100000") &&
              strstr(err.message, "limit"), "%s", err.message);
    cr_expect_null(t.data);

    const char *path = tmp_path("huge.png");
    tmp_write_file(path, png, size);
    cr_expect_eq(load_file(path, &t, &err), CS_ERR_LIMIT);
    cr_expect(strstr(err.message, "huge.png") != NULL, "%s", err.message);
    double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    cr_expect_lt(seconds, 0.1, "refusing took %g s", seconds);
}

Test(image, a_jpeg_header_claiming_a_huge_size_is_refused_at_once, .timeout = 2)
{
    /* SOI, an APP0 segment, then a baseline SOF0 claiming H x W, 3 channels. */
    const struct {
        unsigned h, w;
    } cases[] = {{60000, 60000}, {20000, 20000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned h = cases[i].h, w = cases[i].w;
        const unsigned char jpg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
                                     0xff, 0xc0, 0, 17, 8, h >> 8, h & 0xff, w >> 8, w & 0xff, 3,
                                     1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1};
        char want[32];
        snprintf(want, sizeof want, "%ux%u", w, h);
        Tensor t;
        Error err;
        cr_expect_eq(image_load_memory(jpg, sizeof jpg, "huge.jpg", &t, &err), CS_ERR_LIMIT, "%s", err.message);
        cr_expect(strstr(err.message, "huge.jpg") && strstr(err.message, want), "%s", err.message);
    }
}

Test(image, the_caps_apply_per_side_and_in_all)
{
    struct {
        uint32_t w, h;
    } cases[] = {{IMAGE_MAX_SIDE + 1, 1}, {1, IMAGE_MAX_SIDE + 1}, {IMAGE_MAX_SIDE, IMAGE_MAX_SIDE}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char png[64];
        size_t size = png_header(png, cases[i].w, cases[i].h);
        Tensor t;
        Error err;
        cr_expect_eq(image_load_memory(png, size, "cap.png", &t, &err), CS_ERR_LIMIT, "%ux%u: %s", cases[i].w,
                     cases[i].h, err.message);
    }
}

Test(image, a_truncated_png_is_refused)
{
    Rng rng;
    rng_seed(&rng, 5);
    unsigned char px[32 * 32 * 3];
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (unsigned char)(rng_next(&rng) >> 56);   /* noise does not compress */
    Buffer png = encode(FORMAT_PNG, 32, 32, 3, px);
    Tensor t;
    Error err;
    cr_expect_eq(image_load_memory(png.data, png.size / 2, "cut.png", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "cut.png") != NULL, "%s", err.message);
    cr_expect_null(t.data);

    const char *path = tmp_path("cut.png");
    tmp_write_file(path, png.data, png.size / 2);
    cr_expect_eq(load_file(path, &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "cannot decode") && strstr(err.message, "cut.png"), "%s", err.message);

    tmp_write_file(path, png.data, 20);   /* inside the IHDR chunk */
    cr_expect_eq(load_file(path, &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "cut.png") != NULL, "%s", err.message);
    free(png.data);
}

Test(image, a_png_chunk_claiming_more_than_the_file_is_refused_without_allocating_it, .timeout = 2)
{
    /* stb_image would allocate the claimed 771 MB before noticing. */
    unsigned char png[64];
    size_t size = png_header(png, 4, 3);
    const unsigned char idat[] = {0x2d, 0xff, 0xff, 0x1c, 'I', 'D', 'A', 'T', 0x78, 0x9c, 1, 2, 3, 4};
    memcpy(png + size, idat, sizeof idat);
    size += sizeof idat;
    Tensor t;
    Error err;
    cr_expect_eq(image_load_memory(png, size, "claims.png", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "claims.png") && strstr(err.message, "IDAT claims 771751708 bytes"), "%s",
              err.message);
    tmp_write_file(tmp_path("claims.png"), png, size);
    cr_expect_eq(load_file(tmp_path("claims.png"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "truncated") != NULL, "%s", err.message);
}

Test(image, truncated_raw_formats_are_refused_not_padded)
{
    /* stb_image does not notice when uncompressed PNM or TGA data ends
     * early; the loader must, rather than hand back made-up pixels. */
    unsigned char ppm[11 + 4 * 3 * 3];
    memcpy(ppm, "P6\n4 3\n255\n", 11);
    for (size_t i = 11; i < sizeof ppm; i++)
        ppm[i] = (unsigned char)i;
    Tensor t;
    Error err;
    cr_assert_eq(image_load_memory(ppm, sizeof ppm, "whole.ppm", &t, &err), CS_OK, "%s", err.message);
    cr_expect(t.c == 3 && t.h == 3 && t.w == 4 && *tensor_at(&t, 0, 2, 2, 3) == (float)(sizeof ppm - 1));
    tensor_free(&t);
    cr_expect_eq(image_load_memory(ppm, sizeof ppm - 5, "cut.ppm", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "cut.ppm") && strstr(err.message, "truncated"), "%s", err.message);

    unsigned char *px = pattern_pixels(8, 8, 4);
    stbi_write_tga_with_rle = 0;
    Buffer tga = encode(FORMAT_TGA, 8, 8, 4, px);
    cr_assert_eq(image_load_memory(tga.data, tga.size, "whole.tga", &t, &err), CS_OK, "%s", err.message);
    expect_pattern(&t, 8, 8, 4, 0, "tga");
    tensor_free(&t);
    tmp_write_file(tmp_path("cut.tga"), tga.data, tga.size - 40);
    cr_expect_eq(load_file(tmp_path("cut.tga"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "cut.tga") && strstr(err.message, "truncated"), "%s", err.message);
    free(tga.data);
    free(px);

    /* A 16-bit TGA is read a pixel at a time from stb's buffer, which never
     * reports its end: 2x2 needs 18 + 8 bytes; one short is refused. And a
     * file cut inside the 18-byte header (fuzz_image found this one: it
     * claims 4608x4096 from the zeros stb reads past the end) too. */
    unsigned char tga16[18 + 8] = {0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 16, 0};
    cr_assert_eq(image_load_memory(tga16, sizeof tga16, "whole16.tga", &t, &err), CS_OK, "%s", err.message);
    tensor_free(&t);
    cr_expect_eq(image_load_memory(tga16, sizeof tga16 - 1, "cut16.tga", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "truncated") != NULL, "%s", err.message);
    static const unsigned char header_cut[17] = {0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0xd4, 4, 0, 0x12, 0, 0x10, 0x10};
    cr_expect_eq(image_load_memory(header_cut, sizeof header_cut, "header-cut.tga", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "truncated") != NULL, "%s", err.message);
}

/* Removes every segment with the given marker from a JPEG in place. */
static void drop_jpeg_segments(Buffer *b, unsigned char marker)
{
    size_t i = 2;
    while (i + 4 <= b->size && b->data[i] == 0xff && b->data[i + 1] != 0xda) {
        size_t len = 2 + ((size_t)b->data[i + 2] << 8 | b->data[i + 3]);
        if (b->data[i + 1] == marker) {
            memmove(b->data + i, b->data + i + len, b->size - i - len);
            b->size -= len;
        } else {
            i += len;
        }
    }
}

Test(image, a_jpeg_without_its_tables_is_refused_not_made_up)
{
    /* stb_image decodes a JPEG with no quantisation table from whatever
     * memory it finds; the loader must refuse it. */
    unsigned char *px = pattern_pixels(8, 8, 3);
    Buffer jpg = encode(FORMAT_JPG, 8, 8, 3, px);
    Tensor t;
    Error err;
    cr_assert_eq(image_load_memory(jpg.data, jpg.size, "whole.jpg", &t, &err), CS_OK, "%s", err.message);
    tensor_free(&t);
    size_t before = jpg.size;
    drop_jpeg_segments(&jpg, 0xdb);
    cr_assert_lt(jpg.size, before, "no DQT segment found");
    cr_expect_eq(image_load_memory(jpg.data, jpg.size, "notables.jpg", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "notables.jpg") && strstr(err.message, "never defines"), "%s", err.message);
    cr_expect_null(t.data);
    free(jpg.data);
    free(px);
}

Test(image, a_jpeg_huffman_table_with_over_256_codes_is_refused_before_stb_reads_it)
{
    /* A DHT segment whose 16 code-length counts add up to 16 * 255 = 4080
     * codes: stb_image 2.27 writes one byte per code into a 257-byte array
     * (found by fuzzing with stb compiled in under ASan/UBSan). The same
     * file with counts 1, 1, 0, ... (two codes) is an ordinary table. */
    unsigned char jpg[2 + 4 + 1 + 16 + 2 + 2] = {0xff, 0xd8, 0xff, 0xc4, 0x00, 0x13 + 2, 0x00};
    memset(jpg + 7, 0xff, 16);
    memcpy(jpg + 23, "\x01\x02\xff\xd9", 4);
    Tensor t;
    Error err;
    cr_expect_eq(image_load_memory(jpg, sizeof jpg, "overfull.jpg", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "overfull.jpg") && strstr(err.message, "more than 256 codes"), "%s", err.message);
    cr_expect_null(t.data);
    tmp_write_file(tmp_path("overfull.jpg"), jpg, sizeof jpg);
    cr_expect_eq(load_file(tmp_path("overfull.jpg"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "more than 256 codes"), "%s", err.message);

    /* The file may end inside the counts: stb reads the rest as 0. */
    cr_expect_eq(image_load_memory(jpg, 7 + 2, "cut.jpg", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "more than 256 codes"), "%s", err.message);

    memset(jpg + 7, 0, 16);
    jpg[7] = jpg[8] = 1;
    cr_expect_eq(image_load_memory(jpg, sizeof jpg, "ordinary.jpg", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "ordinary.jpg") && !strstr(err.message, "codes"), "%s", err.message);
}

/* A 2 x 1 BMP of 4-bit palette indices hi, lo, with a palette of colours
 * entries (grey levels 0, 16, 32, ...) and the pixel data at offset (0: just
 * after the palette). */
static size_t bmp4_2x1(unsigned char *out, int colours, unsigned offset, int hi, int lo)
{
    size_t data = 14 + 40 + 4 * (size_t)colours;
    offset = offset ? offset : (unsigned)data;
    memset(out, 0, data + 4);
    out[0] = 'B';
    out[1] = 'M';
    out[10] = (unsigned char)offset;
    out[14] = 40;
    out[18] = 2;        /* width */
    out[22] = 1;        /* height */
    out[26] = 1;        /* planes */
    out[28] = 4;        /* bits per pixel */
    for (int i = 0; i < colours; i++)
        memset(out + 54 + 4 * i, 16 * i, 3);
    out[data] = (unsigned char)(hi << 4 | lo);
    return data + 4;
}

Test(image, a_bmp_index_past_its_palette_is_refused_not_read_from_the_stack)
{
    /* stb_image 2.27 looks indices up in an uninitialised 256-entry palette
     * (found by fuzzing: the memory and file loaders gave different
     * pixels). Two colours, indices 1 and 0, load; index 5 has no colour;
     * a data offset inside the headers leaves no palette at all. */
    unsigned char bmp[14 + 40 + 4 * 16 + 4];
    Tensor t;
    Error err;
    size_t size = bmp4_2x1(bmp, 2, 0, 1, 0);
    cr_assert_eq(image_load_memory(bmp, size, "two.bmp", &t, &err), CS_OK, "%s", err.message);
    cr_expect(t.c == 3 && t.h == 1 && t.w == 2 && t.data[0] == 16 && t.data[1] == 0, "%zu %g %g", t.c, t.data[0],
              t.data[1]);
    tensor_free(&t);
    size = bmp4_2x1(bmp, 2, 0, 1, 5);
    cr_expect_eq(image_load_memory(bmp, size, "past.bmp", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "past.bmp") && strstr(err.message, "palette"), "%s", err.message);
    cr_expect_null(t.data);
    size = bmp4_2x1(bmp, 2, 20, 0, 0);
    cr_expect_eq(image_load_memory(bmp, size, "inside.bmp", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "inside.bmp") && strstr(err.message, "palette"), "%s", err.message);
}

Test(image, an_hdr_with_an_empty_run_or_cut_inside_its_runs_is_refused_not_a_hang, .timeout = 10)
{
    /* An 8 x 1 run-length coded Radiance file: the scanline header 2 2 0 8,
     * then per component one run of 8 (count 128 + 8, then the value). stb
     * 2.27 loops forever on a run count of 0, also the 0s it reads past the
     * end of a cut file (found by fuzzing). */
    static const char head[] = "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 8\n";
    unsigned char hdr[sizeof head - 1 + 4 + 8];
    size_t n = sizeof head - 1;
    memcpy(hdr, head, n);
    memcpy(hdr + n, "\x02\x02\x00\x08\x88\x80\x88\x40\x88\x20\x88\x81", 12);
    Tensor t;
    Error err;
    cr_assert_eq(image_load_memory(hdr, sizeof hdr, "whole.hdr", &t, &err), CS_OK, "%s", err.message);
    cr_expect(t.c == 3 && t.h == 1 && t.w == 8, "%zux%zux%zu", t.c, t.h, t.w);
    tensor_free(&t);
    cr_expect_eq(image_load_memory(hdr, n + 6, "cut.hdr", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "cut.hdr") && strstr(err.message, "run-length"), "%s", err.message);
    cr_expect_null(t.data);
    hdr[n + 6] = 0x00;   /* the second component's run count */
    cr_expect_eq(image_load_memory(hdr, sizeof hdr, "empty.hdr", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "empty.hdr") && strstr(err.message, "run-length"), "%s", err.message);
    tmp_write_file(tmp_path("empty.hdr"), hdr, sizeof hdr);
    cr_expect_eq(load_file(tmp_path("empty.hdr"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "run-length"), "%s", err.message);
}

Test(image, a_pnm_header_number_over_int_max_is_refused_before_stb_reads_it)
{
    /* stb_image 2.27 parses the width into an int unchecked (signed
     * overflow, found by fuzzing): 99999999999 would wrap to 1215752191. */
    static const char big[] = "P5\n# width:\n99999999999 1\n255\nx";
    static const char fine[] = "P5\n# width:\n2147483647 1\n255\nx";
    Tensor t;
    Error err;
    cr_expect_eq(image_load_memory((const unsigned char *)big, sizeof big - 1, "big.pgm", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "big.pgm") && strstr(err.message, "larger than 2147483647"), "%s", err.message);
    cr_expect_null(t.data);
    cr_expect_eq(image_load_memory((const unsigned char *)fine, sizeof fine - 1, "wide.pgm", &t, &err), CS_ERR_LIMIT,
                 "INT_MAX itself parses and meets the size cap: %s", err.message);
}

/* A Softimage PIC of w x 1 RGB pixels, raw: the 104-byte header (magic,
 * version, comment, "PICT", width, height, ratio, fields, pad), one channel
 * packet (not chained, 8 bits, uncompressed, R|G|B), then the row. */
static size_t pic_rgb_row(unsigned char *out, int w, const unsigned char *rgb)
{
    memset(out, 0, 108);
    memcpy(out, "\x53\x80\xf6\x34", 4);
    memcpy(out + 88, "PICT", 4);
    out[93] = (unsigned char)w;
    out[95] = 1;
    memcpy(out + 104, "\x00\x08\x00\xe0", 4);
    memcpy(out + 108, rgb, (size_t)w * 3);
    return 108 + (size_t)w * 3;
}

Test(image, a_pic_with_bad_pixel_data_is_refused_not_a_crash)
{
    /* stb_image 2.27 converts a failed PIC's freed (null) buffer to RGB and
     * reads through it (found by fuzzing with stb compiled in). */
    const unsigned char rgb[6] = {10, 20, 30, 200, 100, 0};
    unsigned char pic[108 + 6];
    size_t size = pic_rgb_row(pic, 2, rgb);
    Tensor t;
    Error err;
    cr_assert_eq(image_load_memory(pic, size, "whole.pic", &t, &err), CS_OK, "%s", err.message);
    cr_expect(t.c == 3 && t.h == 1 && t.w == 2, "%zux%zux%zu", t.c, t.h, t.w);
    const float planes[6] = {10, 200, 20, 100, 30, 0};
    for (size_t i = 0; i < 6; i++)
        cr_expect_eq(t.data[i], planes[i], "value %zu: %g", i, t.data[i]);
    tensor_free(&t);
    cr_expect_eq(image_load_memory(pic, 109, "short.pic", &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "short.pic") != NULL, "%s", err.message);
    cr_expect_null(t.data);
}

Test(image, a_segment_length_past_the_end_does_not_hang, .timeout = 5)
{
    const unsigned char jpg[] = {0xff, 0xd8, 0xff, 0xe0, 0xff, 0xd8, 0xff, 0x00};
    tmp_write_file(tmp_path("skip.jpg"), jpg, sizeof jpg);
    Tensor t;
    Error err;
    cr_expect_eq(load_file(tmp_path("skip.jpg"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "skip.jpg") != NULL, "%s", err.message);
}

Test(image, missing_directory_empty_and_random_files_are_refused)
{
    Tensor t;
    Error err;
    cr_expect_eq(load_file(tmp_path("missing.png"), &t, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "missing.png") && strstr(err.message, "No such file"), "%s", err.message);

    cr_expect_eq(load_file(tmp_dir, &t, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, tmp_dir) && strstr(err.message, "is a directory"), "%s", err.message);

    tmp_write_file(tmp_path("empty.png"), "", 0);
    cr_expect_eq(load_file(tmp_path("empty.png"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "empty.png is empty") != NULL, "%s", err.message);
    cr_expect_eq(image_load_memory((const unsigned char *)"", 0, "nothing", &t, &err), CS_ERR_FORMAT);

    Rng rng;
    rng_seed(&rng, 11);
    unsigned char noise[1000];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (unsigned char)(rng_next(&rng) >> 56);
    tmp_write_file(tmp_path("noise.png"), noise, sizeof noise);
    cr_expect_eq(load_file(tmp_path("noise.png"), &t, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "noise.png is not an image") != NULL, "%s", err.message);
    cr_expect_null(t.data);
}

/* ---- resampling while loading ------------------------------------------ */

/* A binary PGM (c = 1) or PPM (c = 3) of h x w whole values, planes first
 * as a tensor holds them: the resampling tests' images. */
static Buffer pnm(size_t c, size_t h, size_t w, const float *planes)
{
    Buffer b = {0};
    char head[64];
    int n = snprintf(head, sizeof head, "P%c\n%zu %zu\n255\n", c == 1 ? '5' : '6', w, h);
    append(&b, head, n);
    for (size_t i = 0; i < h * w; i++)
        for (size_t k = 0; k < c; k++) {
            unsigned char v = (unsigned char)planes[k * h * w + i];
            append(&b, &v, 1);
        }
    return b;
}

/* Loads b resampled to h x w. */
static Tensor load_fitted(Buffer b, size_t h, size_t w)
{
    Tensor out;
    Error err;
    ImageFit fit = {.h = h, .w = w};
    cr_assert_eq(image_load_memory_fit(b.data, b.size, "fit.pnm", &fit, &out, NULL, NULL, &err), CS_OK, "%s",
                 err.message);
    return out;
}

Test(image, shrinking_averages_each_area)
{
    /* 4x4 -> 2x2: each output is the mean of a 2x2 block.
     *   0  4 | 8 12        2 | 10
     *   0  4 | 8 12   ->   --+---
     *  ----+-----         22 | 30   (means 2, 10, 22.25 -> 22, 30.25 -> 30)
     *  20 24 |28 32
     *  21 24 |29 32 */
    const float in[16] = {0, 4, 8, 12, 0, 4, 8, 12, 20, 24, 28, 32, 21, 24, 29, 32};
    const float want[4] = {2, 10, 22, 30};
    Buffer b = pnm(1, 4, 4, in);
    Tensor out = load_fitted(b, 2, 2);
    cr_assert(out.rank == 3 && out.c == 1 && out.h == 2 && out.w == 2);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(out.data[i], want[i], "output %d is %g, wanted %g", i, out.data[i], want[i]);
    tensor_free(&out);
    free(b.data);
}

Test(image, resizing_keeps_channels_apart_and_values_whole_and_in_range)
{
    /* Three channels, constant 0, 255 and 100: every size keeps them so. A
     * ramp grown 3x stays within its ends and whole. */
    float in[3 * 5 * 7];
    for (int i = 0; i < 35; i++) {
        in[i] = 0;
        in[35 + i] = 255;
        in[70 + i] = 100;
    }
    Buffer b = pnm(3, 5, 7, in);
    const size_t sizes[][2] = {{1, 1}, {2, 3}, {5, 7}, {15, 21}, {3, 20}, {11, 2}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        Tensor out = load_fitted(b, sizes[s][0], sizes[s][1]);
        cr_assert(out.c == 3 && out.h == sizes[s][0] && out.w == sizes[s][1]);
        size_t plane = out.h * out.w;
        for (size_t i = 0; i < plane; i++) {
            cr_expect_eq(out.data[i], 0.0f);
            cr_expect_eq(out.data[plane + i], 255.0f);
            cr_expect_eq(out.data[2 * plane + i], 100.0f);
        }
        tensor_free(&out);
    }
    free(b.data);

    const float ramp[4] = {0, 85, 170, 255};
    b = pnm(1, 1, 4, ramp);
    Tensor out = load_fitted(b, 3, 12);
    for (size_t i = 0; i < tensor_count(&out); i++) {
        cr_expect(out.data[i] >= 0 && out.data[i] <= 255, "value %g out of range", out.data[i]);
        cr_expect_eq(out.data[i], roundf(out.data[i]), "value %g is not whole", out.data[i]);
    }
    cr_expect_eq(out.data[0], 0.0f);
    cr_expect_eq(out.data[11], 255.0f);
    for (size_t x = 1; x < 12; x++)
        cr_expect_geq(out.data[x], out.data[x - 1], "the ramp is not monotonic at %zu", x);
    tensor_free(&out);
    free(b.data);
}

Test(image, resizing_to_an_impossible_size_is_refused)
{
    const float one = 7;
    Buffer b = pnm(1, 1, 1, &one);
    Tensor out;
    Error err;
    ImageFit fit = {.h = IMAGE_MAX_SIDE + 1, .w = 4};
    cr_expect_eq(image_load_memory_fit(b.data, b.size, "one.pgm", &fit, &out, NULL, NULL, &err), CS_ERR_RANGE);
    cr_expect(strstr(err.message, "16385x4") && strstr(err.message, "one.pgm"), "%s", err.message);
    cr_expect_null(out.data);
    free(b.data);
}

Test(image, the_fit_size_follows_the_window_rules)
{
    /* h, w, fit (h, w, max_side) -> size; hand-worked:
     * 1000x500 over 256: factor 0.256 -> 256x128; 3x1000: 0.768 rounds to 1;
     * --fit 20 on 50x100 (h x w) keeps the aspect: 20x40; --fit 300,10 is clamped to
     * 256x10; nothing to do: as it is; no cap: as it is. */
    const struct {
        size_t h, w;
        ImageFit fit;
        size_t want_h, want_w;
    } cases[] = {
        {1000, 500, {0, 0, 256}, 256, 128},   {3, 1000, {0, 0, 256}, 1, 256},  {50, 100, {20, 0, 256}, 20, 40},
        {100, 50, {300, 10, 256}, 256, 10},  {200, 100, {0, 0, 256}, 200, 100}, {5000, 9, {0, 0, 0}, 5000, 9},
        {7, 7, {2, 3, 0}, 2, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t h, w;
        image_fit_size(cases[i].h, cases[i].w, &cases[i].fit, &h, &w);
        cr_expect(h == cases[i].want_h && w == cases[i].want_w, "case %zu: %zux%zu, wanted %zux%zu", i, h, w,
                  cases[i].want_h, cases[i].want_w);
    }
}

/* The numbers before issue 16: the image decoded whole into floats, then
 * one stbir_resize per channel plane (box filter along a shrinking axis,
 * triangle along a growing one), rounded and clamped to 0..255. */
static Tensor decode_then_resize(Buffer b, size_t h, size_t w)
{
    Tensor in, out;
    Error err;
    cr_assert_eq(image_load_memory(b.data, b.size, "ref", &in, &err), CS_OK, "%s", err.message);
    cr_assert_eq(tensor_init(&out, 1, in.c, h, w, 3, &err), CS_OK);
    stbir_filter fx = w < in.w ? STBIR_FILTER_BOX : STBIR_FILTER_TRIANGLE;
    stbir_filter fy = h < in.h ? STBIR_FILTER_BOX : STBIR_FILTER_TRIANGLE;
    for (size_t p = 0; p < in.c; p++)
        cr_assert(stbir_resize(in.data + p * in.h * in.w, (int)in.w, (int)in.h, 0, out.data + p * h * w, (int)w,
                               (int)h, 0, STBIR_TYPE_FLOAT, 1, STBIR_ALPHA_CHANNEL_NONE, 0, STBIR_EDGE_CLAMP,
                               STBIR_EDGE_CLAMP, fx, fy, STBIR_COLORSPACE_LINEAR, NULL));
    for (size_t i = 0; i < tensor_count(&out); i++) {
        float v = roundf(out.data[i]);
        out.data[i] = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
    }
    tensor_free(&in);
    return out;
}

Test(image, a_fitted_load_gives_the_numbers_of_decode_then_resize)
{
    /* Noise (where rounding ties and float order would show) and the
     * pattern, 1 to 4 channels, sizes that shrink, grow, or do one of each,
     * by whole and odd factors; 300 rows cross several 16-row strips and end
     * in a partial one. */
    const struct {
        int h, w;
        size_t to_h, to_w;
    } cases[] = {{37, 53, 16, 16}, {37, 53, 7, 29}, {37, 53, 80, 100}, {37, 53, 10, 90},
                 {300, 200, 256, 171}, {300, 200, 30, 20}, {64, 64, 32, 32}, {5, 300, 9, 17}};
    Rng rng;
    rng_seed(&rng, 16);
    for (int channels = 1; channels <= 4; channels++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            for (int noisy = 0; noisy < 2; noisy++) {
                size_t n = (size_t)cases[i].w * (size_t)cases[i].h * (size_t)channels;
                unsigned char *px = pattern_pixels(cases[i].w, cases[i].h, channels);
                if (noisy)
                    for (size_t k = 0; k < n; k++)
                        px[k] = (unsigned char)(rng_next(&rng) >> 56);
                Buffer b = encode(FORMAT_PNG, cases[i].w, cases[i].h, channels, px);
                Tensor want = decode_then_resize(b, cases[i].to_h, cases[i].to_w);
                Tensor got = load_fitted(b, cases[i].to_h, cases[i].to_w);
                cr_assert(got.c == want.c && got.h == want.h && got.w == want.w);
                for (size_t k = 0; k < tensor_count(&got); k++)
                    if (got.data[k] != want.data[k])
                        cr_assert_fail("%d channels, %dx%d -> %zux%zu, %s: value %zu is %g, decode then resize "
                                       "gives %g", channels, cases[i].h, cases[i].w, cases[i].to_h,
                                       cases[i].to_w, noisy ? "noise" : "pattern", k, got.data[k], want.data[k]);
                tensor_free(&want);
                tensor_free(&got);
                free(b.data);
                free(px);
            }
}

Test(image, a_large_image_fitted_while_loading_stays_near_its_decoded_bytes, .timeout = 60)
{
#if defined(__SANITIZE_ADDRESS__)
    cr_skip_test("AddressSanitizer keeps freed memory in quarantine, so peak RSS says nothing here");
#endif
    /* A 2048x2048 RGBA PNG is 16.8 MB of pixels. Loading it as the window
     * does (fitted to 256x256) used to make it 67 MB of floats, and a copy:
     * over 84 MB. Now: stb's PNG decoding (its inflated rows and the pixels,
     * 2 x 16.8 MB) and the rows resampled across (8.4 MB) after it. */
    double mb, decoded = 2048.0 * 2048.0 * 4.0 / 1e6;
    Error err;
    cr_assert_eq(bench_image_peak_mb(2048, &mb, &err), CS_OK, "%s", err.message);
    cr_expect_lt(mb, 2.5 * decoded, "loading took %.1f MB for %.1f MB of pixels", mb, decoded);
}

/* A 4x1 palette PNG whose palette has two colours, red and green, and whose
 * pixels are indices 0, 1, 2 and 255: stb 2.27 looks 2 and 255 up in
 * uninitialised memory (a different picture each run); the loader grows the
 * palette to 256 entries first, so they come out black, every time. The
 * IDAT is a stored (uncompressed) zlib block; stb checks no CRC, so the
 * chunks carry zeros. */
Test(image, a_palette_index_past_the_palette_is_black_every_time)
{
    static const unsigned char png[] = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
        0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 4, 0, 0, 0, 1, 8, 3, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 6, 'P', 'L', 'T', 'E', 255, 0, 0, 0, 255, 0, 0, 0, 0, 0,
        0, 0, 0, 16, 'I', 'D', 'A', 'T',
        0x78, 0x01, 0x01, 5, 0, 0xfa, 0xff, 0, 0, 1, 2, 255, 0x01, 0x0b, 0x01, 0x03,
        0, 0, 0, 0,
        0, 0, 0, 0, 'I', 'E', 'N', 'D', 0, 0, 0, 0,
    };
    static const float want[3][4] = {{255, 0, 0, 0}, {0, 255, 0, 0}, {0, 0, 0, 0}};
    for (int run = 0; run < 2; run++) {
        Tensor t;
        Error err;
        cr_assert_eq(image_load_memory(png, sizeof png, "short-palette.png", &t, &err), CS_OK, "%s", err.message);
        cr_assert(t.c == 3 && t.h == 1 && t.w == 4, "shape %zux%zux%zu", t.c, t.h, t.w);
        for (int c = 0; c < 3; c++)
            for (int x = 0; x < 4; x++)
                cr_expect_eq(*tensor_at(&t, 0, (size_t)c, 0, (size_t)x), want[c][x], "run %d channel %d pixel %d",
                             run, c, x);
        tensor_free(&t);
    }
}
