/*
 * bp_update.h — parameter updates and vector operations.
 *
 * Parameters and gradients are flat arrays of n doubles (a weight matrix is
 * updated as one vector of n_in·n_out elements). The SGD step is the rule
 * the network engine (bp_mlp.h) updates its parameters by; the others wrap
 * GSL vector views and gsl_blas_d* calls, sizes larger than GSL's
 * int-sized BLAS interface processed in chunks, so any size_t length is
 * correct.
 */
#ifndef BP_UPDATE_H
#define BP_UPDATE_H

#include <stddef.h>
#include "bp_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Gradient descent step w ← w − learning_rate·g: each element becomes
 * w + (−learning_rate·g), the product and the sum each rounded (the
 * arithmetic of BLAS's daxpy). learning_rate must be finite
 * (BP_ERR_BAD_VALUE otherwise); its sign is the caller's business (a
 * negative rate ascends); 0 leaves w as it is. n == 0 is a no-op.
 * w and g must not overlap.
 */
bp_status bp_sgd_update(size_t n, double learning_rate, const double *g, double *w);

/**
 * *norm = ‖x‖₂ = sqrt(Σ x_i²), computed without overflow or underflow
 * (gsl_blas_dnrm2 scales as it goes). n == 0 gives 0.
 */
bp_status bp_norm2(size_t n, const double *x, double *norm);

/** x ← alpha·x (gsl_blas_dscal). n == 0 is a no-op. */
bp_status bp_scale(size_t n, double alpha, double *x);

/**
 * Gradient clipping by norm: if ‖g‖₂ > max_norm, scale g so that its norm is
 * max_norm; otherwise leave it unchanged. max_norm must be finite and > 0.
 * If norm_before is not NULL it receives ‖g‖₂ before clipping.
 */
bp_status bp_clip_by_norm(size_t n, double max_norm, double *g, double *norm_before);

/* ---- single precision (GSL's float BLAS: gsl_blas_sscal; the norm in double) ----
 * Scalars that multiply the data are float; norms are returned as double
 * (GSL computes each chunk's norm in float, chunks are combined in double).
 * Domains and status codes are those of the double versions. */

/** w ← w − learning_rate·g on floats, rounded in float as bp_sgd_update. */
bp_status bp_sgd_update_f32(size_t n, float learning_rate, const float *g, float *w);

/** *norm = ‖x‖₂ of n floats, accumulated and returned in double (not
 *  through gsl_blas_snrm2, whose float result overflows once the norm
 *  passes FLT_MAX ≈ 3.4e38): finite for any finite x. */
bp_status bp_norm2_f32(size_t n, const float *x, double *norm);

/** x ← alpha·x on floats (gsl_blas_sscal). */
bp_status bp_scale_f32(size_t n, float alpha, float *x);

/** bp_clip_by_norm on floats; norm_before (may be NULL) is a double. */
bp_status bp_clip_by_norm_f32(size_t n, float max_norm, float *g, double *norm_before);

#ifdef __cplusplus
}
#endif

#endif /* BP_UPDATE_H */
