/* npz.h: NumPy's .npz format (numpy.savez, stored, and
 * numpy.savez_compressed, deflated), read into a WeightsFile (weights.h).
 *
 * An .npz is a zip whose members are NAME.npy files; tensor NAME is the
 * member's name without ".npy". The zip is read with libzip from memory
 * (no hand-written inflater); each member is parsed by npy_read_memory
 * (npy.h: every real dtype, converted to float32), except that a rank-0
 * array (num_batches_tracked) is accepted here as a 1-element tensor of
 * rank 0.
 *
 * Before any member is decompressed, every member's name and claimed sizes
 * are checked: a member not named *.npy is refused, as is one compressed
 * other than stored or deflated, one whose claimed size its compressed
 * bytes cannot give (stored: the sizes differ; deflated: more than 1032 to
 * 1; either: more compressed bytes than the file has), one whose
 * uncompressed size, or the total of all of them, is over WEIGHTS_MAX_BYTES
 * (a zip bomb), and more than WEIGHTS_MAX_TENSORS members. A member that
 * inflates to more or fewer bytes than it claims, or fails its CRC, is
 * refused. Messages read "FILE: member 'NAME.npy': ...". */
#ifndef CONVSTEP_NPZ_H
#define CONVSTEP_NPZ_H

#include "weights.h"

/* Sniffs a zip: "PK\3\4", or "PK\5\6" (an empty archive). */
extern const WeightsFormat npz_format;

#endif
