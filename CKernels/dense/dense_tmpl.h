/*
 * dense_tmpl.h — fused dense-layer passes (bp_dense.h), written once and
 * included by dense.c once per precision (no include guard on purpose).
 * Before each inclusion dense.c defines:
 *
 *   R                          element type (double, float)
 *   P(name)                    name##_d / name##_s
 *
 * It defines P(forward) and P(backward), the bodies of the public
 * bp_dense_forward/_backward(_f32), which dense.c defines by name.
 *
 *   D_RUN, D_EPI               the blocked GEMM with epilogue and its type
 *   D_ACT_BLOCK, D_SOFTMAX, D_ACT_BACKWARD   activation helpers
 *   D_RELU_BACKWARD, D_COL_SUMS   fields of bp_kernel_set (the dispatch
 *                              table's element-wise passes)
 */

/* Forward for tiny layers (also the network engine's tiny path, mlp_tmpl.h,
 * which calls it unchecked): plain loops, Z accumulated in place row by row
 * (Σ_p x_p·w_pj in increasing p, then + b_j: the order of the GEMM path),
 * then the activation over the whole batch in one call. */
void P(bp_dense_forward_direct)(bp_activation act, R param, size_t n, size_t n_in, size_t n_out,
                             const R *restrict X, size_t ldx, const R *restrict W, size_t ldw,
                             const R *restrict b, R *Z, R *A) {
    for (size_t i = 0; i < n; i++) {
        const R *x = X + i * ldx;
        R *z = Z + i * n_out;
        R x0 = x[0];
        for (size_t j = 0; j < n_out; j++) z[j] = x0 * W[j];
        for (size_t p = 1; p < n_in; p++) {
            R xp = x[p];
            const R *w = W + p * ldw;
            for (size_t j = 0; j < n_out; j++) z[j] += xp * w[j];
        }
        for (size_t j = 0; j < n_out; j++) z[j] += b[j];
    }
    if (act == BP_ACT_SOFTMAX) D_SOFTMAX(n, n_out, Z, n_out, A, n_out);
    else D_ACT_BLOCK(act, param, n, n_out, Z, n_out, A, n_out);
}

static bp_status
P(forward)(const bp_exec *exec, bp_activation act, R param, size_t n, size_t n_in,
                         size_t n_out, const R *X, size_t ldx, const R *W, size_t ldw, const R *b,
                         R *Z, R *A) {
    if (!dense_valid_activation(act)) return BP_ERR_BAD_ENUM;
    if (act == BP_ACT_LEAKY_RELU && !isfinite(param)) return BP_ERR_BAD_VALUE;
    /* X and W are read only when the product is not empty. */
    int reads = n > 0 && n_in > 0 && n_out > 0;
    BP_TRY(bp_check_matrix_elem(reads ? n : 0, n_in, X, ldx, sizeof(R)));
    BP_TRY(bp_check_matrix_elem(reads ? n_in : 0, n_out, W, ldw, sizeof(R)));
    BP_TRY(bp_check_array(n > 0 ? n_out : 0, sizeof(R), b));
    BP_TRY(bp_check_dense_elem(n, n_out, Z, NULL, sizeof(R)));
    BP_TRY(bp_check_dense_elem(n, n_out, A, NULL, sizeof(R)));
    if (n == 0 || n_out == 0) return BP_OK;

    if (n_in == 0) {
        /* Z = b on every row, then the activation. */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n_out; j++) Z[i * n_out + j] = b[j];
        if (act == BP_ACT_SOFTMAX) D_SOFTMAX(n, n_out, Z, n_out, A, n_out);
        else D_ACT_BLOCK(act, param, n, n_out, Z, n_out, A, n_out);
        return BP_OK;
    }
    if (dense_direct_forward(n, n_in, n_out)) {
        P(bp_dense_forward_direct)(act, param, n, n_in, n_out, X, ldx, W, ldw, b, Z, A);
        return BP_OK;
    }
    D_EPI ep = { b, A, n_out, act, param };
    return D_RUN(exec, 0, 0, n, n_out, n_in, (R)1, X, ldx, W, ldw, (R)0, Z, n_out, &ep);
}

/* Backward for tiny layers: dZ for the whole batch in one call, then one
 * pass over the samples adds each row of dZ to db and x ⊗ dz to dW (which
 * stays in L1) and forms the row of dX. Sums over samples run in
 * increasing i. */
void P(bp_dense_backward_direct)(bp_activation act, R param, size_t n, size_t n_in, size_t n_out,
                              const R *restrict X, size_t ldx, const R *restrict W, size_t ldw,
                              const R *Z, const R *A, const R *dA, R *dZ, R *restrict dW,
                              R *restrict db, R *restrict dX) {
    if (dA) D_ACT_BACKWARD(act, param, n, n_out, Z, A, dA, dZ);
    for (size_t j = 0; j < n_out; j++) db[j] = (R)0;
    if (dW)
        for (size_t q = 0; q < n_in * n_out; q++) dW[q] = (R)0;
    for (size_t i = 0; i < n; i++) {
        const R *dz = dZ + i * n_out;
        for (size_t j = 0; j < n_out; j++) db[j] += dz[j];
        if (n_in == 0) continue; /* X, dW and dX are empty */
        if (dW) {                /* else X may be NULL: never offset */
            const R *x = X + i * ldx;
            for (size_t p = 0; p < n_in; p++) {
                R xp = x[p];
                R *dw = dW + p * n_out;
                for (size_t j = 0; j < n_out; j++) dw[j] += xp * dz[j];
            }
        }
        if (dX) {
            R *dx = dX + i * n_in;
            for (size_t p = 0; p < n_in; p++) {
                const R *w = W + p * ldw;
                R s = (R)0;
                for (size_t j = 0; j < n_out; j++) s += dz[j] * w[j];
                dx[p] = s;
            }
        }
    }
}

static bp_status
P(backward)(const bp_exec *exec, bp_activation act, R param, size_t n, size_t n_in,
                          size_t n_out, const R *X, size_t ldx, const R *W, size_t ldw, const R *Z,
                          const R *A, const R *dA, R *dZ, R *dW, R *db, R *dX) {
    if (!dense_valid_activation(act)) return BP_ERR_BAD_ENUM;
    if (act == BP_ACT_LEAKY_RELU && !isfinite(param)) return BP_ERR_BAD_VALUE;
    int prod = n > 0 && n_in > 0 && n_out > 0; /* dW and dX have terms */
    BP_TRY(bp_check_matrix_elem(prod && dW ? n : 0, n_in, X, ldx, sizeof(R)));
    BP_TRY(bp_check_matrix_elem(prod && dX ? n_in : 0, n_out, W, ldw, sizeof(R)));
    size_t zrows = dA ? n : 0; /* Z and A read only with dA */
    BP_TRY(bp_check_dense_elem(zrows, n_out, Z, NULL, sizeof(R)));
    BP_TRY(bp_check_dense_elem(zrows, n_out, A, NULL, sizeof(R)));
    BP_TRY(bp_check_dense_elem(n, n_out, dZ, NULL, sizeof(R)));
    if (dW) BP_TRY(bp_check_dense_elem(n_in, n_out, dW, NULL, sizeof(R)));
    BP_TRY(bp_check_array(n_out, sizeof(R), db));
    if (dX) BP_TRY(bp_check_dense_elem(n, n_in, dX, NULL, sizeof(R)));

    /* Empty products give zeros; pointers of empty arrays (possibly NULL)
     * are never offset. */
    if (n_out == 0) {
        if (dX)
            for (size_t q = 0; q < n * n_in; q++) dX[q] = (R)0;
        return BP_OK;
    }
    if (n == 0) {
        for (size_t j = 0; j < n_out; j++) db[j] = (R)0;
        if (dW)
            for (size_t q = 0; q < n_in * n_out; q++) dW[q] = (R)0;
        return BP_OK;
    }
    if (dense_direct_backward(n, n_in, n_out)) {
        P(bp_dense_backward_direct)(act, param, n, n_in, n_out, X, ldx, W, ldw, Z, A, dA, dZ, dW, db,
                                 dX);
        return BP_OK;
    }

    /* dZ and db in one sweep, a few rows at a time (each block of dZ is
     * summed into db while still in L1); ReLU and the sums in the CPU's
     * vectors (dense_passes_tmpl.h). */
    const bp_kernel_set *ks = bp_exec_kernels(exec);
    const size_t block = n_out >= DENSE_SWEEP_ELEMS ? 1 : DENSE_SWEEP_ELEMS / n_out;
    for (size_t j = 0; j < n_out; j++) db[j] = (R)0;
    for (size_t i = 0; i < n; i += block) {
        size_t rows = n - i < block ? n - i : block, at = i * n_out;
        if (dA && act == BP_ACT_RELU) ks->D_RELU_BACKWARD(rows * n_out, Z + at, dA + at, dZ + at);
        else if (dA) D_ACT_BACKWARD(act, param, rows, n_out, Z + at, A + at, dA + at, dZ + at);
        ks->D_COL_SUMS(rows, n_out, dZ + at, db);
    }
    /* dW = Xᵀ·dZ (n_in × n_out, k = n) and dX = dZ·Wᵀ (n × n_in, k = n_out);
     * an empty k gives zeros. */
    if (dW && n_in > 0)
        BP_TRY(D_RUN(exec, 1, 0, n_in, n_out, n, (R)1, X, ldx, dZ, n_out, (R)0, dW, n_out, NULL));
    if (dX && n_in > 0)
        BP_TRY(D_RUN(exec, 0, 1, n, n_in, n_out, (R)1, dZ, n_out, W, ldw, (R)0, dX, n_in, NULL));
    return BP_OK;
}
