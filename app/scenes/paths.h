/* paths.h: where the program finds what ships with it (the default image,
 * model specs): the assets folder of the source tree when run from it, or
 * PREFIX/share/convstep when installed. */
#ifndef CONVSTEP_PATHS_H
#define CONVSTEP_PATHS_H

#include <stddef.h>

/* The first folder that exists of: $CONVSTEP_ASSETS; BIN/../share/convstep
 * and BIN/../assets, where BIN is the folder of the running executable (an
 * installed or staged copy, or build/ in the source tree); CONVSTEP_DATADIR
 * compiled in from the Makefile's PREFIX; ./assets. Returns NULL when none
 * exists. The string is owned by this module and stays valid. */
const char *paths_asset_dir(void);

/* Writes ASSET_DIR/name into buf and returns buf, or NULL when there is no
 * asset folder or the path does not fit. The file itself may not exist. */
const char *paths_asset(const char *name, char *buf, size_t size);

#endif
