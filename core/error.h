/* error.h: status codes and the one error record every core call fills.
 *
 * Core never prints and never exits. A failing call returns a Status other
 * than CS_OK and, when given a non-NULL Error, writes one human sentence that
 * names the file, value or position at fault (without a "convstep:" prefix;
 * the command line adds that). */
#ifndef CONVSTEP_ERROR_H
#define CONVSTEP_ERROR_H

#include <stddef.h>

typedef enum Status {
    CS_OK = 0,
    CS_ERR_NOMEM,       /* allocation failed or a size would overflow */
    CS_ERR_IO,          /* a file could not be opened, read or written */
    CS_ERR_FORMAT,      /* a file's contents are malformed or unsupported */
    CS_ERR_RANGE,       /* a value is out of its allowed range (stride 0, ...) */
    CS_ERR_SHAPE,       /* tensor shapes do not fit together */
    CS_ERR_SYNTAX,      /* a layer spec or option text does not parse */
    CS_ERR_LIMIT        /* an input is larger than the configured caps */
} Status;

typedef struct Error {
    Status status;
    char message[320];
} Error;

/* Records status and a printf-style message in err (if err is not NULL) and
 * returns status, so callers can write `return error_set(err, ...)`. */
Status error_set(Error *err, Status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A short fixed name for a status ("out of memory", "syntax error", ...). */
const char *error_status_name(Status status);

#endif
