/*
 * vector_tmpl.h — the passes over a whole parameter vector that end every
 * training step (the update stage's, update_stage.h): the finiteness scan
 * of the gradient and each rule's update (plain SGD's, and every other
 * optimiser's, update_rules.h) checked as it goes. Written once;
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
 *   V_STEP     every other rule's pass to define (bp_vec_step_d_avx2, ...)
 *   V_COEFFS   the precision's step scalars (bp_update_coeffs_d, _s)
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

/* ---- the optimisers other than plain SGD (update_rules.h) ----------------
 *
 * One loop per rule and per variant that keeps another slot of state,
 * each the rule's element function on [0, len) with every new value
 * checked in a register, as V_SGD's; the variants' flags are constants in
 * each call, so every loop is compiled for its own variant. The scalars
 * are the caller's local copy: the stores to the vectors cannot alias
 * them, and the compilers keep them in registers. Returns 1 if every new
 * parameter is finite.
 */
#define V_CHECKED_LOOP(NEW_VALUE)                                                                  \
    int bad = 0;                                                                                   \
    for (size_t i = 0; i < len; i++) {                                                             \
        const R v_new = NEW_VALUE;                                                                 \
        bad |= !(ABS(v_new) <= V_MAX);                                                             \
        p[i] = v_new;                                                                              \
    }                                                                                              \
    return !bad;

static inline int
P(v_sgd_decay)(const V_COEFFS *k, size_t len, R *restrict p, const R *restrict g) {
    V_CHECKED_LOOP(P(bp_sgd_decay_rule)(k, p[i], g[i]))
}

static inline int
P(v_sgd_momentum)(const V_COEFFS *k, size_t len, R *restrict p, const R *restrict g,
                                 R *restrict b) {
    V_CHECKED_LOOP(P(bp_sgd_momentum_rule)(k, p[i], g[i], b + i))
}

static inline int P(v_adam)(const V_COEFFS *k, int amsgrad, size_t len, R *restrict p,
                         const R *restrict g, R *restrict m, R *restrict v, R *restrict top) {
    V_CHECKED_LOOP(P(bp_adam_rule)(k, amsgrad, p[i], g[i], m + i, v + i, amsgrad ? top + i : NULL))
}

static inline int P(v_rmsprop)(const V_COEFFS *k, int centered, int momentum, size_t len,
                            R *restrict p, const R *restrict g, R *restrict sq, R *restrict avg,
                            R *restrict b) {
    V_CHECKED_LOOP(P(bp_rmsprop_rule)(k, centered, momentum, p[i], g[i], sq + i,
                                   centered ? avg + i : NULL, momentum ? b + i : NULL))
}

static inline int P(v_adagrad)(const V_COEFFS *k, size_t len, R *restrict p, const R *restrict g,
                            R *restrict sum) {
    V_CHECKED_LOOP(P(bp_adagrad_rule)(k, p[i], g[i], sum + i))
}

static inline int P(v_rprop)(const V_COEFFS *k, size_t len, R *restrict p, const R *restrict g,
                          R *restrict prev, R *restrict step) {
    V_CHECKED_LOOP(P(bp_rprop_rule)(k, p[i], g[i], prev + i, step + i))
}
#undef V_CHECKED_LOOP

/* One step of the rule of `coeffs` (not plain SGD: V_SGD's) on parameters
 * [lo, hi) of n: params and grad the whole vectors, state its slots of n
 * values each (bp_optimizer.h's layout; only the rule's slots addressed). */
int V_STEP(const V_COEFFS *coeffs, size_t n, size_t lo, size_t hi, R *params, const R *grad,
           R *state) {
    const V_COEFFS c = *coeffs;
    const size_t len = hi - lo;
    R *p = params + lo;
    const R *g = grad + lo;
#define V_SLOT(j) (state + (j) * n + lo)
    switch (c.rule) {
    case BP_OPTIMIZER_SGD:
        return c.buffer ? P(v_sgd_momentum)(&c, len, p, g, V_SLOT(0)) : P(v_sgd_decay)(&c, len, p, g);
    case BP_OPTIMIZER_ADAM:
    case BP_OPTIMIZER_ADAMW:
        return c.amsgrad ? P(v_adam)(&c, 1, len, p, g, V_SLOT(0), V_SLOT(1), V_SLOT(2))
                         : P(v_adam)(&c, 0, len, p, g, V_SLOT(0), V_SLOT(1), NULL);
    case BP_OPTIMIZER_RMSPROP:
        if (c.centered)
            return c.buffer ? P(v_rmsprop)(&c, 1, 1, len, p, g, V_SLOT(0), V_SLOT(1), V_SLOT(2))
                            : P(v_rmsprop)(&c, 1, 0, len, p, g, V_SLOT(0), V_SLOT(1), NULL);
        return c.buffer ? P(v_rmsprop)(&c, 0, 1, len, p, g, V_SLOT(0), NULL, V_SLOT(1))
                        : P(v_rmsprop)(&c, 0, 0, len, p, g, V_SLOT(0), NULL, NULL);
    case BP_OPTIMIZER_ADAGRAD: return P(v_adagrad)(&c, len, p, g, V_SLOT(0));
    case BP_OPTIMIZER_RPROP: return P(v_rprop)(&c, len, p, g, V_SLOT(0), V_SLOT(1));
    }
#undef V_SLOT
    return 1;
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
