/*
 * test_dense.c — fused dense-layer passes (bp_dense.h), double and float:
 * fused against the unfused composition of the other kernels, narrow
 * (direct) and wide (blocked GEMM with fused epilogue) layers, every
 * activation, dA = NULL, dX = NULL, in-place A == Z and dZ == dA, empty
 * dimensions, and every bad argument. The checks are written once in
 * test_dense_tmpl.h (tolerances justified there) and instantiated here
 * per precision.
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define T double
#define TP(name) name##_d
#define FWD bp_dense_forward
#define BWD bp_dense_backward
#define GEMM_EXEC bp_dgemm_exec
#define BIAS_ADD bp_bias_add
#define BIAS_GRAD bp_bias_gradient
#define ACT_FWD bp_activation_forward
#define ACT_BWD bp_activation_backward
#define EPS 0x1p-53
#include "test_dense_tmpl.h"
#undef T
#undef TP
#undef FWD
#undef BWD
#undef GEMM_EXEC
#undef BIAS_ADD
#undef BIAS_GRAD
#undef ACT_FWD
#undef ACT_BWD
#undef EPS

#define T float
#define TP(name) name##_s
#define FWD bp_dense_forward_f32
#define BWD bp_dense_backward_f32
#define GEMM_EXEC bp_sgemm_exec
#define BIAS_ADD bp_bias_add_f32
#define BIAS_GRAD bp_bias_gradient_f32
#define ACT_FWD bp_activation_forward_f32
#define ACT_BWD bp_activation_backward_f32
#define EPS 0x1p-24
#include "test_dense_tmpl.h"

/* The state of every test: a 2-thread context with the default kernels. */
static int dense_setup(void **state) {
    bp_exec *ex;
    if (bp_exec_create(2, &ex) != BP_OK) return -1;
    *state = ex;
    return 0;
}

static int dense_teardown(void **state) {
    bp_exec_free(*state);
    return 0;
}

int run_dense_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_narrow_d),   cmocka_unit_test(test_wide_d),
        cmocka_unit_test(test_empty_d),    cmocka_unit_test(test_relu_nan_d),
        cmocka_unit_test(test_errors_d),   cmocka_unit_test(test_narrow_s),
        cmocka_unit_test(test_wide_s),     cmocka_unit_test(test_empty_s),
        cmocka_unit_test(test_relu_nan_s), cmocka_unit_test(test_errors_s),
    };
    return cmocka_run_group_tests_name("dense", tests, dense_setup, dense_teardown);
}
