/*
 * finite.c — bp_find_nonfinite (bp_finite.h) in both precisions: the
 * argument checks, then the scan of vector_tmpl.h built for this CPU (the
 * dispatch table's vec_nonfinite_d / _s).
 */
#include "bp_finite.h"
#include "runtime/internal.h"
#include "runtime/dispatch.h"

bp_status bp_find_nonfinite(size_t n, const double *x, size_t *index) {
    if (index == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(bp_check_array(n, sizeof *x, x));
    *index = n == 0 ? 0 : bp_kernel_set_default()->vec_nonfinite_d(n, x);
    return BP_OK;
}

bp_status bp_find_nonfinite_f32(size_t n, const float *x, size_t *index) {
    if (index == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(bp_check_array(n, sizeof *x, x));
    *index = n == 0 ? 0 : bp_kernel_set_default()->vec_nonfinite_s(n, x);
    return BP_OK;
}
