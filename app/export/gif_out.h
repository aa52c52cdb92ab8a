/* gif_out.h: an animated, looping GIF of ARGB8888 frames, through giflib.
 *
 * Each frame gets its own 256-colour palette. When a frame has at most 256
 * colours they are all exact. Otherwise the most frequent colours (the flat
 * interface colours: backgrounds, panels, cell fills, text) are kept exact
 * and the rest (photographs, anti-aliased edges) are quantised by a weighted
 * median cut, every pixel then taking its nearest palette colour. Only the
 * rectangle that changed since the previous frame is encoded, and in it only
 * the changed pixels are quantised: the others are transparent, so the
 * previous frame shows through (disposal "do not dispose"). The file loops
 * forever (NETSCAPE2.0 extension). The bytes depend only on the frames and
 * the frame rate. */
#ifndef CONVSTEP_GIF_OUT_H
#define CONVSTEP_GIF_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* Highest frame rate a GIF can honour: delays are whole hundredths of a
 * second and viewers slow down delays under 2/100 s. */
#define GIF_OUT_MAX_FPS 50

typedef struct GifOut GifOut;

/* Starts a GIF of w x h frames on stream (borrowed; the caller closes it),
 * shown at fps frames per second (1..GIF_OUT_MAX_FPS); name is the file
 * named in error messages. Writes the header and the loop extension. */
Status gif_out_open(GifOut **out, FILE *stream, int w, int h, int fps, const char *name, Error *err);

/* Appends one frame: w*h ARGB8888 values 0xAARRGGBB, row stride w. */
Status gif_out_add(GifOut *g, const uint32_t *pixels, Error *err);

/* Writes the trailer and frees g (also after a failed add, to clean up:
 * the caller then discards the file). NULL is fine. */
Status gif_out_close(GifOut *g, Error *err);

/* The palette a frame of n pixels would get, and each pixel's index in it:
 * palette receives *count <= 256 colours 0x00RRGGBB, indices n bytes.
 * This is the quantiser gif_out_add uses, for tests. */
Status gif_out_quantize(const uint32_t *pixels, size_t n, uint32_t *palette, int *count,
                        uint8_t *indices, Error *err);

#endif
