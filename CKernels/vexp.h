/*
 * vexp.h — e^x (and log) written so that a compiler can vectorise loops
 * that call them.
 *
 * libm's exp is a function call with branches: a loop calling it runs one
 * element at a time. These versions are branch-free straight-line
 * arithmetic (selects instead of branches, bit casts through memcpy), so
 * `for (s …) a[s] = bp_vexp_d(z[s])` becomes SIMD code under whatever
 * target the including file is compiled for (narrow.c includes it under
 * AVX2 and AVX-512 targets as well as the portable one).
 *
 * Method (the classic one): e^x = 2^n · e^r with n = round(x / ln 2) and
 * r = x − n·ln 2 computed with ln 2 split in two (Cody–Waite), |r| ≤ ln2/2;
 * e^r by its Taylor polynomial (degree 13 in double, 7 in float: truncation
 * below 5e−18 and 6e−9 relative), evaluated by Horner; 2^n built from its
 * exponent bits in two halves, so that results in the subnormal range and
 * overflow to +inf come out of plain multiplications. Accuracy: within 2
 * units in the last place of the correctly rounded result over the whole
 * range (the C harness checks this against libm on a sweep of arguments);
 * +inf above ~709.78 (88.72 in float), 0 below ~−745.1 (−103.9), NaN for
 * NaN.
 *
 * bp_vlog_d and bp_vlog1p_d below do the same for the logarithms of the
 * loss values (computed in double whatever the network's precision).
 *
 * Included by narrow_instances.h.
 */
#ifndef BP_VEXP_H
#define BP_VEXP_H

#include <stdint.h>
#include <math.h>
#include <string.h>

static inline double bp_vexp_d(double x) {
    /* Clamp so that n stays within [−1077, 1025]: both halves of 2^n are
     * then normal numbers, and the product still over- or underflows
     * exactly where e^x does. NaN passes through the comparisons unchanged. */
    double xc = x > 710.0 ? 710.0 : x;
    xc = xc < -746.0 ? -746.0 : xc;
    /* n = round(x·log2 e): adding 1.5·2^52 rounds to an integer and leaves
     * it, plus 2^51, in the low mantissa bits. */
    const double shift = 0x1.8p52;
    double t = xc * 0x1.71547652b82fep0 + shift;
    double n = t - shift;
    double r = xc - n * 0x1.62e42fefa3800p-1;     /* ln 2, high part (exact product) */
    r = r - n * 0x1.ef35793c7673p-45;              /* ln 2, low part */
    double p = 1.0 / 6227020800.0;                 /* 1/13! */
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t tb;
    memcpy(&tb, &t, sizeof tb);
    int64_t ni = (int64_t)(tb & 0xFFFFFFFFFFFFFull) - ((int64_t)1 << 51);
    /* floor(n/2) with a logical shift (AVX2 has no 64-bit arithmetic one) */
    int64_t h = (int64_t)((uint64_t)(ni + 2048) >> 1) - 1024;
    uint64_t b1 = (uint64_t)(h + 1023) << 52, b2 = (uint64_t)(ni - h + 1023) << 52;
    double s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    double y = p * s1 * s2;
    return x != x ? x : y;
}

static inline float bp_vexp_s(float x) {
    float xc = x > 89.0f ? 89.0f : x;
    xc = xc < -104.5f ? -104.5f : xc;
    const float shift = 0x1.8p23f;
    float t = xc * 0x1.715476p0f + shift;
    float n = t - shift;
    float r = xc - n * 0x1.62e400p-1f;            /* ln 2, high part (exact product) */
    r = r - n * 0x1.7f7d1cp-20f;                   /* ln 2, low part */
    float p = 1.0f / 5040.0f;                      /* 1/7! */
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t tb;
    memcpy(&tb, &t, sizeof tb);
    int32_t ni = (int32_t)(tb & 0x7FFFFFu) - (1 << 22);
    int32_t h = (int32_t)((uint32_t)(ni + 256) >> 1) - 128;
    uint32_t b1 = (uint32_t)(h + 127) << 23, b2 = (uint32_t)(ni - h + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    float y = p * s1 * s2;
    return x != x ? x : y;
}

/*
 * log x for double x, branch-free like bp_vexp_d: x = 2^k·m with
 * m ∈ [√½, √2) (subnormals scaled by 2^54 first), f = m − 1 (exact),
 * log m = 2·atanh(s) with s = f/(2 + f), |s| ≤ 0.1716, by its series
 * 2s·(1 + s²/3 + s⁴/5 + … + s²⁴/25) (truncation below 1e−19 relative),
 * then + k·ln 2 in two parts. log 0 = −inf, log of a negative number or
 * NaN is NaN, log +inf = +inf. Within 2 ulp (checked in the C harness).
 */
static inline double bp_vlog_d(double x) {
    int tiny = x < 0x1p-1022;                     /* subnormal (or ≤ 0: fixed below) */
    double xs = tiny ? x * 0x1p54 : x;
    uint64_t b;
    memcpy(&b, &xs, sizeof b);
    /* k and the mantissa m ∈ [1, 2) from the bits; then fold m into [√½, √2). */
    int64_t k = (int64_t)((b >> 52) & 0x7FF) - 1023 - (tiny ? 54 : 0);
    uint64_t mb = (b & 0xFFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
    double m;
    memcpy(&m, &mb, sizeof m);
    int big = m > 1.4142135623730951;
    m = big ? m * 0.5 : m;
    k = big ? k + 1 : k;
    /* k to double without a 64-bit integer conversion (AVX2 has none). */
    uint64_t kb = (uint64_t)(k + ((int64_t)1 << 51)) | 0x4330000000000000ull;
    double kd;
    memcpy(&kd, &kb, sizeof kd);
    kd -= 0x1.8p52;
    double f = m - 1.0, s = f / (2.0 + f), z = s * s;
    double p = 1.0 / 25.0;
    p = p * z + 1.0 / 23.0;
    p = p * z + 1.0 / 21.0;
    p = p * z + 1.0 / 19.0;
    p = p * z + 1.0 / 17.0;
    p = p * z + 1.0 / 15.0;
    p = p * z + 1.0 / 13.0;
    p = p * z + 1.0 / 11.0;
    p = p * z + 1.0 / 9.0;
    p = p * z + 1.0 / 7.0;
    p = p * z + 1.0 / 5.0;
    p = p * z + 1.0 / 3.0;
    /* log m = f − f²/2 + … written as 2s + 2s·z·p; adding 2s last keeps
     * the small correction's rounding small. */
    double lm = 2.0 * s + 2.0 * s * (z * p);
    double y = kd * 0x1.62e42fefa3800p-1 + (lm + kd * 0x1.ef35793c7673p-45);
    y = x == 0.0 ? -INFINITY : y;
    y = x < 0.0 || x != x ? NAN : y;
    return x == INFINITY ? x : y;
}

/* log(1 + x) for x > −1 without losing the bits of a small x: with
 * u = 1 + x rounded, log1p x = log u + (x − (u − 1))/u (the second term
 * corrects the rounding of u). */
static inline double bp_vlog1p_d(double x) {
    double u = 1.0 + x;
    double c = (x - (u - 1.0)) / u;
    double y = bp_vlog_d(u) + c;
    y = x == -1.0 ? -INFINITY : y;
    return x == INFINITY ? x : y;
}

#endif /* BP_VEXP_H */
