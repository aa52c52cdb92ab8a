/* kinds.c: the table of scene kinds (see kinds.h). A new kind is one line
 * here, before the single layer (the network before the layer stack: both
 * take --layers, the network when there is something to run it on). */
#include "kinds.h"

static const SceneKind *const kinds[] = {
    &net_kind,
    &stack_kind,
    &layer_kind,
};

const SceneKind *const *scene_kinds(size_t *count)
{
    *count = sizeof kinds / sizeof kinds[0];
    return kinds;
}
