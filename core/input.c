/* input.c: an INPUT file, .npy or image, read once (filein.h) and told
 * apart by its first six bytes ("\x93NUMPY" starts every .npy file) rather
 * than by the extension (see input.h). */
#include "input.h"

#include <stdlib.h>
#include <string.h>

#include "filein.h"

static bool bytes_are_npy(const unsigned char *bytes, size_t size)
{
    return size >= 6 && memcmp(bytes, "\x93NUMPY", 6) == 0;
}

/* Refuses a .npy array that is not one image. */
static Status check_npy_shape(const Tensor *t, const char *name, Error *err)
{
    char shape[64];
    tensor_shape_text(t, shape, sizeof shape);
    if (t->rank == 1)
        return error_set(err, CS_ERR_SHAPE, "%s is a 1-D array (shape %s); an input must be (C,H,W), (1,C,H,W) or (H,W)",
                         name, shape);
    if (t->rank >= 3 && (t->w == 3 || t->w == 4) && t->c > 4)
        /* what numpy.asarray(PIL.Image.open(f)) gives: never read it as
           H channels of width 3 */
        return error_set(err, CS_ERR_SHAPE, "%s is shaped %s, which looks like (%sH, W, %zu) pixels; an input "
                         "must be (%sC, H, W): save it with numpy.save(f, a.transpose(%s))",
                         name, shape, t->rank == 4 ? "1, " : "", t->w, t->rank == 4 ? "1, " : "",
                         t->rank == 4 ? "0, 3, 1, 2" : "2, 0, 1");
    if (t->n > 1)
        return error_set(err, CS_ERR_SHAPE, "%s holds %zu images (shape %s); an input must be one image, (1,C,H,W)",
                         name, t->n, shape);
    return CS_OK;
}

Status input_load(const char *path, const ImageFit *fit, Tensor *out, InputInfo *info, Error *err)
{
    const char *name = filein_name(path);
    unsigned char *bytes;
    size_t size;

    memset(out, 0, sizeof *out);
    Status st = filein_read(path, INPUT_MAX_BYTES, &bytes, &size, err);
    if (st != CS_OK)
        return st;
    bool npy = bytes_are_npy(bytes, size);
    size_t file_h = 0, file_w = 0;
    if (!npy) {
        st = image_load_memory_fit(bytes, size, name, fit, out, &file_h, &file_w, err);
    } else if ((st = npy_read_memory(bytes, size, name, out, err)) == CS_OK) {
        file_h = out->h;
        file_w = out->w;
        if ((st = check_npy_shape(out, name, err)) != CS_OK)
            tensor_free(out);
    }
    free(bytes);
    if (info)
        *info = (InputInfo){.image = !npy, .file_h = file_h, .file_w = file_w};
    return st;
}
