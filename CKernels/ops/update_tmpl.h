/*
 * update_tmpl.h — SGD step, norm, scaling and clipping through GSL BLAS,
 * written once and included by update.c once per precision (no include
 * guard on purpose). Before each inclusion update.c defines:
 *
 *   R                      element type (double, float)
 *   U_VIEW, U_CVIEW        gsl_vector(_float)_view / _const_view
 *   U_VIEW_ARRAY, U_CVIEW_ARRAY   their constructors from arrays
 *   U_AXPY, U_NRM2, U_SCAL        gsl_blas_daxpy / gsl_blas_saxpy, ...
 *   U_SGD, U_NORM2, U_SCALE, U_CLIP   names of the public functions
 *
 * Scalars that multiply the data (learning rate, scale factor) have the
 * data's type; norms are returned as double, chunk norms combined with
 * hypot in double.
 */

bp_status U_SGD(size_t n, R learning_rate, const R *g, R *w) {
    if (!isfinite(learning_rate)) return BP_ERR_BAD_VALUE;
    BP_TRY(bp_check_array(n, sizeof(R), g));
    BP_TRY(bp_check_array(n, sizeof(R), w));
    bp_gsl_prepare();
    for (size_t off = 0; off < n;) {
        size_t len = chunk_len(n - off);
        U_CVIEW gv = U_CVIEW_ARRAY(g + off, len);
        U_VIEW wv = U_VIEW_ARRAY(w + off, len);
        if (U_AXPY(-learning_rate, &gv.vector, &wv.vector) != GSL_SUCCESS)
            return BP_ERR_GSL;
        off += len;
    }
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
