/* png_out.h: one ARGB8888 frame as a PNG file.
 *
 * Frames are opaque, so the file is 8-bit RGB (alpha dropped), or 8-bit
 * indexed colour when the frame has at most 256 colours (lossless either
 * way: the palette holds the frame's exact colours). The image data is one
 * zlib stream from ISA-L's deflate at level 1, without a PNG filter, in one
 * IDAT chunk; the file is written with one fwrite.
 * The bytes depend only on the pixels (and the ISA-L build running): no
 * time stamp or other chunk that changes between runs. */
#ifndef CONVSTEP_PNG_OUT_H
#define CONVSTEP_PNG_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* An encoder: the buffers of one frame, kept from frame to frame so that a
 * frame writer allocates them once. Use it from one thread at a time. */
typedef struct PngOut PngOut;

/* A new encoder in *out (CS_ERR_NOMEM when memory runs short). */
Status png_out_new(PngOut **out, Error *err);

/* Frees the encoder and its buffers (NULL is fine). */
void png_out_free(PngOut *png);

/* Writes pixels (w*h ARGB8888 values 0xAARRGGBB, row stride w) as a PNG to
 * stream through png's buffers; name is the file named in an error message.
 * Fails with CS_ERR_RANGE (an empty or oversized frame), CS_ERR_NOMEM, or
 * CS_ERR_IO with the reason (a full disk) when the write fails. */
Status png_out_encode(PngOut *png, FILE *stream, const uint32_t *pixels, int w, int h, const char *name,
                      Error *err);

/* The same through an encoder made and freed for this one frame. */
Status png_out_write(FILE *stream, const uint32_t *pixels, int w, int h, const char *name, Error *err);

#endif
