/* net_draw.h: the network scene's frame, through the drawing toolkit. */
#ifndef CONVSTEP_NET_DRAW_H
#define CONVSTEP_NET_DRAW_H

#include "net_layout.h"
#include "painter.h"
#include "scene.h"
#include "view.h"

/* Paints the whole frame of s (a network scene) as v shows it with layout
 * L: header, the input and the cards shown, the classes, the strip, the
 * timeline and the status line. */
void net_draw_frame(Painter *p, const Scene *s, const View *v, const NetLayout *L);

#endif
