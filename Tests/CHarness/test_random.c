/*
 * test_random.c — seeded generators, initialization and shuffling
 * (bp_random.h).
 *
 * Reproducibility is checked bit for bit. Distributions are checked by their
 * sample mean and variance with a 5-standard-error tolerance: for n = 1e5
 * draws both statistics are normal to an excellent approximation (CLT; the
 * chi-square of the variance has skewness √(8/n) < 0.01), and
 * P(|N(0,1)| > 5) = 5.7e-7, so a correct generator fails a check with
 * probability below 1e-6 — while a wrong σ, a wrong range or a bias of a
 * few percent fails by dozens of standard errors. (The seeds are fixed, so
 * the outcome is in fact deterministic for a given GSL.)
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#define N_DRAWS 100000

static bp_rng *make_rng(uint64_t seed) {
    bp_rng *r = NULL;
    bp_status s = bp_rng_create(seed, &r);
    if (s != BP_OK || r == NULL)
        fail_msg("bp_rng_create(%llu) returned %d (%s)", (unsigned long long)seed, (int)s,
                 bp_status_string(s));
    return r;
}

static void mean_var(const double *x, size_t n, double *mean, double *var) {
    long double s = 0.0L, q = 0.0L;
    for (size_t i = 0; i < n; i++) s += x[i];
    long double m = s / n;
    for (size_t i = 0; i < n; i++) q += (x[i] - m) * (x[i] - m);
    *mean = (double)m;
    *var = (double)(q / (n - 1));
}

/* Checks the sample mean and variance of n draws of a normal N(mu, sd²). */
static void expect_normal(const double *x, size_t n, double mu, double sd, const char *what) {
    double m, v;
    mean_var(x, n, &m, &v);
    double se_m = sd / sqrt((double)n);
    double se_v = sd * sd * sqrt(2.0 / (double)(n - 1));
    H_EXPECT(fabs(m - mu) <= 5 * se_m, "%s: sample mean %.6g, expected %.6g ± %.3g", what, m, mu,
             5 * se_m);
    H_EXPECT(fabs(v - sd * sd) <= 5 * se_v,
             "%s: sample variance %.6g, expected "
             "%.6g ± %.3g",
             what, v, sd * sd, 5 * se_v);
}

/* Checks n draws of U[a, b): range, mean (a+b)/2 (standard error
 * (b−a)/√(12n)) and variance (b−a)²/12 (standard error (b−a)²/√(180n),
 * from Var(s²) ≈ (μ4 − σ⁴)/n with μ4 = (b−a)⁴/80). */
static void expect_uniform(const double *x, size_t n, double a, double b, const char *what) {
    for (size_t i = 0; i < n; i++)
        H_EXPECT(x[i] >= a && x[i] < b, "%s: draw %zu = %.17g outside [%g, %g)", what, i, x[i], a,
                 b);
    double m, v, w = b - a;
    mean_var(x, n, &m, &v);
    double se_m = w / sqrt(12.0 * n), se_v = w * w / sqrt(180.0 * n);
    H_EXPECT(fabs(m - (a + b) / 2) <= 5 * se_m,
             "%s: sample mean %.6g, expected "
             "%.6g ± %.3g",
             what, m, (a + b) / 2, 5 * se_m);
    H_EXPECT(fabs(v - w * w / 12) <= 5 * se_v,
             "%s: sample variance %.6g, expected "
             "%.6g ± %.3g",
             what, v, w * w / 12, 5 * se_v);
}

/* ---- reproducibility ------------------------------------------------------------ */

/* A fixed script of calls, the same for every generator it is given. */
static void script(bp_rng *r, double *out /* 500 */, size_t *perm /* 50 */) {
    H_OK(bp_rng_normal(r, 100, 0.5, 2.0, out));
    H_OK(bp_rng_uniform(r, 100, -1.0, 3.0, out + 100));
    H_OK(bp_rng_init_weights(r, BP_INIT_XAVIER_NORMAL, 10, 10, out + 200));
    H_OK(bp_rng_init_weights(r, BP_INIT_HE_UNIFORM, 10, 10, out + 300));
    for (size_t i = 0; i < 50; i++) perm[i] = i;
    H_OK(bp_rng_shuffle(r, 50, perm));
    for (size_t i = 0; i < 100; i++) H_OK(bp_rng_uniform01(r, out + 400 + i));
}

static void test_same_seed_same_sequence(void **state) {
    (void)state;
    double a[500], b[500];
    size_t pa[50], pb[50];
    bp_rng *r1 = make_rng(42), *r2 = make_rng(42);
    script(r1, a, pa);
    script(r2, b, pb);
    H_EXPECT(h_same_bits(a, b, 500) && memcmp(pa, pb, sizeof pa) == 0,
             "two generators seeded 42 differ");
    bp_rng_free(r1);
    bp_rng_free(r2);
}

static void test_different_seed_different_sequence(void **state) {
    (void)state;
    double a[500], b[500];
    size_t pa[50], pb[50];
    bp_rng *r1 = make_rng(42), *r2 = make_rng(43);
    script(r1, a, pa);
    script(r2, b, pb);
    size_t same = 0;
    for (int i = 0; i < 500; i++) same += a[i] == b[i];
    H_EXPECT(same == 0, "seeds 42 and 43 share %zu of 500 draws", same);
    H_EXPECT(memcmp(pa, pb, sizeof pa) != 0, "seeds 42 and 43 shuffle alike");
    bp_rng_free(r1);
    bp_rng_free(r2);
}

/* Documented seeding: the 64-bit seed is folded to (seed XOR seed>>32) mod
 * 2^32 for MT19937, seeds below 2^32 are used as they are, and GSL maps 0 to
 * its default 4357. Checked against GSL's own MT19937 (bp_rng_uniform01 is
 * documented as gsl_rng_uniform). */
static void gsl_mt_draws(unsigned long seed, double *out, size_t n) {
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    if (g == NULL) fail_msg("gsl_rng_alloc failed");
    gsl_rng_set(g, seed);
    for (size_t i = 0; i < n; i++) out[i] = gsl_rng_uniform(g);
    gsl_rng_free(g);
}

static void bp_draws(uint64_t seed, double *out, size_t n) {
    bp_rng *r = make_rng(seed);
    bp_status s = BP_OK;
    for (size_t i = 0; i < n && s == BP_OK; i++) s = bp_rng_uniform01(r, &out[i]);
    bp_rng_free(r);
    H_OK(s);
}

static void test_seed_mapping(void **state) {
    (void)state;
    static const struct {
        uint64_t seed;
        unsigned long gsl_seed;
    } map[] = {
        { 7, 7 },
        { 0, 4357 }, /* GSL's default for 0 */
        { 4357, 4357 },
        { UINT64_C(0xFFFFFFFF), 0xFFFFFFFFUL }, /* the largest unfolded seed */
        { (UINT64_C(1) << 32) + 7, 6 },         /* 7 XOR 1 */
        { UINT64_C(0x123456789ABCDEF0), 0x9ABCDEF0UL ^ 0x12345678UL },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        double a[10], b[10];
        bp_draws(map[i].seed, a, 10);
        gsl_mt_draws(map[i].gsl_seed, b, 10);
        H_EXPECT(h_same_bits(a, b, 10),
                 "seed %#llx does not give GSL MT19937 seeded "
                 "%#lx",
                 (unsigned long long)map[i].seed, map[i].gsl_seed);
    }
}

/* A clone continues exactly where the original was, and the two are
 * independent afterwards. */
static void test_clone_continues_identically(void **state) {
    (void)state;
    double skip[37], a[500], b[500], c[20], d[20];
    size_t pa[50], pb[50];
    bp_rng *r1 = make_rng(2024), *r2 = NULL;
    H_OK(bp_rng_normal(r1, 37, 0.0, 1.0, skip));
    H_OK(bp_rng_clone(r1, &r2));
    H_EXPECT(r2 != NULL && r2 != r1, "clone returned %p", (void *)r2);
    script(r1, a, pa);
    script(r2, b, pb);
    H_EXPECT(h_same_bits(a, b, 500) && memcmp(pa, pb, sizeof pa) == 0,
             "clone does not continue the original's sequence");
    /* independence: the clone draws ahead; the original then draws the same */
    H_OK(bp_rng_uniform(r2, 20, 0.0, 1.0, c));
    H_OK(bp_rng_uniform(r1, 20, 0.0, 1.0, d));
    H_EXPECT(h_same_bits(c, d, 20), "clone and original share state");
    bp_rng_free(r1);
    /* the clone outlives its original */
    H_OK(bp_rng_uniform(r2, 20, 0.0, 1.0, c));
    bp_rng_free(r2);
    bp_rng_free(NULL); /* documented as allowed */
}

/* bp_rng_copy: the copy draws what the source draws next (a state saved
 * and restored, the way Network.train rewinds its shuffles), the two stay
 * independent, copying onto itself changes nothing, NULL is an error. */
static void test_copy_takes_over_the_state(void **state) {
    (void)state;
    double skip[41], a[500], b[500], c[20], d[20];
    size_t pa[50], pb[50];
    bp_rng *src = make_rng(77), *dst = make_rng(78);
    H_OK(bp_rng_normal(src, 41, 0.0, 1.0, skip));
    H_OK(bp_rng_copy(dst, src));
    script(src, a, pa);
    script(dst, b, pb);
    H_EXPECT(h_same_bits(a, b, 500) && memcmp(pa, pb, sizeof pa) == 0,
             "the copy does not continue the source's sequence");
    H_OK(bp_rng_uniform(dst, 20, 0.0, 1.0, c));
    H_OK(bp_rng_copy(src, src));
    H_OK(bp_rng_uniform(src, 20, 0.0, 1.0, d));
    H_EXPECT(h_same_bits(c, d, 20), "copy and source share state, or a self-copy moved it");
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_copy(NULL, src));
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_copy(dst, NULL));
    bp_rng_free(src);
    bp_rng_free(dst);
}

/* No global generator: interleaving another generator changes nothing. */
static void test_generators_are_independent(void **state) {
    (void)state;
    double a[50], b[50], junk[7];
    bp_rng *r1 = make_rng(5);
    H_OK(bp_rng_normal(r1, 50, 0.0, 1.0, a));
    bp_rng_free(r1);
    bp_rng *r2 = make_rng(5), *other = make_rng(6);
    for (int i = 0; i < 50; i++) {
        H_OK(bp_rng_normal(other, 7, 0.0, 1.0, junk));
        H_OK(bp_rng_normal(r2, 1, 0.0, 1.0, b + i));
    }
    H_EXPECT(h_same_bits(a, b, 50), "another generator's draws changed this one's");
    bp_rng_free(r2);
    bp_rng_free(other);
}

/* ---- distributions -------------------------------------------------------------- */

static void test_normal_mean_and_variance(void **state) {
    (void)state;
    double *x = h_alloc(N_DRAWS);
    bp_rng *r = make_rng(11);
    H_OK(bp_rng_normal(r, N_DRAWS, 3.0, 2.0, x));
    expect_normal(x, N_DRAWS, 3.0, 2.0, "N(3, 2²)");
    H_OK(bp_rng_normal(r, N_DRAWS, -1.0, 0.01, x));
    expect_normal(x, N_DRAWS, -1.0, 0.01, "N(-1, 0.01²)");
    /* sd = 0 is allowed: every draw is the mean */
    H_OK(bp_rng_normal(r, 100, 2.5, 0.0, x));
    for (int i = 0; i < 100; i++)
        H_EXPECT(x[i] == 2.5, "sd = 0: draw %d = %.17g, expected 2.5", i, x[i]);
    bp_rng_free(r);
    free(x);
}

static void test_uniform_range_mean_and_variance(void **state) {
    (void)state;
    double *x = h_alloc(N_DRAWS);
    bp_rng *r = make_rng(12);
    H_OK(bp_rng_uniform(r, N_DRAWS, -3.0, 5.0, x));
    expect_uniform(x, N_DRAWS, -3.0, 5.0, "U[-3, 5)");
    H_OK(bp_rng_uniform(r, N_DRAWS, 1e-3, 2e-3, x));
    expect_uniform(x, N_DRAWS, 1e-3, 2e-3, "U[0.001, 0.002)");
    /* a == b fills with a */
    H_OK(bp_rng_uniform(r, 100, 4.0, 4.0, x));
    for (int i = 0; i < 100; i++) H_EXPECT(x[i] == 4.0, "a == b: draw %d = %.17g", i, x[i]);
    /* one draw at a time on [0, 1) */
    for (size_t i = 0; i < N_DRAWS; i++) H_OK(bp_rng_uniform01(r, &x[i]));
    expect_uniform(x, N_DRAWS, 0.0, 1.0, "uniform01");
    bp_rng_free(r);
    free(x);
}

/* The four schemes with their σ and limits from bp_random.h. */
static void test_init_weights_schemes(void **state) {
    (void)state;
    const size_t n_in = 300, n_out = 250, n = n_in * n_out;
    double *W = h_alloc(90000); /* the largest layer below: 30 × 3000 */
    bp_rng *r = make_rng(13);

    H_OK(bp_rng_init_weights(r, BP_INIT_XAVIER_NORMAL, n_in, n_out, W));
    expect_normal(W, n, 0.0, sqrt(2.0 / (n_in + n_out)), "Xavier normal");

    double lim = sqrt(6.0 / (n_in + n_out));
    H_OK(bp_rng_init_weights(r, BP_INIT_XAVIER_UNIFORM, n_in, n_out, W));
    expect_uniform(W, n, -lim, lim, "Xavier uniform");

    H_OK(bp_rng_init_weights(r, BP_INIT_HE_NORMAL, n_in, n_out, W));
    expect_normal(W, n, 0.0, sqrt(2.0 / n_in), "He normal");

    lim = sqrt(6.0 / n_in);
    H_OK(bp_rng_init_weights(r, BP_INIT_HE_UNIFORM, n_in, n_out, W));
    expect_uniform(W, n, -lim, lim, "He uniform");

    /* fan-in/fan-out are not swapped: a 30 × 3000 He layer has σ² = 2/30 */
    H_OK(bp_rng_init_weights(r, BP_INIT_HE_NORMAL, 30, 3000, W));
    expect_normal(W, 90000, 0.0, sqrt(2.0 / 30), "He normal 30×3000");
    bp_rng_free(r);
    free(W);
}

/* ---- shuffling ------------------------------------------------------------------- */

static void test_shuffle_is_a_reproducible_permutation(void **state) {
    (void)state;
    enum { N = 1000 };
    size_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *c = malloc(N * sizeof *c);
    int *seen = calloc(N, sizeof *seen);
    for (size_t i = 0; i < N; i++) a[i] = b[i] = c[i] = i;
    bp_rng *r1 = make_rng(99), *r2 = make_rng(99), *r3 = make_rng(100);
    H_OK(bp_rng_shuffle(r1, N, a));
    H_OK(bp_rng_shuffle(r2, N, b));
    H_OK(bp_rng_shuffle(r3, N, c));
    size_t fixed = 0;
    for (size_t i = 0; i < N; i++) {
        H_EXPECT(a[i] < N && !seen[a[i]], "shuffle: index %zu repeated or out of range", a[i]);
        seen[a[i]] = 1;
        fixed += a[i] == i;
    }
    /* a random permutation of 1000 has ~1 fixed point (Poisson(1)) */
    H_EXPECT(fixed < 20, "shuffle left %zu of %d indices in place", fixed, N);
    H_EXPECT(memcmp(a, b, N * sizeof *a) == 0, "same seed, different shuffle");
    H_EXPECT(memcmp(a, c, N * sizeof *a) != 0, "different seed, same shuffle");

    /* n ≤ 1 leaves the array unchanged */
    size_t one = 7;
    H_OK(bp_rng_shuffle(r1, 1, &one));
    H_OK(bp_rng_shuffle(r1, 0, &one));
    H_OK(bp_rng_shuffle(r1, 0, NULL));
    H_EXPECT(one == 7, "n=1 shuffle changed the element");
    bp_rng_free(r1);
    bp_rng_free(r2);
    bp_rng_free(r3);
    free(a);
    free(b);
    free(c);
    free(seen);
}

/* Each of the 6 orders of 3 elements is equally likely: 60000 shuffles give
 * counts of 10000 ± 5·√(60000·(1/6)(5/6)) ≈ ±456. A biased shuffle (e.g.
 * swapping with any position instead of a remaining one) is off by ~1000+. */
static void test_shuffle_is_uniform(void **state) {
    (void)state;
    enum { TRIALS = 60000 };
    size_t counts[6] = { 0 };
    bp_rng *r = make_rng(31337);
    for (int t = 0; t < TRIALS; t++) {
        size_t p[3] = { 0, 1, 2 };
        H_OK(bp_rng_shuffle(r, 3, p));
        /* encode the permutation: first element and whether the rest is ordered */
        size_t code = p[0] * 2 + (p[1] > p[2]);
        H_EXPECT(code < 6 && p[0] + p[1] + p[2] == 3 && p[0] != p[1],
                 "not a permutation: %zu %zu %zu", p[0], p[1], p[2]);
        counts[code]++;
    }
    double sd = sqrt(TRIALS * (1.0 / 6) * (5.0 / 6));
    for (int i = 0; i < 6; i++)
        H_EXPECT(fabs((double)counts[i] - TRIALS / 6.0) <= 5 * sd,
                 "order %d came up %zu times of %d", i, counts[i], TRIALS);
    bp_rng_free(r);
}

/* A saved state restores the sequence exactly, into a generator seeded
 * differently, at positions before, at and after the 624-word refill. */
static void test_state_round_trip(void **state) {
    (void)state;
    const size_t skips[] = { 0, 1, 311, 623, 624, 625, 5000 };
    for (size_t k = 0; k < sizeof skips / sizeof skips[0]; k++) {
        bp_rng *a = make_rng(20261207), *b = make_rng(1);
        double u;
        for (size_t i = 0; i < skips[k]; i++) H_OK(bp_rng_uniform01(a, &u));
        uint32_t words[BP_RNG_STATE_WORDS];
        H_OK(bp_rng_get_state(a, words));
        H_EXPECT(words[BP_RNG_STATE_WORDS - 1] <= 624, "position %u",
                 (unsigned)words[BP_RNG_STATE_WORDS - 1]);
        H_OK(bp_rng_set_state(b, words));
        for (int i = 0; i < 2000; i++) {
            double x, y;
            H_OK(bp_rng_uniform01(a, &x));
            H_OK(bp_rng_uniform01(b, &y));
            H_EXPECT(x == y, "after %zu skips, draw %d: %.17g vs %.17g", skips[k], i, x, y);
        }
        bp_rng_free(a);
        bp_rng_free(b);
    }
}

/* States no generator can be in are refused, and leave it unchanged. */
static void test_state_rejects_impossible(void **state) {
    (void)state;
    bp_rng *a = make_rng(5), *ref = make_rng(5);
    uint32_t words[BP_RNG_STATE_WORDS];
    H_OK(bp_rng_get_state(a, words));
    uint32_t bad[BP_RNG_STATE_WORDS];
    memcpy(bad, words, sizeof bad);
    bad[BP_RNG_STATE_WORDS - 1] = 625;
    H_STATUS(BP_ERR_BAD_VALUE, bp_rng_set_state(a, bad));
    memset(bad, 0, sizeof bad);
    H_STATUS(BP_ERR_BAD_VALUE, bp_rng_set_state(a, bad));
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_set_state(NULL, words));
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_set_state(a, NULL));
    H_STATUS(BP_ERR_NULL_POINTER, bp_rng_get_state(a, NULL));
    double x, y;
    H_OK(bp_rng_uniform01(a, &x));
    H_OK(bp_rng_uniform01(ref, &y));
    H_EXPECT(x == y, "a refused state changed the generator: %.17g vs %.17g", x, y);
    bp_rng_free(a);
    bp_rng_free(ref);
}

int run_random_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_sequence),
        cmocka_unit_test(test_different_seed_different_sequence),
        cmocka_unit_test(test_seed_mapping),
        cmocka_unit_test(test_clone_continues_identically),
        cmocka_unit_test(test_copy_takes_over_the_state),
        cmocka_unit_test(test_generators_are_independent),
        cmocka_unit_test(test_normal_mean_and_variance),
        cmocka_unit_test(test_uniform_range_mean_and_variance),
        cmocka_unit_test(test_init_weights_schemes),
        cmocka_unit_test(test_shuffle_is_a_reproducible_permutation),
        cmocka_unit_test(test_shuffle_is_uniform),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_state_rejects_impossible),
    };
    return cmocka_run_group_tests_name("random", tests, NULL, NULL);
}
