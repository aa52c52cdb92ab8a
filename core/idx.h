/* idx.h: the MNIST IDX format (LeCun's "IDX file format"), plain or gzipped,
 * as MNIST, Fashion-MNIST and Kuzushiji-MNIST ship their files.
 *
 * Layout (every number big-endian):
 *   0x00 0x00 TT RR          magic: two zero bytes, the item type, the rank
 *   uint32 dims[RR]          the size of each dimension, outermost first
 *   items                    prod(dims) items of type TT, C order
 * Item types: 0x08 unsigned byte (the only one read here); 0x09 signed
 * byte, 0x0B int16, 0x0C int32, 0x0D float32 and 0x0E float64 are refused
 * by name. A file starting with the gzip magic (1f 8b) is inflated (zlib,
 * concatenated members included) first.
 *
 * Refused with a message naming the file and what is wrong (CS_ERR_FORMAT
 * unless said otherwise): a bad magic, an unknown type, rank 0 or above
 * IDX_MAX_RANK, a zero dimension, a header or data cut short, bytes after
 * the data, a corrupt gzip stream; a product of dims that overflows or an
 * item count over IDX_MAX_BYTES (CS_ERR_LIMIT) is refused before anything
 * is allocated, and so is a gzipped file whose header claims more data than
 * deflate can give from its size (at most 1032 bytes per byte), so a small
 * file never costs the size it claims. */
#ifndef CONVSTEP_IDX_H
#define CONVSTEP_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define IDX_MAX_RANK 4
/* The largest item data read (after inflating): 1 GiB, twenty times
 * MNIST's 47 MB of training images. */
#define IDX_MAX_BYTES ((size_t)1 << 30)

#define IDX_TYPE_UBYTE 0x08

typedef struct IdxArray {
    int type;                       /* IDX_TYPE_UBYTE */
    size_t rank;                    /* 1..IDX_MAX_RANK */
    size_t dims[IDX_MAX_RANK];      /* dims[0..rank), outermost first */
    size_t count;                   /* prod(dims), items in data */
    uint8_t *data;                  /* owned; count items, C order */
} IdxArray;

/* Parses an in-memory IDX file (gzipped or not; name is for messages only)
 * into *out. On failure *out is empty (data NULL). */
Status idx_read_memory(const unsigned char *data, size_t size, const char *name, IdxArray *out, Error *err);

/* Reads path whole through filein_read (filein.h: "-" is standard input; a
 * file over IDX_MAX_BYTES plus its header is refused, CS_ERR_LIMIT), then
 * parses it with idx_read_memory, the path naming it in messages. */
Status idx_read(const char *path, IdxArray *out, Error *err);

/* Frees a's data and empties it. Safe on an empty or zeroed array. */
void idx_free(IdxArray *a);

#endif
