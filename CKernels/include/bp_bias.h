/*
 * bp_bias.h — the bias of a dense layer, Z = X·W + b.
 *
 * The bias b is a row of n_out values broadcast over the rows of Z
 * (n_samples × n_out, row-major, leading dimension ldz ≥ n_out). Its
 * gradient is the column sum of dZ: every sample's dL/dz_j feeds b_j with
 * weight 1 (seed 02: dz/db = 1).
 */
#ifndef BP_BIAS_H
#define BP_BIAS_H

#include <stddef.h>
#include "bp_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Z[i][j] += b[j] for every row i < m and column j < n.
 * Z is m×n with leading dimension ldz ≥ n; b has n elements.
 * m == 0 or n == 0 is a no-op.
 */
bp_status bp_bias_add(size_t m, size_t n, const double *b, double *Z, size_t ldz);

/**
 * db[j] = alpha·Σ_i dZ[i][j] + beta·db[j], the bias gradient.
 * dZ is m×n with leading dimension ldz ≥ n; db has n elements.
 * alpha = 1/m gives the batch mean when dZ holds per-sample gradients;
 * our loss kernels already divide by the batch size, so alpha = 1 is usual.
 * beta == 0 writes db without reading it. n == 0 is a no-op; m == 0 gives
 * db = beta·db.
 */
bp_status bp_bias_gradient(size_t m, size_t n, double alpha, const double *dZ, size_t ldz,
                           double beta, double *db);

/** Single precision bp_bias_add. */
bp_status bp_bias_add_f32(size_t m, size_t n, const float *b, float *Z, size_t ldz);

/** Single precision bp_bias_gradient (sums in float, in increasing i). */
bp_status bp_bias_gradient_f32(size_t m, size_t n, float alpha, const float *dZ, size_t ldz,
                               float beta, float *db);

#ifdef __cplusplus
}
#endif

#endif /* BP_BIAS_H */
