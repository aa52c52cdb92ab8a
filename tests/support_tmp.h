/* support_tmp.h: a temporary folder for a test suite that works with files.
 * Use as `TestSuite(name, .init = tmp_dir_create, .fini = tmp_dir_remove);`
 * Criterion runs each test in its own process, so each test gets a fresh folder. */
#ifndef CONVSTEP_SUPPORT_TMP_H
#define CONVSTEP_SUPPORT_TMP_H

#include <stddef.h>

/* The current test's folder, "/tmp/convstep-test-XXXXXX" made by tmp_dir_create. */
extern char tmp_dir[64];

/* Makes tmp_dir (asserts on failure). */
void tmp_dir_create(void);

/* Removes tmp_dir and everything in it (asserts on failure). */
void tmp_dir_remove(void);

/* "tmp_dir/name" in one of four rotating buffers, so up to four paths can be
 * used in one expression. */
const char *tmp_path(const char *name);

/* Writes size bytes of data to path (asserts on any failure). */
void tmp_write_file(const char *path, const void *data, size_t size);

#endif
