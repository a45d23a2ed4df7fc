/*
 * activation_tmpl.h — activations and their derivatives, written once and
 * included by activation.c once per precision (no include guard on
 * purpose). Before each inclusion activation.c defines:
 *
 *   R            element type (double, float)
 *   P(name)      name##_d / name##_s
 *   A_EXP, A_TANH, A_SIGMOID   the precision's exp, tanh and logistic
 *
 * It defines P(forward) and P(backward), the bodies of the public
 * bp_activation_forward/_backward(_f32), which activation.c defines by
 * name.
 *
 * The loops are here; the formulas, their overflow-free forms and their
 * handling of NaN are those of ops/formulas.h (scalar lanes: BP_SEL, BP_K).
 */

/* Element-wise activations (everything but softmax) on a strided block;
 * A may equal Z. Also the epilogue of the fused dense forward pass. */
void P(bp_act_block)(bp_activation act, R param, size_t rows, size_t cols, const R *Z, size_t ldz,
                  R *A, size_t lda) {
    for (size_t r = 0; r < rows; r++) {
        const R *z = Z + r * ldz;
        R *a = A + r * lda;
        switch (act) {
        case BP_ACT_IDENTITY:
            if (a != z)
                for (size_t i = 0; i < cols; i++) a[i] = z[i];
            break;
        case BP_ACT_RELU:
            for (size_t i = 0; i < cols; i++) a[i] = BP_RELU(BP_SEL, BP_K, z[i]);
            break;
        case BP_ACT_LEAKY_RELU:
            for (size_t i = 0; i < cols; i++) a[i] = BP_LEAKY_RELU(BP_SEL, BP_K, z[i], param);
            break;
        case BP_ACT_SIGMOID:
            for (size_t i = 0; i < cols; i++) a[i] = A_SIGMOID(z[i]);
            break;
        case BP_ACT_TANH:
            for (size_t i = 0; i < cols; i++) a[i] = A_TANH(z[i]);
            break;
        case BP_ACT_SOFTMAX: break;
        }
    }
}

/* Softmax row by row (formulas.h): the maximum, e^(z − max) and their sum,
 * then the division. */
void P(bp_softmax_rows)(size_t rows, size_t cols, const R *Z, size_t ldz, R *A, size_t lda) {
    for (size_t i = 0; i < rows; i++) {
        const R *z = Z + i * ldz;
        R *a = A + i * lda;
        R max = z[0];
        for (size_t j = 1; j < cols; j++) max = BP_SOFTMAX_MAX(BP_SEL, z[j], max);
        R sum = (R)0;
        for (size_t j = 0; j < cols; j++) {
            a[j] = A_EXP(z[j] - max);
            sum += a[j];
        }
        for (size_t j = 0; j < cols; j++) a[j] /= sum;
    }
}

void P(
    bp_act_backward)(bp_activation act, R param, size_t rows, size_t cols, const R *Z, const R *A,
                     const R *dA, R *dZ) {
    size_t count = rows * cols;
    switch (act) {
    case BP_ACT_IDENTITY:
        if (dZ != dA)
            for (size_t i = 0; i < count; i++) dZ[i] = dA[i];
        break;
    /* dA[i] is read on every element, not only where z > 0 (the formulas
     * are selects): a load under a condition keeps compilers from
     * vectorising the loop (they may not invent the read), and the scalar
     * loop's branch on the sign of z mispredicts half the time, several
     * times the cost of the selects. */
    case BP_ACT_RELU:
        for (size_t i = 0; i < count; i++) {
            R d = dA[i]; /* read before the select (formulas.h) */
            dZ[i] = BP_RELU_DERIV(BP_SEL, BP_K, Z[i], d);
        }
        break;
    case BP_ACT_LEAKY_RELU:
        for (size_t i = 0; i < count; i++) {
            R d = dA[i];
            dZ[i] = BP_LEAKY_RELU_DERIV(BP_SEL, BP_K, Z[i], param, d);
        }
        break;
    case BP_ACT_SIGMOID:
        /* σ′ from A (formulas.h): this pass has Z and A, not e^(−|z|) */
        for (size_t i = 0; i < count; i++)
            dZ[i] = BP_SIGMOID_DERIV_A(BP_K, A_SIGMOID, Z[i], A[i], dA[i]);
        break;
    case BP_ACT_TANH:
        for (size_t i = 0; i < count; i++) dZ[i] = BP_TANH_DERIV(BP_K, A[i], dA[i]);
        break;
    case BP_ACT_SOFTMAX:
        /* row by row: ⟨da, s⟩, then BP_SOFTMAX_JVP */
        for (size_t i = 0; i < rows; i++) {
            const R *s = A + i * cols, *da = dA + i * cols;
            R *dz = dZ + i * cols;
            R dot = (R)0;
            for (size_t j = 0; j < cols; j++) dot += da[j] * s[j];
            for (size_t j = 0; j < cols; j++) dz[j] = BP_SOFTMAX_JVP(s[j], da[j], dot);
        }
        break;
    }
}

static bp_status
P(forward)(bp_activation act, R param, size_t rows, size_t cols, const R *Z, R *A) {
    if (!valid_activation(act)) return BP_ERR_BAD_ENUM;
    if (act == BP_ACT_LEAKY_RELU && !isfinite(param)) return BP_ERR_BAD_VALUE;
    size_t count;
    BP_TRY(bp_check_dense_elem(rows, cols, Z, &count, sizeof(R)));
    BP_TRY(bp_check_dense_elem(rows, cols, A, NULL, sizeof(R)));
    if (count == 0) return BP_OK;
    if (act == BP_ACT_SOFTMAX) P(bp_softmax_rows)(rows, cols, Z, cols, A, cols);
    else P(bp_act_block)(act, param, 1, count, Z, count, A, count);
    return BP_OK;
}

static bp_status P(backward)(bp_activation act, R param, size_t rows, size_t cols, const R *Z,
                          const R *A, const R *dA, R *dZ) {
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
