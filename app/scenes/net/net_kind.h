/* net_kind.h: the network scene as a scene kind (kind.h): its table is
 * net_kind (kinds.h); this header gives the kind's own files its model. */
#ifndef CONVSTEP_NET_KIND_H
#define CONVSTEP_NET_KIND_H

#include "net_scene.h"
#include "scene.h"

/* The network s shows, or NULL when s shows another kind. */
NetScene *net_model(const Scene *s);

/* The network kept aside while a drill-down shows one of its layers, or
 * NULL. */
NetScene *net_kept_model(const Scene *s);

#endif
