/*
 * main.c — runs every group of the C harness. Each group prints cmocka's
 * standard report; the exit status is non-zero if any test failed.
 *
 *   make check-c     (or build by hand: see the Makefile)
 */
#include "harness.h"

/* Groups of the fast GEMM, execution context, fused dense layer and float
 * kernels (test_gemm_fast.c, test_exec.c, test_dense.c, test_float.c). */
int run_gemm_fast_tests(void);
int run_exec_tests(void);
int run_dense_tests(void);
int run_float_tests(void);
/* The vectorisable exp and log of the narrow engine (test_vexp.c). */
int run_vexp_tests(void);
int run_finite_tests(void);
/* The parameter-update stage and its gradient hook (test_update_stage.c). */
int run_update_stage_tests(void);

int main(void)
{
    int failed = 0;
    failed += run_errors_tests();
    failed += run_gemm_tests();
    failed += run_bias_tests();
    failed += run_activation_tests();
    failed += run_loss_tests();
    failed += run_gradient_tests();
    failed += run_update_tests();
    failed += run_random_tests();
    failed += run_network_tests();
    failed += run_seeds_tests();
    failed += run_mlp_tests();
    failed += run_gemm_fast_tests();
    failed += run_exec_tests();
    failed += run_dense_tests();
    failed += run_float_tests();
    failed += run_vexp_tests();
    failed += run_finite_tests();
    failed += run_update_stage_tests();
    return failed == 0 ? 0 : 1;
}
