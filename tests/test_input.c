/* test_input.c: an INPUT file, .npy or image, told apart by its bytes
 * (core/input.h). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "npy.h"
#include "stb_image_write.h"
#include "support_tmp.h"

TestSuite(input, .init = tmp_dir_create, .fini = tmp_dir_remove);

/* Writes an n x c x h x w tensor of rank `rank`, element i = i, as .npy. */
static void write_npy(const char *path, size_t n, size_t c, size_t h, size_t w, int rank)
{
    Tensor t;
    Error err;
    cr_assert_eq(tensor_init(&t, n, c, h, w, rank, &err), CS_OK);
    for (size_t i = 0; i < tensor_count(&t); i++)
        t.data[i] = (float)i;
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(npy_write_stream(f, path, &t, &err), CS_OK, "%s", err.message);
    cr_assert_eq(fclose(f), 0);
    tensor_free(&t);
}

Test(input, npy_shapes_c_h_w_and_1_c_h_w_and_h_w_load_with_their_rank)
{
    const struct {
        size_t n, c, h, w;
        int rank;
    } cases[] = {{1, 3, 4, 5, 3}, {1, 2, 3, 4, 4}, {1, 1, 6, 7, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = tmp_path("in.npy");
        write_npy(path, cases[i].n, cases[i].c, cases[i].h, cases[i].w, cases[i].rank);
        Tensor t;
        Error err;
        cr_assert_eq(input_load(path, NULL, &t, NULL, &err), CS_OK, "case %zu: %s", i, err.message);
        cr_expect(t.rank == cases[i].rank && t.n == 1 && t.c == cases[i].c && t.h == cases[i].h &&
                  t.w == cases[i].w, "case %zu: rank %d %zux%zux%zux%zu", i, t.rank, t.n, t.c, t.h, t.w);
        cr_expect_eq(t.data[tensor_count(&t) - 1], (float)(tensor_count(&t) - 1));
        tensor_free(&t);
        unlink(path);
    }
}

Test(input, the_bytes_decide_not_the_extension)
{
    Tensor t;
    Error err;
    InputInfo info;
    write_npy(tmp_path("array.png"), 1, 1, 2, 2, 3);
    cr_assert_eq(input_load(tmp_path("array.png"), NULL, &t, &info, &err), CS_OK, "%s", err.message);
    cr_expect(t.c == 1 && t.h == 2 && t.w == 2 && t.data[3] == 3.0f);
    cr_expect(!info.image);
    tensor_free(&t);

    const unsigned char rgb[2 * 2 * 3] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
    cr_assert(stbi_write_png(tmp_path("picture.npy"), 2, 2, 3, rgb, 6));
    cr_assert_eq(input_load(tmp_path("picture.npy"), NULL, &t, &info, &err), CS_OK, "%s", err.message);
    cr_expect(t.rank == 3 && t.c == 3 && t.h == 2 && t.w == 2);
    cr_expect(info.image);
    cr_expect_eq(*tensor_at(&t, 0, 0, 0, 0), 255.0f);
    cr_expect_eq(*tensor_at(&t, 0, 2, 1, 1), 30.0f);
    tensor_free(&t);
}

Test(input, a_1d_array_and_a_batch_are_refused)
{
    Tensor t;
    Error err;
    write_npy(tmp_path("line.npy"), 1, 1, 1, 9, 1);
    cr_expect_eq(input_load(tmp_path("line.npy"), NULL, &t, NULL, &err), CS_ERR_SHAPE);
    cr_expect(strstr(err.message, "line.npy") && strstr(err.message, "1-D") && strstr(err.message, "9"), "%s",
              err.message);
    cr_expect_null(t.data);

    write_npy(tmp_path("batch.npy"), 2, 3, 4, 4, 4);
    cr_expect_eq(input_load(tmp_path("batch.npy"), NULL, &t, NULL, &err), CS_ERR_SHAPE);
    cr_expect(strstr(err.message, "batch.npy") && strstr(err.message, "2 images") &&
              strstr(err.message, "2x3x4x4"), "%s", err.message);
    cr_expect_null(t.data);
}

Test(input, missing_empty_directory_and_bad_npy_files_say_so)
{
    Tensor t;
    Error err;
    cr_expect_eq(input_load(tmp_path("missing.png"), NULL, &t, NULL, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "missing.png") && strstr(err.message, "No such file"), "%s", err.message);

    cr_expect_eq(input_load(tmp_dir, NULL, &t, NULL, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "is a directory") != NULL, "%s", err.message);

    FILE *f = fopen(tmp_path("empty.npy"), "wb");
    fclose(f);
    cr_expect_eq(input_load(tmp_path("empty.npy"), NULL, &t, NULL, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "empty.npy is empty") != NULL, "%s", err.message);

    f = fopen(tmp_path("bad.npy"), "wb");
    fputs("\x93NUMPY\x01\x00\x10\x00{'descr': '<c8'", f);
    fclose(f);
    cr_expect_eq(input_load(tmp_path("bad.npy"), NULL, &t, NULL, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "bad.npy") != NULL, "%s", err.message);

    f = fopen(tmp_path("text.txt"), "wb");
    fputs("this is not a picture\n", f);
    fclose(f);
    cr_expect_eq(input_load(tmp_path("text.txt"), NULL, &t, NULL, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "text.txt is not an image") != NULL, "%s", err.message);
    cr_expect_null(t.data);
}
