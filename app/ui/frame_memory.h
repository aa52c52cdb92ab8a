/* frame_memory.h: memory for whole frames (a 1280x720 frame is 3.6 MB).
 * Touching that much fresh memory costs a page fault per 4 KiB page, which
 * in a virtual machine takes longer than encoding the frame; where the
 * kernel offers transparent huge pages on request, these blocks ask for
 * them, so a frame takes two faults instead of nine hundred. */
#ifndef CONVSTEP_FRAME_MEMORY_H
#define CONVSTEP_FRAME_MEMORY_H

#include <stddef.h>

/* size bytes aligned to 2 MiB and advised as huge pages (when the system
 * has them; plain memory otherwise), or NULL when out of memory. Free with
 * free(). */
void *frame_memory_alloc(size_t size);

#endif
