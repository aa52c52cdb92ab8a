/* net_job.h: building a network scene's model away from the window
 * (issue 10: "a pass longer than ~100 ms runs on a worker thread, the
 * window stays responsive, and a newer image cancels the older pass").
 *
 * A NetRequest says what to build: the network of the scene shown (its
 * source, weights, labels, --normalize, --input-size, seed) on a new
 * picture, or new layers on the picture shown. net_request_run builds it
 * here and now; net_job_start builds it on a worker thread (pthreads) and
 * the window polls net_job_done from its loop (the net kind's tick hook,
 * kind.h): nothing here knows about SDL or the window.
 *
 * Cancelling: core's net_forward has no point where it could stop, so an
 * abandoned job (a newer image came, or the scene went away) runs to its
 * end on its own thread, which then frees what it built: its result is
 * never shown and the caller never waits for it.
 *
 * Export never comes here: it builds its scene with net_scene_create, in
 * order, so its frames are the same whatever the machine's speed. */
#ifndef CONVSTEP_NET_JOB_H
#define CONVSTEP_NET_JOB_H

#include <stdbool.h>

#include "error.h"
#include "net_scene.h"
#include "tensor.h"

/* What to build. Every field is owned by the request. */
typedef struct NetRequest {
    char *layers, *weights, *labels, *normalize;    /* as NetSource's */
    int size_h, size_w;
    uint64_t seed;
    char source[128];           /* the source's name to keep; "": from layers */
    bool sorted;                /* the tiles' order to keep */
    double async_ms;            /* NetScene.async_ms to keep */
    Tensor picture;             /* 1 x C x H x W, as the scene's input takes it */
    bool image;                 /* its channels are colours */
    char name[128];             /* its name */
    char note[160];             /* what reading it said ("resampled from ..."), or "" */
    bool new_input;             /* picture is a new input for the whole scene */
} NetRequest;

/* The network of cur on *picture (moved into the request: *picture is
 * empty after), a new input called name. Fails only when memory runs
 * out (then *picture is freed). */
Status net_request_input(const NetScene *cur, Tensor *picture, bool image, const char *name, const char *note,
                         NetRequest *r, Error *err);

/* New layers (SPEC text or "@FILE") on cur's picture as it was given
 * (picture, copied), keeping cur's --normalize, --input-size and seed;
 * weights and labels belonged to the old layers and are dropped. */
Status net_request_layers(const NetScene *cur, const char *layers, const Tensor *picture, bool image,
                          const char *name, NetRequest *r, Error *err);

/* Frees what r owns. A zeroed request is fine. */
void net_request_free(NetRequest *r);

/* About how long the request takes, in milliseconds: its multiply-adds
 * (rf.h's macs for the picture's size after --input-size) at 2 per
 * nanosecond, plus reading the weights file (its parameters at 1 GB/s).
 * 0 when the layers cannot be read or do not fit the picture (the build
 * then fails at once with the reason). */
double net_request_estimate_ms(const NetRequest *r);

/* Builds the request's scene here (net_scene_create, then the kept order,
 * source name and async_ms). */
Status net_request_run(const NetRequest *r, NetScene **out, Error *err);

typedef struct NetJob NetJob;

/* Starts a worker thread on *r (moved into the job: *r is zeroed). On
 * failure (no thread) *r is freed and err says why. */
Status net_job_start(NetRequest *r, NetJob **out, Error *err);

/* Whether the worker has finished (its result waits in the job). */
bool net_job_done(NetJob *j);

/* Seconds since the job started. */
double net_job_seconds(const NetJob *j);

/* The job's request (its picture, name and note). */
const NetRequest *net_job_request(const NetJob *j);

/* Waits for the worker (at once when net_job_done) and hands over its
 * result: *out (owned by the caller from now on), or the build's error.
 * Call once; then net_job_free. */
Status net_job_take(NetJob *j, NetScene **out, Error *err);

/* Frees a job whose result was taken. */
void net_job_free(NetJob *j);

/* Gives the job up without waiting: its result is freed by the worker
 * when it ends (at once when it has). NULL is fine. */
void net_job_abandon(NetJob *j);

#endif
