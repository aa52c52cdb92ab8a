/* png_out.h: one ARGB8888 frame as a PNG file, through libpng.
 *
 * Frames are opaque, so the file is 8-bit RGB (alpha dropped). Compression
 * is tuned for speed on interface pictures (zlib level 1, no filter), whose
 * flat areas and repeated glyphs compress well even so.
 * The bytes depend only on the pixels: no time stamp or other chunk that
 * changes between runs. */
#ifndef CONVSTEP_PNG_OUT_H
#define CONVSTEP_PNG_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* Writes pixels (w*h ARGB8888 values 0xAARRGGBB, row stride w) as a PNG to
 * stream; name is the file named in an error message. Write errors on the
 * stream are left in its error flag for the caller's commit (fileout) to
 * report; encoder failures return CS_ERR_IO or CS_ERR_NOMEM. */
Status png_out_write(FILE *stream, const uint32_t *pixels, int w, int h, const char *name, Error *err);

/* The same from w*h R, G, B bytes (row stride 3w), as png_out_rgb makes
 * them (the export's frame writers convert while handing a frame over,
 * instead of copying it). */
Status png_out_write_rgb(FILE *stream, const unsigned char *rgb, int w, int h, const char *name, Error *err);

/* n ARGB8888 values as 3n bytes R, G, B into rgb, which must have room for
 * 3n + 1 bytes (the conversion stores 4 bytes at a time). */
void png_out_rgb(const uint32_t *pixels, size_t n, unsigned char *rgb);

#endif
