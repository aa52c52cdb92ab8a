/* lesson.h: the demonstrations of the layer-stack scene, ready to play in
 * front of a class (`convstep --lesson NAME`, or L in the window). Each is
 * one to four stacks of layers (panes, drawn one above the other), the
 * input each starts from, a caption of a few plain sentences that answers
 * one question (why 3x3, how many 3x3 layers take 199x199 to 1x1, what 1x1
 * convolutions do, how kernels start, what training changes, ...), and a
 * kind of live numbers the growth strip adds for it. The data is the table
 * in lesson.c; every number shown comes from core/rf.h at run time. */
#ifndef CONVSTEP_LESSON_H
#define CONVSTEP_LESSON_H

#include <stddef.h>

#define LESSON_MAX_PANES 4

/* What the strip adds to the per-layer arithmetic. */
typedef enum LessonNumbers {
    LESSON_PLAIN,       /* nothing more */
    LESSON_SIZES,       /* the sizes so far (199, 197, ...) and the layer count */
    LESSON_COMPARE,     /* per pane: receptive field, weights as a multiple of C^2,
                           non-linearities */
    LESSON_INIT,        /* the current layer's fan_in and the initialisers' bounds */
    LESSON_TRAINING     /* how many numbers training adjusts */
} LessonNumbers;

typedef struct LessonPane {
    const char *title;      /* shown above the pane ("two 3x3") */
    const char *spec;       /* layers in PyTorch notation, or "@NAME" for the model
                               file assets/models/NAME */
    int repeat_to_one;      /* non-zero: spec is one layer, repeated until the
                               output is 1x1 (the count is worked out, not given) */
    int in_h, in_w, in_c;   /* the input this pane starts from */
} LessonPane;

typedef struct Lesson {
    const char *name;       /* --lesson NAME */
    const char *question;   /* the heading */
    const char *caption;    /* 2-4 sentences */
    LessonNumbers numbers;
    int n_panes;
    LessonPane panes[LESSON_MAX_PANES];
} Lesson;

/* The lessons in the order L cycles them; *count of them. */
const Lesson *lesson_table(size_t *count);

/* The lesson called name, or NULL. */
const Lesson *lesson_find(const char *name);

/* The names joined by ", " into buf (for error messages and --help). */
const char *lesson_names(char *buf, size_t size);

#endif
