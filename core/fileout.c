/* fileout.c: atomic output files (see fileout.h).
 *
 * open:   refuse a final name that is a directory or not a regular file (a
 *         device such as /dev/full cannot be replaced by a rename), or that
 *         exists when overwrite is off; create "NAME.tmp-PID-N" with O_EXCL,
 *         trying N = 0, 1, ... until a name is free.
 * commit: ferror, fflush, fsync, fclose (each may report a full disk), then
 *         link (no overwrite: fails if the name appeared meanwhile) or rename
 *         (overwrite) the temporary file onto the final name, and fsync the
 *         folder so the new name is durable (fileout_commit_unsynced_name
 *         leaves that to its caller, once for many files). Any failure
 *         unlinks the temporary file. */
#include "fileout.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILEOUT_MAX_TRIES 1000

static void fileout_clear(FileOut *fo)
{
    fo->stream = NULL;
    fo->temp_path[0] = '\0';
}

/* The folder part of path ("." when there is none) into buf. */
static void folder_of(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(buf, size, ".");
    } else if (slash == path) {
        snprintf(buf, size, "/");
    } else {
        snprintf(buf, size, "%.*s", (int)(slash - path), path);
    }
}

/* Checks final_path: a regular file may be replaced (when overwrite), a
 * missing one is fine, anything else is refused. */
static Status check_final(const char *path, bool overwrite, Error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return CS_OK;
        if (errno == ENOTDIR)
            return error_set(err, CS_ERR_IO, "cannot write %s: a part of its folder path is not a folder",
                             path);
        return error_set(err, CS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return error_set(err, CS_ERR_IO, "cannot write %s: it is a directory", path);
    if (!S_ISREG(st.st_mode))
        return error_set(err, CS_ERR_IO, "cannot write %s: it exists and is not a regular file", path);
    if (!overwrite)
        return error_set(err, CS_ERR_IO, "%s already exists", path);
    return CS_OK;
}

Status fileout_open(FileOut *fo, const char *final_path, bool overwrite, Error *err)
{
    memset(fo, 0, sizeof *fo);
    fo->overwrite = overwrite;
    if (!final_path || !final_path[0])
        return error_set(err, CS_ERR_IO, "the output file name is empty");
    size_t len = strlen(final_path);
    if (len >= sizeof fo->final_path - 32)
        return error_set(err, CS_ERR_IO, "the output file name is too long (%zu bytes)", len);
    if (final_path[len - 1] == '/')
        return error_set(err, CS_ERR_IO, "cannot write %s: it names a folder, not a file", final_path);
    Status st = check_final(final_path, overwrite, err);
    if (st != CS_OK)
        return st;
    memcpy(fo->final_path, final_path, len + 1);

    for (int n = 0; n < FILEOUT_MAX_TRIES; n++) {
        snprintf(fo->temp_path, sizeof fo->temp_path, "%s.tmp-%ld-%d", final_path, (long)getpid(), n);
        int fd = open(fo->temp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0) {
            int e = errno;
            char folder[4096];
            fileout_clear(fo);
            folder_of(final_path, folder, sizeof folder);
            if (e == ENOENT)
                return error_set(err, CS_ERR_IO, "cannot write %s: folder %s does not exist", final_path, folder);
            if (e == ENOTDIR)
                return error_set(err, CS_ERR_IO, "cannot write %s: a part of its folder path is not a folder",
                                 final_path);
            return error_set(err, CS_ERR_IO, "cannot write %s: cannot create a file in %s: %s",
                             final_path, folder, strerror(e));
        }
        fo->stream = fdopen(fd, "wb");
        if (!fo->stream) {
            int e = errno;
            close(fd);
            unlink(fo->temp_path);
            fileout_clear(fo);
            return error_set(err, CS_ERR_IO, "cannot write %s: %s", final_path, strerror(e));
        }
        return CS_OK;
    }
    fileout_clear(fo);
    return error_set(err, CS_ERR_IO, "cannot write %s: no free temporary name beside it", final_path);
}

/* Makes a finished rename durable; a folder that cannot be synced (some file
 * systems refuse) does not make the file itself wrong, so errors are ignored. */
void fileout_sync_folder(const char *path)
{
    char folder[4096];
    folder_of(path, folder, sizeof folder);
    int fd = open(folder, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Puts the finished temporary file in place; errno is set on failure. */
static int place_file(const FileOut *fo)
{
    if (fo->overwrite)
        return rename(fo->temp_path, fo->final_path);
    if (link(fo->temp_path, fo->final_path) == 0) {
        unlink(fo->temp_path);
        return 0;
    }
    if (errno == EEXIST)
        return -1;
    /* A file system without hard links: check once more and rename. */
    struct stat st;
    if (stat(fo->final_path, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(fo->temp_path, fo->final_path);
}

Status fileout_commit_unsynced_name(FileOut *fo, Error *err)
{
    if (!fo->stream)
        return error_set(err, CS_ERR_IO, "cannot write %s: the file is not open", fo->final_path);
    FILE *f = fo->stream;
    fo->stream = NULL;
    /* A write that failed earlier left the error flag; flushing again
     * usually fails the same way and tells why (ENOSPC on a full disk). */
    int bad = ferror(f);
    int e = EIO;
    if (fflush(f) != 0) {
        bad = 1;
        e = errno;
    }
    if (!bad && fsync(fileno(f)) != 0 && errno != EINVAL && errno != EROFS) {
        bad = 1;
        e = errno;
    }
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        fileout_abort(fo);
        return error_set(err, CS_ERR_IO, "cannot write %s: %s", fo->final_path, strerror(e));
    }
    if (place_file(fo) != 0) {
        e = errno;
        fileout_abort(fo);
        if (e == EEXIST)
            return error_set(err, CS_ERR_IO, "%s already exists", fo->final_path);
        return error_set(err, CS_ERR_IO, "cannot write %s: %s", fo->final_path, strerror(e));
    }
    fo->temp_path[0] = '\0';
    return CS_OK;
}

Status fileout_commit(FileOut *fo, Error *err)
{
    Status st = fileout_commit_unsynced_name(fo, err);
    if (st == CS_OK)
        fileout_sync_folder(fo->final_path);
    return st;
}

void fileout_abort(FileOut *fo)
{
    if (fo->stream)
        fclose(fo->stream);
    if (fo->temp_path[0])
        unlink(fo->temp_path);
    fileout_clear(fo);
}

const char *fileout_temp_path(const FileOut *fo)
{
    return fo->temp_path;
}
