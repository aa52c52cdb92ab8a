/* image.h: image files through stb_image (PNG, JPEG, BMP, GIF, TGA, PSD,
 * PNM, HDR/PIC as 8-bit), as tensors of 0-255 floats, one channel per image
 * channel: grey = 1, grey+alpha = 2, RGB = 3, RGBA = 4.
 *
 * The size is read with stbi_info first and checked against the caps before
 * any pixel is decoded, so a header claiming 100000x100000 costs nothing. */
#ifndef CONVSTEP_IMAGE_H
#define CONVSTEP_IMAGE_H

#include <stddef.h>

#include "tensor.h"

#define IMAGE_MAX_SIDE 16384                  /* pixels per side */
#define IMAGE_MAX_PIXELS ((size_t)1 << 26)    /* 64 Mpixel, 256 MiB as RGBA bytes */

/* Decodes the image file held in data (size bytes; name for messages) into
 * *out as 1 x C x H x W, rank 3. Errors name the file: is empty, not an
 * image stb_image reads (with stbi_failure_reason), "WxH, larger than the
 * limit", truncated (also raw PNM/TGA/HDR data that stb itself would pad
 * with garbage, and a PNG chunk claiming more bytes than the file has), or
 * a JPEG that uses a table it never defines (which stb would decode from
 * uninitialised memory). On failure *out is empty. */
Status image_load_memory(const unsigned char *data, size_t size, const char *name,
                         Tensor *out, Error *err);

/* Resamples in (1 x C x H x W) to out_h x out_w with an area-averaging
 * filter when shrinking (stb_image_resize), values rounded to whole 0-255
 * numbers so they read well on screen. */
Status image_resize(const Tensor *in, size_t out_h, size_t out_w, Tensor *out, Error *err);

#endif
