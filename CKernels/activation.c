/*
 * activation.c — activation functions and their derivatives.
 *
 * Overflow-free formulations, so that every finite input (±1e308 included)
 * gives a finite result without clipping:
 *   sigmoid(z) = 1 / (1 + e^(−z))  for z ≥ 0   (e^(−z) ≤ 1)
 *              = e^z / (1 + e^z)   for z < 0    (e^z < 1)
 *   softmax subtracts the row maximum, so every exponent is ≤ 0.
 */
#include <math.h>
#include "bp_activation.h"
#include "internal.h"

static int valid_activation(bp_activation act) {
    return act >= BP_ACT_IDENTITY && act <= BP_ACT_SOFTMAX;
}

static void softmax_rows(size_t rows, size_t cols, const double *Z, double *A) {
    for (size_t i = 0; i < rows; i++) {
        const double *z = Z + i * cols;
        double *a = A + i * cols;
        double max = z[0];
        for (size_t j = 1; j < cols; j++) if (z[j] > max) max = z[j];
        double sum = 0.0;
        /* z[j] − max can be −inf (e.g. −1e308 − 1e308): exp gives 0, as it
         * should. The maximum's own term is exactly 1, so sum ≥ 1. */
        for (size_t j = 0; j < cols; j++) { a[j] = exp(z[j] - max); sum += a[j]; }
        for (size_t j = 0; j < cols; j++) a[j] /= sum;
    }
}

bp_status bp_activation_forward(bp_activation act, double param,
                                size_t rows, size_t cols,
                                const double *Z, double *A) {
    if (!valid_activation(act)) return BP_ERR_BAD_ENUM;
    if (act == BP_ACT_LEAKY_RELU && !isfinite(param)) return BP_ERR_BAD_VALUE;
    size_t count;
    BP_TRY(bp_check_dense(rows, cols, Z, &count));
    BP_TRY(bp_check_dense(rows, cols, A, NULL));
    if (count == 0) return BP_OK;
    switch (act) {
    case BP_ACT_IDENTITY:
        if (A != Z) for (size_t i = 0; i < count; i++) A[i] = Z[i];
        break;
    case BP_ACT_RELU:
        for (size_t i = 0; i < count; i++) A[i] = Z[i] > 0.0 ? Z[i] : 0.0;
        break;
    case BP_ACT_LEAKY_RELU:
        for (size_t i = 0; i < count; i++) A[i] = Z[i] > 0.0 ? Z[i] : param * Z[i];
        break;
    case BP_ACT_SIGMOID:
        for (size_t i = 0; i < count; i++) A[i] = bp_sigmoid(Z[i]);
        break;
    case BP_ACT_TANH:
        for (size_t i = 0; i < count; i++) A[i] = tanh(Z[i]);
        break;
    case BP_ACT_SOFTMAX:
        softmax_rows(rows, cols, Z, A);
        break;
    }
    return BP_OK;
}

bp_status bp_activation_backward(bp_activation act, double param,
                                 size_t rows, size_t cols,
                                 const double *Z, const double *A,
                                 const double *dA, double *dZ) {
    if (!valid_activation(act)) return BP_ERR_BAD_ENUM;
    if (act == BP_ACT_LEAKY_RELU && !isfinite(param)) return BP_ERR_BAD_VALUE;
    size_t count;
    BP_TRY(bp_check_dense(rows, cols, Z, &count));
    BP_TRY(bp_check_dense(rows, cols, A, NULL));
    BP_TRY(bp_check_dense(rows, cols, dA, NULL));
    BP_TRY(bp_check_dense(rows, cols, dZ, NULL));
    if (count == 0) return BP_OK;
    switch (act) {
    case BP_ACT_IDENTITY:
        if (dZ != dA) for (size_t i = 0; i < count; i++) dZ[i] = dA[i];
        break;
    case BP_ACT_RELU:
        for (size_t i = 0; i < count; i++) dZ[i] = Z[i] > 0.0 ? dA[i] : 0.0;
        break;
    case BP_ACT_LEAKY_RELU:
        for (size_t i = 0; i < count; i++) dZ[i] = Z[i] > 0.0 ? dA[i] : param * dA[i];
        break;
    case BP_ACT_SIGMOID:
        /* σ'(z) = σ(z)·σ(−z): σ(−z) is 1 − σ(z) without the cancellation
         * that 1 − A suffers when A is close to 1. */
        for (size_t i = 0; i < count; i++) dZ[i] = dA[i] * (A[i] * bp_sigmoid(-Z[i]));
        break;
    case BP_ACT_TANH:
        for (size_t i = 0; i < count; i++) dZ[i] = dA[i] * (1.0 - A[i] * A[i]);
        break;
    case BP_ACT_SOFTMAX:
        /* Row-wise Jacobian-vector product: J = diag(s) − s·sᵀ, so
         * dz = s ⊙ (da − ⟨da, s⟩). */
        for (size_t i = 0; i < rows; i++) {
            const double *s = A + i * cols, *da = dA + i * cols;
            double *dz = dZ + i * cols;
            double dot = 0.0;
            for (size_t j = 0; j < cols; j++) dot += da[j] * s[j];
            for (size_t j = 0; j < cols; j++) dz[j] = s[j] * (da[j] - dot);
        }
        break;
    }
    return BP_OK;
}
