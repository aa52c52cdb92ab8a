/* npy.h: NumPy's .npy format, versions 1.0, 2.0 and 3.0.
 *
 * Reading accepts every real dtype NumPy writes: b1, i1, u1, i2, u2, i4, u4,
 * i8, u8, f2, f4, f8 (and f16 long double is refused), little- or big-endian
 * ('<', '>', '|', '='), C order, rank 1 to 4, and converts to float32.
 * Refused with CS_ERR_FORMAT and a message naming the file and the problem:
 * bad magic, bad or truncated header, complex ('c') or object ('O') or
 * string dtypes, fortran_order True, rank 0 or above 4, a zero dimension,
 * data shorter than the shape says. Shapes whose element count exceeds
 * NPY_MAX_ELEMENTS are refused with CS_ERR_LIMIT before any allocation. */
#ifndef CONVSTEP_NPY_H
#define CONVSTEP_NPY_H

#include <stddef.h>
#include <stdio.h>

#include "tensor.h"

#define NPY_MAX_ELEMENTS ((size_t)1 << 28)  /* 1 GiB of float32 */
/* The largest .npy file read: NPY_MAX_ELEMENTS 8-byte items and 1 MiB for
 * the header. */
#define NPY_MAX_FILE_BYTES (NPY_MAX_ELEMENTS * 8 + ((size_t)1 << 20))

/* Reads path into *out (rank from the file, shape right-aligned): the file
 * is read whole through filein_read (filein.h: "-" is standard input, a pipe
 * is read as a stream, a file over NPY_MAX_FILE_BYTES is refused with
 * CS_ERR_LIMIT), then parsed by npy_read_memory. */
Status npy_read(const char *path, Tensor *out, Error *err);

/* Parses an in-memory .npy image (name is used in messages only). */
Status npy_read_memory(const unsigned char *data, size_t size, const char *name,
                       Tensor *out, Error *err);

/* Writes t as little-endian float32, version 1.0, C order, with t->rank
 * dimensions, to the open stream f (name for messages). Returns CS_ERR_IO if
 * a write fails (e.g. a full disk). The caller owns atomicity (fileout.h). */
Status npy_write_stream(FILE *f, const char *name, const Tensor *t, Error *err);

#endif
