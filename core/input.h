/* input.h: loading an INPUT as the command line and the window name it
 * (DESIGN.md): a .npy array or an image file. */
#ifndef CONVSTEP_INPUT_H
#define CONVSTEP_INPUT_H

#include <stdbool.h>

#include "image.h"
#include "npy.h"
#include "tensor.h"

/* The largest INPUT file read, .npy or image: the .npy cap. */
#define INPUT_MAX_BYTES NPY_MAX_FILE_BYTES

/* What input_load found. */
typedef struct InputInfo {
    bool image;                 /* an image file (else a .npy array) */
    size_t file_h, file_w;      /* the size in the file, before any resampling */
} InputInfo;

/* Loads path ("-" for standard input) into *out. The file is opened once
 * and read whole (filein.h: a pipe is read as a stream, more than
 * INPUT_MAX_BYTES is refused). Bytes that start with the .npy magic
 * (whatever the extension) are parsed as .npy and must be shaped (C,H,W) or
 * (1,C,H,W); (H,W) is taken as one channel. The tensor keeps the file's
 * rank (so an output can be written with the same rank) and has n = 1. A
 * rank-1 array or a rank-4 array holding more than one image is refused
 * with CS_ERR_SHAPE naming the file and its shape, and so is an array that
 * looks like (H, W, 3) or (H, W, 4) pixels (last dimension 3 or 4 and more
 * than 4 "channels"; what numpy.asarray(PIL.Image.open(f)) gives), with the
 * transpose(2, 0, 1) that fixes it. Other bytes are decoded
 * as an image (rank 3, values 0-255) and resampled as fit says while they
 * are converted (image_load_memory_fit; fit NULL: as in the file); fit does
 * not apply to a .npy array, which comes as it is. info (may be NULL) says
 * which it was and its size in the file. Errors name the file; on failure
 * *out is empty. */
Status input_load(const char *path, const ImageFit *fit, Tensor *out, InputInfo *info, Error *err);

#endif
