/*
 * update.c — SGD step, norm, scaling and clipping through GSL BLAS.
 *
 * GSL's BLAS wrappers pass lengths to CBLAS as int, so a vector longer than
 * INT_MAX would be truncated. We walk long vectors in chunks of at most
 * INT_MAX elements through gsl_vector views.
 */
#include <limits.h>
#include <math.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_vector.h>
#include "bp_update.h"
#include "internal.h"

static size_t chunk_len(size_t remaining) {
    return remaining < (size_t)INT_MAX ? remaining : (size_t)INT_MAX;
}

bp_status bp_sgd_update(size_t n, double learning_rate, const double *g, double *w) {
    if (!isfinite(learning_rate)) return BP_ERR_BAD_VALUE;
    BP_TRY(bp_check_array(n, sizeof(double), g));
    BP_TRY(bp_check_array(n, sizeof(double), w));
    bp_gsl_prepare();
    for (size_t off = 0; off < n;) {
        size_t len = chunk_len(n - off);
        gsl_vector_const_view gv = gsl_vector_const_view_array(g + off, len);
        gsl_vector_view wv = gsl_vector_view_array(w + off, len);
        if (gsl_blas_daxpy(-learning_rate, &gv.vector, &wv.vector) != GSL_SUCCESS)
            return BP_ERR_GSL;
        off += len;
    }
    return BP_OK;
}

bp_status bp_norm2(size_t n, const double *x, double *norm) {
    BP_TRY(bp_check_array(n, sizeof(double), x));
    if (norm == NULL) return BP_ERR_NULL_POINTER;
    bp_gsl_prepare();
    double total = 0.0;
    for (size_t off = 0; off < n;) {
        size_t len = chunk_len(n - off);
        gsl_vector_const_view xv = gsl_vector_const_view_array(x + off, len);
        /* hypot combines chunk norms without overflow. */
        total = hypot(total, gsl_blas_dnrm2(&xv.vector));
        off += len;
    }
    *norm = total;
    return BP_OK;
}

bp_status bp_scale(size_t n, double alpha, double *x) {
    BP_TRY(bp_check_array(n, sizeof(double), x));
    bp_gsl_prepare();
    for (size_t off = 0; off < n;) {
        size_t len = chunk_len(n - off);
        gsl_vector_view xv = gsl_vector_view_array(x + off, len);
        gsl_blas_dscal(alpha, &xv.vector);
        off += len;
    }
    return BP_OK;
}

bp_status bp_clip_by_norm(size_t n, double max_norm, double *g, double *norm_before) {
    if (!isfinite(max_norm) || !(max_norm > 0.0)) return BP_ERR_BAD_VALUE;
    double norm;
    BP_TRY(bp_norm2(n, g, &norm));
    if (norm_before) *norm_before = norm;
    if (norm > max_norm) BP_TRY(bp_scale(n, max_norm / norm, g));
    return BP_OK;
}
