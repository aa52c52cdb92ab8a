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

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_npy: %s\n", what);
        abort();
    }
}

static char scratch[4096];

static void remove_scratch(void)
{
    unlink(scratch);
}

/* A file rewritten for every input, in $TMPDIR (or /tmp), removed at exit. */
static const char *scratch_path(void)
{
    if (!scratch[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(scratch, sizeof scratch, "%s/fuzz-%ld.%s", dir && dir[0] ? dir : "/tmp", (long)getpid(), "npy");
        atexit(remove_scratch);
    }
    return scratch;
}

static void round_trip(const Tensor *t)
{
    char *bytes = NULL;
    size_t size = 0;
    Error err;
    Tensor back;
    FILE *f = open_memstream(&bytes, &size);
    check(f != NULL, "open_memstream failed");
    check(npy_write_stream(f, "fuzz-out.npy", t, &err) == CS_OK, "writing a loaded array failed");
    check(fclose(f) == 0, "fclose failed");
    check(npy_read_memory((const unsigned char *)bytes, size, "fuzz-out.npy", &back, &err) == CS_OK,
          "reading a written array failed");
    check(back.rank == t->rank && back.n == t->n && back.c == t->c && back.h == t->h && back.w == t->w,
          "the shape changed in a round trip");
    check(memcmp(back.data, t->data, tensor_count(t) * sizeof(float)) == 0, "values changed in a round trip");
    tensor_free(&back);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Tensor mem, file;
    Error mem_err = {0}, file_err = {0};
    Status mem_st = npy_read_memory(data, size, "fuzz.npy", &mem, &mem_err);

    const char *path = scratch_path();
    FILE *f = fopen(path, "wb");
    check(f != NULL, "cannot create the scratch file");
    check(fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write the scratch file");
    Status file_st = npy_read(path, &file, &file_err);

    check(mem_st == file_st, "memory and file readers disagree on the status");
    if (mem_st != CS_OK) {
        check(strstr(mem_err.message, "fuzz.npy") != NULL, "a memory error does not name the file");
        check(strstr(file_err.message, path) != NULL, "a file error does not name the file");
        check(mem.data == NULL && file.data == NULL, "a failed read left data");
        return 0;
    }
    check(mem.rank >= 1 && mem.rank <= 4, "rank out of 1..4");
    check(tensor_count(&mem) <= NPY_MAX_ELEMENTS, "more elements than the limit");
    check(file.rank == mem.rank && file.n == mem.n && file.c == mem.c && file.h == mem.h && file.w == mem.w,
          "memory and file readers disagree on the shape");
    check(memcmp(file.data, mem.data, tensor_count(&mem) * sizeof(float)) == 0,
          "memory and file readers disagree on the values");
    round_trip(&mem);
    tensor_free(&mem);
    tensor_free(&file);
    return 0;
}
