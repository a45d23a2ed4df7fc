/*
 * alloc_counter.c — heap-allocation counter for the benchmarks.
 *
 * On glibc, an executable that defines malloc & co. interposes them for the
 * whole process (the library included); we count each call and forward to
 * glibc's own implementation (__libc_malloc, ...). Elsewhere the counter
 * reports "unsupported" and counts nothing.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdatomic.h>
#include "alloc_counter.h"

#if defined(__GLIBC__) || (defined(__linux__) && !defined(__APPLE__))
#include <errno.h>
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static _Atomic uint64_t count;

void *malloc(size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t a, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    void *p = memalign(a, n);
    if (p == NULL && n != 0) return ENOMEM;
    *out = p;
    return 0;
}
uint64_t alloc_counter_total(void) { return atomic_load(&count); }
int alloc_counter_supported(void) { return 1; }
#else
uint64_t alloc_counter_total(void) { return 0; }
int alloc_counter_supported(void) { return 0; }
#endif
