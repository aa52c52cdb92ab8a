/* kinds.h: every scene kind, once (kind.h says what a kind is). */
#ifndef CONVSTEP_KINDS_H
#define CONVSTEP_KINDS_H

#include <stddef.h>

#include "kind.h"

/* Each kind's table, defined in its own folder. */
extern const SceneKind layer_kind;      /* scenes/layer/layer_kind.c */
extern const SceneKind stack_kind;      /* scenes/stack/stack_kind.c */
extern const SceneKind net_kind;        /* scenes/net/net_kind.c */

/* The kinds in the order scene_create asks them whether the options want
 * them (the single layer, which takes any options, last); *count entries. */
const SceneKind *const *scene_kinds(size_t *count);

#endif
