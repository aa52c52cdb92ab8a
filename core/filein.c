/* filein.c: a user's file read whole into memory through one open (see
 * filein.h).
 *
 * open(O_NONBLOCK) returns at once even for a FIFO with no writer; the flag
 * is then cleared, so read(2) blocks while a writer is connected and returns
 * 0 (end of file) when none is. An empty first read of a FIFO is therefore
 * either a writer that wrote nothing and left, or no writer yet: poll(2)
 * waits (bounded) for a writer to write or hang up, and the read goes on. */
#include "filein.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILEIN_FIRST_CHUNK ((size_t)1 << 16)   /* first buffer for a stream of unknown size */

const char *filein_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "stdin" : path;
}

/* Refuses what is not a regular file, a pipe or a character device other
 * than a terminal. */
static Status check_kind(int fd, const struct stat *sb, const char *name, Error *err)
{
    if (S_ISDIR(sb->st_mode))
        return error_set(err, CS_ERR_IO, "%s is a directory", name);
    if (S_ISCHR(sb->st_mode) && isatty(fd))
        return error_set(err, CS_ERR_IO, "%s is a terminal; give a file or pipe one in", name);
    if (!S_ISREG(sb->st_mode) && !S_ISFIFO(sb->st_mode) && !S_ISCHR(sb->st_mode))
        return error_set(err, CS_ERR_IO, "%s is not a regular file or a pipe", name);
    return CS_OK;
}

/* Waits up to FILEIN_WAIT_MS for a pipe's writer to write or hang up. */
static Status wait_for_writer(int fd, const char *name, Error *err)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n;
    while ((n = poll(&p, 1, FILEIN_WAIT_MS)) < 0 && errno == EINTR)
        continue;
    if (n < 0)
        return error_set(err, CS_ERR_IO, "cannot read %s: %s", name, strerror(errno));
    if (n == 0)
        return error_set(err, CS_ERR_IO, "%s is a pipe with no writer (waited %g s for one)", name,
                         FILEIN_WAIT_MS / 1000.0);
    return CS_OK;
}

/* Reads fd to its end into *buf (capacity *cap, grown by doubling), at most
 * max_bytes. */
static Status read_all(int fd, bool fifo, size_t max_bytes, unsigned char **buf, size_t *cap, size_t *len,
                       const char *name, Error *err)
{
    bool waited = false;
    for (;;) {
        if (*len == *cap) {
            if (*cap > max_bytes)
                return error_set(err, CS_ERR_LIMIT, "%s is larger than %zu bytes, the limit", name, max_bytes);
            size_t grown = *cap > max_bytes / 2 ? max_bytes + 1 : *cap * 2;
            unsigned char *more = realloc(*buf, grown + 1);
            if (!more)
                return error_set(err, CS_ERR_NOMEM, "%s: out of memory after %zu bytes", name, *len);
            *buf = more;
            *cap = grown;
        }
        ssize_t n = read(fd, *buf + *len, *cap - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return error_set(err, CS_ERR_IO, "cannot read %s: %s", name, strerror(errno));
        if (n == 0 && fifo && *len == 0 && !waited) {
            Status st = wait_for_writer(fd, name, err);
            if (st != CS_OK)
                return st;
            waited = true;
            continue;
        }
        if (n == 0)
            break;
        *len += (size_t)n;
    }
    if (*len > max_bytes)
        return error_set(err, CS_ERR_LIMIT, "%s is larger than %zu bytes, the limit", name, max_bytes);
    return CS_OK;
}

Status filein_read(const char *path, size_t max_bytes, unsigned char **bytes, size_t *size, Error *err)
{
    const char *name = filein_name(path);
    bool is_stdin = strcmp(path, "-") == 0;
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0;
    struct stat sb;
    Status st = CS_OK;

    *bytes = NULL;
    *size = 0;
    /* O_NOCTTY: a terminal named here must not become the controlling one */
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return error_set(err, CS_ERR_IO, "cannot read %s: %s", name, strerror(errno));
    if (fstat(fd, &sb) != 0) {
        st = error_set(err, CS_ERR_IO, "cannot read %s: %s", name, strerror(errno));
        goto done;
    }
    if ((st = check_kind(fd, &sb, name, err)) != CS_OK)
        goto done;
    if (S_ISREG(sb.st_mode) && (uintmax_t)sb.st_size > max_bytes) {
        st = error_set(err, CS_ERR_LIMIT, "%s is larger than %zu bytes, the limit", name, max_bytes);
        goto done;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || ((flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)) {
        st = error_set(err, CS_ERR_IO, "cannot read %s: %s", name, strerror(errno));
        goto done;
    }
    /* A regular file's buffer is its size and one byte more, so reading
     * through to the end needs no copy; a stream's grows as it comes. */
    cap = S_ISREG(sb.st_mode) ? (size_t)sb.st_size + 1 : FILEIN_FIRST_CHUNK;
    if (cap > max_bytes + 1)
        cap = max_bytes + 1;
    if (!(buf = malloc(cap + 1))) {
        st = error_set(err, CS_ERR_NOMEM, "%s: cannot allocate %zu bytes", name, cap + 1);
        goto done;
    }
    if ((st = read_all(fd, S_ISFIFO(sb.st_mode), max_bytes, &buf, &cap, &len, name, err)) != CS_OK)
        goto done;
    buf[len] = '\0';
    *bytes = buf;
    *size = len;
    buf = NULL;
done:
    free(buf);
    if (!is_stdin)
        close(fd);
    return st;
}
