/*
 * exec.h — the execution context's internals (exec.c; the API is
 * bp_exec.h): the part of a context every kernel reads inline, its
 * threads and its packing workspace. Not part of the API.
 *
 * The kernel set a context carries is declared in runtime/dispatch.h; the
 * GEMM reads only its GEMM slots (gemm/gemm_internal.h, bp_exec_gemm), so
 * this header names both types without defining them.
 */
#ifndef BP_RUNTIME_EXEC_H
#define BP_RUNTIME_EXEC_H

#include <stddef.h>
#include "bp_exec.h"

struct bp_kernel_set;   /* runtime/dispatch.h */
struct bp_gemm_kernels; /* gemm/gemm_internal.h */

/* The part of struct bp_exec (exec.c) that the kernels read on every call,
 * as its first member: declared here so that bp_exec_kernels and
 * bp_exec_gemm inline. */
typedef struct bp_exec_head {
    const struct bp_kernel_set *kernels; /* the kernel set the context was created with */
    const struct bp_gemm_kernels *gemm;  /* its GEMM slots: &kernels->gemm */
    int reference;                       /* BP_EXEC_REFERENCE: the reference code */
} bp_exec_head;

/* The head of a context (a pointer to a struct may be converted to a
 * pointer to its first member); exec is not NULL. */
static inline const bp_exec_head *bp_exec_head_of(const bp_exec *exec) {
    return (const bp_exec_head *)(const void *)exec;
}

/* Whether exec was created with BP_EXEC_REFERENCE (0 for NULL): GEMMs
 * through it run bp_?gemm_reference, networks the reference engine. */
static inline int bp_exec_reference(const bp_exec *exec) {
    return exec != NULL && bp_exec_head_of(exec)->reference;
}

/* Packing workspace of thread tid (bp_gemm_workspace_bytes() bytes,
 * BP_GEMM_ALIGN-aligned). */
void *bp_exec_workspace(const bp_exec *exec, size_t tid);

/* Runs job(arg, tid, nthreads) on threads tid = 0 .. nthreads−1 of the pool
 * (the caller is thread 0) and returns when all have finished.
 * nthreads ≤ bp_exec_threads(exec). */
typedef void (*bp_exec_job)(void *arg, size_t tid, size_t nthreads);
void bp_exec_run(const bp_exec *exec, size_t nthreads, bp_exec_job job, void *arg);
/* Inside a job: waits until all nthreads threads of the job have arrived. */
void bp_exec_barrier(const bp_exec *exec, size_t nthreads);

#endif /* BP_RUNTIME_EXEC_H */
