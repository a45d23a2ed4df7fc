/*
 * update_rules_tmpl.h — the element rules of update_rules.h in one
 * precision, included by it twice (no include guard on purpose) after it
 * defines R (double, float), UR(name) (name##_d, name##_s) and UK (the
 * precision's bp_update_coeffs). Each rule returns the parameter's new
 * value and writes its new state through the pointers it is given; k is
 * the step's scalars.
 */

/* Plain SGD, p + α·g with α = −η: a product, then a sum. The builds that
 * allow contraction (FMA) round it once, the others twice; an engine's
 * paths that must agree bit for bit are compiled alike. */
static inline R UR(bp_sgd_rule)(R p, R alpha, R g) { return p + alpha * g; }

/* torch's lerp(a, b, w), a + w·(b − a), in its two forms: from a for
 * w < 1/2, from b otherwise (b − (b − a)·(1 − w)), which is exact at
 * w = 1. */
static inline R UR(bp_lerp)(const UK *k, R a, R b) {
    const R d = b - a;
    return k->small ? a + k->w * d : b - d * k->one_w;
}

/*
 * SGD with weight decay and no momentum:
 *     p ← p − η·(g + λ·p)
 * torch: grad.add(param, alpha=λ); param.add_(grad, alpha=−η).
 */
static inline R UR(bp_sgd_decay_rule)(const UK *k, R p, R g) {
    g = g + k->decay * p;
    return p + k->neg_rate * g;
}

/*
 * SGD with momentum μ, dampening τ, Nesterov and weight decay:
 *     g ← g + λ·p
 *     b ← g at the first step, else b ← μ·b + (1 − τ)·g
 *     p ← p − η·(g + μ·b) (Nesterov), p ← p − η·b (otherwise)
 * torch: buf = grad.clone() (first), else buf.mul_(μ).add_(grad,
 * alpha=1 − τ); grad.add(buf, alpha=μ) (Nesterov); param.add_(…, alpha=−η).
 * λ = 0 adds 0·p, which leaves g as it is.
 */
static inline R UR(bp_sgd_momentum_rule)(const UK *k, R p, R g, R *b) {
    g = g + k->decay * p;
    const R buf = k->first ? g : *b * k->momentum + k->damp1 * g;
    *b = buf;
    const R d = k->nesterov ? g + k->momentum * buf : buf;
    return p + k->neg_rate * d;
}

/*
 * Adam and AdamW, t the step count:
 *     p ← p·(1 − η·λ)                       (AdamW; shrink = 1 for Adam)
 *     g ← g + λ·p                           (Adam; decay = 0 for AdamW)
 *     m ← m + (1 − β1)·(g − m)              (= β1·m + (1 − β1)·g)
 *     v ← β2·v + (1 − β2)·g²
 *     v̂ ← max(v̂, v) (AMSGrad), v̂ = v (otherwise)
 *     p ← p − (η/(1 − β1^t))·m / (√v̂/√(1 − β2^t) + ε)
 * torch: param.mul_(1 − lr·wd) (AdamW) or grad.add(param, alpha=wd);
 * exp_avg.lerp_(grad, 1 − β1); exp_avg_sq.mul_(β2).addcmul_(grad, grad,
 * value=1 − β2); torch.maximum (AMSGrad); denom = (sqrt / √bc2).add_(ε);
 * param.addcdiv_(exp_avg, denom, value=−η/bc1). Multiplying by 1 and adding
 * 0·p are exact, so one rule serves both.
 */
static inline R UR(bp_adam_rule)(const UK *k, int amsgrad, R p, R g, R *m, R *v, R *vmax) {
    p = p * k->shrink;
    g = g + k->decay * p;
    const R m1 = UR(bp_lerp)(k, *m, g);
    const R v1 = *v * k->keep + (k->add * g) * g;
    *m = m1;
    *v = v1;
    R top = v1;
    if (amsgrad) {
        top = *vmax > v1 ? *vmax : v1;
        *vmax = top;
    }
    const R denom = BP_SQRT(top) / k->root_bc2 + k->eps;
    return p + (k->neg_rate * m1) / denom;
}

/*
 * RMSprop with smoothing α, centred or not, with momentum μ or not:
 *     g ← g + λ·p
 *     s ← α·s + (1 − α)·g²
 *     a ← a + (1 − α)·(g − a), r ← √(s − a²) + ε     (centred)
 *     r ← √s + ε                                     (otherwise)
 *     b ← μ·b + g/r, p ← p − η·b                      (μ > 0)
 *     p ← p − η·g/r                                  (otherwise)
 * torch: square_avg.mul_(α).addcmul_(grad, grad, value=1 − α);
 * grad_avg.lerp_(grad, 1 − α); square_avg.addcmul(grad_avg, grad_avg,
 * value=−1).sqrt_(); avg.add_(ε); buf.mul_(μ).addcdiv_(grad, avg),
 * param.add_(buf, alpha=−η), or param.addcdiv_(grad, avg, value=−η).
 */
static inline R UR(bp_rmsprop_rule)(const UK *k, int centered, int momentum, R p, R g, R *s, R *a,
                                    R *b) {
    g = g + k->decay * p;
    const R s1 = *s * k->keep + (k->add * g) * g;
    *s = s1;
    R r;
    if (centered) {
        const R a1 = UR(bp_lerp)(k, *a, g);
        *a = a1;
        r = BP_SQRT(s1 + (-a1) * a1);
    } else {
        r = BP_SQRT(s1);
    }
    r = r + k->eps;
    if (momentum) {
        const R b1 = *b * k->momentum + g / r;
        *b = b1;
        return p + k->neg_rate * b1;
    }
    return p + (k->neg_rate * g) / r;
}

/*
 * Adagrad, the rate decayed as η/(1 + (t − 1)·lr_decay) (in neg_rate):
 *     g ← g + λ·p
 *     s ← s + g²
 *     p ← p − rate·g / (√s + ε)
 * torch: state_sum.addcmul_(grad, grad, value=1); std = state_sum.sqrt()
 * .add_(ε); param.addcdiv_(grad, std, value=−clr).
 */
static inline R UR(bp_adagrad_rule)(const UK *k, R p, R g, R *s) {
    g = g + k->decay * p;
    const R s1 = *s + g * g;
    *s = s1;
    const R r = BP_SQRT(s1) + k->eps;
    return p + (k->neg_rate * g) / r;
}

/*
 * Rprop (iRprop−) with its previous gradient g′ and step size Δ (η at the
 * first step):
 *     c ← g·g′
 *     Δ ← clamp(f·Δ, step_min, step_max), f = η₊ (c > 0), η₋ (c < 0), 1 (c = 0)
 *     g ← 0 where c < 0
 *     p ← p − sign(g)·Δ,  g′ ← g
 * torch: sign = grad.mul(prev).sign(), mapped to η₊, η₋, 1;
 * step_size.mul_(sign).clamp_(min, max); grad[sign.eq(η₋)] = 0;
 * param.addcmul_(grad.sign(), step_size, value=−1); prev.copy_(grad).
 * The sign is the product's (a product that underflows to 0 changes no
 * step size), and clamp keeps a NaN.
 */
static inline R UR(bp_rprop_rule)(const UK *k, R p, R g, R *prev, R *step) {
    const R c = g * *prev;
    const R f = c > (R)0 ? k->eta_plus : c < (R)0 ? k->eta_minus : (R)1;
    R d = (k->first ? k->step0 : *step) * f;
    d = d < k->step_min ? k->step_min : d;
    d = d > k->step_max ? k->step_max : d;
    const R g1 = c < (R)0 ? (R)0 : g;
    const R sign = g1 > (R)0 ? (R)1 : g1 < (R)0 ? (R)-1 : (R)0;
    *step = d;
    *prev = g1;
    return p + (-sign) * d;
}

/*
 * One parameter's update by the step's rule, whichever it is: the plain
 * form of the vector passes, for the reference engine's loop. i indexes
 * the parameter, n the parameters (a slot's length); only the slots the
 * rule keeps are addressed (NULL for the others, which it does not read).
 */
static inline R UR(bp_update_rule_one)(const UK *k, R p, R g, R *state, size_t n, size_t i) {
#define UR_SLOT(j) (state + (j) * n + i)
    switch (k->rule) {
    case BP_OPTIMIZER_SGD:
        if (k->plain) return UR(bp_sgd_rule)(p, k->neg_rate, g);
        return k->buffer ? UR(bp_sgd_momentum_rule)(k, p, g, UR_SLOT(0))
                         : UR(bp_sgd_decay_rule)(k, p, g);
    case BP_OPTIMIZER_ADAM:
    case BP_OPTIMIZER_ADAMW:
        return UR(bp_adam_rule)(k, k->amsgrad, p, g, UR_SLOT(0), UR_SLOT(1),
                                k->amsgrad ? UR_SLOT(2) : NULL);
    case BP_OPTIMIZER_RMSPROP:
        return UR(bp_rmsprop_rule)(k, k->centered, k->buffer, p, g, UR_SLOT(0),
                                   k->centered ? UR_SLOT(1) : NULL,
                                   k->buffer ? UR_SLOT(1 + (size_t)k->centered) : NULL);
    case BP_OPTIMIZER_ADAGRAD: return UR(bp_adagrad_rule)(k, p, g, UR_SLOT(0));
    case BP_OPTIMIZER_RPROP: return UR(bp_rprop_rule)(k, p, g, UR_SLOT(0), UR_SLOT(1));
    }
#undef UR_SLOT
    return p;
}
