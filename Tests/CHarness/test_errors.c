/*
 * test_errors.c — every documented argument error returns its status
 * (bp_status.h), and outputs are left untouched when it does.
 *
 * Each call below has exactly one thing wrong, so the expected status does
 * not depend on the order in which a kernel validates. Buffers are small and
 * valid: a kernel that failed to reject a huge size would run off their end
 * (and AddressSanitizer / valgrind would say so) rather than pass quietly.
 * Every output starts filled with a sentinel and is checked afterwards.
 */
#include "harness.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL 1234.5
#define BIG (SIZE_MAX / 2)        /* BIG · 3 does not fit in size_t            */
#define BIG_BYTES (SIZE_MAX / 16) /* · 3 fits, · 3 · sizeof(double) does not  */

/* Small valid inputs and sentinel-filled outputs, reset before each check. */
static double IN1[64], IN2[64], IN3[64], OUT[64], OUT2[64];
static double LOSS;

static void reset(void) {
    for (int i = 0; i < 64; i++) {
        IN1[i] = 0.5 + i * 0.01;
        IN2[i] = -0.25 + i * 0.02;
        IN3[i] = 1.0;
        OUT[i] = OUT2[i] = SENTINEL;
    }
    LOSS = SENTINEL;
}

#define UNTOUCHED(what)                                                                            \
    do {                                                                                           \
        for (int i_ = 0; i_ < 64; i_++)                                                            \
            H_EXPECT(OUT[i_] == SENTINEL && OUT2[i_] == SENTINEL,                                  \
                     "%s: output written on an argument error", what);                             \
        H_EXPECT(LOSS == SENTINEL, "%s: loss written on an argument error", what);                 \
    } while (0)

/* Expect `status` from `call` and no output written. */
#define EXPECT_ERR(status, call)                                                                   \
    do {                                                                                           \
        reset();                                                                                   \
        H_STATUS(status, call);                                                                    \
        UNTOUCHED(#call);                                                                          \
    } while (0)

static const bp_transpose T[2] = { BP_NO_TRANS, BP_TRANS };
#define BAD_TRANS ((bp_transpose)99)
#define BAD_ACT ((bp_activation)99)
#define BAD_LOSS ((bp_loss)99)
#define BAD_INIT ((bp_init)99)

/* ---- status strings ------------------------------------------------------------- */

static void test_status_strings(void **state) {
    (void)state;
    const char *s[11];
    for (int c = 0; c <= BP_ERR_NOT_FINITE; c++) {
        s[c] = bp_status_string((bp_status)c);
        H_EXPECT(s[c] != NULL && s[c][0] != '\0', "status %d has no description", c);
        H_EXPECT(strcmp(s[c], "unknown status") != 0, "status %d is 'unknown status'", c);
        for (int d = 0; d < c; d++)
            H_EXPECT(strcmp(s[c], s[d]) != 0, "statuses %d and %d share '%s'", d, c, s[c]);
    }
    H_EXPECT(strcmp(bp_status_string((bp_status)99), "unknown status") == 0 &&
                 strcmp(bp_status_string((bp_status)-1), "unknown status") == 0,
             "unknown codes must give \"unknown status\"");
}

/* ---- GEMM ------------------------------------------------------------------------ */

typedef bp_status (*gemm_fn)(bp_transpose, bp_transpose, size_t, size_t, size_t, double,
                             const double *, size_t, const double *, size_t, double, double *,
                             size_t);

static void test_gemm_errors(void **state) {
    (void)state;
    const gemm_fn fns[2] = { bp_dgemm, bp_dgemm_reference };
    /* m = 3, n = 4, k = 5: all different, so checking an ld against the wrong
     * dimension shows. */
    const size_t m = 3, n = 4, k = 5;
    for (int f = 0; f < 2; f++) {
        gemm_fn g = fns[f];
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++) {
                bp_transpose ta = T[a], tb = T[b];
                size_t lda = ta == BP_NO_TRANS ? k : m; /* the minimum */
                size_t ldb = tb == BP_NO_TRANS ? n : k;
                /* the minimum leading dimensions are accepted */
                reset();
                H_OK(g(ta, tb, m, n, k, 1.0, IN1, lda, IN2, ldb, 0.0, OUT, n));
                /* one less is rejected, for each matrix */
                EXPECT_ERR(BP_ERR_LEADING_DIMENSION,
                           g(ta, tb, m, n, k, 1.0, IN1, lda - 1, IN2, ldb, 0.0, OUT, n));
                EXPECT_ERR(BP_ERR_LEADING_DIMENSION,
                           g(ta, tb, m, n, k, 1.0, IN1, lda, IN2, ldb - 1, 0.0, OUT, n));
                EXPECT_ERR(BP_ERR_LEADING_DIMENSION,
                           g(ta, tb, m, n, k, 1.0, IN1, lda, IN2, ldb, 0.0, OUT, n - 1));
                /* NULL for a non-empty matrix */
                EXPECT_ERR(BP_ERR_NULL_POINTER,
                           g(ta, tb, m, n, k, 1.0, NULL, lda, IN2, ldb, 0.0, OUT, n));
                EXPECT_ERR(BP_ERR_NULL_POINTER,
                           g(ta, tb, m, n, k, 1.0, IN1, lda, NULL, ldb, 0.0, OUT, n));
                reset();
                H_STATUS(BP_ERR_NULL_POINTER,
                         g(ta, tb, m, n, k, 1.0, IN1, lda, IN2, ldb, 0.0, NULL, n));
            }
        /* unknown transpose flags */
        EXPECT_ERR(BP_ERR_BAD_ENUM,
                   g(BAD_TRANS, BP_NO_TRANS, m, n, k, 1.0, IN1, k, IN2, n, 0.0, OUT, n));
        EXPECT_ERR(BP_ERR_BAD_ENUM,
                   g(BP_NO_TRANS, BAD_TRANS, m, n, k, 1.0, IN1, k, IN2, n, 0.0, OUT, n));
        /* a leading dimension must be at least 1, even for zero columns */
        EXPECT_ERR(BP_ERR_LEADING_DIMENSION,
                   g(BP_NO_TRANS, BP_NO_TRANS, m, n, 0, 1.0, IN1, 0, IN2, n, 0.0, OUT, n));
        /* sizes whose products overflow size_t, each dimension in turn */
        EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
                   g(BP_NO_TRANS, BP_NO_TRANS, BIG, 3, 2, 1.0, IN1, 2, IN2, 3, 0.0, OUT, 3));
        EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
                   g(BP_NO_TRANS, BP_NO_TRANS, 3, BIG, 2, 1.0, IN1, 2, IN2, BIG, 0.0, OUT, BIG));
        EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
                   g(BP_NO_TRANS, BP_NO_TRANS, 3, 2, BIG, 1.0, IN1, BIG, IN2, 2, 0.0, OUT, 2));
        EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
                   g(BP_TRANS, BP_TRANS, BIG, 3, 2, 1.0, IN1, BIG, IN2, 2, 0.0, OUT, 3));
        /* rows·cols fits, but not times sizeof(double) */
        EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
                   g(BP_NO_TRANS, BP_NO_TRANS, BIG_BYTES, 3, 2, 1.0, IN1, 2, IN2, 3, 0.0, OUT, 3));
    }
}

/* ---- bias --------------------------------------------------------------------------- */

static void test_bias_errors(void **state) {
    (void)state;
    /* bp_bias_add writes Z: Z is OUT here */
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_bias_add(2, 3, NULL, OUT, 3));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_bias_add(2, 3, IN1, NULL, 3));
    EXPECT_ERR(BP_ERR_LEADING_DIMENSION, bp_bias_add(2, 3, IN1, OUT, 2));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_bias_add(BIG, 3, IN1, OUT, 3));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_bias_add(BIG_BYTES, 3, IN1, OUT, 3));

    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_bias_gradient(2, 3, 1.0, NULL, 3, 0.0, OUT));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_bias_gradient(2, 3, 1.0, IN1, 3, 0.0, NULL));
    EXPECT_ERR(BP_ERR_LEADING_DIMENSION, bp_bias_gradient(2, 3, 1.0, IN1, 2, 0.0, OUT));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_bias_gradient(BIG, 3, 1.0, IN1, 3, 0.0, OUT));
}

/* ---- activations --------------------------------------------------------------------- */

static void test_activation_errors(void **state) {
    (void)state;
    const double bad[3] = { NAN, INFINITY, -INFINITY };
    EXPECT_ERR(BP_ERR_BAD_ENUM, bp_activation_forward(BAD_ACT, 0.0, 2, 3, IN1, OUT));
    EXPECT_ERR(BP_ERR_BAD_ENUM, bp_activation_backward(BAD_ACT, 0.0, 2, 3, IN1, IN2, IN3, OUT));
    for (int i = 0; i < 3; i++) {
        EXPECT_ERR(BP_ERR_BAD_VALUE,
                   bp_activation_forward(BP_ACT_LEAKY_RELU, bad[i], 2, 3, IN1, OUT));
        EXPECT_ERR(BP_ERR_BAD_VALUE,
                   bp_activation_backward(BP_ACT_LEAKY_RELU, bad[i], 2, 3, IN1, IN2, IN3, OUT));
        /* the others ignore param */
        reset();
        H_OK(bp_activation_forward(BP_ACT_RELU, bad[i], 2, 3, IN1, OUT));
        H_OK(bp_activation_forward(BP_ACT_TANH, bad[i], 2, 3, IN1, OUT));
    }
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_activation_forward(BP_ACT_TANH, 0.0, 2, 3, NULL, OUT));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_activation_forward(BP_ACT_TANH, 0.0, 2, 3, IN1, NULL));
    EXPECT_ERR(BP_ERR_NULL_POINTER,
               bp_activation_backward(BP_ACT_TANH, 0.0, 2, 3, NULL, IN2, IN3, OUT));
    EXPECT_ERR(BP_ERR_NULL_POINTER,
               bp_activation_backward(BP_ACT_TANH, 0.0, 2, 3, IN1, NULL, IN3, OUT));
    EXPECT_ERR(BP_ERR_NULL_POINTER,
               bp_activation_backward(BP_ACT_TANH, 0.0, 2, 3, IN1, IN2, NULL, OUT));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER,
             bp_activation_backward(BP_ACT_TANH, 0.0, 2, 3, IN1, IN2, IN3, NULL));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_activation_forward(BP_ACT_SIGMOID, 0.0, BIG, 3, IN1, OUT));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
               bp_activation_forward(BP_ACT_SOFTMAX, 0.0, 3, BIG_BYTES, IN1, OUT));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
               bp_activation_backward(BP_ACT_SIGMOID, 0.0, BIG, 3, IN1, IN2, IN3, OUT));
}

/* ---- losses ------------------------------------------------------------------------------- */

static void test_loss_errors(void **state) {
    (void)state;
    const size_t lab[4] = { 0, 1, 2, 1 };
    /* the mean of nothing is undefined */
    EXPECT_ERR(BP_ERR_ZERO_SIZE, bp_loss_compute(BP_LOSS_MSE, 0, 3, IN1, IN2, &LOSS, OUT));
    EXPECT_ERR(BP_ERR_ZERO_SIZE, bp_loss_compute(BP_LOSS_CCE, 3, 0, IN1, IN2, &LOSS, OUT));
    EXPECT_ERR(BP_ERR_ZERO_SIZE,
               bp_loss_compute_labels(BP_LOSS_SOFTMAX_CCE, 0, 3, IN1, lab, &LOSS, OUT));
    EXPECT_ERR(BP_ERR_ZERO_SIZE,
               bp_loss_compute_labels(BP_LOSS_SOFTMAX_CCE, 3, 0, IN1, lab, &LOSS, OUT));
    /* unknown kinds, and non-categorical kinds with labels */
    EXPECT_ERR(BP_ERR_BAD_ENUM, bp_loss_compute(BAD_LOSS, 2, 3, IN1, IN2, &LOSS, OUT));
    EXPECT_ERR(BP_ERR_BAD_ENUM, bp_loss_compute_labels(BAD_LOSS, 2, 3, IN1, lab, &LOSS, OUT));
    const bp_loss not_categorical[3] = { BP_LOSS_MSE, BP_LOSS_BCE, BP_LOSS_BCE_LOGITS };
    for (int i = 0; i < 3; i++)
        EXPECT_ERR(BP_ERR_BAD_ENUM,
                   bp_loss_compute_labels(not_categorical[i], 2, 3, IN1, lab, &LOSS, OUT));
    /* NULL inputs */
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_loss_compute(BP_LOSS_MSE, 2, 3, NULL, IN2, &LOSS, OUT));
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_loss_compute(BP_LOSS_MSE, 2, 3, IN1, NULL, &LOSS, OUT));
    EXPECT_ERR(BP_ERR_NULL_POINTER,
               bp_loss_compute_labels(BP_LOSS_CCE, 2, 3, NULL, lab, &LOSS, OUT));
    EXPECT_ERR(BP_ERR_NULL_POINTER,
               bp_loss_compute_labels(BP_LOSS_CCE, 2, 3, IN1, NULL, &LOSS, OUT));
    /* NULL outputs are allowed: skip them */
    reset();
    H_OK(bp_loss_compute(BP_LOSS_MSE, 2, 3, IN1, IN2, NULL, NULL));
    H_OK(bp_loss_compute_labels(BP_LOSS_CCE, 2, 3, IN1, lab, NULL, NULL));
    /* a label ≥ k, even only in the last row: nothing is written */
    const size_t bad_last[4] = { 0, 1, 2, 3 };
    const size_t bad_huge[2] = { 1, SIZE_MAX };
    for (int kind = BP_LOSS_CCE; kind <= BP_LOSS_SOFTMAX_CCE; kind++) {
        EXPECT_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
                   bp_loss_compute_labels((bp_loss)kind, 4, 3, IN3, bad_last, &LOSS, OUT));
        EXPECT_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
                   bp_loss_compute_labels((bp_loss)kind, 2, 3, IN3, bad_huge, &LOSS, OUT));
    }
    /* sizes that overflow */
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_loss_compute(BP_LOSS_MSE, BIG, 3, IN1, IN2, &LOSS, OUT));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
               bp_loss_compute(BP_LOSS_BCE, 3, BIG_BYTES, IN1, IN2, &LOSS, OUT));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
               bp_loss_compute_labels(BP_LOSS_CCE, 3, BIG, IN1, lab, &LOSS, OUT));
}

/* ---- weight and input gradients -------------------------------------------------------------- */

static void test_gradient_errors(void **state) {
    (void)state;
    /* outer product: x (2), y (3), dW 2×3 */
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_outer_accumulate(2, 3, 1.0, NULL, IN2, OUT, 3));
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_outer_accumulate(2, 3, 1.0, IN1, NULL, OUT, 3));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_outer_accumulate(2, 3, 1.0, IN1, IN2, NULL, 3));
    EXPECT_ERR(BP_ERR_LEADING_DIMENSION, bp_outer_accumulate(2, 3, 1.0, IN1, IN2, OUT, 2));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_outer_accumulate(BIG, 3, 1.0, IN1, IN2, OUT, 3));

    /* weight gradient: n_samples 4, n_in 2, n_out 3 */
    reset();
    H_OK(bp_weight_gradient(4, 2, 3, 1.0, IN1, 2, IN2, 3, 0.0, OUT, 3));
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_weight_gradient(4, 2, 3, 1.0, NULL, 2, IN2, 3, 0.0, OUT, 3));
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_weight_gradient(4, 2, 3, 1.0, IN1, 2, NULL, 3, 0.0, OUT, 3));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_weight_gradient(4, 2, 3, 1.0, IN1, 2, IN2, 3, 0.0, NULL, 3));
    EXPECT_ERR(BP_ERR_LEADING_DIMENSION,
               bp_weight_gradient(4, 2, 3, 1.0, IN1, 1, IN2, 3, 0.0, OUT, 3));
    EXPECT_ERR(BP_ERR_LEADING_DIMENSION,
               bp_weight_gradient(4, 2, 3, 1.0, IN1, 2, IN2, 2, 0.0, OUT, 3));
    EXPECT_ERR(BP_ERR_LEADING_DIMENSION,
               bp_weight_gradient(4, 2, 3, 1.0, IN1, 2, IN2, 3, 0.0, OUT, 2));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
               bp_weight_gradient(BIG, 2, 3, 1.0, IN1, 2, IN2, 3, 0.0, OUT, 3));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
               bp_weight_gradient(4, BIG, 3, 1.0, IN1, BIG, IN2, 3, 0.0, OUT, 3));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
               bp_weight_gradient(4, 2, BIG, 1.0, IN1, 2, IN2, BIG, 0.0, OUT, BIG));

    /* input gradient: n_samples 4, n_in 2, n_out 3 */
    reset();
    H_OK(bp_input_gradient(4, 2, 3, IN1, 3, IN2, 3, OUT, 2));
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_input_gradient(4, 2, 3, NULL, 3, IN2, 3, OUT, 2));
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_input_gradient(4, 2, 3, IN1, 3, NULL, 3, OUT, 2));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_input_gradient(4, 2, 3, IN1, 3, IN2, 3, NULL, 2));
    EXPECT_ERR(BP_ERR_LEADING_DIMENSION, bp_input_gradient(4, 2, 3, IN1, 2, IN2, 3, OUT, 2));
    EXPECT_ERR(BP_ERR_LEADING_DIMENSION, bp_input_gradient(4, 2, 3, IN1, 3, IN2, 2, OUT, 2));
    EXPECT_ERR(BP_ERR_LEADING_DIMENSION, bp_input_gradient(4, 2, 3, IN1, 3, IN2, 3, OUT, 1));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_input_gradient(BIG, 2, 3, IN1, 3, IN2, 3, OUT, 2));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_input_gradient(4, BIG, 3, IN1, 3, IN2, 3, OUT, BIG));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_input_gradient(4, 2, BIG, IN1, BIG, IN2, BIG, OUT, 2));
}

/* ---- updates ----------------------------------------------------------------------------------- */

static void test_update_errors(void **state) {
    (void)state;
    const double bad[3] = { NAN, INFINITY, -INFINITY };
    const size_t huge = SIZE_MAX / 4; /* · sizeof(double) overflows */
    for (int i = 0; i < 3; i++) EXPECT_ERR(BP_ERR_BAD_VALUE, bp_sgd_update(3, bad[i], IN1, OUT));
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_sgd_update(3, 0.1, NULL, OUT));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_sgd_update(3, 0.1, IN1, NULL));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_sgd_update(huge, 0.1, IN1, OUT));

    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_norm2(3, NULL, &LOSS));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_norm2(3, IN1, NULL));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_norm2(huge, IN1, &LOSS));

    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_scale(3, 2.0, NULL));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_scale(huge, 2.0, OUT));

    const double bad_norm[5] = { NAN, INFINITY, -INFINITY, 0.0, -1.0 };
    for (int i = 0; i < 5; i++)
        EXPECT_ERR(BP_ERR_BAD_VALUE, bp_clip_by_norm(3, bad_norm[i], OUT, &LOSS));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_clip_by_norm(3, 1.0, NULL, &LOSS));
    H_EXPECT(LOSS == SENTINEL, "clip: norm_before written on an argument error");
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_clip_by_norm(huge, 1.0, OUT, &LOSS));
}

/* ---- random ------------------------------------------------------------------------------------ */

static void test_random_errors(void **state) {
    (void)state;
    bp_rng *r = NULL, *c = NULL;
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_create(1, NULL));
    H_OK(bp_rng_create(1, &r));
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_clone(NULL, &c));
    H_EXPECT(c == NULL, "clone wrote *out on an argument error");
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_clone(r, NULL));
    const double bad[3] = { NAN, INFINITY, -INFINITY };
    const size_t huge = SIZE_MAX / 4;

    /* normal: mean finite, sd finite and ≥ 0 */
    for (int i = 0; i < 3; i++) {
        EXPECT_ERR(BP_ERR_BAD_VALUE, bp_rng_normal(r, 3, bad[i], 1.0, OUT));
        EXPECT_ERR(BP_ERR_BAD_VALUE, bp_rng_normal(r, 3, 0.0, bad[i], OUT));
    }
    EXPECT_ERR(BP_ERR_BAD_VALUE, bp_rng_normal(r, 3, 0.0, -1.0, OUT));
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_rng_normal(NULL, 3, 0.0, 1.0, OUT));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_normal(r, 3, 0.0, 1.0, NULL));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_rng_normal(r, huge, 0.0, 1.0, OUT));

    /* uniform: a, b finite, a ≤ b */
    for (int i = 0; i < 3; i++) {
        EXPECT_ERR(BP_ERR_BAD_VALUE, bp_rng_uniform(r, 3, bad[i], 1.0, OUT));
        EXPECT_ERR(BP_ERR_BAD_VALUE, bp_rng_uniform(r, 3, 0.0, bad[i], OUT));
    }
    EXPECT_ERR(BP_ERR_BAD_VALUE, bp_rng_uniform(r, 3, 2.0, 1.0, OUT));
    /* b − a must be finite too */
    EXPECT_ERR(BP_ERR_BAD_VALUE, bp_rng_uniform(r, 3, -1e308, 1e308, OUT));
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_rng_uniform(NULL, 3, 0.0, 1.0, OUT));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_uniform(r, 3, 0.0, 1.0, NULL));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_rng_uniform(r, huge, 0.0, 1.0, OUT));

    /* init: known scheme, n_in, n_out ≥ 1 */
    EXPECT_ERR(BP_ERR_BAD_ENUM, bp_rng_init_weights(r, BAD_INIT, 2, 3, OUT));
    EXPECT_ERR(BP_ERR_ZERO_SIZE, bp_rng_init_weights(r, BP_INIT_HE_NORMAL, 0, 3, OUT));
    EXPECT_ERR(BP_ERR_ZERO_SIZE, bp_rng_init_weights(r, BP_INIT_XAVIER_UNIFORM, 2, 0, OUT));
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_rng_init_weights(NULL, BP_INIT_HE_NORMAL, 2, 3, OUT));
    reset();
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_init_weights(r, BP_INIT_HE_NORMAL, 2, 3, NULL));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW, bp_rng_init_weights(r, BP_INIT_HE_NORMAL, BIG, 3, OUT));
    EXPECT_ERR(BP_ERR_SIZE_OVERFLOW,
               bp_rng_init_weights(r, BP_INIT_XAVIER_NORMAL, 3, BIG_BYTES, OUT));

    /* shuffle and single draws */
    size_t idx[3] = { 0, 1, 2 };
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_shuffle(NULL, 3, idx));
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_shuffle(r, 3, NULL));
    H_STATUS(BP_ERR_SIZE_OVERFLOW, bp_rng_shuffle(r, huge, idx));
#if SIZE_MAX > 0xFFFFFFFFu
    /* beyond the generator's 32-bit range */
    H_STATUS(BP_ERR_BAD_VALUE, bp_rng_shuffle(r, ((size_t)1 << 32) + 1, idx));
    H_STATUS(BP_ERR_BAD_VALUE, bp_rng_shuffle(r, (size_t)1 << 40, idx));
#endif
    H_EXPECT(idx[0] == 0 && idx[1] == 1 && idx[2] == 2, "shuffle wrote on an error");
    EXPECT_ERR(BP_ERR_NULL_POINTER, bp_rng_uniform01(NULL, &LOSS));
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_uniform01(r, NULL));

    /* a failed call does not spoil the generator: it still matches a fresh one */
    bp_rng *fresh = NULL;
    H_OK(bp_rng_create(1, &fresh));
    double a[5], b[5];
    H_OK(bp_rng_normal(r, 5, 0.0, 1.0, a));
    H_OK(bp_rng_normal(fresh, 5, 0.0, 1.0, b));
    H_EXPECT(h_same_bits(a, b, 5), "argument errors consumed random numbers");
    bp_rng_free(r);
    bp_rng_free(fresh);
}

/* ---- NULL is fine where the data are empty ------------------------------------------------------ */

static void test_null_allowed_for_empty_data(void **state) {
    (void)state;
    double out = 7.0;
    H_OK(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, 0, 0, 0, 1.0, NULL, 1, NULL, 1, 0.0, NULL, 1));
    H_OK(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, 2, 3, 0, 1.0, NULL, 1, NULL, 3, 0.0, OUT, 3));
    H_OK(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, 2, 3, 4, 0.0, NULL, 4, NULL, 3, 0.0, OUT, 3));
    H_OK(bp_bias_add(0, 0, NULL, NULL, 1));
    H_OK(bp_bias_gradient(0, 3, 1.0, NULL, 3, 0.0, OUT));
    H_OK(bp_activation_forward(BP_ACT_SOFTMAX, 0.0, 0, 0, NULL, NULL));
    H_OK(bp_activation_backward(BP_ACT_SOFTMAX, 0.0, 0, 0, NULL, NULL, NULL, NULL));
    H_OK(bp_outer_accumulate(0, 0, 1.0, NULL, NULL, NULL, 1));
    H_OK(bp_weight_gradient(0, 2, 3, 1.0, NULL, 2, NULL, 3, 0.0, OUT, 3));
    H_OK(bp_input_gradient(0, 0, 0, NULL, 1, NULL, 1, NULL, 1));
    H_OK(bp_sgd_update(0, 0.1, NULL, NULL));
    H_OK(bp_norm2(0, NULL, &out));
    H_EXPECT(out == 0.0, "norm of nothing = %g", out);
    H_OK(bp_scale(0, 2.0, NULL));
    H_OK(bp_clip_by_norm(0, 1.0, NULL, NULL));
    bp_rng *r = NULL;
    H_OK(bp_rng_create(3, &r));
    H_OK(bp_rng_normal(r, 0, 0.0, 1.0, NULL));
    H_OK(bp_rng_uniform(r, 0, 0.0, 1.0, NULL));
    H_OK(bp_rng_shuffle(r, 0, NULL));
    bp_rng_free(r);
}

int run_errors_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_gemm_errors),
        cmocka_unit_test(test_bias_errors),
        cmocka_unit_test(test_activation_errors),
        cmocka_unit_test(test_loss_errors),
        cmocka_unit_test(test_gradient_errors),
        cmocka_unit_test(test_update_errors),
        cmocka_unit_test(test_random_errors),
        cmocka_unit_test(test_null_allowed_for_empty_data),
    };
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
