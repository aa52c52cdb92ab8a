/* stack.h: the layer-stack scene's model (issue 5): one to four stacks of
 * layers (panes), each with the input it starts from, the per-layer
 * numbers of core/rf.h, and the growth state (how many layers are added so
 * far), the clicked cell and the view's pan, zoom and table switch.
 *
 * The view state of this scene (the clicked and hovered cells, zoom, pan,
 * the table switch) lives in View like every kind's (view.h); the model
 * functions that need the clicked cell take it as an argument.
 *
 * A pane's maps are its stages: stage 0 is the input, then one stage per
 * spatial layer (Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d). Layers
 * that keep the shape (activations, BatchNorm2d, Dropout) fold into the
 * stage before them: they add their parameters and multiply-adds and, for
 * activations, a non-linearity, but no map. Growth step k shows stages
 * 0..k of every pane; the scene has max(stages) + 1 steps.
 *
 * The lit field of a cell: on earlier stages, the cells it reads (through
 * rf_range_back, unclipped, so the part of the field that reaches into
 * padding stays visible as padding); on later stages, the cells that read
 * it (rf_range_forward). Without a clicked cell, the centre cell of each
 * pane's newest stage is the focus, so the field grows on the input as the
 * stack grows. */
#ifndef CONVSTEP_STACK_H
#define CONVSTEP_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "kind.h"
#include "lesson.h"
#include "rf.h"
#include "spec.h"

/* The input side used without -i, --input-size or a lesson: this when the
 * stack fits it, else STACK_LARGE_INPUT (AlexNet and VGG need 224). */
#define STACK_DEFAULT_INPUT 32
#define STACK_LARGE_INPUT 224
/* A --layers @FILE larger than this is refused. */
#define STACK_MAX_SPEC_BYTES (1 << 20)

/* Where the stack comes from. A zero field means the default in its comment. */
typedef struct StackSource {
    const char *layers;         /* SPEC text or "@FILE"; NULL with a lesson */
    const char *lesson;         /* lesson name; NULL with layers */
    int size_h, size_w;         /* --input-size; 0: the input's, the lesson's or the default */
    size_t input_h, input_w, input_c; /* the scene's -i input; 0: none given */
} StackSource;

typedef struct StackStage {
    size_t layer;               /* the spec layer drawn as this map (stage 0: unused) */
    size_t last;                /* the last spec layer folded into it */
    size_t h, w, c;             /* the map (c 0: unknown channel count) */
    uint64_t params, macs;      /* of layers layer..last (stage 0: the layers before
                                   the first spatial one) */
    int nonlin;                 /* activations among them */
    char folded[48];            /* "ReLU", "BatchNorm2d, ReLU", or "" */
} StackStage;

typedef struct StackPane {
    char title[128];            /* the lesson's pane title, or the source's name */
    LayerStack spec;            /* owned */
    RfLayer *rf;                /* spec.count entries, owned */
    StackStage *stages;         /* n_stages entries, owned; [0] is the input */
    size_t n_stages;
} StackPane;

/* A cell of one pane's stage; pane < 0 means none. y, x may lie outside
 * the map only for lit fields, never for a clicked cell. (In View it is a
 * Target of kind TARGET_STACK_CELL: f = pane, c = stage, y, x.) */
typedef struct StackCell {
    int pane, stage, y, x;
} StackCell;

typedef struct StackScene {
    const Lesson *lesson;       /* NULL: a --layers stack */
    char *layers;               /* the SPEC or @FILE it was built from (owned), so a
                                   new input can rebuild it; NULL with a lesson */
    char source[128];           /* "--layers", the @FILE's name, or the lesson's name */
    int n_panes;
    StackPane panes[LESSON_MAX_PANES];
    size_t shown;               /* growth: stages added so far, 0..max_stage */
    size_t max_stage;           /* the largest pane's last stage index */
    bool picture;               /* pane 0's input is the scene's -i input at its own
                                   size: drawn as its picture */
    int home_h, home_w;         /* the --input-size the program started with, kept
                                   when lessons replace the stack */
    const SceneKind *home_kind; /* a lesson: the scene the lessons left (a network),
                                   shown again when l comes back home; NULL: none */
    void *home_model;           /* its model, owned (freed with home_kind->destroy) */
} StackScene;

/* Builds the stack src names: reads @FILE, parses it (a syntax error keeps
 * spec_parse's "line L, column C: ..." message), picks the input size
 * (--input-size, else the -i input, else the lesson's, else
 * STACK_DEFAULT_INPUT when the stack fits it, else STACK_LARGE_INPUT) and
 * works out every layer. Fails with the message of the first problem: an
 * unreadable file ("cannot read FILE: why"), an unknown lesson (listing the
 * names), a parse error, channels that do not chain, or a layer whose
 * output would be below 1x1 (rf_compute names it), prefixed with the input
 * size ("with a 32x32 input: layer 3 (...): ..."). The lesson starts at
 * step 0 (the input alone), a --layers stack with every layer shown. */
Status stack_create(const StackSource *src, StackScene **out, Error *err);

/* Frees everything. NULL is fine. */
void stack_destroy(StackScene *s);

/* Growth steps: max_stage + 1 (step 0 shows the input alone). */
size_t stack_step_count(const StackScene *s);
/* The current step (= shown). */
size_t stack_step_index(const StackScene *s);
/* Goes to step index (clamped). */
void stack_seek(StackScene *s, size_t index);

/* The newest stage shown in pane p: min(shown, its last stage). */
size_t stack_current(const StackScene *s, int p);

/* The focus of pane p: the clicked cell `selected` when it is in p, else
 * the centre cell of p's newest stage. */
StackCell stack_focus(const StackScene *s, int p, StackCell selected);

/* The lit range of every stage 0..stack_current(p) of pane p for focus
 * cell f (which must be in p), into out[stage][axis] (axis 0 rows, 1
 * columns): the field on earlier stages, the cells fed on later ones (lo >
 * hi: none), the cell itself on f's stage. O(stages). */
void stack_fields(const StackScene *s, int p, StackCell f, CellRange (*out)[2]);

/* Whether c is a cell of a stage shown now (a pane, a stage up to
 * stack_current, a row and column inside its map). */
bool stack_cell_shown(const StackScene *s, StackCell c);

/* Whether path names a layer-spec file (.txt or .py: pasted model code)
 * rather than an input (image or .npy). */
bool stack_is_spec_file(const char *path);

/* Reads a spec argument: text itself, or the file after '@' ("@-" for
 * standard input) into a malloc'd string (*text; the caller frees it),
 * read once through filein_read (a pipe is read as a stream). Fails with
 * filein_read's errors ("cannot read FILE: why", "FILE is a directory", ...),
 * "FILE is not a text file" or "FILE is larger than N bytes". */
Status stack_read_spec(const char *arg, char **text, Error *err);

#endif
