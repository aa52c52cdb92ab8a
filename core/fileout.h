/* fileout.h: writing an output file so that nothing is ever lost.
 *
 * The data goes to a temporary file beside the final name
 * ("NAME.tmp-PID-N"); fileout_commit flushes, fsyncs, closes and renames it
 * over the final name; fileout_abort removes it. A final name that exists is
 * refused at open unless overwrite is set, and is never touched by a run
 * that fails. */
#ifndef CONVSTEP_FILEOUT_H
#define CONVSTEP_FILEOUT_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"

typedef struct FileOut {
    FILE *stream;           /* write here */
    char final_path[4096];
    char temp_path[4096];
    bool overwrite;         /* may replace an existing final file */
} FileOut;

/* Opens a temporary file for final_path. Fails with CS_ERR_IO naming the
 * path when final_path exists and !overwrite ("OUT.npy exists (use --force)"
 * is the caller's wording; this one says "... already exists"), when it is a
 * directory, or when the folder is not writable. */
Status fileout_open(FileOut *fo, const char *final_path, bool overwrite, Error *err);

/* Completes the file: checks the stream for write errors, flushes, fsyncs,
 * closes and renames. On any failure the temporary file is removed and the
 * final name is untouched. */
Status fileout_commit(FileOut *fo, Error *err);

/* The same without the folder's fsync, for many files written into one
 * folder (an export's frames): the caller syncs the folder once with
 * fileout_sync_folder after its last commit. The file's data is still
 * fsynced before its name appears, so even a system crash never leaves a
 * partial file under the final name; it may only lose the names committed
 * since the folder was last synced (their data then stays under the
 * temporary name). */
Status fileout_commit_unsynced_name(FileOut *fo, Error *err);

/* fsyncs the folder holding path, making the names committed in it
 * durable; a folder that cannot be synced is ignored (some file systems
 * refuse, and the files themselves are complete). */
void fileout_sync_folder(const char *path);

/* Closes and removes the temporary file. Safe after a failed open or commit. */
void fileout_abort(FileOut *fo);

/* The temporary path of the file being written, for a signal handler that
 * must unlink it (async-signal-safe to read). */
const char *fileout_temp_path(const FileOut *fo);

#endif
