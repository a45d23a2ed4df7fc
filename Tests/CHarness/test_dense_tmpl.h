/*
 * test_dense_tmpl.h — the fused dense-layer tests, written once and
 * included by test_dense.c once per precision (no include guard on
 * purpose). test_dense.c defines before each inclusion:
 *
 *   T            element type (double, float)
 *   TP(name)     name##_d / name##_s
 *   FWD, BWD     bp_dense_forward(_f32), bp_dense_backward(_f32)
 *   GEMM_EXEC    bp_dgemm_exec / bp_sgemm_exec
 *   BIAS_ADD, BIAS_GRAD, ACT_FWD, ACT_BWD   the unfused kernels
 *   EPS          the unit roundoff of T (2^-53, 2^-24)
 *
 * Yardstick: the unfused composition GEMM + bias + activation (forward),
 * activation backward + bias gradient + two GEMMs (backward), with the same
 * precision. Wide layers run through the same blocked GEMM and kernels, so
 * they must agree bit for bit; narrow layers (direct path, different
 * summation: plain multiply-add instead of FMA) agree to a norm-wise
 * tolerance of (2k + 8)·EPS of Σ|terms| — twice γ_k for two correct
 * summation orders of k terms, plus the bias add and stores — and A
 * (every activation is 1-Lipschitz) to that plus 8·EPS.
 */

/* Test data: a layer of the given shape, values rounded to T. */
typedef struct TP(layer) {
    size_t n, nin, nout, ldx, ldw;
    T *X, *W, *b, *dA;
} TP(layer);

static T *TP(rand)(h_rng *r, size_t count, double lo, double hi) {
    T *x = malloc((count ? count : 1) * sizeof *x);
    if (x == NULL) abort();
    for (size_t i = 0; i < count; i++) x[i] = (T)h_uniform(r, lo, hi);
    return x;
}

static T *TP(copy)(const T *x, size_t count) {
    T *y = malloc((count ? count : 1) * sizeof *y);
    if (y == NULL) abort();
    if (count) memcpy(y, x, count * sizeof *y);
    return y;
}

static int TP(same)(const T *x, const T *y, size_t count) {
    return count == 0 || memcmp(x, y, count * sizeof *x) == 0;
}

/* max_i |x_i − y_i| (infinite if either is NaN). */
static double TP(maxdiff)(const T *x, const T *y, size_t count) {
    double d = 0.0;
    for (size_t i = 0; i < count; i++) {
        double e = fabs((double)x[i] - (double)y[i]);
        if (!(e <= d)) d = e; /* NaN propagates */
    }
    return d;
}

static TP(layer) TP(make_layer)(h_rng *r, size_t n, size_t nin, size_t nout, size_t pad) {
    TP(layer) L = { n, nin, nout, nin + pad, nout + pad, NULL, NULL, NULL, NULL };
    if (L.ldx == 0) L.ldx = 1;
    if (L.ldw == 0) L.ldw = 1;
    L.X = TP(rand)(r, n * L.ldx, -1, 1);
    L.W = TP(rand)(r, nin * L.ldw, -0.5, 0.5);
    L.b = TP(rand)(r, nout, -0.5, 0.5);
    L.dA = TP(rand)(r, n * nout, -1, 1);
    /* NaN in the padding: a read of it would poison the results. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = nin; j < L.ldx; j++) L.X[i * L.ldx + j] = (T)h_nan();
    for (size_t i = 0; i < nin; i++)
        for (size_t j = nout; j < L.ldw; j++) L.W[i * L.ldw + j] = (T)h_nan();
    return L;
}

static void TP(free_layer)(TP(layer) *L) {
    free(L->X);
    free(L->W);
    free(L->b);
    free(L->dA);
}

/* Σ_p |x_ip·w_pj| + |b_j|, maximised: the scale of Z's rounding errors. */
static double TP(z_scale)(const TP(layer) *L) {
    double s = 0.0;
    for (size_t i = 0; i < L->n; i++)
        for (size_t j = 0; j < L->nout; j++) {
            double t = fabs((double)L->b[j]);
            for (size_t p = 0; p < L->nin; p++)
                t += fabs((double)L->X[i * L->ldx + p] * (double)L->W[p * L->ldw + j]);
            if (t > s) s = t;
        }
    return s;
}

/* One layer, one activation: fused against unfused, forward and backward,
 * with and without dA, with and without dX, through `ex` (the unfused
 * products through the same context: the portable kernels round
 * differently from the SIMD ones). */
static void TP(check_layer)(h_rng *r, const bp_exec *ex, bp_activation act, T param, size_t n,
                        size_t nin, size_t nout, size_t pad) {
    TP(layer) L = TP(make_layer)(r, n, nin, nout, pad);
    size_t nz = n * nout;
    int wide = !(nin < 32 && nout < 32);
    const char *pname = sizeof(T) == sizeof(float) ? "f32" : "f64";

    /* ---- forward ---- */
    T *Z = TP(rand)(r, nz, -1, 1), *A = TP(rand)(r, nz, -1, 1);
    T *Zr = TP(rand)(r, nz, -1, 1), *Ar = TP(rand)(r, nz, -1, 1);
    H_OK(FWD(ex, act, param, n, nin, nout, L.X, L.ldx, L.W, L.ldw, L.b, Z, A));
    H_OK(GEMM_EXEC(ex, BP_NO_TRANS, BP_NO_TRANS, n, nout, nin, (T)1, L.X, L.ldx, L.W, L.ldw, (T)0,
                   Zr, nout));
    H_OK(BIAS_ADD(n, nout, L.b, Zr, nout));
    H_OK(ACT_FWD(act, param, n, nout, Zr, Ar));
    double tolz = (double)(2 * nin + 8) * EPS * TP(z_scale)(&L);
    if (wide) {
        H_EXPECT(TP(same)(Z, Zr, nz) && TP(same)(A, Ar, nz),
                 "%s forward act=%d %zu×%zu→%zu (wide): fused differs from unfused "
                 "(|dZ| %.3g, |dA| %.3g)",
                 pname, (int)act, n, nin, nout, TP(maxdiff)(Z, Zr, nz), TP(maxdiff)(A, Ar, nz));
    } else {
        double ez = TP(maxdiff)(Z, Zr, nz), ea = TP(maxdiff)(A, Ar, nz);
        H_EXPECT(ez <= tolz && ea <= tolz + 8 * EPS,
                 "%s forward act=%d %zu×%zu→%zu (narrow): |dZ| %.3g |dA| %.3g, tol %.3g", pname,
                 (int)act, n, nin, nout, ez, ea, tolz);
    }
    /* A may be Z itself. */
    T *ZA = TP(rand)(r, nz, -1, 1);
    H_OK(FWD(ex, act, param, n, nin, nout, L.X, L.ldx, L.W, L.ldw, L.b, ZA, ZA));
    H_EXPECT(TP(same)(ZA, A, nz), "%s forward act=%d in place (A == Z) differs", pname, (int)act);

    /* ---- backward, dA given ---- */
    size_t nw = nin * nout, nx = n * nin;
    T *dZ = TP(rand)(r, nz, -1, 1), *dW = TP(rand)(r, nw, -1, 1), *db = TP(rand)(r, nout, -1, 1);
    T *dX = TP(rand)(r, nx, -1, 1);
    T *dZr = TP(rand)(r, nz, -1, 1), *dWr = TP(rand)(r, nw, -1, 1), *dbr = TP(rand)(r, nout, -1, 1);
    T *dXr = TP(rand)(r, nx, -1, 1);
    H_OK(BWD(ex, act, param, n, nin, nout, L.X, L.ldx, L.W, L.ldw, Z, A, L.dA, dZ, dW, db, dX));
    /* same Z and A as the fused pass got (narrow forward rounds differently) */
    H_OK(ACT_BWD(act, param, n, nout, Z, A, L.dA, dZr));
    H_OK(BIAS_GRAD(n, nout, (T)1, dZr, nout, (T)0, dbr));
    H_OK(GEMM_EXEC(ex, BP_TRANS, BP_NO_TRANS, nin, nout, n, (T)1, L.X, L.ldx, dZr, nout, (T)0, dWr,
                   nout));
    H_OK(GEMM_EXEC(ex, BP_NO_TRANS, BP_TRANS, n, nin, nout, (T)1, dZr, nout, L.W, L.ldw, (T)0, dXr,
                   nin));
    H_EXPECT(TP(same)(dZ, dZr, nz) && TP(same)(db, dbr, nout),
             "%s backward act=%d %zu×%zu→%zu: dZ or db differ (|ddZ| %.3g |ddb| %.3g)", pname,
             (int)act, n, nin, nout, TP(maxdiff)(dZ, dZr, nz), TP(maxdiff)(db, dbr, nout));
    /* Scales of dW = Xᵀ·dZ (k = n) and dX = dZ·Wᵀ (k = nout). */
    double sw = 0.0, sx = 0.0;
    for (size_t p = 0; p < nin; p++)
        for (size_t j = 0; j < nout; j++) {
            double t = 0.0;
            for (size_t i = 0; i < n; i++)
                t += fabs((double)L.X[i * L.ldx + p] * (double)dZr[i * nout + j]);
            if (t > sw) sw = t;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < nin; p++) {
            double t = 0.0;
            for (size_t j = 0; j < nout; j++)
                t += fabs((double)dZr[i * nout + j] * (double)L.W[p * L.ldw + j]);
            if (t > sx) sx = t;
        }
    if (wide) {
        H_EXPECT(TP(same)(dW, dWr, nw) && TP(same)(dX, dXr, nx),
                 "%s backward act=%d %zu×%zu→%zu (wide): dW or dX differ from unfused", pname,
                 (int)act, n, nin, nout);
    } else {
        double ew = TP(maxdiff)(dW, dWr, nw), ex_ = TP(maxdiff)(dX, dXr, nx);
        double tw = (double)(2 * n + 8) * EPS * sw, tx = (double)(2 * nout + 8) * EPS * sx;
        H_EXPECT(
            ew <= tw && ex_ <= tx,
            "%s backward act=%d %zu×%zu→%zu (narrow): |ddW| %.3g (tol %.3g) |ddX| %.3g (tol %.3g)",
            pname, (int)act, n, nin, nout, ew, tw, ex_, tx);
    }

    /* ---- backward from dL/dZ (dA NULL, Z and A not needed), no dX ---- */
    T *dZ2 = TP(copy)(dZr, nz), *dW2 = TP(rand)(r, nw, -1, 1), *db2 = TP(rand)(r, nout, -1, 1);
    H_OK(BWD(ex, act, param, n, nin, nout, L.X, L.ldx, NULL, L.ldw, NULL, NULL, NULL, dZ2, dW2, db2,
             NULL));
    H_EXPECT(TP(same)(dZ2, dZr, nz), "%s backward with dA = NULL modified dZ", pname);
    H_EXPECT(TP(same)(dW2, dW, nw) && TP(same)(db2, db, nout),
             "%s backward with dA = NULL: dW or db differ from the dA path", pname);

    /* ---- no dW (dW NULL, X not read): dZ, db and dX as with it ---- */
    T *dZ3 = TP(rand)(r, nz, -1, 1), *db3 = TP(rand)(r, nout, -1, 1), *dX3 = TP(rand)(r, nx, -1, 1);
    H_OK(BWD(ex, act, param, n, nin, nout, NULL, L.ldx, L.W, L.ldw, Z, A, L.dA, dZ3, NULL, db3,
             dX3));
    H_EXPECT(TP(same)(dZ3, dZ, nz) && TP(same)(db3, db, nout) && TP(same)(dX3, dX, nx),
             "%s backward act=%d %zu×%zu→%zu with dW = NULL: dZ, db or dX differ", pname, (int)act,
             n, nin, nout);

    /* ---- dZ in place over dA ---- */
    T *dAZ = TP(copy)(L.dA, nz);
    H_OK(BWD(ex, act, param, n, nin, nout, L.X, L.ldx, L.W, L.ldw, Z, A, dAZ, dAZ, dW2, db2, dX));
    H_EXPECT(TP(same)(dAZ, dZ, nz), "%s backward with dZ == dA differs", pname);

    free(Z);
    free(A);
    free(Zr);
    free(Ar);
    free(ZA);
    free(dZ);
    free(dW);
    free(db);
    free(dX);
    free(dZr);
    free(dWr);
    free(dbr);
    free(dXr);
    free(dZ2);
    free(dW2);
    free(db2);
    free(dAZ);
    free(dZ3);
    free(db3);
    free(dX3);
    TP(free_layer)(&L);
}

static const bp_activation TP(ACTS)[6] = { BP_ACT_IDENTITY, BP_ACT_RELU, BP_ACT_LEAKY_RELU,
                                       BP_ACT_SIGMOID,  BP_ACT_TANH, BP_ACT_SOFTMAX };

/* Narrow layers (direct path): seed 01's 2-4-3-1 network on 1000 samples,
 * batch-1 training of a 2-2-2-2 network, the 31-wide boundary. */
static void TP(test_narrow)(void **state) {
    const bp_exec *ex = *state;
    h_rng r;
    h_seed(&r, 7201 + sizeof(T));
    static const size_t shapes[][4] = {
        { 1000, 2, 4, 0 }, { 1000, 4, 3, 1 }, { 1000, 3, 1, 2 }, { 1, 2, 2, 0 },
        { 7, 31, 31, 3 },  { 13, 1, 17, 0 },  { 5, 20, 2, 1 },
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t a = 0; a < 6; a++)
            TP(check_layer)(&r, ex, TP(ACTS)[a], (T)0.1, shapes[s][0], shapes[s][1], shapes[s][2],
                        shapes[s][3]);
}

/* Wide layers (blocked GEMM with the fused epilogue, or the unpacked
 * kernels for the small and skinny products), through NULL, the default
 * 2-thread context and 1-thread contexts of the AVX2 and portable kernel
 * sets (each with its own build of the element-wise passes,
 * dense_passes_tmpl.h): the same bits as the unfused composition. */
static void TP(test_wide)(void **state) {
    const bp_exec *ex = *state;
    bp_exec *avx2 = NULL, *portable = NULL;
    H_OK(bp_exec_create_with(1, BP_EXEC_AVX2, &avx2));
    H_OK(bp_exec_create_with(1, BP_EXEC_PORTABLE, &portable));
    const bp_exec *contexts[] = { NULL, ex, avx2, portable };
    h_rng r;
    h_seed(&r, 7301 + sizeof(T));
    static const size_t shapes[][4] = {
        { 150, 40, 50, 0 },  { 77, 33, 64, 2 }, { 9, 32, 5, 0 },
        { 300, 128, 10, 1 }, { 64, 3, 100, 0 }, { 320, 150, 130, 0 },
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t a = 0; a < 6; a++)
            for (size_t c = 0; c < sizeof contexts / sizeof contexts[0]; c++)
                TP(check_layer)(&r, contexts[c], TP(ACTS)[a], (T)0.2, shapes[s][0], shapes[s][1],
                            shapes[s][2], shapes[s][3]);
    bp_exec_free(avx2);
    bp_exec_free(portable);
}

/* ReLU at a NaN pre-activation, in every kernel set's fused passes (a wide
 * layer: the dispatch table's builds): the forward pass keeps the NaN
 * (it must reach the loss), and the backward pass passes dL/dA through —
 * !(z ≤ 0), the unfused kernels' test — where z > 0 would give 0. */
static void TP(test_relu_nan)(void **state) {
    (void)state;
    enum { N = 40, NIN = 48, NOUT = 80 };
    h_rng r;
    h_seed(&r, 7401 + sizeof(T));
    TP(layer) L = TP(make_layer)(&r, N, NIN, NOUT, 0);
    L.X[3 * NIN + 5] = (T)h_nan(); /* row 3 of Z: NaN throughout */
    T *Z = TP(rand)(&r, N * NOUT, -1, 1), *A = TP(rand)(&r, N * NOUT, -1, 1);
    T *dZ = TP(rand)(&r, N * NOUT, -1, 1), *dW = TP(rand)(&r, NIN * NOUT, -1, 1);
    T *db = TP(rand)(&r, NOUT, -1, 1), *dZr = TP(rand)(&r, N * NOUT, -1, 1);
    static const unsigned sets[] = { BP_EXEC_DEFAULT, BP_EXEC_AVX2, BP_EXEC_PORTABLE };
    for (size_t c = 0; c < 3; c++) {
        bp_exec *ex = NULL;
        H_OK(bp_exec_create_with(1, sets[c], &ex));
        H_OK(FWD(ex, BP_ACT_RELU, 0, N, NIN, NOUT, L.X, L.ldx, L.W, L.ldw, L.b, Z, A));
        int kept = 1;
        for (size_t j = 0; j < NOUT; j++) kept &= isnan(Z[3 * NOUT + j]) && isnan(A[3 * NOUT + j]);
        H_EXPECT(kept, "kernel set %u: ReLU of a NaN pre-activation is not NaN", sets[c]);
        H_OK(BWD(ex, BP_ACT_RELU, 0, N, NIN, NOUT, L.X, L.ldx, L.W, L.ldw, Z, A, L.dA, dZ, dW, db,
                 NULL));
        H_OK(ACT_BWD(BP_ACT_RELU, 0, N, NOUT, Z, A, L.dA, dZr));
        H_EXPECT(TP(same)(dZ, dZr, N * NOUT) && TP(same)(dZ + 3 * NOUT, L.dA + 3 * NOUT, NOUT),
                 "kernel set %u: ReLU' at NaN pre-activations differs from the unfused kernel's "
                 "(dL/dA passed through)",
                 sets[c]);
        bp_exec_free(ex);
    }
    free(Z);
    free(A);
    free(dZ);
    free(dW);
    free(db);
    free(dZr);
    TP(free_layer)(&L);
}

/* Empty dimensions: n = 0 gives dW = 0 and db = 0; n_in = 0 gives Z = b;
 * n_out = 0 gives dX = 0; nothing else is touched. */
static void TP(test_empty)(void **state) {
    const bp_exec *ex = *state;
    T X[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, W[8] = { 1, 1, 1, 1, 1, 1, 1, 1 }, b[4] = { 1, -2, 3, 0 };
    T Z[8], A[8], dZ[8] = { 1, 1, 1, 1, 1, 1, 1, 1 }, dW[8], db[4], dX[8];
    for (int i = 0; i < 8; i++) {
        dW[i] = 9;
        dX[i] = 9;
        Z[i] = 9;
        A[i] = 9;
    }
    for (int i = 0; i < 4; i++) db[i] = 9;
    /* n = 0 */
    H_OK(FWD(ex, BP_ACT_RELU, 0, 0, 2, 4, NULL, 2, W, 4, b, NULL, NULL));
    H_OK(BWD(ex, BP_ACT_RELU, 0, 0, 2, 4, NULL, 2, NULL, 4, NULL, NULL, NULL, NULL, dW, db, NULL));
    for (int i = 0; i < 8; i++) H_EXPECT(dW[i] == 0, "n = 0 must give dW = 0");
    for (int i = 0; i < 4; i++) H_EXPECT(db[i] == 0, "n = 0 must give db = 0");
    /* n_in = 0: Z = b, A = relu(b); dW empty, db = colsum(dZ) */
    H_OK(FWD(ex, BP_ACT_RELU, 0, 2, 0, 4, NULL, 1, NULL, 4, b, Z, A));
    H_EXPECT(Z[0] == 1 && Z[1] == -2 && Z[5] == -2 && A[1] == 0 && A[6] == 3,
             "n_in = 0 must give Z = b");
    H_OK(BWD(ex, BP_ACT_RELU, 0, 2, 0, 4, NULL, 1, NULL, 4, NULL, NULL, NULL, dZ, NULL, db, dX));
    H_EXPECT(db[0] == 2 && db[3] == 2, "n_in = 0: db must be the column sums");
    /* n_out = 0: nothing forward; dX = 0 */
    for (int i = 0; i < 8; i++) dX[i] = 9;
    H_OK(FWD(ex, BP_ACT_RELU, 0, 2, 4, 0, X, 4, NULL, 1, NULL, NULL, NULL));
    H_OK(BWD(ex, BP_ACT_RELU, 0, 2, 4, 0, X, 4, W, 1, NULL, NULL, NULL, NULL, NULL, NULL, dX));
    for (int i = 0; i < 8; i++) H_EXPECT(dX[i] == 0, "n_out = 0 must give dX = 0");
}

/* Every bad argument returns its status and writes nothing. */
static void TP(test_errors)(void **state) {
    const bp_exec *ex = *state;
    T X[8] = { 0 }, W[8] = { 0 }, b[4] = { 0 }, Zi[8] = { 0 }, Ai[8] = { 0 }, dA[8] = { 0 };
    T Z[8], A[8], dZ[8], dW[8], db[4], dX[8];
    for (int i = 0; i < 8; i++) Z[i] = A[i] = dZ[i] = dW[i] = dX[i] = 5;
    for (int i = 0; i < 4; i++) db[i] = 5;
    bp_activation bad = (bp_activation)9;
    T inf = (T)INFINITY, nan = (T)h_nan();
    size_t huge = (size_t)1 << 62;
    /* forward */
    H_STATUS(BP_ERR_BAD_ENUM, FWD(ex, bad, 0, 2, 2, 2, X, 2, W, 2, b, Z, A));
    H_STATUS(BP_ERR_BAD_VALUE, FWD(ex, BP_ACT_LEAKY_RELU, inf, 2, 2, 2, X, 2, W, 2, b, Z, A));
    H_STATUS(BP_ERR_BAD_VALUE, FWD(ex, BP_ACT_LEAKY_RELU, nan, 2, 2, 2, X, 2, W, 2, b, Z, A));
    H_STATUS(BP_ERR_LEADING_DIMENSION, FWD(ex, BP_ACT_RELU, 0, 2, 3, 2, X, 2, W, 2, b, Z, A));
    H_STATUS(BP_ERR_LEADING_DIMENSION, FWD(ex, BP_ACT_RELU, 0, 2, 2, 3, X, 2, W, 2, b, Z, A));
    H_STATUS(BP_ERR_LEADING_DIMENSION, FWD(ex, BP_ACT_RELU, 0, 2, 2, 2, X, 0, W, 2, b, Z, A));
    H_STATUS(BP_ERR_NULL_POINTER, FWD(ex, BP_ACT_RELU, 0, 2, 2, 2, NULL, 2, W, 2, b, Z, A));
    H_STATUS(BP_ERR_NULL_POINTER, FWD(ex, BP_ACT_RELU, 0, 2, 2, 2, X, 2, NULL, 2, b, Z, A));
    H_STATUS(BP_ERR_NULL_POINTER, FWD(ex, BP_ACT_RELU, 0, 2, 2, 2, X, 2, W, 2, NULL, Z, A));
    H_STATUS(BP_ERR_NULL_POINTER, FWD(ex, BP_ACT_RELU, 0, 2, 2, 2, X, 2, W, 2, b, NULL, A));
    H_STATUS(BP_ERR_NULL_POINTER, FWD(ex, BP_ACT_RELU, 0, 2, 2, 2, X, 2, W, 2, b, Z, NULL));
    H_STATUS(BP_ERR_SIZE_OVERFLOW, FWD(ex, BP_ACT_RELU, 0, huge, 2, 2, X, 2, W, 2, b, Z, A));
    H_STATUS(BP_ERR_SIZE_OVERFLOW, FWD(ex, BP_ACT_RELU, 0, 2, 2, huge, X, 2, W, huge, b, Z, A));
    /* backward */
    H_STATUS(BP_ERR_BAD_ENUM, BWD(ex, bad, 0, 2, 2, 2, X, 2, W, 2, Zi, Ai, dA, dZ, dW, db, dX));
    H_STATUS(BP_ERR_BAD_VALUE,
             BWD(ex, BP_ACT_LEAKY_RELU, -inf, 2, 2, 2, X, 2, W, 2, Zi, Ai, dA, dZ, dW, db, dX));
    H_STATUS(BP_ERR_LEADING_DIMENSION,
             BWD(ex, BP_ACT_TANH, 0, 2, 2, 2, X, 1, W, 2, Zi, Ai, dA, dZ, dW, db, dX));
    H_STATUS(BP_ERR_LEADING_DIMENSION,
             BWD(ex, BP_ACT_TANH, 0, 2, 2, 2, X, 2, W, 1, Zi, Ai, dA, dZ, dW, db, dX));
    H_STATUS(BP_ERR_NULL_POINTER,
             BWD(ex, BP_ACT_TANH, 0, 2, 2, 2, NULL, 2, W, 2, Zi, Ai, dA, dZ, dW, db, dX));
    H_STATUS(BP_ERR_NULL_POINTER,
             BWD(ex, BP_ACT_TANH, 0, 2, 2, 2, X, 2, NULL, 2, Zi, Ai, dA, dZ, dW, db, dX));
    H_STATUS(BP_ERR_NULL_POINTER,
             BWD(ex, BP_ACT_TANH, 0, 2, 2, 2, X, 2, W, 2, NULL, Ai, dA, dZ, dW, db, dX));
    H_STATUS(BP_ERR_NULL_POINTER,
             BWD(ex, BP_ACT_TANH, 0, 2, 2, 2, X, 2, W, 2, Zi, NULL, dA, dZ, dW, db, dX));
    H_STATUS(BP_ERR_NULL_POINTER,
             BWD(ex, BP_ACT_TANH, 0, 2, 2, 2, X, 2, W, 2, Zi, Ai, dA, NULL, dW, db, dX));
    /* dW NULL is allowed (no weight gradient), and then X is not read */
    H_STATUS(BP_ERR_NULL_POINTER,
             BWD(ex, BP_ACT_TANH, 0, 2, 2, 2, X, 2, W, 2, Zi, Ai, dA, dZ, NULL, NULL, dX));
    H_STATUS(BP_ERR_LEADING_DIMENSION,
             BWD(ex, BP_ACT_TANH, 0, 2, 2, 2, NULL, 1, W, 2, Zi, Ai, dA, dZ, NULL, db, dX));
    H_STATUS(BP_ERR_NULL_POINTER,
             BWD(ex, BP_ACT_TANH, 0, 2, 2, 2, X, 2, W, 2, Zi, Ai, dA, dZ, dW, NULL, dX));
    H_STATUS(BP_ERR_SIZE_OVERFLOW,
             BWD(ex, BP_ACT_TANH, 0, huge, 2, 2, X, 2, W, 2, Zi, Ai, dA, dZ, dW, db, dX));
    H_STATUS(BP_ERR_SIZE_OVERFLOW,
             BWD(ex, BP_ACT_TANH, 0, 2, huge, 2, X, huge, W, 2, Zi, Ai, dA, dZ, dW, db, NULL));
    for (int i = 0; i < 8; i++)
        H_EXPECT(Z[i] == 5 && A[i] == 5 && dZ[i] == 5 && dW[i] == 5 && dX[i] == 5,
                 "an output was written by a failing call");
    for (int i = 0; i < 4; i++) H_EXPECT(db[i] == 5, "db written by a failing call");
}
