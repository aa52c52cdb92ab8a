/* input.c: an INPUT file, .npy or image, told apart by the first six bytes
 * ("\x93NUMPY" starts every .npy file) rather than by the extension (see
 * input.h). */
#include "input.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"
#include "npy.h"

/* Sets *is_npy when path starts with the .npy magic; refuses a folder, an
 * empty file and one that cannot be read. */
static Status sniff_npy(const char *path, int *is_npy, Error *err)
{
    unsigned char head[6];
    struct stat sb;
    *is_npy = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return error_set(err, CS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return error_set(err, CS_ERR_IO, "%s is a directory, not an image or .npy file", path);
    }
    size_t got = fread(head, 1, sizeof head, f);
    int failed = ferror(f);
    int e = errno;
    fclose(f);
    if (failed)
        return error_set(err, CS_ERR_IO, "cannot read %s: %s", path, strerror(e));
    if (got == 0)
        return error_set(err, CS_ERR_FORMAT, "%s is empty", path);
    *is_npy = got == sizeof head && memcmp(head, "\x93NUMPY", sizeof head) == 0;
    return CS_OK;
}

Status input_load(const char *path, Tensor *out, Error *err)
{
    int is_npy;
    Status st;

    memset(out, 0, sizeof *out);
    if ((st = sniff_npy(path, &is_npy, err)) != CS_OK)
        return st;
    if (!is_npy)
        return image_load(path, out, err);
    if ((st = npy_read(path, out, err)) != CS_OK)
        return st;
    char shape[64];
    tensor_shape_text(out, shape, sizeof shape);
    if (out->rank == 1) {
        st = error_set(err, CS_ERR_SHAPE, "%s is a 1-D array (shape %s); an input must be (C,H,W), (1,C,H,W) or (H,W)",
                       path, shape);
    } else if (out->rank >= 3 && (out->w == 3 || out->w == 4) && out->c > 4) {
        /* what numpy.asarray(PIL.Image.open(f)) gives: never read it as
           H channels of width 3 */
        st = error_set(err, CS_ERR_SHAPE, "%s is shaped %s, which looks like (%sH, W, %zu) pixels; an input "
                       "must be (%sC, H, W): save it with numpy.save(f, a.transpose(%s))",
                       path, shape, out->rank == 4 ? "1, " : "", out->w, out->rank == 4 ? "1, " : "",
                       out->rank == 4 ? "0, 3, 1, 2" : "2, 0, 1");
    } else if (out->n > 1) {
        st = error_set(err, CS_ERR_SHAPE, "%s holds %zu images (shape %s); an input must be one image, (1,C,H,W)",
                       path, out->n, shape);
    }
    if (st != CS_OK)
        tensor_free(out);
    return st;
}
