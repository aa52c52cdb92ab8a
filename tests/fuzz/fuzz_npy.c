/* fuzz_npy.c: libFuzzer harness for the .npy reader (core/npy.h).
 *
 * Each input is read twice, from memory and from a file (npy_read: the file
 * read whole by filein_read, then parsed from memory, with the file's name
 * in messages), and they must agree on the status and every value. An array that
 * loads must survive a write and a second read bit for bit. A refusal must
 * come with a message that names the file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npy.h"

#define FUZZ_NAME "fuzz_npy"
#include "fuzz_support.h"

static void round_trip(const Tensor *t)
{
    char *bytes = NULL;
    size_t size = 0;
    Error err;
    Tensor back;
    FILE *f = open_memstream(&bytes, &size);
    fuzz_check(f != NULL, "open_memstream failed");
    fuzz_check(npy_write_stream(f, "fuzz-out.npy", t, &err) == CS_OK, "writing a loaded array failed");
    fuzz_check(fclose(f) == 0, "fclose failed");
    fuzz_check(npy_read_memory((const unsigned char *)bytes, size, "fuzz-out.npy", &back, &err) == CS_OK,
          "reading a written array failed");
    fuzz_check(back.rank == t->rank && back.n == t->n && back.c == t->c && back.h == t->h && back.w == t->w,
          "the shape changed in a round trip");
    fuzz_check(memcmp(back.data, t->data, tensor_count(t) * sizeof(float)) == 0, "values changed in a round trip");
    tensor_free(&back);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Tensor mem, file;
    Error mem_err = {0}, file_err = {0};
    Status mem_st = npy_read_memory(data, size, "fuzz.npy", &mem, &mem_err);

    const char *path = fuzz_scratch_path("npy");
    FILE *f = fopen(path, "wb");
    fuzz_check(f != NULL, "cannot create the scratch file");
    fuzz_check(fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write the scratch file");
    Status file_st = npy_read(path, &file, &file_err);

    fuzz_check(mem_st == file_st, "memory and file readers disagree on the status");
    if (mem_st != CS_OK) {
        fuzz_check(strstr(mem_err.message, "fuzz.npy") != NULL, "a memory error does not name the file");
        fuzz_check(strstr(file_err.message, path) != NULL, "a file error does not name the file");
        fuzz_check(mem.data == NULL && file.data == NULL, "a failed read left data");
        return 0;
    }
    fuzz_check(mem.rank >= 1 && mem.rank <= 4, "rank out of 1..4");
    fuzz_check(tensor_count(&mem) <= NPY_MAX_ELEMENTS, "more elements than the limit");
    fuzz_check(file.rank == mem.rank && file.n == mem.n && file.c == mem.c && file.h == mem.h && file.w == mem.w,
          "memory and file readers disagree on the shape");
    fuzz_check(memcmp(file.data, mem.data, tensor_count(&mem) * sizeof(float)) == 0,
          "memory and file readers disagree on the values");
    round_trip(&mem);
    tensor_free(&mem);
    tensor_free(&file);
    return 0;
}
