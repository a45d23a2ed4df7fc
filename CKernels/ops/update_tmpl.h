/*
 * update_tmpl.h — SGD step, norm, scaling and clipping, written once and
 * included by update.c once per precision (no include guard on purpose).
 * Before each inclusion update.c defines:
 *
 *   R                      element type (double, float)
 *   P(name)                name##_d / name##_s
 *   U_RULE                 the update stage's SGD element rule
 *                          (bp_sgd_rule_d / _s, ops/update_rules_tmpl.h)
 *   U_VIEW, U_CVIEW        gsl_vector(_float)_view / _const_view
 *   U_VIEW_ARRAY, U_CVIEW_ARRAY   their constructors from arrays
 *   U_NRM2, U_SCAL         gsl_blas_dnrm2 / snrm2_in_double, gsl_blas_dscal / _sscal
 *
 * It defines P(sgd_update), P(norm2), P(scale) and P(clip_by_norm), the
 * bodies of the public bp_sgd_update, bp_norm2, bp_scale and
 * bp_clip_by_norm (_f32), which update.c defines by name.
 *
 * Scalars that multiply the data (learning rate, scale factor) have the
 * data's type; norms are returned as double, chunk norms combined with
 * hypot in double.
 */

/* The engines' SGD rule on a plain loop, the arithmetic of BLAS's axpy
 * (w + (−η·g), a product then a sum; no contraction in this file, see
 * update.c), and its α = 0 shortcut: a zero rate leaves w as it is. */
static bp_status P(sgd_update)(size_t n, R learning_rate, const R *g, R *w) {
    if (!isfinite(learning_rate)) return BP_ERR_BAD_VALUE;
    BP_TRY(bp_check_array(n, sizeof(R), g));
    BP_TRY(bp_check_array(n, sizeof(R), w));
    if (learning_rate == (R)0) return BP_OK;
    const R alpha = -learning_rate;
    for (size_t i = 0; i < n; i++) w[i] = U_RULE(w[i], alpha, g[i]);
    return BP_OK;
}

static bp_status P(norm2)(size_t n, const R *x, double *norm) {
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

static bp_status P(scale)(size_t n, R alpha, R *x) {
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

static bp_status P(clip_by_norm)(size_t n, R max_norm, R *g, double *norm_before) {
    if (!isfinite(max_norm) || !(max_norm > (R)0)) return BP_ERR_BAD_VALUE;
    double norm;
    BP_TRY(P(norm2)(n, g, &norm));
    if (norm_before) *norm_before = norm;
    if (norm > max_norm) BP_TRY(P(scale)(n, (R)(max_norm / norm), g));
    return BP_OK;
}
