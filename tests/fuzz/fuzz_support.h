/* fuzz_support.h: what every libFuzzer harness here shares. A harness
 * defines FUZZ_NAME ("fuzz_npy") before including it.
 *   fuzz_check          a property that must hold: abort (libFuzzer keeps the
 *                       input) with "FUZZ_NAME: what" on stderr otherwise
 *   fuzz_scratch_path   a file rewritten for every input, for readers that
 *                       take a path: $TMPDIR (or /tmp)/fuzz-PID.EXT, removed
 *                       at exit */
#ifndef CONVSTEP_FUZZ_SUPPORT_H
#define CONVSTEP_FUZZ_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void fuzz_check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, FUZZ_NAME ": %s\n", what);
        abort();
    }
}

static char fuzz_scratch[4096];

static inline void fuzz_remove_scratch(void)
{
    unlink(fuzz_scratch);
}

static inline const char *fuzz_scratch_path(const char *ext)
{
    if (!fuzz_scratch[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(fuzz_scratch, sizeof fuzz_scratch, "%s/fuzz-%ld.%s", dir && dir[0] ? dir : "/tmp", (long)getpid(),
                 ext);
        atexit(fuzz_remove_scratch);
    }
    return fuzz_scratch;
}

#endif
