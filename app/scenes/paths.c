/* paths.c: the asset folder lookup (see paths.h). CONVSTEP_DATADIR comes
 * from the Makefile (PREFIX/share/convstep), so `make install PREFIX=...`
 * builds a binary that finds its own installed assets. */
#include "paths.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CONVSTEP_DATADIR
#define CONVSTEP_DATADIR "/usr/local/share/convstep"
#endif

static bool paths_is_dir(const char *path)
{
    struct stat st;
    return path && path[0] && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Tries BIN/../relative for the running executable into buf. */
static bool paths_beside_exe(const char *relative, char *buf, size_t size)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    if ((size_t)snprintf(buf, size, "%s/../%s", exe, relative) >= size)
        return false;
    return paths_is_dir(buf);
}

const char *paths_asset_dir(void)
{
    /* Found once per process; a static cache because the answer cannot
     * change while the program runs. */
    static char dir[4200];
    static bool looked;
    if (looked)
        return dir[0] ? dir : NULL;
    looked = true;
    const char *env = getenv("CONVSTEP_ASSETS");
    const char *fixed[] = {CONVSTEP_DATADIR, "assets"};
    if (paths_is_dir(env) && strlen(env) < sizeof dir) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    if (paths_beside_exe("share/convstep", dir, sizeof dir) ||
        paths_beside_exe("assets", dir, sizeof dir))
        return dir;
    dir[0] = '\0';
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (paths_is_dir(fixed[i])) {
            snprintf(dir, sizeof dir, "%s", fixed[i]);
            break;
        }
    }
    return dir[0] ? dir : NULL;
}

const char *paths_asset(const char *name, char *buf, size_t size)
{
    const char *dir = paths_asset_dir();
    if (!dir || (size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
        return NULL;
    return buf;
}
