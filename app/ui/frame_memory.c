/* frame_memory.c: frame-sized blocks on huge pages (see frame_memory.h). */
#define _DEFAULT_SOURCE /* madvise's MADV_HUGEPAGE */
#include "frame_memory.h"

#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *frame_memory_alloc(size_t size)
{
    size_t rounded = (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = NULL;
    if (size == 0 || rounded < size || posix_memalign(&p, HUGE_PAGE, rounded) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE); /* advice only: plain pages if refused */
#endif
    return p;
}
