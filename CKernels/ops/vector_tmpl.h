/*
 * vector_tmpl.h — the passes over a whole parameter vector that end every
 * training step (the update stage's, update_stage.h): the finiteness scan
 * of the gradient and each rule's update checked as it goes. Written once;
 * narrow_instances.h includes it per precision in each ISA build
 * (portable, AVX2, AVX-512), next to the narrow engine, and the dispatch
 * table picks the build. Before each inclusion:
 *
 *   R          element type (double, float)
 *   P(name)    names of the precision (name##_d, name##_s): the stage's
 *              element rules (bp_sgd_rule_d, ...)
 *   ABS        fabs / fabsf (the narrow engine's)
 *   V_MAX      the largest finite R (DBL_MAX, FLT_MAX)
 *   V_SCAN     the scan to define (bp_vec_nonfinite_d_avx2, ...)
 *   V_SGD      the SGD rule's pass to define (bp_vec_sgd_d_avx2, ...)
 *   V_MAXABS   the largest magnitude to define (bp_vec_maxabs_d_avx2, ...)
 *   V_INT, V_INT_MAX   the signed integer type of R's width and its maximum
 *
 * Why per ISA: these passes are memory-bound, and only vector code reaches
 * the memory's speed. Built for the x86-64 baseline (SSE2, which has no
 * 64-bit integer compare), GCC left the double versions scalar; under the
 * AVX2 and AVX-512 targets both compilers vectorise them.
 *
 * A value is finite exactly when |x| ≤ V_MAX (NaN fails every comparison):
 * a floating-point compare that vectorises in every build, accumulated
 * with OR, with no early exit.
 */

#include <stdint.h>
#include <string.h>

#ifndef V_BLOCK
#define V_BLOCK ((size_t)4096)
#endif

/* Index of the first NaN or infinity in x[0 .. n), or n: blocks of V_BLOCK
 * values tested at once, the first hit searched for only in the block
 * that has one. */
size_t V_SCAN(size_t n, const R *x) {
    for (size_t b = 0; b < n; b += V_BLOCK) {
        size_t len = n - b < V_BLOCK ? n - b : V_BLOCK;
        int bad = 0;
        for (size_t i = 0; i < len; i++) bad |= !(ABS(x[b + i]) <= V_MAX);
        if (bad)
            for (size_t i = 0; i < len; i++)
                if (!(ABS(x[b + i]) <= V_MAX)) return b + i;
    }
    return n;
}

/* p ← p + alpha·g (alpha = −η) by the stage's SGD element rule, returning
 * 1 if every new value is finite: a product, then a sum (FMA contraction
 * where the build allows it), each new value checked while in a
 * register. */
int V_SGD(size_t n, R alpha, const R *restrict g, R *restrict p) {
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        R v = P(bp_sgd_rule)(p[i], alpha, g[i]);
        bad |= !(ABS(v) <= V_MAX);
        p[i] = v;
    }
    return !bad;
}

/* max |x[i]| over x[0 .. n) (0 for n = 0), or +infinity if any value is
 * NaN or infinite: the magnitudes the network engine bounds its fused
 * update with (mlp_tmpl.h). Computed on the bit patterns: with the sign
 * bit cleared, the patterns of non-negative values order as the values do,
 * and every NaN's lies above +infinity's, so one integer maximum finds
 * both the largest magnitude and any value that is not finite. A
 * floating-point maximum would skip NaN (it fails `a > m`), and without
 * leave to reorder NaN the compilers keep that reduction scalar; the
 * integer one vectorises in every build (GCC and clang). */
R V_MAXABS(size_t n, const R *x) {
    V_INT most = 0;
    for (size_t i = 0; i < n; i++) {
        V_INT bits;
        memcpy(&bits, x + i, sizeof bits);
        bits &= V_INT_MAX; /* |x[i]| */
        most = bits > most ? bits : most;
    }
    const R largest = V_MAX;
    V_INT limit;
    memcpy(&limit, &largest, sizeof limit);
    if (most > limit) return (R)INFINITY;
    R r;
    memcpy(&r, &most, sizeof r);
    return r;
}
