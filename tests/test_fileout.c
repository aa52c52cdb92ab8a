/* test_fileout.c: atomic output files (core/fileout.h). A failed or
 * aborted write leaves nothing behind and never touches an existing file. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileout.h"
#include "support_tmp.h"

TestSuite(fileout, .init = tmp_dir_create, .fini = tmp_dir_remove);

/* Number of entries in the temporary folder (without . and ..). */
static int files_in_tmp(void)
{
    DIR *d = opendir(tmp_dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* The file's contents (up to 255 bytes) in a static buffer; "" if missing. */
static const char *read_text(const char *path)
{
    static char buf[256];
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

Test(fileout, commit_writes_the_file_through_a_temporary_beside_it)
{
    FileOut fo;
    Error err;
    const char *path = tmp_path("out.npy");
    cr_assert_eq(fileout_open(&fo, path, false, &err), CS_OK, "%s", err.message);
    const char *temp = fileout_temp_path(&fo);
    cr_expect_eq(strncmp(temp, path, strlen(path)), 0, "temp %s is not beside %s", temp, path);
    cr_expect_not_null(strstr(temp, ".tmp-"));
    cr_expect(exists(temp));
    cr_expect_not(exists(path), "the final name appears before commit");
    fputs("hello", fo.stream);
    cr_assert_eq(fileout_commit(&fo, &err), CS_OK, "%s", err.message);
    cr_expect_str_eq(read_text(path), "hello");
    cr_expect_eq(files_in_tmp(), 1, "a temporary file was left behind");
    cr_expect_str_eq(fileout_temp_path(&fo), "");
    fileout_abort(&fo);   /* harmless after a commit */
    cr_expect_str_eq(read_text(path), "hello");
}

Test(fileout, commit_unsynced_name_places_the_file_and_the_folder_syncs_later)
{
    FileOut fo;
    Error err;
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "frame-%05d.png", i + 1);
        const char *path = tmp_path(name);
        cr_assert_eq(fileout_open(&fo, path, false, &err), CS_OK, "%s", err.message);
        fputs("frame", fo.stream);
        cr_assert_eq(fileout_commit_unsynced_name(&fo, &err), CS_OK, "%s", err.message);
        cr_expect_str_eq(read_text(path), "frame");
        cr_expect_str_eq(fileout_temp_path(&fo), "");
    }
    cr_expect_eq(files_in_tmp(), 3, "a temporary file was left behind");
    fileout_sync_folder(tmp_path("frame-00001.png"));
    fileout_sync_folder(tmp_path("missing-folder/frame-00001.png")); /* ignored */
    cr_expect_eq(files_in_tmp(), 3);
}

Test(fileout, abort_leaves_no_file)
{
    FileOut fo;
    Error err;
    cr_assert_eq(fileout_open(&fo, tmp_path("out.npy"), false, &err), CS_OK);
    fputs("half a file", fo.stream);
    fileout_abort(&fo);
    cr_expect_eq(files_in_tmp(), 0);
    fileout_abort(&fo);
    cr_expect_eq(fileout_commit(&fo, &err), CS_ERR_IO, "commit after abort succeeded");
    cr_expect_eq(files_in_tmp(), 0);
}

Test(fileout, an_existing_file_is_refused_and_untouched)
{
    FileOut fo;
    Error err;
    const char *path = tmp_path("keep.npy");
    write_text(path, "precious");
    cr_expect_eq(fileout_open(&fo, path, false, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, path) && strstr(err.message, "already exists"), "%s", err.message);
    cr_expect_str_eq(read_text(path), "precious");
    cr_expect_eq(files_in_tmp(), 1);
    fileout_abort(&fo);   /* safe after a failed open */
    cr_expect_str_eq(read_text(path), "precious");
}

Test(fileout, overwrite_replaces_an_existing_file)
{
    FileOut fo;
    Error err;
    const char *path = tmp_path("old.npy");
    write_text(path, "old");
    cr_assert_eq(fileout_open(&fo, path, true, &err), CS_OK, "%s", err.message);
    fputs("new", fo.stream);
    cr_expect_str_eq(read_text(path), "old", "the old file changed before commit");
    cr_assert_eq(fileout_commit(&fo, &err), CS_OK, "%s", err.message);
    cr_expect_str_eq(read_text(path), "new");
    cr_expect_eq(files_in_tmp(), 1);
}

Test(fileout, a_name_that_appears_while_writing_is_not_overwritten)
{
    FileOut fo;
    Error err;
    const char *path = tmp_path("race.npy");
    cr_assert_eq(fileout_open(&fo, path, false, &err), CS_OK);
    fputs("mine", fo.stream);
    write_text(path, "theirs");
    cr_expect_eq(fileout_commit(&fo, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "already exists") != NULL, "%s", err.message);
    cr_expect_str_eq(read_text(path), "theirs");
    cr_expect_eq(files_in_tmp(), 1, "the temporary file was left behind");
}

/* Swaps the stream for one on /dev/full: writes succeed into the buffer and
 * fail with ENOSPC when flushed, as on a full disk. */
static void fill_disk(FileOut *fo)
{
    fclose(fo->stream);
    fo->stream = fopen("/dev/full", "wb");
    cr_assert_not_null(fo->stream);
    fputs("data that does not fit", fo->stream);
}

Test(fileout, a_full_disk_fails_the_commit_and_removes_the_temporary)
{
    FileOut fo;
    Error err;
    const char *path = tmp_path("full.npy");
    cr_assert_eq(fileout_open(&fo, path, false, &err), CS_OK);
    fill_disk(&fo);
    cr_expect_eq(fileout_commit(&fo, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, path) && strstr(err.message, "No space left"), "%s", err.message);
    cr_expect_eq(files_in_tmp(), 0);
}

Test(fileout, a_full_disk_leaves_the_file_being_replaced_untouched)
{
    FileOut fo;
    Error err;
    const char *path = tmp_path("full.npy");
    write_text(path, "previous run");
    cr_assert_eq(fileout_open(&fo, path, true, &err), CS_OK);
    fill_disk(&fo);
    cr_expect_eq(fileout_commit(&fo, &err), CS_ERR_IO);
    cr_expect_str_eq(read_text(path), "previous run");
    cr_expect_eq(files_in_tmp(), 1);
}

Test(fileout, a_device_is_refused_as_the_final_name)
{
    FileOut fo;
    Error err;
    cr_expect_eq(fileout_open(&fo, "/dev/full", true, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "/dev/full") && strstr(err.message, "not a regular file"), "%s", err.message);
    cr_expect_eq(fileout_open(&fo, "/dev/null", false, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "not a regular file") != NULL, "%s", err.message);
    cr_expect_null(fo.stream);
}

Test(fileout, a_directory_is_refused)
{
    FileOut fo;
    Error err;
    cr_expect_eq(fileout_open(&fo, tmp_dir, true, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, tmp_dir) && strstr(err.message, "is a directory"), "%s", err.message);
    cr_expect_eq(fileout_open(&fo, tmp_path("new-folder/"), false, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "names a folder") != NULL, "%s", err.message);
    cr_expect_eq(files_in_tmp(), 0);
}

Test(fileout, a_folder_that_cannot_hold_the_file_is_refused)
{
    FileOut fo;
    Error err;
    /* Tests may run as root, which writes anywhere: use folders that
     * cannot exist instead of ones without permission. */
    cr_expect_eq(fileout_open(&fo, tmp_path("no/such/folder/out.npy"), false, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "out.npy") && strstr(err.message, "does not exist"), "%s", err.message);

    const char *file = tmp_path("plain-file");
    write_text(file, "x");
    char inside[160];
    snprintf(inside, sizeof inside, "%s/out.npy", file);
    cr_expect_eq(fileout_open(&fo, inside, false, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, inside) && strstr(err.message, "not a folder"), "%s", err.message);
    cr_expect_eq(files_in_tmp(), 1);

    cr_expect_eq(fileout_open(&fo, "", false, &err), CS_ERR_IO);
    cr_expect_eq(fileout_open(&fo, "/proc/version", true, &err), CS_ERR_IO, "a /proc file was accepted");
}

Test(fileout, two_writers_of_one_name_get_separate_temporaries)
{
    FileOut a, b;
    Error err;
    const char *path = tmp_path("twice.npy");
    cr_assert_eq(fileout_open(&a, path, true, &err), CS_OK);
    cr_assert_eq(fileout_open(&b, path, true, &err), CS_OK);
    cr_expect_str_neq(fileout_temp_path(&a), fileout_temp_path(&b));
    fputs("a", a.stream);
    fputs("b", b.stream);
    cr_expect_eq(fileout_commit(&a, &err), CS_OK);
    cr_expect_eq(fileout_commit(&b, &err), CS_OK);
    cr_expect_str_eq(read_text(path), "b");
    cr_expect_eq(files_in_tmp(), 1);
}
