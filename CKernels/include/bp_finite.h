/*
 * bp_finite.h — finding the first NaN or infinity in an array.
 *
 * Data validation before training scans every input once (60 000 × 784
 * values for an MNIST-sized set); a scan that stops at the first hit runs
 * one value at a time. These test blocks of values with a branch-free OR
 * of exponent bits, which compilers vectorise, and look for the first
 * non-finite value only inside a block that has one.
 */
#ifndef BP_FINITE_H
#define BP_FINITE_H

#include <stddef.h>
#include "bp_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * *index receives the index of the first element of x[0 .. n) that is NaN
 * or ±infinity, or n if every element is finite (n == 0 gives 0; x may then
 * be NULL).
 */
bp_status bp_find_nonfinite(size_t n, const double *x, size_t *index);

/** The same for float arrays. */
bp_status bp_find_nonfinite_f32(size_t n, const float *x, size_t *index);

#ifdef __cplusplus
}
#endif

#endif /* BP_FINITE_H */
