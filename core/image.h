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

/* How a loaded image is resampled; zero fields mean "not at all". */
typedef struct ImageFit {
    size_t h, w;        /* resample to h x w (--fit); w 0 keeps the aspect ratio,
                           w = round(h * W / H); w is read only with h */
    size_t max_side;    /* without h: an image with a side over max_side shrinks,
                           aspect kept, until its longer side is max_side; with
                           h: each side is clamped to max_side. 0: no limit */
} ImageFit;

/* The size an h x w image gets under fit (each side at least 1). */
void image_fit_size(size_t h, size_t w, const ImageFit *fit, size_t *out_h, size_t *out_w);

/* image_load_memory, resampled to image_fit_size's size (fit NULL, or a
 * size equal to the file's: not resampled) with an area-averaging (box)
 * filter along an axis that shrinks and a bilinear one along an axis that
 * grows, edges clamped, each value rounded to a whole 0-255 number so it
 * reads well on screen. The numbers are those of stb_image_resize run on
 * each whole channel as floats, but the resampling reads stb's 8-bit pixels
 * directly, so the image is never held as floats: an 8192x8192 RGBA PNG
 * fitted to 256x256 needs its 256 MiB of pixels (and stb's own decoding
 * buffers) and 33 MiB more, not 1 GiB of floats and a copy. The size in the
 * file goes to *file_h, *file_w (either may be NULL). A fit side over
 * IMAGE_MAX_SIDE is refused with CS_ERR_RANGE. */
Status image_load_memory_fit(const unsigned char *data, size_t size, const char *name, const ImageFit *fit,
                             Tensor *out, size_t *file_h, size_t *file_w, Error *err);

#endif
