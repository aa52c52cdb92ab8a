/* mp4.h: checking that an MP4 file (ISO base media format) is complete.
 *
 * The file is a sequence of top-level boxes, each a 4-byte big-endian size
 * (counting its own header), a 4-byte type and, when the size is 1, an
 * 8-byte size. A writer that stopped part way (a full disk: ffmpeg 5.1 then
 * prints "Error writing trailer" and still exits 0) leaves a box that runs
 * past the end of the file, an mdat whose size was never filled in (0), or
 * no moov box (the index without which no player opens the file). */
#ifndef CONVSTEP_MP4_H
#define CONVSTEP_MP4_H

#include "error.h"

/* Returns CS_OK when path is a complete MP4: it starts with an ftyp box,
 * holds a moov and an mdat box, no box has size 0 ("up to the end of the
 * file", which a finished writer never leaves) or less than its header, and
 * the boxes end exactly at the end of the file. Otherwise CS_ERR_FORMAT
 * saying what is wrong, or CS_ERR_IO when path cannot be read. Messages name
 * name (the file the user asked for), not path (e.g. its temporary file). */
Status mp4_check_complete(const char *path, const char *name, Error *err);

#endif
