/*
 * formulas.h — every element-wise formula of the library, defined once: the
 * activations f(z), their derivative products d·f′(z), the softmax row
 * Jacobian-vector product, and each loss's per-element term and gradient.
 * Every engine instantiates these (ops/activation_tmpl.h, ops/loss_tmpl.h,
 * dense/dense_passes_tmpl.h, the narrow engine's chunk, one-sample,
 * register-block and online paths); the engines keep their own loops, which
 * is where their speed is, but none keeps its own copy of the maths.
 *
 * How one definition serves every lane type: each formula is a function-
 * like macro over the operations it needs from its lanes, passed in by the
 * caller:
 *
 *   SEL(m, a, b)   m ? a : b lane by lane, m the result of a comparison
 *   K(c)           the constant c as a lane value (for literals: a splat of
 *                  a run-time scalar such as the leaky slope costs an
 *                  instruction, and a scalar operand of an arithmetic
 *                  operator is taken as a splat anyway)
 *
 * Scalar loops (double or float) pass BP_SEL and BP_K below: a conditional
 * expression, and the literal itself (an integer literal, which takes the
 * type of the other operand, so a float formula stays in float). The
 * register blocks of narrow_block_tmpl.h pass their vector types' select and
 * splat (VR_SEL, VR_SPLAT on the network's precision, VD_SEL, VD_SPLAT on
 * the double lanes of the loss). The formulas are expressions of plain C
 * operators, so each expands into exactly the arithmetic a hand-written
 * loop would have: compilers vectorise the scalar loops as before, and the
 * register blocks stay in registers. Where a formula needs an exponential
 * or a logarithm, the caller passes the one its loop wants (libm's; vexp.h's
 * for loops across samples and for vectors; exp1.h's for one-sample
 * chains), or the value itself.
 *
 * Arguments may be evaluated more than once: pass names or side-effect-free
 * expressions (the repeated subexpressions are pure, and the compilers
 * compute them once). With BP_SEL an arm is evaluated only when chosen, as
 * in any conditional expression: read an operand that is a load from an
 * array into a local first (`R d = dA[i];`), unless the loop stores to the
 * same element anyway — compilers will not vectorise a loop whose load
 * happens under a condition (they may not invent the read).
 *
 * Selects rather than branches: a compiler turns a conditional expression
 * whose arms are plain arithmetic on values already at hand into a select,
 * computing both arms, which is what lets a loop vectorise (a branch on the
 * sign of z would also mispredict half the time). Where an arm calls libm
 * (the sigmoid derivative from A; the cross-entropy terms of the scalar
 * loss loops), the call stays behind a branch and is made only where it is
 * needed.
 *
 * Rounding: each macro expands into one expression tree, the one its
 * callers' loops are written around. Where a caller adds a term to a sum,
 * the term's last product is an operand of that addition, so a compiler
 * that contracts a·b + c into one fused multiply-add (clang does by
 * default, on targets with FMA) contracts it there — and not through a
 * select or a function call. Callers that need the same bits on every
 * path must therefore keep the same form (an `if` around `total += term`,
 * or the select), as they do.
 */
#ifndef BP_FORMULAS_H
#define BP_FORMULAS_H

#include "bp_loss.h" /* BP_PROB_EPSILON */

/* The scalar lanes: a conditional expression, a literal as it is. */
#define BP_SEL(m, a, b) ((m) ? (a) : (b))
#define BP_K(c) (c)

/* ---- activations and their derivative products -----------------------------
 *
 * Identity: f(z) = z, d·f′ = d (no macro: the engines copy or skip).
 *
 * ReLU: f(z) = max(z, 0), d·f′(z) = d where z > 0, else 0.
 * Written as "z ≤ 0 ? 0 : z" rather than "z > 0 ? z : 0": a NaN
 * pre-activation (an overflowed sum) fails z ≤ 0 and stays NaN, so it
 * reaches the loss instead of turning into a silent 0. The derivative takes
 * the same test, so both agree on every input; it reads d on every element
 * (a select, not a conditional load).
 */
#define BP_RELU(SEL, K, z) SEL((z) <= K(0), K(0), (z))
#define BP_RELU_DERIV(SEL, K, z, d) SEL((z) <= K(0), K(0), (d))

/*
 * Leaky ReLU with slope α (param): f(z) = z for z > 0, α·z otherwise;
 * d·f′(z) = d for z > 0, α·d otherwise, by the same test (a NaN z takes
 * the α side: α·NaN = NaN). Both arms are computed and one selected: the
 * product is not under a condition for compilers that may assume no
 * floating-point traps (clang by default; GCC with -fno-trapping-math, as
 * the Makefile builds), so the loops vectorise. (The slope-times-operand
 * form (z > 0 ? 1 : α)·x gives the same bits, 1·x = x, but under clang it
 * costs the one-sample register path of narrow_online_tiny_tmpl.h some
 * 1.5 % more instructions per step, sigmoid networks included.)
 */
#define BP_LEAKY_RELU(SEL, K, z, param) SEL((z) > K(0), (z), (param) * (z))
#define BP_LEAKY_RELU_DERIV(SEL, K, z, param, d) SEL((z) > K(0), (d), (param) * (d))

/*
 * Sigmoid: σ(z) = 1/(1 + e^(−z)), from e = e^(−|z|):
 *     σ(z) = 1/(1 + e)    for z ≥ 0
 *          = e/(1 + e)    for z < 0     (multiply through by e^z)
 * Only e^(−|z|) ≤ 1 is ever formed, so no finite z overflows (±1e308 in
 * double, ±3e38 in float give 1 and 0) and neither branch cancels. The
 * caller computes e with its exp (a NaN z gives a NaN e, and σ = NaN); the
 * engines that keep e from the forward pass (the narrow engine) reuse it
 * for σ′ and for the logit loss below.
 */
#define BP_SIGMOID_E(SEL, K, z, e) (SEL((z) >= K(0), K(1), (e)) / (K(1) + (e)))

/*
 * σ′(z) = σ(z)·σ(−z), in two instantiations, one per input form. They are
 * not the same bits (they round differently; bounds below), and each
 * engine keeps the one its data gives it:
 *
 *   from e = e^(−|z|) (BP_SIGMOID_DERIV_E; the narrow engine, which kept e
 *   from its forward pass):  σ′ = e/(1 + e)². Symmetric in z, no
 *   subtraction anywhere, no exp: the cheapest and the most uniform.
 *
 *   from A = σ(z) (BP_SIGMOID_DERIV_A; ops/activation_tmpl.h, for the dense
 *   layers and the network engine, which keep Z and A but not e):
 *   σ′ = A·(1 − A) for z < 4, A·σ(−z) beyond. For z < 4, 1 − A = σ(−z) is
 *   exact to within 60 units of roundoff (1 − A > 0.018, and the
 *   subtraction itself is exact for A ≥ 1/2) and costs no exp. Beyond,
 *   1 − A would carry A's rounding error magnified by 1/(1 − A) (and be 0
 *   once A rounds to 1, for z > 37 in double): σ(−z) is evaluated itself,
 *   through SIGMOID (the precision's bp_sigmoid), behind a branch — the
 *   exp is paid only where it is needed. Forming e here instead would cost
 *   an exp on every element of every backward pass.
 *
 * Measured against a long-double σ(z)·σ(−z) on 2·10⁶ points of each range,
 * double and float alike: the form from e is within 4 ulp for every z (with
 * libm's exp and with vexp.h's); the form from A within 46 ulp for z < 4
 * (the 1 − A bound above, reached just below 4) and 4.3 ulp beyond. So the
 * two instantiations differ by up to 47 ulp near z = 4 and by up to 3 ulp
 * for z ≥ 4; the C harness holds each engine to its own references.
 */
#define BP_SIGMOID_DERIV_E(K, e, d) ((d) * ((e) / ((K(1) + (e)) * (K(1) + (e)))))
#define BP_SIGMOID_DERIV_A(K, SIGMOID, z, a, d)                                                    \
    ((d) * ((a) * ((z) < K(4) ? K(1) - (a) : SIGMOID(-(z)))))

/*
 * tanh: f(z) = tanh(z) (libm's: its own overflow-free evaluation);
 * d·f′(z) = d·(1 − A²) from A = tanh(z). Where A rounds to ±1 the factor
 * is 0, and the true 1 − tanh² is below the unit roundoff there anyway.
 */
#define BP_TANH_DERIV(K, a, d) ((d) * (K(1) - (a) * (a)))

/*
 * Softmax over a row: s_j = e^(z_j − m) / Σ_i e^(z_i − m), m the row
 * maximum. Subtracting m makes every exponent ≤ 0 (z_j − m may be −inf,
 * e.g. −1e308 − 1e308: exp gives 0, as it should) and the maximum's own
 * term exactly 1, so the sum is ≥ 1 and never overflows. The maximum is
 * kept by BP_SOFTMAX_MAX (a NaN never replaces it; a NaN first element
 * stays the maximum, and the row turns NaN either way).
 *
 * Its backward pass, the row Jacobian-vector product: J = diag(s) − s·sᵀ,
 * so dz_j = s_j·(da_j − ⟨da, s⟩), the dot product summed by the caller
 * over the row (BP_SOFTMAX_JVP gives one element).
 */
#define BP_SOFTMAX_MAX(SEL, z, m) SEL((z) > (m), (z), (m))
#define BP_SOFTMAX_JVP(s, da, dot) ((s) * ((da) - (dot)))

/* ---- losses: per-element terms and gradients --------------------------------
 *
 * All in double, whatever the network's precision (the callers convert
 * each element to double first and round each gradient to their precision
 * once, when storing it). `scale` is the average's 1/count: 1/(n·k) for
 * MSE and the binary losses, 1/n for the categorical ones (bp_loss.h).
 * The terms are the amounts each element adds to the (unscaled) loss.
 *
 * The clamp of a probability before its logarithm (bp_loss.h): p to
 * [ε, 1 − ε], ε = BP_PROB_EPSILON, so log p and log(1 − p) stay finite and
 * the gradients bounded. NaN passes through.
 */
#define BP_CLAMP_PROB(SEL, K, p)                                                                   \
    SEL((p) < K(BP_PROB_EPSILON), K(BP_PROB_EPSILON),                                              \
        SEL((p) > K(1.0 - BP_PROB_EPSILON), K(1.0 - BP_PROB_EPSILON), (p)))

/*
 * Mean squared error, with d = p − y formed in double: term d², gradient
 * 2·d·scale.
 */
#define BP_MSE_TERM(d) ((d) * (d))
#define BP_MSE_GRAD(d, scale) (2.0 * (d) * (scale))

/*
 * Binary cross-entropy on a clamped probability pc: term
 * −[y·log pc + (1 − y)·log(1 − pc)], the second logarithm as log1p(−pc)
 * (accurate for small pc); gradient (pc − y)/(pc·(1 − pc))·scale.
 */
#define BP_BCE_TERM(LOG, LOG1P, y, pc) (-((y) * LOG(pc) + (1.0 - (y)) * LOG1P(-(pc))))
#define BP_BCE_GRAD(y, pc, scale) (((pc) - (y)) / ((pc) * (1.0 - (pc))) * (scale))

/*
 * Binary cross-entropy on the logit z (sigmoid output fused with the loss):
 * −y·log σ(z) − (1 − y)·log(1 − σ(z)) rewritten as
 *     max(z, 0) − z·y + log(1 + e^(−|z|)),
 * which never overflows (log1p of e = e^(−|z|) ≤ 1, the sigmoid's own e).
 * Gradient (σ(z) − y)·scale, σ(z) either evaluated (BP_SIGMOID_E) or the
 * forward pass's activation A.
 */
#define BP_BCE_LOGITS_TERM(SEL, K, LOG1P, z, y, e)                                                 \
    (SEL((z) > K(0), (z), K(0)) - (z) * (y) + LOG1P(e))
#define BP_BCE_LOGITS_GRAD(sig, y, scale) (((sig) - (y)) * (scale))

/*
 * Categorical cross-entropy on a probability p (clamped by the caller for
 * the plain loss; a softmax output's own probability for the fused one):
 * term −y·log p, and 0 where y = 0 — a softmax probability may be 0 there,
 * and 0·log 0 would be NaN. BP_CCE_TERM_NONZERO is the term where y ≠ 0:
 * scalar loops add it under `if (y != 0)`, which skips the logarithm (a
 * libm call) and leaves `total += term` a product added to a sum, which a
 * compiler that contracts a·b + c into one fused multiply-add (clang, by
 * default) contracts. Vectorised and vector loops take BP_CCE_TERM, the
 * select, which computes the logarithm on every lane and discards it where
 * y = 0 (and is not contracted with the sum); its negation is outside the
 * select, so that `term += BP_CCE_TERM(…)` compiles to a subtraction (a
 * vector select is bitwise, and a negation inside it would stay an
 * instruction of its own). Gradient −y/p·scale; integer labels are the
 * one-hot y = 1.
 */
#define BP_CCE_TERM_NONZERO(LOG, y, p) (-(y) * LOG(p))
#define BP_CCE_TERM(SEL, K, LOG, y, p) (-SEL((y) != K(0), (y) * LOG(p), K(0)))
#define BP_CCE_GRAD(y, pc, scale) (-(y) / (pc) * (scale))

/*
 * Softmax fused with categorical cross-entropy, on a row of logits z with
 * targets y (not necessarily summing to 1, Σy = ysum):
 *     loss  Σ_j y_j·(lse − z_j),  lse = m + log Σ_i e^(z_i − m)
 *     d/dz_j = s_j·Σy − y_j          (s − y for a one-hot or probability row)
 * The term from the logits (BP_SOFTMAX_CCE_TERM_LSE, added where y_j ≠ 0
 * only, as BP_CCE_TERM_NONZERO is, so a hugely negative z_j cannot make
 * 0·∞) is the form used where the probabilities are not at hand, or where
 * one underflowed to 0 under a nonzero target; with the probabilities of
 * the forward pass, the term is the categorical cross-entropy's on s (s is
 * accurate to a unit of roundoff, so its log to a unit absolute). The
 * gradient's s is exp(z_j − lse) or the forward pass's activation; integer
 * labels are ysum = 1 and the one-hot y.
 */
#define BP_LOG_SUM_EXP(LOG, m, sum) ((m) + LOG(sum))
#define BP_SOFTMAX_CCE_TERM_LSE(y, lse, z) ((y) * ((lse) - (z)))
#define BP_SOFTMAX_CCE_GRAD(s, ysum, y, scale) (((s) * (ysum) - (y)) * (scale))

/* ---- the scalar functions ------------------------------------------------- */

/* σ(z) by BP_SIGMOID_E with libm's exp, in double and float: the sigmoid
 * of ops/activation_tmpl.h and ops/loss_tmpl.h. */
static inline double bp_sigmoid(double z) {
    const double e = __builtin_exp(-__builtin_fabs(z));
    return BP_SIGMOID_E(BP_SEL, BP_K, z, e);
}
static inline float bp_sigmoidf(float z) {
    const float e = __builtin_expf(-__builtin_fabsf(z));
    return BP_SIGMOID_E(BP_SEL, BP_K, z, e);
}

/* A probability clamped by BP_CLAMP_PROB. */
static inline double bp_clamp_prob(double p) { return BP_CLAMP_PROB(BP_SEL, BP_K, p); }

#endif /* BP_FORMULAS_H */
