/* filein.h: reading a file the user names (an INPUT, weights, a bias, a
 * layer spec, a file dropped on the window), opened once and read whole into
 * memory, so every decoder works from the bytes and a pipe can be an input.
 *
 * What can be read: a regular file; a FIFO or pipe (`<(cmd)`, /dev/stdin
 * fed by a pipe); a character device such as /dev/null; "-", standard input
 * (called "stdin" in messages), whatever it is. Refused: a directory, a
 * terminal (nothing would end the read until the user typed Ctrl-D), and
 * anything else (block devices, sockets by path).
 *
 * Pipes never hang on a missing writer: the file is opened without
 * blocking (open(2) of a FIFO would otherwise wait for a writer forever).
 * When no writer is connected yet, the read waits up to FILEIN_WAIT_MS for
 * one and then refuses the pipe. Once a writer is connected, the stream is
 * read to its end however long the writer takes, as cat(1) reads it. */
#ifndef CONVSTEP_FILEIN_H
#define CONVSTEP_FILEIN_H

#include <stddef.h>

#include "error.h"

#define FILEIN_WAIT_MS 2000   /* how long a pipe with no writer is waited for */

/* Reads path ("-" for standard input) into a new buffer: on CS_OK *bytes
 * holds *size bytes and one more, a '\0' (so a text reads as a C string);
 * the caller frees it with free(). An empty file is not an error here
 * (*size 0); the decoders name it. The cap max_bytes is applied while
 * reading (for a regular file from its size, before reading): more is
 * refused with CS_ERR_LIMIT naming the file and the cap. Other failures,
 * each naming the file: CS_ERR_IO for "cannot read FILE: why" (strerror),
 * a directory, a terminal, not a regular file or a pipe, a pipe with no
 * writer after FILEIN_WAIT_MS; CS_ERR_NOMEM. On failure *bytes is NULL and
 * *size 0. */
Status filein_read(const char *path, size_t max_bytes, unsigned char **bytes, size_t *size, Error *err);

/* The name filein_read uses for path in messages: "stdin" for "-", else
 * path itself. */
const char *filein_name(const char *path);

#endif
