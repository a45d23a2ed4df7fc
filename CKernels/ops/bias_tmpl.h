/*
 * bias_tmpl.h — bias add and bias gradient, written once and included by
 * bias.c once per precision (no include guard on purpose). Before each
 * inclusion bias.c defines:
 *
 *   R          element type (double, float)
 *   P(name)    name##_d / name##_s
 *
 * It defines P(bias_add) and P(bias_gradient), the bodies of the public
 * bp_bias_add/_gradient(_f32), which bias.c defines by name.
 */

static bp_status P(bias_add)(size_t m, size_t n, const R *b, R *Z, size_t ldz) {
    BP_TRY(bp_check_matrix_elem(m, n, Z, ldz, sizeof(R)));
    BP_TRY(bp_check_array(m > 0 ? n : 0, sizeof(R), b));
    for (size_t i = 0; i < m; i++) {
        R *row = Z + i * ldz;
        for (size_t j = 0; j < n; j++) row[j] += b[j];
    }
    return BP_OK;
}

static bp_status P(bias_gradient)(size_t m, size_t n, R alpha, const R *dZ, size_t lddz, R beta,
                               R *db) {
    BP_TRY(bp_check_matrix_elem(m, n, dZ, lddz, sizeof(R)));
    BP_TRY(bp_check_array(n, sizeof(R), db));
    if (n == 0) return BP_OK;
    /* Scale first (beta == 0 never reads db), then accumulate row by row so
     * the inner loop runs along contiguous memory. */
    for (size_t j = 0; j < n; j++) db[j] = beta == (R)0 ? (R)0 : beta * db[j];
    for (size_t i = 0; i < m; i++) {
        const R *row = dZ + i * lddz;
        for (size_t j = 0; j < n; j++) db[j] += alpha * row[j];
    }
    return BP_OK;
}
