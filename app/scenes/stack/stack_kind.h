/* stack_kind.h: the layer-stack scene as a scene kind (kind.h): its table
 * is stack_kind (kinds.h); this header gives the kind's own files its
 * model. */
#ifndef CONVSTEP_STACK_KIND_H
#define CONVSTEP_STACK_KIND_H

#include "scene.h"
#include "stack.h"
#include "view.h"

/* A view target as a stack cell: TARGET_STACK_CELL's pane, stage, y, x;
 * pane -1 for any other target. */
StackCell stack_cell_of(const Target *t);

/* The layer stack s shows, or NULL when s shows another kind. */
StackScene *stack_model(const Scene *s);

#endif
