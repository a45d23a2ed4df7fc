/*
 * exec.c — the execution context: a persistent thread pool and
 * preallocated packing workspaces (see bp_exec.h; internals: exec.h).
 *
 * Pool protocol. The caller (thread 0) writes the job, sets `pending` and
 * bumps `generation` under the mutex, broadcasting `wake`; each worker
 * whose id is below the job's thread count runs it and decrements
 * `pending`, which the caller polls. Between jobs a worker polls
 * `generation` for a while (products come back to back in training) and
 * then sleeps on `wake` — no thread is created per call.
 * bp_exec_free sets `stop` and joins the workers.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "runtime/internal.h"
#include "runtime/dispatch.h"

struct bp_exec {
    bp_exec_head head; /* first: read inline (runtime/exec.h) */
    size_t threads;
    size_t ws_bytes;
    unsigned char *ws; /* threads × ws_bytes, aligned */

    pthread_t *workers; /* threads − 1 */
    size_t started;     /* workers actually running */
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    atomic_ulong generation; /* bumped (under mutex) to publish a job */
    atomic_size_t pending;   /* workers still running the current job */
    atomic_int stop;
    bp_exec_job job;           /* written before generation is bumped, */
    void *job_arg;             /* read only by the job's own threads */
    atomic_size_t job_threads; /* read by every worker */

    /* barrier inside a job (bp_exec_barrier) */
    atomic_size_t bar_count;
    atomic_uint bar_generation;
};

/* How long a worker keeps polling for the next job before it sleeps on the
 * condition variable, and how long the caller polls for the workers to
 * finish before yielding. Waking a sleeping thread can cost as much as a
 * mid-size product (a halted virtual CPU must be woken), and a training
 * step issues its products tens of microseconds apart (activations, loss
 * and update run in between), so the worker polls for up to
 * WORKER_SPIN_NS, long enough to stay awake between the products of a
 * step; once training stops, it sleeps after that time. Measurements:
 * Benchmarks/README.md, "Kernel design measurements". */
enum { WORKER_SPIN_NS = 200000, WORKER_SPIN_CHECK = 256, CALLER_SPINS = 4000 };

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

typedef struct worker_arg {
    bp_exec *exec;
    size_t tid;
} worker_arg;

static void *worker_main(void *p) {
    worker_arg wa = *(worker_arg *)p;
    free(p);
    bp_exec *ex = wa.exec;
    unsigned long seen = 0;
    for (;;) {
        /* Poll for a while (cheap when jobs come back to back), then sleep. */
        unsigned long g = seen;
        long long until = now_ns() + WORKER_SPIN_NS;
        for (unsigned i = 1;; i++) {
            g = atomic_load_explicit(&ex->generation, memory_order_acquire);
            if (g != seen || atomic_load_explicit(&ex->stop, memory_order_relaxed)) break;
            if (i % WORKER_SPIN_CHECK == 0 && now_ns() >= until) break;
        }
        if (g == seen && !atomic_load_explicit(&ex->stop, memory_order_relaxed)) {
            pthread_mutex_lock(&ex->mutex);
            while (atomic_load_explicit(&ex->generation, memory_order_acquire) == seen &&
                   !atomic_load_explicit(&ex->stop, memory_order_relaxed))
                pthread_cond_wait(&ex->wake, &ex->mutex);
            pthread_mutex_unlock(&ex->mutex);
            g = atomic_load_explicit(&ex->generation, memory_order_acquire);
        }
        if (atomic_load_explicit(&ex->stop, memory_order_acquire)) break;
        seen = g;
        size_t nt = atomic_load_explicit(&ex->job_threads, memory_order_relaxed);
        if (wa.tid >= nt) continue;
        ex->job(ex->job_arg, wa.tid, nt);
        atomic_fetch_sub_explicit(&ex->pending, 1, memory_order_release);
    }
    return NULL;
}

static void stop_workers(bp_exec *ex) {
    pthread_mutex_lock(&ex->mutex);
    atomic_store_explicit(&ex->stop, 1, memory_order_release);
    pthread_cond_broadcast(&ex->wake);
    pthread_mutex_unlock(&ex->mutex);
    for (size_t i = 0; i < ex->started; i++) pthread_join(ex->workers[i], NULL);
    ex->started = 0;
}

void bp_exec_free(bp_exec *ex) {
    if (ex == NULL) return;
    stop_workers(ex);
    pthread_cond_destroy(&ex->wake);
    pthread_mutex_destroy(&ex->mutex);
    free(ex->workers);
    free(ex->ws);
    free(ex);
}

bp_status bp_exec_create_with(size_t threads, unsigned flags, bp_exec **out) {
    if (out == NULL) return BP_ERR_NULL_POINTER;
    if ((flags &
         ~(unsigned)(BP_EXEC_PORTABLE | BP_EXEC_AVX2 | BP_EXEC_AVX512 | BP_EXEC_REFERENCE)) != 0)
        return BP_ERR_BAD_ENUM;
    if (threads < 1 || threads > BP_EXEC_MAX_THREADS) return BP_ERR_BAD_VALUE;
    *out = NULL;

    bp_exec *ex = calloc(1, sizeof *ex);
    if (ex == NULL) return BP_ERR_NO_MEMORY;
    atomic_init(&ex->bar_count, 0);
    atomic_init(&ex->bar_generation, 0);
    atomic_init(&ex->generation, 0);
    atomic_init(&ex->pending, 0);
    atomic_init(&ex->stop, 0);
    atomic_init(&ex->job_threads, 0);
    ex->threads = threads;
    /* the reference code, with the portable kernels for what it leaves to
     * them (the dense layers' epilogues) */
    ex->head.reference = (flags & BP_EXEC_REFERENCE) != 0;
    ex->head.kernels = (flags & (BP_EXEC_PORTABLE | BP_EXEC_REFERENCE)) ? bp_kernel_set_portable()
                       : (flags & BP_EXEC_AVX2)                         ? bp_kernel_set_avx2()
                       : (flags & BP_EXEC_AVX512)                       ? bp_kernel_set_avx512()
                                                                        : bp_kernel_set_default();
    ex->head.gemm = &ex->head.kernels->gemm;
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

const char *bp_exec_kernel_name(const bp_exec *ex) {
    return bp_exec_reference(ex) ? "reference" : bp_exec_kernels(ex)->name;
}

void *bp_exec_workspace(const bp_exec *ex, size_t tid) { return ex->ws + tid * ex->ws_bytes; }

/*
 * A sense-counting barrier for the threads of one job: the last thread to
 * arrive resets the count and bumps the generation the others wait on.
 * Waiting spins briefly (the threads of a GEMM arrive within microseconds
 * of each other), then yields the core, so a descheduled partner on a busy
 * machine does not cost a full time slice of spinning.
 */
void bp_exec_barrier(const bp_exec *cex, size_t nthreads) {
    bp_exec *ex = (bp_exec *)cex;
    unsigned gen = atomic_load_explicit(&ex->bar_generation, memory_order_acquire);
    if (atomic_fetch_add_explicit(&ex->bar_count, 1, memory_order_acq_rel) + 1 == nthreads) {
        atomic_store_explicit(&ex->bar_count, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&ex->bar_generation, 1, memory_order_acq_rel);
        return;
    }
    for (unsigned spins = 0; atomic_load_explicit(&ex->bar_generation, memory_order_acquire) == gen;
         spins++) {
        if (spins >= 2000) sched_yield();
    }
}

void bp_exec_run(const bp_exec *cex, size_t nthreads, bp_exec_job job, void *arg) {
    /* The context was created non-const by bp_exec_create; a bp_exec is
     * used by one thread at a time (bp_exec.h), so the pool state may be
     * updated through this const pointer. */
    bp_exec *ex = (bp_exec *)cex;
    if (nthreads > ex->threads) nthreads = ex->threads;
    if (nthreads <= 1) {
        job(arg, 0, 1);
        return;
    }
    ex->job = job;
    ex->job_arg = arg;
    atomic_store_explicit(&ex->job_threads, nthreads, memory_order_relaxed);
    atomic_store_explicit(&ex->pending, nthreads - 1, memory_order_relaxed);
    /* Publish under the mutex, so a worker about to sleep cannot miss it. */
    pthread_mutex_lock(&ex->mutex);
    atomic_fetch_add_explicit(&ex->generation, 1, memory_order_release);
    pthread_cond_broadcast(&ex->wake);
    pthread_mutex_unlock(&ex->mutex);

    job(arg, 0, nthreads);

    for (unsigned spins = 0; atomic_load_explicit(&ex->pending, memory_order_acquire) != 0; spins++)
        if (spins >= CALLER_SPINS) sched_yield();
}
