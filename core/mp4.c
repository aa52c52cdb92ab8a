/* mp4.c: is an MP4 file complete? (see mp4.h)
 *
 * Walks the top-level boxes from offset 0: at each, reads the 8-byte header
 * (and the 8-byte size when the 32-bit one is 1), checks that the box fits
 * in the file and moves to offset + size; notes ftyp (must be first), moov
 * and mdat. Reads only the headers, so a large video costs a few reads. */
#include "mp4.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

static uint64_t be32(const unsigned char *p)
{
    return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | (uint64_t)p[3];
}

static Status walk_boxes(FILE *f, uint64_t file_size, const char *name, Error *err)
{
    bool moov = false, mdat = false;
    uint64_t at = 0;
    while (at < file_size) {
        unsigned char head[16];
        uint64_t left = file_size - at;
        if (left < 8)
            return error_set(err, CS_ERR_FORMAT, "%s is not a complete MP4: %llu stray bytes at its end",
                             name, (unsigned long long)left);
        if (fseeko(f, (off_t)at, SEEK_SET) != 0 || fread(head, 1, 8, f) != 8)
            return error_set(err, CS_ERR_IO, "cannot read %s: %s", name, strerror(errno));
        char type[5];
        memcpy(type, head + 4, 4);
        type[4] = '\0';
        uint64_t size = be32(head), header = 8;
        if (size == 1) {
            if (left < 16 || fread(head + 8, 1, 8, f) != 8)
                return error_set(err, CS_ERR_FORMAT, "%s is not a complete MP4: its %s box is cut short",
                                 name, type);
            size = be32(head + 8) << 32 | be32(head + 12);
            header = 16;
        }
        if (at == 0 && strcmp(type, "ftyp") != 0)
            return error_set(err, CS_ERR_FORMAT, "%s is not an MP4: it does not start with an ftyp box", name);
        if (size == 0)
            return error_set(err, CS_ERR_FORMAT, "%s is not a complete MP4: the size of its %s box was "
                             "never written (the writer stopped)", name, type);
        if (size < header)
            return error_set(err, CS_ERR_FORMAT, "%s is not an MP4: its %s box has the impossible size %llu",
                             name, type, (unsigned long long)size);
        if (size > left)
            return error_set(err, CS_ERR_FORMAT, "%s is not a complete MP4: its %s box needs %llu bytes and "
                             "the file has %llu left", name, type, (unsigned long long)size,
                             (unsigned long long)left);
        moov = moov || strcmp(type, "moov") == 0;
        mdat = mdat || strcmp(type, "mdat") == 0;
        at += size;
    }
    if (file_size == 0)
        return error_set(err, CS_ERR_FORMAT, "%s is not an MP4: it is empty", name);
    if (!moov)
        return error_set(err, CS_ERR_FORMAT, "%s is not a complete MP4: it has no moov box", name);
    if (!mdat)
        return error_set(err, CS_ERR_FORMAT, "%s is not a complete MP4: it has no mdat box", name);
    return CS_OK;
}

Status mp4_check_complete(const char *path, const char *name, Error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return error_set(err, CS_ERR_IO, "cannot read %s: %s", name, strerror(errno));
    struct stat st;
    Status status;
    if (fstat(fileno(f), &st) != 0)
        status = error_set(err, CS_ERR_IO, "cannot read %s: %s", name, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        status = error_set(err, CS_ERR_IO, "cannot read %s: it is not a regular file", name);
    else
        status = walk_boxes(f, (uint64_t)st.st_size, name, err);
    fclose(f);
    return status;
}
