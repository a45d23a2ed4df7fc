/*
 * update_tmpl.h — SGD step, norm, scaling and clipping, written once and
 * included by update.c once per precision (no include guard on purpose).
 * Before each inclusion update.c defines:
 *
 *   R                      element type (double, float)
 *   U_RULE                 the update stage's SGD element rule
 *                          (bp_sgd_rule_d / _s, ops/update_stage.h)
 *   U_VIEW, U_CVIEW        gsl_vector(_float)_view / _const_view
 *   U_VIEW_ARRAY, U_CVIEW_ARRAY   their constructors from arrays
 *   U_NRM2, U_SCAL         gsl_blas_dnrm2 / snrm2_in_double, gsl_blas_dscal / _sscal
 *   U_SGD, U_NORM2, U_SCALE, U_CLIP   names of the public functions
 *
 * Scalars that multiply the data (learning rate, scale factor) have the
 * data's type; norms are returned as double, chunk norms combined with
 * hypot in double.
 */

/* The engines' SGD rule on a plain loop, the arithmetic of BLAS's axpy
 * (w + (−η·g), a product then a sum; no contraction in this file, see
 * update.c), and its α = 0 shortcut: a zero rate leaves w as it is. */
bp_status U_SGD(size_t n, R learning_rate, const R *g, R *w) {
    if (!isfinite(learning_rate)) return BP_ERR_BAD_VALUE;
    BP_TRY(bp_check_array(n, sizeof(R), g));
    BP_TRY(bp_check_array(n, sizeof(R), w));
    if (learning_rate == (R)0) return BP_OK;
    const R alpha = -learning_rate;
    for (size_t i = 0; i < n; i++) w[i] = U_RULE(w[i], alpha, g[i]);
    return BP_OK;
}

bp_status U_NORM2(size_t n, const R *x, double *norm) {
    BP_TRY(bp_check_array(n, sizeof(R), x));
    if (norm == NULL) return BP_ERR_NULL_POINTER;
    bp_gsl_prepare();
    double total = 0.0;
    for (size_t off = 0; off < n;) {
        size_t len = chunk_len(n - off);
        U_CVIEW xv = U_CVIEW_ARRAY(x + off, len);
        /* hypot combines chunk norms without overflow. */
        total = hypot(total, U_NRM2(&xv.vector));
        off += len;
    }
    *norm = total;
    return BP_OK;
}

bp_status U_SCALE(size_t n, R alpha, R *x) {
    BP_TRY(bp_check_array(n, sizeof(R), x));
    bp_gsl_prepare();
    for (size_t off = 0; off < n;) {
        size_t len = chunk_len(n - off);
        U_VIEW xv = U_VIEW_ARRAY(x + off, len);
        U_SCAL(alpha, &xv.vector);
        off += len;
    }
    return BP_OK;
}

bp_status U_CLIP(size_t n, R max_norm, R *g, double *norm_before) {
    if (!isfinite(max_norm) || !(max_norm > (R)0)) return BP_ERR_BAD_VALUE;
    double norm;
    BP_TRY(U_NORM2(n, g, &norm));
    if (norm_before) *norm_before = norm;
    if (norm > max_norm) BP_TRY(U_SCALE(n, (R)(max_norm / norm), g));
    return BP_OK;
}
