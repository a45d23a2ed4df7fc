/*
 * vexp_tmpl.h — the branch-free e^x and log of vexp.h, written once over a
 * lane type and included by vexp.h once per type: plain double and float
 * (whose loops the compilers vectorise) and the GCC/clang vector types of
 * the narrow engine's register blocks (narrow_block_tmpl.h), which call them
 * on whole vectors. The same operations in the same order for every type,
 * so a vector's lanes hold exactly the scalar function's results (the C
 * harness checks this). No include guard on purpose. Before each inclusion
 * vexp.h defines:
 *
 *   VX_F          the floating type (double, float, or a vector of them)
 *   VX_I, VX_U    signed and unsigned integers of the same lane width
 *   VX_M          what a comparison of VX_F values gives (int for scalars,
 *                 a VX_I of all-ones or zero lanes for vectors)
 *   VX_SEL(m, a, b), VX_SELI(m, a, b)
 *                 m ? a : b per lane, on VX_F and VX_I values
 *   VX_SPLAT(c), VX_ISPLAT(c)
 *                 the constant c as a VX_F, VX_I value
 *   VX_BITS(x), VX_FROM_BITS(u)
 *                 a VX_F's bits as a VX_U, and back
 *   VX_EXP, VX_LOG, VX_LOG1P
 *                 the names to define; VX_DOUBLE (1 or 0) says which
 *                 precision's constants to use (float: exp only).
 *
 * It undefines all of them at its end.
 */

/* The precision's constants for e^x: the clamp, the rounding shift
 * (1.5·2^(mantissa bits)), log2 e, ln 2 in two parts (the high part with
 * trailing zeros, so n·high is exact), the mantissa mask and width, the
 * exponent bias, and the Taylor coefficients of e^r from the highest
 * (1/13! in double: truncation below 5e−18 relative; 1/7! in float, 6e−9). */
#if VX_DOUBLE
#define VXE_T double
#define VXE_HI 710.0
#define VXE_LO -746.0
#define VXE_SHIFT 0x1.8p52
#define VXE_LOG2E 0x1.71547652b82fep0
#define VXE_LN2_HI 0x1.62e42fefa3800p-1
#define VXE_LN2_LO 0x1.ef35793c7673p-45
#define VXE_MANT_MASK 0xFFFFFFFFFFFFFull
#define VXE_MANT_BITS 52
#define VXE_HALF_SHIFT ((int64_t)1 << 51)
#define VXE_BIAS 1023
#define VXE_COEFFS                                                                                 \
    1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,      \
        1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0,    \
        1.0
#else
#define VXE_T float
#define VXE_HI 89.0f
#define VXE_LO -104.5f
#define VXE_SHIFT 0x1.8p23f
#define VXE_LOG2E 0x1.715476p0f
#define VXE_LN2_HI 0x1.62e400p-1f
#define VXE_LN2_LO 0x1.7f7d1cp-20f
#define VXE_MANT_MASK 0x7FFFFFu
#define VXE_MANT_BITS 23
#define VXE_HALF_SHIFT ((int32_t)1 << 22)
#define VXE_BIAS 127
#define VXE_COEFFS                                                                                 \
    1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f, 1.0f, 1.0f
#endif

static inline VX_F VX_EXP(VX_F x) {
    /* Clamp so that n stays within the exponent range of two normal
     * halves of 2^n ([−1077, 1025] in double): the product still over- or
     * underflows exactly where e^x does. NaN passes through the comparisons
     * unchanged. */
    VX_F xc = VX_SEL(x > VXE_HI, VX_SPLAT(VXE_HI), x);
    xc = VX_SEL(xc < VXE_LO, VX_SPLAT(VXE_LO), xc);
    /* n = round(x·log2 e): adding the shift rounds to an integer and leaves
     * it, plus half the shift's mantissa, in the low mantissa bits. */
    const VXE_T shift = VXE_SHIFT;
    VX_F t = xc * VXE_LOG2E + shift;
    VX_F n = t - shift;
    VX_F r = xc - n * VXE_LN2_HI; /* ln 2, high part (exact product) */
    r = r - n * VXE_LN2_LO;       /* ln 2, low part */
    /* e^r by Horner, fully unrolled (a constant trip count) */
    static const VXE_T c[] = { VXE_COEFFS };
    VX_F p = VX_SPLAT(c[0]);
#if defined(__clang__)
#pragma clang loop unroll(full)
#elif defined(__GNUC__)
#pragma GCC unroll 16
#endif
    for (size_t i = 1; i < sizeof c / sizeof c[0]; i++) p = p * r + c[i];
    VX_I ni = (VX_I)(VX_BITS(t) & VXE_MANT_MASK) - VXE_HALF_SHIFT;
    /* floor(n/2) with a logical shift (AVX2 has no 64-bit arithmetic one);
     * the bias of one half is (bias + 1) */
    VX_I h = (VX_I)((VX_U)(ni + 2 * (VXE_BIAS + 1)) >> 1) - (VXE_BIAS + 1);
    VX_U b1 = (VX_U)(h + VXE_BIAS) << VXE_MANT_BITS, b2 = (VX_U)(ni - h + VXE_BIAS)
                                                          << VXE_MANT_BITS;
    VX_F y = p * VX_FROM_BITS(b1) * VX_FROM_BITS(b2);
    return VX_SEL(x != x, x, y);
}

#undef VXE_T
#undef VXE_HI
#undef VXE_LO
#undef VXE_SHIFT
#undef VXE_LOG2E
#undef VXE_LN2_HI
#undef VXE_LN2_LO
#undef VXE_MANT_MASK
#undef VXE_MANT_BITS
#undef VXE_HALF_SHIFT
#undef VXE_BIAS
#undef VXE_COEFFS

#if VX_DOUBLE
/*
 * log x: x = 2^k·m with m ∈ [√½, √2) (subnormals scaled by 2^54 first),
 * f = m − 1 (exact), log m = 2·atanh(s) with s = f/(2 + f), |s| ≤ 0.1716,
 * by its series 2s·(1 + s²/3 + s⁴/5 + … + s²⁴/25) (truncation below 1e−19
 * relative), then + k·ln 2 in two parts. log 0 = −inf, log of a negative
 * number or NaN is NaN, log +inf = +inf.
 */
static inline VX_F VX_LOG(VX_F x) {
    VX_M tiny = x < 0x1p-1022; /* subnormal (or ≤ 0: fixed below) */
    VX_F xs = VX_SEL(tiny, x * 0x1p54, x);
    VX_U b = VX_BITS(xs);
    /* k and the mantissa m ∈ [1, 2) from the bits; then fold m into [√½, √2). */
    VX_I k = (VX_I)((b >> 52) & 0x7FF) - 1023 - VX_SELI(tiny, VX_ISPLAT(54), VX_ISPLAT(0));
    VX_F m = VX_FROM_BITS((b & 0xFFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
    VX_M big = m > 1.4142135623730951;
    m = VX_SEL(big, m * 0.5, m);
    k = VX_SELI(big, k + 1, k);
    /* k to double without a 64-bit integer conversion (AVX2 has none). */
    VX_F kd = VX_FROM_BITS((VX_U)(k + ((int64_t)1 << 51)) | 0x4330000000000000ull);
    kd -= 0x1.8p52;
    VX_F f = m - 1.0, s = f / (2.0 + f), z = s * s;
    VX_F p = VX_SPLAT(1.0 / 25.0);
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
    VX_F lm = 2.0 * s + 2.0 * s * (z * p);
    VX_F y = kd * 0x1.62e42fefa3800p-1 + (lm + kd * 0x1.ef35793c7673p-45);
    y = VX_SEL(x == 0.0, VX_SPLAT(-INFINITY), y);
    y = VX_SEL((x < 0.0) | (x != x), VX_SPLAT(NAN), y);
    return VX_SEL(x == INFINITY, x, y);
}

/* log(1 + x) for x > −1 without losing the bits of a small x: with
 * u = 1 + x rounded, log1p x = log u + (x − (u − 1))/u (the second term
 * corrects the rounding of u). */
static inline VX_F VX_LOG1P(VX_F x) {
    VX_F u = 1.0 + x;
    VX_F c = (x - (u - 1.0)) / u;
    VX_F y = VX_LOG(u) + c;
    y = VX_SEL(x == -1.0, VX_SPLAT(-INFINITY), y);
    return VX_SEL(x == INFINITY, x, y);
}

#endif

#undef VX_F
#undef VX_I
#undef VX_U
#undef VX_M
#undef VX_SEL
#undef VX_SELI
#undef VX_SPLAT
#undef VX_ISPLAT
#undef VX_BITS
#undef VX_FROM_BITS
#undef VX_EXP
#undef VX_LOG
#undef VX_LOG1P
#undef VX_DOUBLE
