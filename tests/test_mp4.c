/* test_mp4.c: telling a complete MP4 from one a writer left part way
 * (core/mp4.h). Each case is a small file of hand-made top-level boxes:
 * a 4-byte big-endian size counting the 8-byte header, then the type. */
#include <criterion/criterion.h>

#include <string.h>

#include "mp4.h"
#include "support_tmp.h"

TestSuite(mp4, .init = tmp_dir_create, .fini = tmp_dir_remove);

/* Boxes written by the cases: "ftyp" 16 bytes, "free" 8, "moov" 12 and
 * "mdat" 12 (headers and zero payloads), spelled out so a reader can count. */
#define FTYP 0, 0, 0, 16, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 2, 0
#define FREE 0, 0, 0, 8, 'f', 'r', 'e', 'e'
#define MOOV 0, 0, 0, 12, 'm', 'o', 'o', 'v', 0, 0, 0, 0
#define MDAT 0, 0, 0, 12, 'm', 'd', 'a', 't', 1, 2, 3, 4

typedef struct Mp4Case {
    const char *name;
    unsigned char bytes[64];
    size_t size;
    Status want;
    const char *says;       /* part of the message when want != CS_OK */
} Mp4Case;

static const Mp4Case cases[] = {
    {"faststart order", {FTYP, MOOV, FREE, MDAT}, 48, CS_OK, NULL},
    {"moov at the end", {FTYP, FREE, MDAT, MOOV}, 48, CS_OK, NULL},
    /* size 1: the real size follows as 8 bytes (here 24 = 16 + 8 of data). */
    {"64-bit mdat size", {FTYP, MOOV, 0, 0, 0, 1, 'm', 'd', 'a', 't', 0, 0, 0, 0, 0, 0, 0, 24,
                          1, 2, 3, 4, 5, 6, 7, 8}, 52, CS_OK, NULL},
    /* What ffmpeg 5.1 leaves on a full disk: mdat's size never filled in. */
    {"mdat size never written", {FTYP, FREE, 0, 0, 0, 0, 'm', 'd', 'a', 't', 1, 2, 3, 4}, 36,
     CS_ERR_FORMAT, "size of its mdat box was never written"},
    {"mdat cut short", {FTYP, MOOV, 0, 0, 0, 40, 'm', 'd', 'a', 't', 1, 2, 3, 4}, 42,
     CS_ERR_FORMAT, "mdat box needs 40 bytes and the file has 14 left"},
    {"no moov", {FTYP, FREE, MDAT}, 36, CS_ERR_FORMAT, "no moov box"},
    {"no mdat", {FTYP, MOOV}, 28, CS_ERR_FORMAT, "no mdat box"},
    {"not starting with ftyp", {MOOV, FTYP, MDAT}, 40, CS_ERR_FORMAT, "does not start with an ftyp"},
    {"stray bytes at the end", {FTYP, MOOV, MDAT, 0, 0, 0}, 43, CS_ERR_FORMAT, "3 stray bytes"},
    {"a box smaller than its header", {FTYP, MOOV, MDAT, 0, 0, 0, 4, 'f', 'r', 'e', 'e'}, 48,
     CS_ERR_FORMAT, "impossible size 4"},
    {"empty", {0}, 0, CS_ERR_FORMAT, "it is empty"},
};

Test(mp4, complete_and_incomplete_files)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const Mp4Case *c = &cases[i];
        const char *path = tmp_path("v.mp4.tmp-1-0");
        tmp_write_file(path, c->bytes, c->size);
        Error err = {0};
        Status got = mp4_check_complete(path, "v.mp4", &err);
        cr_expect_eq(got, c->want, "%s: status %d, wanted %d (%s)", c->name, got, c->want, err.message);
        if (c->want != CS_OK) {
            cr_expect(strstr(err.message, c->says) != NULL, "%s: message '%s' lacks '%s'", c->name,
                      err.message, c->says);
            cr_expect(strncmp(err.message, "v.mp4 ", 6) == 0, "%s: message '%s' does not name v.mp4",
                      c->name, err.message);
        }
    }
}

Test(mp4, a_missing_file_is_an_io_error_naming_the_final_name)
{
    Error err = {0};
    cr_expect_eq(mp4_check_complete(tmp_path("none.tmp"), "v.mp4", &err), CS_ERR_IO);
    cr_expect_str_eq(err.message, "cannot read v.mp4: No such file or directory");
}
