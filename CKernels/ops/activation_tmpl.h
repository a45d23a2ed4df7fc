/*
 * activation_tmpl.h — activations and their derivatives, written once and
 * included by activation.c once per precision (no include guard on
 * purpose). Before each inclusion activation.c defines:
 *
 *   R            element type (double, float)
 *   P(name)      name##_d / name##_s
 *   A_EXP, A_TANH, A_SIGMOID   the precision's exp, tanh and logistic
 *   A_FORWARD, A_BACKWARD      names of the public functions to define
 *
 * Overflow-free formulations, so that every finite input (±1e308 included
 * in double, ±3e38 in float) gives a finite result without clipping:
 *   sigmoid(z) = 1 / (1 + e^(−z))  for z ≥ 0   (e^(−z) ≤ 1)
 *              = e^z / (1 + e^z)   for z < 0    (e^z < 1)
 *   softmax subtracts the row maximum, so every exponent is ≤ 0.
 */

/* Element-wise activations (everything but softmax) on a strided block;
 * A may equal Z. Also the epilogue of the fused dense forward pass. */
void P(bp_act_block)(bp_activation act, R param, size_t rows, size_t cols,
                     const R *Z, size_t ldz, R *A, size_t lda) {
    for (size_t r = 0; r < rows; r++) {
        const R *z = Z + r * ldz;
        R *a = A + r * lda;
        switch (act) {
        case BP_ACT_IDENTITY:
            if (a != z) for (size_t i = 0; i < cols; i++) a[i] = z[i];
            break;
        case BP_ACT_RELU:
            /* !(z ≤ 0) rather than z > 0: a NaN pre-activation (an
             * overflowed sum) stays NaN and reaches the loss, instead of
             * turning into a silent 0 */
            for (size_t i = 0; i < cols; i++) a[i] = !(z[i] <= (R)0) ? z[i] : (R)0;
            break;
        case BP_ACT_LEAKY_RELU:
            for (size_t i = 0; i < cols; i++) a[i] = z[i] > (R)0 ? z[i] : param * z[i];
            break;
        case BP_ACT_SIGMOID:
            for (size_t i = 0; i < cols; i++) a[i] = A_SIGMOID(z[i]);
            break;
        case BP_ACT_TANH:
            for (size_t i = 0; i < cols; i++) a[i] = A_TANH(z[i]);
            break;
        case BP_ACT_SOFTMAX:
            break;
        }
    }
}

void P(bp_softmax_rows)(size_t rows, size_t cols, const R *Z, size_t ldz,
                        R *A, size_t lda) {
    for (size_t i = 0; i < rows; i++) {
        const R *z = Z + i * ldz;
        R *a = A + i * lda;
        R max = z[0];
        for (size_t j = 1; j < cols; j++) if (z[j] > max) max = z[j];
        R sum = (R)0;
        /* z[j] − max can be −inf (e.g. −1e308 − 1e308): exp gives 0, as it
         * should. The maximum's own term is exactly 1, so sum ≥ 1. */
        for (size_t j = 0; j < cols; j++) { a[j] = A_EXP(z[j] - max); sum += a[j]; }
        for (size_t j = 0; j < cols; j++) a[j] /= sum;
    }
}

void P(bp_act_backward)(bp_activation act, R param, size_t rows, size_t cols,
                        const R *Z, const R *A, const R *dA, R *dZ) {
    size_t count = rows * cols;
    switch (act) {
    case BP_ACT_IDENTITY:
        if (dZ != dA) for (size_t i = 0; i < count; i++) dZ[i] = dA[i];
        break;
    /* dA[i] is read on every element, not only where z > 0: a load under
     * a condition keeps compilers from vectorising the loop (they may not
     * invent the read), and the scalar loop's branch on the sign of z
     * mispredicts half the time — 4 ns per element, 1 ms per ReLU layer of
     * a 256 × 1024 batch, against a fraction of that as selects. */
    case BP_ACT_RELU:
        for (size_t i = 0; i < count; i++) {
            R d = dA[i];
            dZ[i] = !(Z[i] <= (R)0) ? d : (R)0;   /* the forward pass's test */
        }
        break;
    case BP_ACT_LEAKY_RELU:
        for (size_t i = 0; i < count; i++) {
            /* the slope chosen, then one product (1·d = d exactly): a
             * product under a condition is not vectorised either */
            R d = dA[i], slope = Z[i] > (R)0 ? (R)1 : param;
            dZ[i] = slope * d;
        }
        break;
    case BP_ACT_SIGMOID:
        /* σ'(z) = σ(z)·σ(−z). For z < 4, σ(−z) = 1 − A is exact to within
         * 60 units of roundoff (1 − A > 0.018, and the subtraction itself is
         * exact for A ≥ 1/2), and costs no exp. Beyond, 1 − A would inherit
         * A's rounding error magnified by 1/(1 − A): evaluate σ(−z) itself. */
        for (size_t i = 0; i < count; i++)
            dZ[i] = dA[i] * (A[i] * (Z[i] < (R)4 ? (R)1 - A[i] : A_SIGMOID(-Z[i])));
        break;
    case BP_ACT_TANH:
        for (size_t i = 0; i < count; i++) dZ[i] = dA[i] * ((R)1 - A[i] * A[i]);
        break;
    case BP_ACT_SOFTMAX:
        /* Row-wise Jacobian-vector product: J = diag(s) − s·sᵀ, so
         * dz = s ⊙ (da − ⟨da, s⟩). */
        for (size_t i = 0; i < rows; i++) {
            const R *s = A + i * cols, *da = dA + i * cols;
            R *dz = dZ + i * cols;
            R dot = (R)0;
            for (size_t j = 0; j < cols; j++) dot += da[j] * s[j];
            for (size_t j = 0; j < cols; j++) dz[j] = s[j] * (da[j] - dot);
        }
        break;
    }
}

bp_status A_FORWARD(bp_activation act, R param, size_t rows, size_t cols,
                    const R *Z, R *A) {
    if (!valid_activation(act)) return BP_ERR_BAD_ENUM;
    if (act == BP_ACT_LEAKY_RELU && !isfinite(param)) return BP_ERR_BAD_VALUE;
    size_t count;
    BP_TRY(bp_check_dense_elem(rows, cols, Z, &count, sizeof(R)));
    BP_TRY(bp_check_dense_elem(rows, cols, A, NULL, sizeof(R)));
    if (count == 0) return BP_OK;
    if (act == BP_ACT_SOFTMAX)
        P(bp_softmax_rows)(rows, cols, Z, cols, A, cols);
    else
        P(bp_act_block)(act, param, 1, count, Z, count, A, count);
    return BP_OK;
}

bp_status A_BACKWARD(bp_activation act, R param, size_t rows, size_t cols,
                     const R *Z, const R *A, const R *dA, R *dZ) {
    if (!valid_activation(act)) return BP_ERR_BAD_ENUM;
    if (act == BP_ACT_LEAKY_RELU && !isfinite(param)) return BP_ERR_BAD_VALUE;
    size_t count;
    BP_TRY(bp_check_dense_elem(rows, cols, Z, &count, sizeof(R)));
    BP_TRY(bp_check_dense_elem(rows, cols, A, NULL, sizeof(R)));
    BP_TRY(bp_check_dense_elem(rows, cols, dA, NULL, sizeof(R)));
    BP_TRY(bp_check_dense_elem(rows, cols, dZ, NULL, sizeof(R)));
    if (count == 0) return BP_OK;
    P(bp_act_backward)(act, param, rows, cols, Z, A, dA, dZ);
    return BP_OK;
}
