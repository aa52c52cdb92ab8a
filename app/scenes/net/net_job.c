/* net_job.c: building a network scene's model, here or on a worker thread
 * (see net_job.h). Reading order: requests, the estimate, running one,
 * the job and its thread. */
#include "net_job.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rf.h"
#include "spec.h"
#include "stack.h"

/* ------------------------------------------------------------- requests */

static char *dup_or_null(const char *text, bool *failed)
{
    if (!text)
        return NULL;
    char *d = strdup(text);
    if (!d)
        *failed = true;
    return d;
}

/* The settings of cur that every request keeps. */
static Status request_from(const NetScene *cur, const char *layers, bool keep_params, NetRequest *r, Error *err)
{
    memset(r, 0, sizeof *r);
    bool failed = false;
    r->layers = dup_or_null(layers, &failed);
    r->weights = keep_params ? dup_or_null(cur->weights, &failed) : NULL;
    r->labels = keep_params ? dup_or_null(cur->labels, &failed) : NULL;
    r->normalize = dup_or_null(cur->normalize, &failed);
    r->size_h = cur->size_h;
    r->size_w = cur->size_w;
    r->seed = cur->seed;
    r->sorted = cur->sorted;
    r->async_ms = cur->async_ms;
    if (failed) {
        net_request_free(r);
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    }
    return CS_OK;
}

Status net_request_input(const NetScene *cur, Tensor *picture, bool image, const char *name, const char *note,
                         NetRequest *r, Error *err)
{
    Status st = request_from(cur, cur->layers, true, r, err);
    if (st != CS_OK) {
        tensor_free(picture);
        return st;
    }
    snprintf(r->source, sizeof r->source, "%s", cur->source);
    r->picture = *picture;
    memset(picture, 0, sizeof *picture);
    r->image = image;
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->note, sizeof r->note, "%s", note ? note : "");
    r->new_input = true;
    return CS_OK;
}

Status net_request_layers(const NetScene *cur, const char *layers, const Tensor *picture, bool image,
                          const char *name, NetRequest *r, Error *err)
{
    Status st = request_from(cur, layers, false, r, err);
    if (st == CS_OK && (st = tensor_copy(&r->picture, picture, err)) != CS_OK)
        net_request_free(r);
    if (st != CS_OK)
        return st;
    r->image = image;
    snprintf(r->name, sizeof r->name, "%s", name);
    return CS_OK;
}

void net_request_free(NetRequest *r)
{
    free(r->layers);
    free(r->weights);
    free(r->labels);
    free(r->normalize);
    tensor_free(&r->picture);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------- the estimate */

#define MACS_PER_MS 2e6         /* 2 multiply-adds a nanosecond: one core, vectorised */
#define BYTES_PER_MS 1e6        /* reading and checking a weights file: 1 GB/s */

double net_request_estimate_ms(const NetRequest *r)
{
    char *text = NULL;
    LayerStack spec = {0};
    Error e;
    double ms = 0.0;
    if (!r->layers || stack_read_spec(r->layers, &text, &e) != CS_OK)
        return 0.0;
    if (spec_parse(text, &spec, &e) == CS_OK && spec.count > 0) {
        size_t h = r->size_h > 0 ? (size_t)r->size_h : r->picture.h;
        size_t w = r->size_h > 0 ? (size_t)(r->size_w > 0 ? r->size_w : r->size_h) : r->picture.w;
        RfLayer *rf = calloc(spec.count, sizeof *rf);
        if (rf && rf_compute(&spec, h, w, r->picture.c, rf, &e) == CS_OK) {
            double macs = 0.0, params = 0.0;
            for (size_t i = 0; i < spec.count; i++) {
                macs += (double)rf[i].macs;
                params += (double)rf[i].params;
            }
            ms = macs / MACS_PER_MS + (r->weights ? params * 4.0 / BYTES_PER_MS : 0.0);
        }
        free(rf);
    }
    spec_free(&spec);
    free(text);
    return ms;
}

/* ------------------------------------------------------------- running one */

Status net_request_run(const NetRequest *r, NetScene **out, Error *err)
{
    NetSource src = {r->layers, r->weights, r->labels, r->normalize, r->size_h, r->size_w, r->seed};
    Status st = net_scene_create(&src, &r->picture, r->image, r->name, out, err);
    if (st != CS_OK)
        return st;
    (*out)->sorted = r->sorted;
    (*out)->async_ms = r->async_ms;
    if (r->source[0])
        snprintf((*out)->source, sizeof (*out)->source, "%s", r->source);
    return CS_OK;
}

/* ------------------------------------------------------------- the job */

struct NetJob {
    NetRequest req;
    pthread_t thread;
    pthread_mutex_t lock;       /* guards finished and abandoned */
    bool finished;              /* the worker has stored its result */
    bool abandoned;             /* nobody will take the result: the worker frees all */
    struct timespec started;
    NetScene *made;             /* the result (owned until taken) */
    Status status;
    Error err;
};

static void job_destroy(NetJob *j)
{
    net_scene_destroy(j->made);
    net_request_free(&j->req);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

static void *job_main(void *arg)
{
    NetJob *j = arg;
    NetScene *made = NULL;
    Error err = {0};
    Status st = net_request_run(&j->req, &made, &err);
    pthread_mutex_lock(&j->lock);
    j->made = made;
    j->status = st;
    j->err = err;
    j->finished = true;
    bool abandoned = j->abandoned;
    pthread_mutex_unlock(&j->lock);
    if (abandoned)
        job_destroy(j);
    return NULL;
}

Status net_job_start(NetRequest *r, NetJob **out, Error *err)
{
    *out = NULL;
    NetJob *j = calloc(1, sizeof *j);
    if (!j) {
        net_request_free(r);
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    }
    j->req = *r;
    memset(r, 0, sizeof *r);
    clock_gettime(CLOCK_MONOTONIC, &j->started);
    pthread_mutex_init(&j->lock, NULL);
    int e = pthread_create(&j->thread, NULL, job_main, j);
    if (e != 0) {
        job_destroy(j);
        return error_set(err, CS_ERR_NOMEM, "cannot start a worker thread: %s", strerror(e));
    }
    *out = j;
    return CS_OK;
}

bool net_job_done(NetJob *j)
{
    pthread_mutex_lock(&j->lock);
    bool done = j->finished;
    pthread_mutex_unlock(&j->lock);
    return done;
}

double net_job_seconds(const NetJob *j)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - j->started.tv_sec) + (double)(now.tv_nsec - j->started.tv_nsec) * 1e-9;
}

const NetRequest *net_job_request(const NetJob *j)
{
    return &j->req;
}

Status net_job_take(NetJob *j, NetScene **out, Error *err)
{
    pthread_join(j->thread, NULL);
    *out = j->made;
    j->made = NULL;
    if (j->status != CS_OK && err)
        *err = j->err;
    return j->status;
}

void net_job_free(NetJob *j)
{
    if (j)
        job_destroy(j);
}

void net_job_abandon(NetJob *j)
{
    if (!j)
        return;
    pthread_t thread = j->thread;
    pthread_mutex_lock(&j->lock);
    bool finished = j->finished;
    j->abandoned = !finished;
    pthread_mutex_unlock(&j->lock);
    if (finished) {
        pthread_join(thread, NULL);
        job_destroy(j);
    } else {
        /* from here the worker owns j and frees it when it ends */
        pthread_detach(thread);
    }
}
