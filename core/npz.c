/* npz.c: the .npz reader (see npz.h), libzip over the bytes in memory,
 * npy.c for each member. */
#include "npz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "npy.h"

#define NPZ_SUFFIX ".npy"
#define NPZ_SUFFIX_LEN 4
/* Deflate's best case is 258 bytes from one 2-bit code after the first
 * literal: a little under 1032 to 1 (zlib's technical notes). */
#define DEFLATE_MAX_RATIO 1032

typedef struct NpzMember {
    zip_uint64_t index;
    char *name;                 /* owned; without ".npy" */
    size_t size;                /* uncompressed, as the zip claims */
    zip_stat_t stat;            /* its name valid while the archive is open */
} NpzMember;

static void members_free(NpzMember *m, size_t count)
{
    for (size_t i = 0; m && i < count; i++)
        free(m[i].name);
    free(m);
}

/* "FILE: member 'NAME.npy'" for messages (npy.c's messages start with it). */
static void member_label(char *buf, size_t size, const char *file, const char *raw)
{
    char shown[96];
    snprintf(buf, size, "%s: member '%s'", file, weights_printable(raw, shown, sizeof shown));
}

/* ---- rank 0 --------------------------------------------------------- */

/* npy.c takes rank 1 to 4. A rank-0 array (shape "()") is read by handing
 * it a copy whose header says "(1,)" instead; *scalar tells the caller. */
static Status read_npy(const unsigned char *data, size_t size, const char *label, Tensor *t, bool *scalar,
                       Error *err)
{
    *scalar = false;
    if (size >= 10 && memcmp(data, "\x93NUMPY", 6) == 0 && data[6] >= 1 && data[6] <= 3) {
        size_t start = data[6] == 1 ? 10 : 12;
        size_t len = size < start ? 0
                   : data[6] == 1 ? (size_t)data[8] | (size_t)data[9] << 8
                                  : (size_t)data[8] | (size_t)data[9] << 8 | (size_t)data[10] << 16 |
                                        (size_t)data[11] << 24;
        size_t room = start == 10 ? 0xffff : 0xffffffff;    /* what the length field holds */
        if (size >= start && len <= size - start && len + 2 <= room) {
            const unsigned char *h = data + start, *open = NULL;
            for (size_t i = 0; i + 1 < len && !open; i++) {
                if (h[i] == '(' && h[i + 1] == ')') {
                    size_t k = i;
                    while (k > 0 && h[k - 1] == ' ')
                        k--;
                    if (k > 0 && h[k - 1] == ':')
                        open = h + i;
                }
            }
            if (open) {
                unsigned char *copy = malloc(size + 2);
                if (!copy)
                    return error_set(err, CS_ERR_NOMEM, "%s: cannot allocate a copy of the member", label);
                size_t at = (size_t)(open - data), newlen = len + 2;
                memcpy(copy, data, at);
                memcpy(copy + at, "(1,)", 4);
                memcpy(copy + at + 4, open + 2, size - at - 2);
                copy[8] = (unsigned char)newlen;
                copy[9] = (unsigned char)(newlen >> 8);
                if (start == 12) {
                    copy[10] = (unsigned char)(newlen >> 16);
                    copy[11] = (unsigned char)(newlen >> 24);
                }
                Status st = npy_read_memory(copy, size + 2, label, t, err);
                free(copy);
                *scalar = st == CS_OK;
                return st;
            }
        }
    }
    return npy_read_memory(data, size, label, t, err);
}

/* ---- the members ---------------------------------------------------- */

/* A member's claimed sizes must be possible for its bytes in the file:
 * stored, the sizes agree; deflated, no stream inflates more than
 * DEFLATE_MAX_RATIO to 1. Why: the claim decides an allocation, and a
 * 300-byte zip must not make convstep allocate 2 GiB before finding out. */
static Status check_claim(const zip_stat_t *zs, size_t file_size, const char *label, Error *err)
{
    if (!(zs->valid & ZIP_STAT_COMP_SIZE) || !(zs->valid & ZIP_STAT_COMP_METHOD))
        return error_set(err, CS_ERR_FORMAT, "%s: the zip entry gives no compressed size or method", label);
    if (zs->comp_size > file_size)
        return error_set(err, CS_ERR_FORMAT, "%s claims %ju compressed bytes, more than the file holds", label,
                         (uintmax_t)zs->comp_size);
    if (zs->comp_method == ZIP_CM_STORE) {
        if (zs->size != zs->comp_size)
            return error_set(err, CS_ERR_FORMAT, "%s is stored (not compressed) but claims %ju bytes in %ju",
                             label, (uintmax_t)zs->size, (uintmax_t)zs->comp_size);
    } else if (zs->comp_method == ZIP_CM_DEFLATE) {
        if (zs->size / DEFLATE_MAX_RATIO > zs->comp_size)
            return error_set(err, CS_ERR_FORMAT,
                             "%s claims %ju bytes from %ju deflated ones, more than deflate can give (a zip bomb?)",
                             label, (uintmax_t)zs->size, (uintmax_t)zs->comp_size);
    } else {
        return error_set(err, CS_ERR_FORMAT,
                         "%s uses zip compression method %u; numpy.savez stores and savez_compressed deflates",
                         label, (unsigned)zs->comp_method);
    }
    return CS_OK;
}

/* Lists every member with its name and claimed size, checking the names,
 * the claims and the caps before anything is decompressed. */
static Status list_members(zip_t *za, size_t size, const char *file, NpzMember **out, size_t *count, Error *err)
{
    char label[400];
    *out = NULL;
    *count = 0;
    zip_int64_t n = zip_get_num_entries(za, 0);
    if (n < 0)
        return error_set(err, CS_ERR_FORMAT, "%s: cannot list the .npz members", file);
    if ((zip_uint64_t)n > WEIGHTS_MAX_TENSORS)
        return error_set(err, CS_ERR_LIMIT, "%s: %jd members, more than the %zu allowed", file, (intmax_t)n,
                         WEIGHTS_MAX_TENSORS);
    NpzMember *m = calloc(n ? (size_t)n : 1, sizeof *m);
    if (!m)
        return error_set(err, CS_ERR_NOMEM, "%s: cannot allocate the list of %jd members", file, (intmax_t)n);
    size_t total = 0;
    Status st = CS_OK;
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t zs;
        zip_stat_init(&zs);
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &zs) != 0 || !(zs.valid & ZIP_STAT_NAME) ||
            !(zs.valid & ZIP_STAT_SIZE)) {
            st = error_set(err, CS_ERR_FORMAT, "%s: cannot read the zip entry of member %jd: %s", file, (intmax_t)i,
                           zip_strerror(za));
            goto fail;
        }
        member_label(label, sizeof label, file, zs.name);
        size_t len = strlen(zs.name);
        if (len < NPZ_SUFFIX_LEN || strcmp(zs.name + len - NPZ_SUFFIX_LEN, NPZ_SUFFIX) != 0) {
            st = error_set(err, CS_ERR_FORMAT, "%s is not a .npy array (an .npz holds only NAME.npy members)", label);
            goto fail;
        }
        if (zs.size > WEIGHTS_MAX_BYTES) {
            st = error_set(err, CS_ERR_LIMIT, "%s claims %ju bytes uncompressed, more than the %zu allowed", label,
                           (uintmax_t)zs.size, WEIGHTS_MAX_BYTES);
            goto fail;
        }
        if (zs.size > WEIGHTS_MAX_BYTES - total) {
            st = error_set(err, CS_ERR_LIMIT, "%s: the members claim more than %zu bytes uncompressed in all", file,
                           WEIGHTS_MAX_BYTES);
            goto fail;
        }
        total += (size_t)zs.size;
        m[i].index = (zip_uint64_t)i;
        m[i].size = (size_t)zs.size;
        m[i].stat = zs;
        m[i].name = malloc(len - NPZ_SUFFIX_LEN + 1);
        if (!m[i].name) {
            st = error_set(err, CS_ERR_NOMEM, "%s: cannot allocate a name", label);
            goto fail;
        }
        memcpy(m[i].name, zs.name, len - NPZ_SUFFIX_LEN);
        m[i].name[len - NPZ_SUFFIX_LEN] = '\0';
        *count = (size_t)i + 1;
    }
    /* The caps first, over every member, then whether each claim is
     * possible: a file over the caps is told so whatever its members say. */
    for (zip_int64_t i = 0; i < n; i++) {
        member_label(label, sizeof label, file, m[i].stat.name);
        if ((st = check_claim(&m[i].stat, size, label, err)) != CS_OK)
            goto fail;
    }
    *out = m;
    *count = (size_t)n;
    return CS_OK;
fail:
    members_free(m, (size_t)n);
    *count = 0;
    return st;
}

/* Decompresses member m into a malloc'd buffer of exactly m->size bytes. */
static Status inflate_member(zip_t *za, const NpzMember *m, const char *label, unsigned char **out, Error *err)
{
    *out = NULL;
    unsigned char *buf = malloc(m->size ? m->size : 1);
    if (!buf)
        return error_set(err, CS_ERR_NOMEM, "%s: cannot allocate %zu bytes", label, m->size);
    zip_file_t *zf = zip_fopen_index(za, m->index, 0);
    if (!zf) {
        free(buf);
        return error_set(err, CS_ERR_FORMAT, "%s cannot be opened: %s", label, zip_strerror(za));
    }
    zip_int64_t got = m->size ? zip_fread(zf, buf, m->size) : 0;
    unsigned char extra;
    zip_int64_t more = got == (zip_int64_t)m->size ? zip_fread(zf, &extra, 1) : 0;
    Status st = CS_OK;
    if (got < 0 || more < 0)
        st = error_set(err, CS_ERR_FORMAT, "%s cannot be decompressed: %s", label, zip_file_strerror(zf));
    else if (got != (zip_int64_t)m->size)
        st = error_set(err, CS_ERR_FORMAT, "%s inflates to %jd bytes, not the %zu it claims", label, (intmax_t)got,
                       m->size);
    else if (more > 0)
        st = error_set(err, CS_ERR_FORMAT, "%s inflates to more than the %zu bytes it claims", label, m->size);
    int closed = zip_fclose(zf);
    if (st == CS_OK && closed != 0)
        st = error_set(err, CS_ERR_FORMAT, "%s is damaged: %s", label, zip_error_strerror(zip_get_error(za)));
    if (st != CS_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    return CS_OK;
}

static Status check_unique(const NpzMember *m, size_t count, const char *file, Error *err)
{
    char **names = malloc((count ? count : 1) * sizeof *names);
    if (!names)
        return error_set(err, CS_ERR_NOMEM, "%s: cannot allocate the list of %zu names", file, count);
    for (size_t i = 0; i < count; i++)
        names[i] = m[i].name;
    Status st = weights_check_unique(names, count, file, err);
    free(names);
    return st;
}

/* ---- the format ----------------------------------------------------- */

static bool npz_sniff(const unsigned char *data, size_t size)
{
    return size >= 4 && (memcmp(data, "PK\3\4", 4) == 0 || memcmp(data, "PK\5\6", 4) == 0);
}

static Status npz_read(const unsigned char *data, size_t size, const char *file, WeightsFile *out, Error *err)
{
    NpzMember *members = NULL;
    size_t count = 0, elements = 0;
    Status st;
    zip_error_t ze;

    memset(out, 0, sizeof *out);
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, size, 0, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    if (!za) {
        st = error_set(err, CS_ERR_FORMAT, "%s is not a readable .npz (zip) file: %s", file, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        if (src)
            zip_source_free(src);
        return st;
    }
    zip_error_fini(&ze);

    if ((st = list_members(za, size, file, &members, &count, err)) != CS_OK ||
        (st = check_unique(members, count, file, err)) != CS_OK)
        goto done;

    for (size_t i = 0; i < count; i++) {
        NpzMember *m = &members[i];
        char label[400], raw[400];
        unsigned char *bytes;
        snprintf(raw, sizeof raw, "%s" NPZ_SUFFIX, m->name);
        member_label(label, sizeof label, file, raw);
        if ((st = inflate_member(za, m, label, &bytes, err)) != CS_OK)
            goto done;
        Tensor t;
        bool scalar;
        st = read_npy(bytes, m->size, label, &t, &scalar, err);
        free(bytes);
        if (st != CS_OK)
            goto done;
        size_t n = tensor_count(&t);
        if (n > WEIGHTS_MAX_ELEMENTS - elements) {
            tensor_free(&t);
            st = error_set(err, CS_ERR_LIMIT, "%s: the members hold more than %zu elements in all", file,
                           WEIGHTS_MAX_ELEMENTS);
            goto done;
        }
        elements += n;
        int rank = scalar ? 0 : t.rank;
        size_t all[4] = {t.n, t.c, t.h, t.w};
        if ((st = weights_append(out, m->name, &t, rank, all + 4 - rank, file, err)) != CS_OK) {
            m->name = NULL;
            goto done;
        }
        m->name = NULL;     /* handed over */
    }
done:
    members_free(members, count);
    zip_discard(za);
    if (st != CS_OK)
        weights_free(out);
    return st;
}

const WeightsFormat npz_format = {"npz", npz_sniff, npz_read};
