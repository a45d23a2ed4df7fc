/*
 * dense_passes_tmpl.h — the element-wise passes of the fused dense layers
 * (dense_tmpl.h, the GEMM epilogue in gemm_driver_tmpl.h), written once;
 * narrow_instances.h includes it per precision in each ISA build
 * (portable, AVX2, AVX-512) next to vector_tmpl.h, and the dispatch table
 * picks the build. Before each inclusion:
 *
 *   R                  element type (double, float)
 *   V_BIAS_ROWS, V_RELU_ROWS, V_RELU_BACKWARD, V_COL_SUMS
 *                      the passes to define (bp_bias_rows_d_avx2, ...)
 *
 * Why per ISA: they touch every element of a batch's activations (W4's
 * 256 × 1024 layers: a million per pass), and built for the x86-64
 * baseline they run 2 doubles or 4 floats at a time; in the AVX-512 build
 * 8 or 16. Each is the plain loop's arithmetic element by element — an
 * addition, a select (the ReLU formulas of ops/formulas.h) — vectorised
 * across columns only (the column sums still add rows in increasing
 * order), so every build gives the same bits.
 */

/* C[i][j] += b[j] on rows × cols of C (leading dimension ldc): the bias
 * of a fused dense layer, added to a block of rows of Z just computed, in
 * the pass that then applies the activation. Rows can be as narrow as a
 * small product's (10, 16, 32 values), where clang's default of four
 * vectors per iteration would leave every row to its narrower remainder
 * loop: one vector per iteration. */
#if defined(__clang__)
#define V_ONE_VECTOR _Pragma("clang loop interleave_count(1)")
#else
#define V_ONE_VECTOR
#endif
void V_BIAS_ROWS(size_t rows, size_t cols, R *restrict C, size_t ldc, const R *restrict b) {
    for (size_t i = 0; i < rows; i++) {
        R *restrict c = C + i * ldc;
        V_ONE_VECTOR
        for (size_t j = 0; j < cols; j++) c[j] += b[j];
    }
}

/* A = ReLU(Z) on rows × cols (A may be Z): BP_RELU, which keeps NaN. */
void V_RELU_ROWS(size_t rows, size_t cols, const R *Z, size_t ldz, R *A, size_t lda) {
    for (size_t i = 0; i < rows; i++) {
        const R *z = Z + i * ldz;
        R *a = A + i * lda;
        for (size_t j = 0; j < cols; j++) a[j] = BP_RELU(BP_SEL, BP_K, z[j]);
    }
}

/* dZ = ReLU'(Z)·dA over count contiguous elements: BP_RELU_DERIV, the
 * forward pass's test; dA read everywhere (a select, not a conditional
 * load). */
void V_RELU_BACKWARD(size_t count, const R *Z, const R *dA, R *dZ) {
    for (size_t i = 0; i < count; i++) {
        R d = dA[i];
        dZ[i] = BP_RELU_DERIV(BP_SEL, BP_K, Z[i], d);
    }
}

/* db[j] += dZ[0][j] + dZ[1][j] + … (rows × cols, contiguous), the rows
 * added one after another: the bias gradient's sum over samples. */
void V_COL_SUMS(size_t rows, size_t cols, const R *restrict dZ, R *restrict db) {
    for (size_t i = 0; i < rows; i++) {
        const R *restrict dz = dZ + i * cols;
        for (size_t j = 0; j < cols; j++) db[j] += dz[j];
    }
}

#undef V_ONE_VECTOR
