/* error.c: the error record (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

Status error_set(Error *err, Status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = status;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

const char *error_status_name(Status status)
{
    switch (status) {
    case CS_OK: return "ok";
    case CS_ERR_NOMEM: return "out of memory";
    case CS_ERR_IO: return "input/output error";
    case CS_ERR_FORMAT: return "bad file format";
    case CS_ERR_RANGE: return "value out of range";
    case CS_ERR_SHAPE: return "shape mismatch";
    case CS_ERR_SYNTAX: return "syntax error";
    case CS_ERR_LIMIT: return "input too large";
    }
    return "unknown error";
}
