/*
 * harness.h — shared helpers for the C test harness of CKernels.
 *
 * The harness checks every kernel against plain loops written in the tests,
 * against central finite differences, and against exact or higher-precision
 * arithmetic. Nothing here calls the code under test, so a bug in a kernel
 * cannot hide in its own yardstick.
 *
 * Test data come from a small fixed-seed generator of our own (SplitMix64),
 * independent of GSL and of the platform's rand(): every run sees the same
 * matrices.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "CKernels.h"

/* ---- groups: int run_<name>_tests(void) for each line of registry.h ----- */

#define HARNESS_GROUP(name) int run_##name##_tests(void);
#include "registry.h"
#undef HARNESS_GROUP

/* ---- assertions with readable messages --------------------------------- */

/** Fails the current test with a formatted message unless cond holds. */
#define H_EXPECT(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            print_error("%s:%d: expected %s\n  ", __FILE__, __LINE__, #cond);                      \
            print_error(__VA_ARGS__);                                                              \
            print_error("\n");                                                                     \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/** Calls a kernel and fails unless it returns `expected` (names both). */
#define H_STATUS(expected, call)                                                                   \
    do {                                                                                           \
        bp_status h_got_ = (call);                                                                 \
        bp_status h_want_ = (expected);                                                            \
        if (h_got_ != h_want_) {                                                                   \
            print_error("%s:%d: %s\n  returned %d (%s), expected %d (%s)\n", __FILE__, __LINE__,   \
                        #call, (int)h_got_, bp_status_string(h_got_), (int)h_want_,                \
                        bp_status_string(h_want_));                                                \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#define H_OK(call) H_STATUS(BP_OK, call)

/* ---- deterministic random test data ------------------------------------ */

/** SplitMix64: tiny, full-period, good enough for test data. */
typedef struct h_rng {
    uint64_t state;
} h_rng;

void h_seed(h_rng *r, uint64_t seed);
uint64_t h_next(h_rng *r);
/** Uniform on [lo, hi). */
double h_uniform(h_rng *r, double lo, double hi);
/** Uniform on [lo, hi) with a random sign: magnitude in [lo, hi). */
double h_uniform_signed(h_rng *r, double lo, double hi);
/** Integer uniform on [0, n), n ≥ 1. */
size_t h_below(h_rng *r, size_t n);
/** x[i] uniform on [lo, hi) for i < n. */
void h_fill(h_rng *r, double *x, size_t n, double lo, double hi);

/* ---- memory ------------------------------------------------------------- */

/** malloc of n doubles (at least one), aborting on failure; free with free(). */
double *h_alloc(size_t n);
/** h_alloc filled with `value`. */
double *h_alloc_fill(size_t n, double value);
/** A copy of x[0..n). */
double *h_copy(const double *x, size_t n);

/**
 * A rows × cols matrix with leading dimension ld (ld ≥ cols), as rows·ld
 * doubles (so the last row carries padding too). Elements are uniform on
 * [lo, hi); the padding (columns cols..ld−1 of every row) is set to `pad`.
 */
double *h_matrix(h_rng *r, size_t rows, size_t cols, size_t ld, double lo, double hi, double pad);

/**
 * True when every padding element (columns cols..ld−1 of every row) has
 * exactly the bit pattern of `pad` — i.e. nothing was written there.
 */
int h_padding_intact(const double *X, size_t rows, size_t cols, size_t ld, double pad);

/** True when x[0..n) are all finite. */
int h_all_finite(const double *x, size_t n);

/** Bitwise equality of two double arrays (so NaN == NaN, 0.0 != -0.0). */
int h_same_bits(const double *x, const double *y, size_t n);

/** Element-wise == of two double arrays (NaN never equal, 0.0 == -0.0). */
int h_same_values(const double *x, const double *y, size_t n);

/** A quiet NaN. */
double h_nan(void);

/**
 * The value we put into padding of *output* matrices. It is finite, of
 * magnitude 1 and uses all 53 bits, so that any write — beta·pad, or
 * pad + x for any x of the size of our test data — changes its bits. (A NaN
 * would survive beta·NaN unchanged, and a huge value would absorb pad + x.)
 */
#define H_OUT_PAD (-1.2345678901234567)

/**
 * The number of calls to malloc, calloc, realloc and posix_memalign made so
 * far by the library and the harness (test_exec.c counts them; the
 * Makefile links the harness with --wrap for each): the difference over a
 * stretch of calls is what they allocated.
 */
unsigned long h_allocations(void);

/* ---- errors -------------------------------------------------------------- */

/**
 * Norm-wise error between two m × n matrices (leading dimensions ldx, ldy):
 *   max_ij |X_ij − Y_ij| / scale.
 * Returns 0 when both are identical, +inf when scale is 0 but they differ.
 */
double h_normwise_err(size_t m, size_t n, const double *X, size_t ldx, const double *Y, size_t ldy,
                      double scale);

/** Largest |x_i| over x[0..n). */
double h_max_abs(const double *x, size_t n);

/**
 * Comparison of an analytic gradient with a finite-difference one:
 *   max_i |an_i − fd_i| / max(|an_i|, |fd_i|, floor),
 * i.e. relative error, but measured against `floor` where both are tiny
 * (finite differences cannot resolve values below their noise level).
 * *worst receives the index of the largest error (if not NULL).
 */
double h_grad_err(const double *an, const double *fd, size_t n, double floor, size_t *worst);

/* ---- finite differences --------------------------------------------------- */

/** A scalar objective of some state reached through ctx. */
typedef double (*h_objective)(void *ctx);

/**
 * Central difference of f with respect to the variable *x:
 *   (f(x + h) − f(x − h)) / ((x + h) − (x − h)),
 * dividing by the step actually taken (x ± h is rounded), then restoring *x.
 * Truncation error is O(h²·f'''), rounding error O(ε·|f|/h); with h ≈ 1e-6
 * both are around 1e-10 relative for the smooth, O(1) functions tested.
 */
double h_central_diff(double *x, double h, h_objective f, void *ctx);

#endif /* HARNESS_H */
