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
 *                 the names to define; VX_DOUBLE (1 or 0) says which of
 *                 the precisions' formulas to use (float: exp only).
 *
 * It undefines all of them at its end.
 */

#if VX_DOUBLE
static inline VX_F VX_EXP(VX_F x) {
    /* Clamp so that n stays within [−1077, 1025]: both halves of 2^n are
     * then normal numbers, and the product still over- or underflows
     * exactly where e^x does. NaN passes through the comparisons unchanged. */
    VX_F xc = VX_SEL(x > 710.0, VX_SPLAT(710.0), x);
    xc = VX_SEL(xc < -746.0, VX_SPLAT(-746.0), xc);
    /* n = round(x·log2 e): adding 1.5·2^52 rounds to an integer and leaves
     * it, plus 2^51, in the low mantissa bits. */
    const double shift = 0x1.8p52;
    VX_F t = xc * 0x1.71547652b82fep0 + shift;
    VX_F n = t - shift;
    VX_F r = xc - n * 0x1.62e42fefa3800p-1;     /* ln 2, high part (exact product) */
    r = r - n * 0x1.ef35793c7673p-45;            /* ln 2, low part */
    VX_F p = VX_SPLAT(1.0 / 6227020800.0);       /* 1/13! */
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
    VX_I ni = (VX_I)(VX_BITS(t) & 0xFFFFFFFFFFFFFull) - ((int64_t)1 << 51);
    /* floor(n/2) with a logical shift (AVX2 has no 64-bit arithmetic one) */
    VX_I h = (VX_I)((VX_U)(ni + 2048) >> 1) - 1024;
    VX_U b1 = (VX_U)(h + 1023) << 52, b2 = (VX_U)(ni - h + 1023) << 52;
    VX_F y = p * VX_FROM_BITS(b1) * VX_FROM_BITS(b2);
    return VX_SEL(x != x, x, y);
}

/*
 * log x: x = 2^k·m with m ∈ [√½, √2) (subnormals scaled by 2^54 first),
 * f = m − 1 (exact), log m = 2·atanh(s) with s = f/(2 + f), |s| ≤ 0.1716,
 * by its series 2s·(1 + s²/3 + s⁴/5 + … + s²⁴/25) (truncation below 1e−19
 * relative), then + k·ln 2 in two parts. log 0 = −inf, log of a negative
 * number or NaN is NaN, log +inf = +inf.
 */
static inline VX_F VX_LOG(VX_F x) {
    VX_M tiny = x < 0x1p-1022;                   /* subnormal (or ≤ 0: fixed below) */
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

#else /* float: e^x only */
static inline VX_F VX_EXP(VX_F x) {
    VX_F xc = VX_SEL(x > 89.0f, VX_SPLAT(89.0f), x);
    xc = VX_SEL(xc < -104.5f, VX_SPLAT(-104.5f), xc);
    const float shift = 0x1.8p23f;
    VX_F t = xc * 0x1.715476p0f + shift;
    VX_F n = t - shift;
    VX_F r = xc - n * 0x1.62e400p-1f;            /* ln 2, high part (exact product) */
    r = r - n * 0x1.7f7d1cp-20f;                  /* ln 2, low part */
    VX_F p = VX_SPLAT(1.0f / 5040.0f);           /* 1/7! */
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    VX_I ni = (VX_I)(VX_BITS(t) & 0x7FFFFFu) - (1 << 22);
    VX_I h = (VX_I)((VX_U)(ni + 256) >> 1) - 128;
    VX_U b1 = (VX_U)(h + 127) << 23, b2 = (VX_U)(ni - h + 127) << 23;
    VX_F y = p * VX_FROM_BITS(b1) * VX_FROM_BITS(b2);
    return VX_SEL(x != x, x, y);
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
