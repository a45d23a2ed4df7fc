/*
 * exec.c — the execution context: a persistent thread pool and
 * preallocated packing workspaces (see bp_exec.h).
 *
 * Pool protocol. The caller (thread 0) publishes a job under the mutex,
 * bumps `generation` and broadcasts `wake`; each worker whose id is below
 * the job's thread count runs it, then decrements `pending` and the last
 * one signals `done`. Workers sleep on `wake` between jobs (no spinning,
 * no thread creation per call). bp_exec_free sets `stop` and joins them.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "gemm_internal.h"

struct bp_exec {
    size_t threads;
    const bp_gemm_kernels *kernels;
    size_t ws_bytes;
    unsigned char *ws;            /* threads × ws_bytes, aligned */

    pthread_t *workers;           /* threads − 1 */
    size_t started;               /* workers actually running */
    pthread_mutex_t mutex;
    pthread_cond_t wake, done;
    unsigned long generation;
    size_t pending;
    int stop;
    bp_exec_job job;
    void *job_arg;
    size_t job_threads;
};

typedef struct worker_arg { bp_exec *exec; size_t tid; } worker_arg;

static void *worker_main(void *p) {
    worker_arg wa = *(worker_arg *)p;
    free(p);
    bp_exec *ex = wa.exec;
    unsigned long seen = 0;
    pthread_mutex_lock(&ex->mutex);
    for (;;) {
        while (!ex->stop && ex->generation == seen)
            pthread_cond_wait(&ex->wake, &ex->mutex);
        if (ex->stop) break;
        seen = ex->generation;
        if (wa.tid >= ex->job_threads) continue;
        bp_exec_job job = ex->job;
        void *arg = ex->job_arg;
        size_t nt = ex->job_threads;
        pthread_mutex_unlock(&ex->mutex);
        job(arg, wa.tid, nt);
        pthread_mutex_lock(&ex->mutex);
        if (--ex->pending == 0) pthread_cond_signal(&ex->done);
    }
    pthread_mutex_unlock(&ex->mutex);
    return NULL;
}

static void stop_workers(bp_exec *ex) {
    pthread_mutex_lock(&ex->mutex);
    ex->stop = 1;
    pthread_cond_broadcast(&ex->wake);
    pthread_mutex_unlock(&ex->mutex);
    for (size_t i = 0; i < ex->started; i++) pthread_join(ex->workers[i], NULL);
    ex->started = 0;
}

void bp_exec_free(bp_exec *ex) {
    if (ex == NULL) return;
    stop_workers(ex);
    pthread_cond_destroy(&ex->done);
    pthread_cond_destroy(&ex->wake);
    pthread_mutex_destroy(&ex->mutex);
    free(ex->workers);
    free(ex->ws);
    free(ex);
}

bp_status bp_exec_create_with(size_t threads, unsigned flags, bp_exec **out) {
    if (out == NULL) return BP_ERR_NULL_POINTER;
    if ((flags & ~(unsigned)BP_EXEC_PORTABLE) != 0) return BP_ERR_BAD_ENUM;
    if (threads < 1 || threads > BP_EXEC_MAX_THREADS) return BP_ERR_BAD_VALUE;
    *out = NULL;

    bp_exec *ex = calloc(1, sizeof *ex);
    if (ex == NULL) return BP_ERR_NO_MEMORY;
    ex->threads = threads;
    ex->kernels = (flags & BP_EXEC_PORTABLE) ? bp_gemm_kernels_portable()
                                             : bp_gemm_kernels_default();
    ex->ws_bytes = bp_gemm_workspace_bytes();
    ex->ws_bytes = (ex->ws_bytes + BP_GEMM_ALIGN - 1) / BP_GEMM_ALIGN * BP_GEMM_ALIGN;
    void *ws = NULL;
    if (posix_memalign(&ws, BP_GEMM_ALIGN, ex->ws_bytes * threads) != 0) {
        free(ex);
        return BP_ERR_NO_MEMORY;
    }
    ex->ws = ws;
    if (pthread_mutex_init(&ex->mutex, NULL) != 0) {
        free(ex->ws);
        free(ex);
        return BP_ERR_NO_MEMORY;
    }
    if (pthread_cond_init(&ex->wake, NULL) != 0) {
        pthread_mutex_destroy(&ex->mutex);
        free(ex->ws);
        free(ex);
        return BP_ERR_NO_MEMORY;
    }
    if (pthread_cond_init(&ex->done, NULL) != 0) {
        pthread_cond_destroy(&ex->wake);
        pthread_mutex_destroy(&ex->mutex);
        free(ex->ws);
        free(ex);
        return BP_ERR_NO_MEMORY;
    }
    /* From here on bp_exec_free cleans up whatever was built. */
    if (threads > 1) {
        ex->workers = calloc(threads - 1, sizeof *ex->workers);
        if (ex->workers == NULL) {
            bp_exec_free(ex);
            return BP_ERR_NO_MEMORY;
        }
        for (size_t i = 0; i + 1 < threads; i++) {
            worker_arg *wa = malloc(sizeof *wa);
            if (wa == NULL) {
                bp_exec_free(ex);
                return BP_ERR_NO_MEMORY;
            }
            wa->exec = ex;
            wa->tid = i + 1;
            if (pthread_create(&ex->workers[i], NULL, worker_main, wa) != 0) {
                free(wa);
                bp_exec_free(ex);
                return BP_ERR_NO_MEMORY;
            }
            ex->started++;
        }
    }
    *out = ex;
    return BP_OK;
}

bp_status bp_exec_create(size_t threads, bp_exec **out) {
    return bp_exec_create_with(threads, BP_EXEC_DEFAULT, out);
}

size_t bp_exec_threads(const bp_exec *ex) { return ex ? ex->threads : 1; }

const bp_gemm_kernels *bp_exec_kernels(const bp_exec *ex) {
    return ex ? ex->kernels : bp_gemm_kernels_default();
}

const char *bp_exec_kernel_name(const bp_exec *ex) { return bp_exec_kernels(ex)->name; }

void *bp_exec_workspace(const bp_exec *ex, size_t tid) {
    return ex->ws + tid * ex->ws_bytes;
}

void bp_exec_run(const bp_exec *cex, size_t nthreads, bp_exec_job job, void *arg) {
    /* The context was created non-const by bp_exec_create; a bp_exec is
     * used by one thread at a time (bp_exec.h), so the pool state may be
     * updated through this const pointer. */
    bp_exec *ex = (bp_exec *)cex;
    if (nthreads > ex->threads) nthreads = ex->threads;
    if (nthreads <= 1 || ex->started + 1 < nthreads) {
        for (size_t t = 0; t < nthreads; t++) job(arg, t, nthreads);
        return;
    }
    pthread_mutex_lock(&ex->mutex);
    ex->job = job;
    ex->job_arg = arg;
    ex->job_threads = nthreads;
    ex->pending = nthreads - 1;
    ex->generation++;
    pthread_cond_broadcast(&ex->wake);
    pthread_mutex_unlock(&ex->mutex);

    job(arg, 0, nthreads);

    pthread_mutex_lock(&ex->mutex);
    while (ex->pending > 0) pthread_cond_wait(&ex->done, &ex->mutex);
    pthread_mutex_unlock(&ex->mutex);
}
