/*
 * harness.c — shared helpers of the C test harness (see harness.h).
 */
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SplitMix64 ----------------------------------------------------------- */

void h_seed(h_rng *r, uint64_t seed) { r->state = seed; }

uint64_t h_next(h_rng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double h_uniform(h_rng *r, double lo, double hi) {
    /* 53 random bits → [0, 1) exactly representable. */
    double u = (double)(h_next(r) >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * u;
}

double h_uniform_signed(h_rng *r, double lo, double hi) {
    double v = h_uniform(r, lo, hi);
    return (h_next(r) & 1) ? -v : v;
}

size_t h_below(h_rng *r, size_t n) { return (size_t)(h_next(r) % (uint64_t)n); }

void h_fill(h_rng *r, double *x, size_t n, double lo, double hi) {
    for (size_t i = 0; i < n; i++) x[i] = h_uniform(r, lo, hi);
}

/* ---- memory ----------------------------------------------------------------- */

double *h_alloc(size_t n) {
    if (n == 0) n = 1;
    double *p = malloc(n * sizeof *p);
    if (p == NULL) {
        fprintf(stderr, "harness: out of memory (%zu doubles)\n", n);
        abort();
    }
    return p;
}

double *h_alloc_fill(size_t n, double value) {
    double *p = h_alloc(n);
    for (size_t i = 0; i < n; i++) p[i] = value;
    return p;
}

double *h_copy(const double *x, size_t n) {
    double *p = h_alloc(n);
    if (n > 0) memcpy(p, x, n * sizeof *p);
    return p;
}

double *h_matrix(h_rng *r, size_t rows, size_t cols, size_t ld, double lo, double hi, double pad) {
    double *X = h_alloc(rows * ld);
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++) X[i * ld + j] = h_uniform(r, lo, hi);
        for (size_t j = cols; j < ld; j++) X[i * ld + j] = pad;
    }
    return X;
}

int h_padding_intact(const double *X, size_t rows, size_t cols, size_t ld, double pad) {
    for (size_t i = 0; i < rows; i++)
        for (size_t j = cols; j < ld; j++)
            if (memcmp(&X[i * ld + j], &pad, sizeof pad) != 0) return 0;
    return 1;
}

int h_all_finite(const double *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

int h_same_bits(const double *x, const double *y, size_t n) {
    return n == 0 || memcmp(x, y, n * sizeof *x) == 0;
}

int h_same_values(const double *x, const double *y, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!(x[i] == y[i])) return 0;
    return 1;
}

double h_nan(void) { return nan(""); }

/* ---- errors ------------------------------------------------------------------ */

double h_normwise_err(size_t m, size_t n, const double *X, size_t ldx, const double *Y, size_t ldy,
                      double scale) {
    double worst = 0.0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double d = fabs(X[i * ldx + j] - Y[i * ldy + j]);
            if (!isfinite(d)) return INFINITY; /* NaN or infinity on either side fails */
            if (d > worst) worst = d;
        }
    if (worst == 0.0) return 0.0;
    return scale > 0.0 ? worst / scale : INFINITY;
}

double h_max_abs(const double *x, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > m || isnan(x[i])) m = isnan(x[i]) ? INFINITY : fabs(x[i]);
    return m;
}

double h_grad_err(const double *an, const double *fd, size_t n, double floor, size_t *worst) {
    double err = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double s = fmax(fmax(fabs(an[i]), fabs(fd[i])), floor);
        double e = fabs(an[i] - fd[i]) / s;
        if (isnan(e)) e = INFINITY;
        if (e > err) {
            err = e;
            at = i;
        }
    }
    if (worst) *worst = at;
    return err;
}

/* ---- finite differences ----------------------------------------------------------- */

double h_central_diff(double *x, double h, h_objective f, void *ctx) {
    const double x0 = *x;
    volatile double xp = x0 + h; /* volatile: the steps actually taken */
    volatile double xm = x0 - h;
    *x = xp;
    double fp = f(ctx);
    *x = xm;
    double fm = f(ctx);
    *x = x0;
    return (fp - fm) / (xp - xm);
}
