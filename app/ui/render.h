/* render.h: offscreen frames for export and the golden tests. Draws with
 * draw_frame through SDL's software renderer into an ARGB8888 surface; needs
 * no display and no video subsystem (works with DISPLAY and
 * SDL_VIDEODRIVER unset). The window draws the same way into its own
 * surface, so the pixels match the window's for the same state and size. */
#ifndef CONVSTEP_RENDER_H
#define CONVSTEP_RENDER_H

#include <stdint.h>

#include "error.h"
#include "scene.h"
#include "view.h"

typedef struct Render Render;
typedef struct TextCache TextCache;   /* text.h */

/* Opens a w x h offscreen target (1..8192 each) with its own text cache,
 * using o->font (NULL, or o NULL: the default font). Fails with the text
 * cache's error (missing font) or CS_ERR_NOMEM / CS_ERR_RANGE. */
Status render_open(Render **out, const SceneOptions *o, int w, int h, Error *err);

/* Draws one frame of s as v shows it. *pixels: w*h ARGB8888 values, row
 * stride w*4 bytes, owned by r, valid until the next call or render_close. */
Status render_frame(Render *r, const Scene *s, const View *v, const uint32_t **pixels, Error *err);

/* The text cache of r (tests look at its counters). */
TextCache *render_text_cache(Render *r);

/* Frees everything. NULL is fine. */
void render_close(Render *r);

#endif
