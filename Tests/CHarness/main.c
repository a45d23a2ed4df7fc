/*
 * main.c — runs every group of the C harness. Each group prints cmocka's
 * standard report; the exit status is non-zero if any test failed.
 *
 *   make check-c     (or build by hand: see the Makefile)
 */
#include "harness.h"

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
    return failed == 0 ? 0 : 1;
}
