/* input.h: loading an INPUT as the command line and the window name it
 * (DESIGN.md): a .npy array or an image file. */
#ifndef CONVSTEP_INPUT_H
#define CONVSTEP_INPUT_H

#include "tensor.h"

/* Loads path into *out. A file that starts with the .npy magic bytes
 * (whatever its extension) is read with npy_read and must be shaped (C,H,W)
 * or (1,C,H,W); (H,W) is taken as one channel. The tensor keeps the file's
 * rank (so an output can be written with the same rank) and has n = 1. A
 * rank-1 array or a rank-4 array holding more than one image is refused
 * with CS_ERR_SHAPE naming the file and its shape, and so is an array that
 * looks like (H, W, 3) or (H, W, 4) pixels (last dimension 3 or 4 and more
 * than 4 "channels"; what numpy.asarray(PIL.Image.open(f)) gives), with the
 * transpose(2, 0, 1) that fixes it. Any other file is read
 * with image_load (rank 3, values 0-255). Errors name the file; on failure
 * *out is empty. */
Status input_load(const char *path, Tensor *out, Error *err);

#endif
