/*
 * finite.c — bp_find_nonfinite (bp_finite.h) in both precisions, and the
 * unchecked scans the network engine uses on its gradients and parameters.
 *
 * A value is finite unless its exponent bits are all ones. Testing the bits
 * is an integer OR-reduction with no early exit, which compilers vectorise
 * (a loop that stops at the first hit, or a floating-point sum, would run
 * one value at a time). Blocks of FINITE_BLOCK values keep the work after a
 * hit small: only the block that has one is searched again.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "bp_finite.h"
#include "internal.h"

enum { FINITE_BLOCK = 4096 };

#define FINITE_SCAN(NAME, R, BITS, EXP)                                       \
    size_t NAME(size_t n, const R *x) {                                       \
        for (size_t b = 0; b < n; b += FINITE_BLOCK) {                        \
            size_t len = n - b < FINITE_BLOCK ? n - b : FINITE_BLOCK;         \
            BITS bad = 0;                                                     \
            for (size_t i = 0; i < len; i++) {                                \
                BITS u;                                                       \
                memcpy(&u, &x[b + i], sizeof u);                              \
                bad |= (BITS)((u & EXP) == EXP);                              \
            }                                                                 \
            if (bad)                                                          \
                for (size_t i = 0; i < len; i++)                              \
                    if (!isfinite(x[b + i])) return b + i;                    \
        }                                                                     \
        return n;                                                             \
    }

FINITE_SCAN(bp_nonfinite_index_d, double, uint64_t, 0x7FF0000000000000ull)
FINITE_SCAN(bp_nonfinite_index_s, float, uint32_t, 0x7F800000u)

bp_status bp_find_nonfinite(size_t n, const double *x, size_t *index) {
    if (index == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(bp_check_array(n, sizeof *x, x));
    *index = bp_nonfinite_index_d(n, x);
    return BP_OK;
}

bp_status bp_find_nonfinite_f32(size_t n, const float *x, size_t *index) {
    if (index == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(bp_check_array(n, sizeof *x, x));
    *index = bp_nonfinite_index_s(n, x);
    return BP_OK;
}
