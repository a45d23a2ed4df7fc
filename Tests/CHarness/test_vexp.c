/*
 * test_vexp.c — the vectorisable exp and log of CKernels/ops/vexp.h (used by
 * the narrow-network engine), and the short-latency exp of CKernels/ops/exp1.h
 * (its one-sample paths), against the C library's exp, expf, log and
 * log1p:
 *
 *  - within 2 units in the last place over sweeps of their whole ranges:
 *    normal results, results in the subnormal range, arguments near 1 for
 *    the logarithms, tiny arguments for log1p (where a naive log(1 + x)
 *    loses every digit);
 *  - the special values: overflow to +inf, underflow to 0, NaN in NaN out,
 *    log 0 = −inf, log of a negative number NaN, log1p(−1) = −inf;
 *  - the same results when the loop calling them is vectorised (the
 *    functions are branch-free, so lanes cannot diverge): checked through
 *    the narrow engine in test_narrow.c;
 *  - the versions on whole vectors (bp_vexp_d8, …, built from the same
 *    template for the register blocks of the narrow engine): bit for bit
 *    the scalar functions' results in every lane, special values included.
 *
 * The sweeps use the harness generator, so every run sees the same points.
 */
#include "harness.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ops/vexp.h"
#include "ops/exp1.h"

/* |got − want| in units of the last place of want (the spacing of doubles
 * at |want|; for subnormal want the smallest subnormal). */
static double ulps_d(double got, double want) {
    if (got == want || (isnan(got) && isnan(want))) return 0.0;
    if (isinf(got) || isinf(want) || isnan(got) || isnan(want)) return INFINITY;
    double u = nextafter(fabs(want), INFINITY) - fabs(want);
    return fabs(got - want) / u;
}

static double ulps_f(float got, float want) {
    if (got == want || (isnan(got) && isnan(want))) return 0.0;
    if (isinf(got) || isinf(want) || isnan(got) || isnan(want)) return INFINITY;
    double u = (double)nextafterf(fabsf(want), INFINITY) - fabsf(want);
    return fabs((double)got - want) / u;
}

#define MAX_ULPS 2.0
#define POINTS 400000

static void test_exp_double(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 501);
    double worst = 0.0, at = 0.0;
    for (int i = 0; i < POINTS; i++) {
        /* the whole range including subnormal results, and [−1, 1] densely */
        double x = i % 2 ? h_uniform(&r, -745.0, 709.7) : h_uniform(&r, -1.0, 1.0);
        double e = ulps_d(bp_vexp_d(x), exp(x));
        if (e > worst) {
            worst = e;
            at = x;
        }
    }
    H_EXPECT(worst <= MAX_ULPS, "bp_vexp_d is %.3g ulp from exp at %.17g", worst, at);
    H_EXPECT(bp_vexp_d(0.0) == 1.0, "e^0 = %.17g", bp_vexp_d(0.0));
    H_EXPECT(isinf(bp_vexp_d(709.8)) && isinf(bp_vexp_d(1e300)) && isinf(bp_vexp_d(INFINITY)),
             "overflow should give +inf");
    H_EXPECT(bp_vexp_d(-745.2) == 0.0 && bp_vexp_d(-1e300) == 0.0 && bp_vexp_d(-INFINITY) == 0.0,
             "underflow should give 0");
    H_EXPECT(bp_vexp_d(-740.0) > 0.0 && bp_vexp_d(-740.0) < 0x1p-1022,
             "e^−740 should be subnormal, got %.17g", bp_vexp_d(-740.0));
    H_EXPECT(isnan(bp_vexp_d(NAN)), "e^NaN should be NaN");
}

static void test_exp_float(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 502);
    double worst = 0.0, at = 0.0;
    for (int i = 0; i < POINTS; i++) {
        float x = (float)(i % 2 ? h_uniform(&r, -103.0, 88.7) : h_uniform(&r, -1.0, 1.0));
        double e = ulps_f(bp_vexp_s(x), expf(x));
        if (e > worst) {
            worst = e;
            at = x;
        }
    }
    H_EXPECT(worst <= MAX_ULPS, "bp_vexp_s is %.3g ulp from expf at %.9g", worst, at);
    H_EXPECT(isinf(bp_vexp_s(88.8f)) && bp_vexp_s(-104.0f) == 0.0f && isnan(bp_vexp_s(NAN)),
             "float exp: overflow, underflow or NaN handled wrongly");
}

static void test_log_double(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 503);
    double worst = 0.0, at = 0.0;
    for (int i = 0; i < POINTS; i++) {
        double x;
        switch (i % 4) {
        case 0: x = exp(h_uniform(&r, -708.0, 709.0)); break; /* every exponent */
        case 1: x = h_uniform(&r, 0.5, 2.0); break;           /* around 1 */
        case 2: x = 1.0 + h_uniform(&r, -1e-6, 1e-6); break;  /* very near 1 */
        default: x = h_uniform(&r, 0.0, 1.0) * 1e-310; break; /* subnormal */
        }
        double e = ulps_d(bp_vlog_d(x), log(x));
        if (e > worst) {
            worst = e;
            at = x;
        }
    }
    H_EXPECT(worst <= MAX_ULPS, "bp_vlog_d is %.3g ulp from log at %.17g", worst, at);
    H_EXPECT(bp_vlog_d(1.0) == 0.0, "log 1 = %.17g", bp_vlog_d(1.0));
    H_EXPECT(isinf(bp_vlog_d(0.0)) && bp_vlog_d(0.0) < 0, "log 0 should be −inf");
    H_EXPECT(isnan(bp_vlog_d(-1.0)) && isnan(bp_vlog_d(NAN)), "log of −1 or NaN should be NaN");
    H_EXPECT(isinf(bp_vlog_d(INFINITY)) && bp_vlog_d(INFINITY) > 0, "log +inf should be +inf");
    H_EXPECT(ulps_d(bp_vlog_d(4.9406564584124654e-324), log(4.9406564584124654e-324)) <= MAX_ULPS,
             "log of the smallest subnormal");
}

static void test_log1p_double(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 504);
    double worst = 0.0, at = 0.0;
    for (int i = 0; i < POINTS; i++) {
        double x;
        switch (i % 3) {
        case 0: x = h_uniform(&r, -1e-9, 1e-9); break; /* where log(1 + x) fails */
        case 1: x = h_uniform(&r, -0.999999, 1.0); break;
        default: x = exp(h_uniform(&r, -40.0, 40.0)); break;
        }
        double e = ulps_d(bp_vlog1p_d(x), log1p(x));
        if (e > worst) {
            worst = e;
            at = x;
        }
    }
    H_EXPECT(worst <= MAX_ULPS, "bp_vlog1p_d is %.3g ulp from log1p at %.17g", worst, at);
    H_EXPECT(bp_vlog1p_d(1e-300) == 1e-300, "log1p(1e−300) = %.17g", bp_vlog1p_d(1e-300));
    H_EXPECT(isinf(bp_vlog1p_d(-1.0)) && bp_vlog1p_d(-1.0) < 0, "log1p(−1) should be −inf");
    H_EXPECT(isnan(bp_vlog1p_d(-2.0)) && isinf(bp_vlog1p_d(INFINITY)),
             "log1p(−2) should be NaN and log1p(+inf) +inf");
}

/* bp_exp1_d on its domain x ≤ 0: within 1 ulp of exp down to −708 (the
 * table path; dense on [−1, 0], where a sigmoid's arguments mostly are, and
 * on both sides of every table step), within vexp.h's 2 below (subnormal
 * results, through bp_vexp_d); the special values. */
static void test_exp1_double(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 505);
    double worst = 0.0, at = 0.0, worst_sub = 0.0, at_sub = 0.0;
    for (int i = 0; i < POINTS; i++) {
        double x = i % 3 == 0   ? h_uniform(&r, -708.0, 0.0)
                   : i % 3 == 1 ? -h_uniform(&r, 0.0, 1.0)
                                /* n/128·ln 2 and its neighbours: the ends of a table step */
                                : (double)(-(int)h_below(&r, 130000)) * 0x1.62e42fefa39efp-8 *
                                      (1.0 + 1e-15 * (double)((int)h_below(&r, 3) - 1));
        if (x < -708.0) x = -708.0;
        double e = ulps_d(bp_exp1_d(x), exp(x));
        if (e > worst) {
            worst = e;
            at = x;
        }
        double xs = h_uniform(&r, -746.0, -708.0);
        double es = ulps_d(bp_exp1_d(xs), exp(xs));
        if (es > worst_sub) {
            worst_sub = es;
            at_sub = xs;
        }
    }
    H_EXPECT(worst <= 1.0, "bp_exp1_d is %.3g ulp from exp at %.17g", worst, at);
    H_EXPECT(worst_sub <= MAX_ULPS, "bp_exp1_d is %.3g ulp from exp at %.17g (subnormal)",
             worst_sub, at_sub);
    H_EXPECT(bp_exp1_d(0.0) == 1.0 && bp_exp1_d(-0.0) == 1.0, "e^0 = %.17g, e^−0 = %.17g",
             bp_exp1_d(0.0), bp_exp1_d(-0.0));
    const double below = nextafter(-708.0, -INFINITY);
    H_EXPECT(ulps_d(bp_exp1_d(-708.0), exp(-708.0)) <= 1.0 &&
                 ulps_d(bp_exp1_d(below), exp(below)) <= MAX_ULPS,
             "e^x on either side of −708");
    H_EXPECT(bp_exp1_d(-745.2) == 0.0 && bp_exp1_d(-1e300) == 0.0 && bp_exp1_d(-INFINITY) == 0.0,
             "underflow should give 0");
    H_EXPECT(isnan(bp_exp1_d(NAN)), "e^NaN should be NaN");
}

/* bp_exp1_s: the double routine rounded to float, within 1 ulp of expf down
 * to the last subnormal float. */
static void test_exp1_float(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 506);
    double worst = 0.0, at = 0.0;
    for (int i = 0; i < POINTS; i++) {
        float x = (float)(i % 2 ? h_uniform(&r, -104.0, 0.0) : -h_uniform(&r, 0.0, 1.0));
        double e = ulps_f(bp_exp1_s(x), expf(x));
        if (e > worst) {
            worst = e;
            at = x;
        }
    }
    H_EXPECT(worst <= 1.0, "bp_exp1_s is %.3g ulp from expf at %.9g", worst, at);
    H_EXPECT(bp_exp1_s(0.0f) == 1.0f && bp_exp1_s(-104.0f) == 0.0f && isnan(bp_exp1_s(NAN)),
             "float exp1: e^0, underflow or NaN handled wrongly");
}

/* The arguments of the vector checks: the sweeps' ranges, and the special
 * values in every lane position. */
enum { VEC_POINTS = 16 * 4096 };

static double vec_arg(h_rng *r, int i, int for_log) {
    static const double special[] = {
        0.0,   -0.0,   1.0,       -1.0,      INFINITY, -INFINITY, NAN,
        800.0, -800.0, 0x1p-1074, 0x1p-1030, 1e-300,   1.5,       0.5
    };
    const int ns = (int)(sizeof special / sizeof special[0]);
    if (i % 7 == 3) return special[(i / 7) % ns];
    if (for_log) return i % 2 ? exp(h_uniform(r, -745.0, 709.0)) : h_uniform(r, -0.99, 4.0);
    return h_uniform(r, -750.0, 712.0);
}

/* Lane j of every vector result equals the scalar function's result on
 * lane j's argument, bit for bit (NaN: any NaN). */
#define VEC_CHECK(VT, ET, N, vfn, sfn, for_log, seed)                                              \
    do {                                                                                           \
        h_rng r_;                                                                                  \
        h_seed(&r_, (seed));                                                                       \
        size_t bad_ = 0;                                                                           \
        double at_ = 0.0;                                                                          \
        for (int i_ = 0; i_ < VEC_POINTS; i_ += (N)) {                                             \
            ET x_[N], y_[N];                                                                       \
            for (int j_ = 0; j_ < (N); j_++) x_[j_] = (ET)vec_arg(&r_, i_ + j_, (for_log));        \
            VT v_;                                                                                 \
            memcpy(&v_, x_, sizeof v_);                                                            \
            v_ = vfn(v_);                                                                          \
            memcpy(y_, &v_, sizeof v_);                                                            \
            for (int j_ = 0; j_ < (N); j_++) {                                                     \
                ET s_ = sfn(x_[j_]);                                                               \
                if (!(isnan(s_) && isnan(y_[j_])) && memcmp(&s_, &y_[j_], sizeof s_) != 0) {       \
                    bad_++;                                                                        \
                    at_ = x_[j_];                                                                  \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        H_EXPECT(bad_ == 0, #vfn ": %zu lanes differ from " #sfn ", e.g. at %.17g", bad_, at_);    \
    } while (0)

static void test_vector_versions(void **state) {
    (void)state;
    VEC_CHECK(bp_vd8, double, 8, bp_vexp_d8, bp_vexp_d, 0, 601);
    VEC_CHECK(bp_vd8, double, 8, bp_vlog_d8, bp_vlog_d, 1, 602);
    VEC_CHECK(bp_vd8, double, 8, bp_vlog1p_d8, bp_vlog1p_d, 1, 603);
    VEC_CHECK(bp_vd16, double, 16, bp_vexp_d16, bp_vexp_d, 0, 604);
    VEC_CHECK(bp_vd16, double, 16, bp_vlog_d16, bp_vlog_d, 1, 605);
    VEC_CHECK(bp_vd16, double, 16, bp_vlog1p_d16, bp_vlog1p_d, 1, 606);
    VEC_CHECK(bp_vs16, float, 16, bp_vexp_s16, bp_vexp_s, 0, 607);
}

int run_vexp_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp_double),      cmocka_unit_test(test_exp_float),
        cmocka_unit_test(test_log_double),      cmocka_unit_test(test_log1p_double),
        cmocka_unit_test(test_exp1_double),     cmocka_unit_test(test_exp1_float),
        cmocka_unit_test(test_vector_versions),
    };
    return cmocka_run_group_tests_name("vexp", tests, NULL, NULL);
}
