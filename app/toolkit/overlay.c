/* overlay.c: the `?` overlay (see overlay.h). Sizes follow the scenes'
 * layouts: one factor fit = min(w/1280, h/720) (at least 1/4) times the
 * view's scale, so the panel is 1100x640 at 1280x720 and scale 1. */
#include "overlay.h"

#include <math.h>

#include "paint.h"

/* Characters in UTF-8 text. */
static int char_count(const char *s)
{
    int n = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        n += (*c & 0xC0) != 0x80;
    return n;
}

void overlay_draw(Painter *p, const Theme *th, const char *title, const HelpRow *rows, int n, int w, int h,
                  float ui_scale)
{
    float scale = ui_scale > 0.0f ? ui_scale : 1.0f;
    float fit = fmaxf(fminf((float)w / 1280.0f, (float)h / 720.0f), 0.25f);
    float k = fit * scale;
    int text_px = imax(7, px(18.0f * fit * sqrtf(scale)));
    int margin = imax(2, px(14.0f * fit));
    int pw = imin(w - 2 * margin, px(1100.0f * k)), ph = imin(h - 2 * margin, px(640.0f * k));
    Rect panel = {(w - pw) / 2, (h - ph) / 2, pw, ph};
    painter_fill(p, (Rect){0, 0, w, h}, paint_with_alpha(th->bg, 140));
    painter_fill(p, panel, th->overlay);
    paint_outline(p, panel, imax(1, px(2.0f * k)), th->accent);
    int pad = imax(4, text_px);
    paint_text_shrunk(p, title, text_px, th->accent, panel.x + pad, panel.y + pad, panel.w - 2 * pad,
                      TEXT_LEFT | TEXT_TOP);

    /* one column while each line gets 1.5 lines of text, else two */
    int top = panel.y + pad + text_px * 2, room = panel.y + panel.h - pad - top;
    int cols = n * text_px * 3 / 2 <= room ? 1 : 2;
    int per_col = (n + cols - 1) / cols;
    int line_h = imax(8, room / imax(per_col, 1));
    int size = imin(text_px, line_h * 7 / 10);
    int col_w = (panel.w - 2 * pad) / cols;
    int longest = 0;
    for (int i = 0; i < n; i++)
        longest = imax(longest, char_count(rows[i].keys));
    int key_w = painter_char_width(p, size) * (longest + 2);
    for (int i = 0; i < n; i++) {
        int x = panel.x + pad + (i / per_col) * col_w, y = top + (i % per_col) * line_h;
        const char *help = rows[i].help ? rows[i].help : "";
        painter_text(p, rows[i].keys, size, th->accent2, x, y, TEXT_LEFT | TEXT_TOP);
        paint_text_shrunk(p, help, size, th->text, x + key_w, y, col_w - key_w - pad, TEXT_LEFT | TEXT_TOP);
    }
}
