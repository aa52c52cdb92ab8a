/* torchfile.c: recognising and refusing torch.save files (see torchfile.h). */
#include "torchfile.h"

#include <stdio.h>
#include <string.h>
#include <zip.h>

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A zip whose members include data.pkl or NAME/data.pkl. */
static bool zip_holds_pickle(const unsigned char *data, size_t size)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, size, 0, &ze);
    if (!src) {
        zip_error_fini(&ze);
        return false;
    }
    zip_t *za = zip_open_from_source(src, ZIP_RDONLY, &ze);
    zip_error_fini(&ze);
    if (!za) {
        zip_source_free(src);
        return false;
    }
    bool found = false;
    zip_int64_t count = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < count && !found; i++) {
        const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
        found = name && (strcmp(name, "data.pkl") == 0 || ends_with(name, "/data.pkl"));
    }
    zip_discard(za);
    return found;
}

static bool torchfile_sniff(const unsigned char *data, size_t size)
{
    if (size >= 2 && data[0] == 0x80 && data[1] >= 2 && data[1] <= 5)
        return true;
    return size >= 4 && memcmp(data, "PK\3\4", 4) == 0 && zip_holds_pickle(data, size);
}

/* The file name as a Python string literal needs no escaping. */
static bool plain(const char *path)
{
    return strpbrk(path, "'\"\\\n") == NULL;
}

/* Writes the whole refusal for input path `in` into buf; returns its length. */
static int recipe(char *buf, size_t size, const char *file, const char *in)
{
    const char *base = strrchr(in, '/') ? strrchr(in, '/') + 1 : in;
    const char *dot = strrchr(base, '.');
    int stem = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
    return snprintf(buf, size,
                    "%s is a torch.save file; convert it: python3 -c \"import torch,numpy;numpy.savez('%.*s.npz',"
                    "**{k:v.float().numpy() for k,v in torch.load('%s',map_location='cpu').items()})\""
                    " (a whole model: torch.load(...).state_dict())",
                    file, stem, base, in);
}

static Status torchfile_read(const unsigned char *data, size_t size, const char *file, WeightsFile *out,
                             Error *err)
{
    (void)data;
    (void)size;
    memset(out, 0, sizeof *out);
    if (!err)
        return CS_ERR_FORMAT;
    /* The full path in the recipe first, then its base name (right when run
     * from its folder); for a very long path the message names the file by
     * its base name too; a placeholder when a quote would break the Python
     * string. The first that fits the one-line message wins. */
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    const char *tries[][2] = {{file, file}, {file, base}, {base, base}, {file, "model.pt"}, {base, "model.pt"}};
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        if (!plain(tries[i][1]))
            continue;
        int len = recipe(err->message, sizeof err->message, tries[i][0], tries[i][1]);
        if (len >= 0 && (size_t)len < sizeof err->message)
            break;
    }
    err->status = CS_ERR_FORMAT;
    return CS_ERR_FORMAT;
}

const WeightsFormat torchfile_format = {"torch.save", torchfile_sniff, torchfile_read};
