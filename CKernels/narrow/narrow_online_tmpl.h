/*
 * narrow_online_tmpl.h — online learning for narrow networks: a run of SGD
 * steps of one sample each (batch size 1, as seed 03's half adder trains),
 * each step forward, loss, backward and parameter update. Included at the
 * end of narrow_tmpl.h, with its macros (R, P, VEXP, EXP1, …) plus
 *
 *   N_ONLINE  the entry point to define (bp_narrow_online_d_avx2, ...)
 *
 * and its helpers, used on a "chunk" of one sample (same scratch layout).
 *
 * Why a path of its own: step t+1's forward pass reads the weights step t
 * wrote, so the steps form one chain of dependent operations and a step
 * takes as long as that chain's latency; nothing runs side by side. So:
 *   - the forward pass of narrow_tmpl.h's forward1 (exp1.h's exp, each
 *     activation computed as its sum completes);
 *   - the gradient checked and applied right after each sample, with none
 *     of bp_mlp_train_step's per-call argument checks (bp_mlp_train_epoch
 *     validates the whole epoch once) and none of its general update path.
 * bp_mlp_train_step sends its one-row batches of narrow networks here too,
 * so a step and an epoch of steps give bit-identical parameters. The
 * update inside the loops is the update stage's SGD element rule
 * (update_stage.h) with its α = −η: the engine comes here only when its
 * stage is plain SGD without a hook (bp_update_stage_fusable), and
 * otherwise runs one-row steps through the chunk path and the stage. Tiny
 * networks (at most three layers of at most four units, no softmax or tanh;
 * MSE or sigmoid + binary cross-entropy) go on to a path that keeps a
 * step's values in registers (narrow_online_tiny_tmpl.h).
 */

/* Backward pass and update of one layer for one sample: Down = dZ·Wᵀ
 * (dL/dA of the layer below, from the weights before the update; skipped
 * when Down is NULL), then W ← W + alpha·In·dZ and b ← b + alpha·dZ at once
 * (alpha = −η: the update stage's SGD element rule, bp_sgd_rule_d / _s),
 * the old values saved in OldW and Oldb (same layout) so that the step can
 * be taken back if another layer's gradient is not finite. Returns 1 if a
 * gradient element was not finite, else 2 if an updated value was not,
 * else 0. */
static int P(online_backward)(const bp_layer_spec *sp, const R *restrict In, R *restrict W,
                           R *restrict b, const R *restrict dZ, R alpha, R *restrict OldW,
                           R *restrict Oldb, R *restrict Down) {
    const size_t n_in = sp->n_in, n_out = sp->n_out;
    if (Down != NULL) P(down1)(sp, W, dZ, Down);
    /* x·0 is 0 for finite x and NaN otherwise, and a NaN stays in a sum:
     * two instructions per value, no branch */
    R bad_grad = 0, bad_new = 0;
    N_UNIT_LOOP
    for (size_t i = 0; i < n_in; i++) {
        const R a = In[i * CH];
        N_UNIT_LOOP
        for (size_t j = 0; j < n_out; j++) {
            const R g = a * dZ[j * CH], old = W[i * n_out + j], upd = P(bp_sgd_rule)(old, alpha, g);
            bad_grad += g * (R)0;
            bad_new += upd * (R)0;
            OldW[i * n_out + j] = old;
            W[i * n_out + j] = upd;
        }
    }
    N_UNIT_LOOP
    for (size_t j = 0; j < n_out; j++) {
        const R g = dZ[j * CH], old = b[j], upd = P(bp_sgd_rule)(old, alpha, g);
        bad_grad += g * (R)0;
        bad_new += upd * (R)0;
        Oldb[j] = old;
        b[j] = upd;
    }
    return bad_grad != (R)0 ? 1 : bad_new != (R)0 ? 2 : 0;
}

/* D ← D ⊙ f'(Z) for one sample (P(derive), with sigmoid's formula
 * inline). */
static void P(online_derive)(const bp_layer_spec *sp, const R *restrict Z, const R *restrict A,
                          const R *restrict E, R *restrict D) {
    if (sp->act == BP_ACT_SIGMOID) {
        N_UNIT_LOOP
        for (size_t j = 0; j < sp->n_out; j++)
            D[j * CH] = BP_SIGMOID_DERIV_E(BP_K, E[j * CH], D[j * CH]);
        return;
    }
    P(derive)(sp->act, (R)sp->param, sp->n_out, 1, Z, A, E, D);
}

/* The sample's loss terms (summed, not yet scaled) and dZ of the output
 * layer, as P(output) computes them: MSE, online learning's usual loss,
 * inline; the others through P(output). */
static double P(online_output)(const mlp_layout *y, const R *restrict Z, const R *restrict A,
                            const R *restrict E, const R *restrict T, const size_t *lab,
                            double scale, R *restrict dZ) {
    const bp_layer_spec *sp = &y->layers[y->n_layers - 1];
    if (y->loss != BP_LOSS_MSE) return P(output)(y, 1, Z, A, E, T, lab, scale, dZ);
    double term = 0.0;
    N_UNIT_LOOP
    for (size_t j = 0; j < sp->n_out; j++) {
        double d = (double)A[j * CH] - T[j * CH];
        term += BP_MSE_TERM(d);
        dZ[j * CH] = (R)BP_MSE_GRAD(d, scale);
    }
    P(online_derive)(sp, Z, A, E, dZ);
    return term;
}

/* The register path for tiny networks (narrow_online_tiny_tmpl.h): at most
 * TINY_LAYERS layers of at most 4 units, no softmax or tanh, MSE or sigmoid
 * + binary cross-entropy. */
#define TINY_LAYERS ((size_t)3)
#if defined(__clang__)
#define TINY_UNROLL _Pragma("clang loop unroll(full)")
#else
#define TINY_UNROLL _Pragma("GCC unroll 16")
#endif
#define TW 2
#define TINY_NAME P(online_tiny2)
#include "narrow_online_tiny_tmpl.h"
#undef TINY_NAME
#undef TW
#define TW 4
#define TINY_NAME P(online_tiny4)
#include "narrow_online_tiny_tmpl.h"
#undef TINY_NAME
#undef TW

/* The padded width of the register path that takes the network: 2, 4, or
 * 0 for none. */
static size_t P(tiny_width)(const mlp_layout *y) {
    if (y->n_layers > TINY_LAYERS) return 0;
    if (y->loss != BP_LOSS_MSE && y->loss != BP_LOSS_BCE_LOGITS) return 0;
    size_t w = 0;
    for (size_t l = 0; l < y->n_layers; l++) {
        const bp_layer_spec *sp = &y->layers[l];
        if (sp->act == BP_ACT_SOFTMAX || sp->act == BP_ACT_TANH) return 0;
        if (sp->n_in > w) w = sp->n_in;
        if (sp->n_out > w) w = sp->n_out;
    }
    return w <= 2 ? 2 : w <= 4 ? 4 : 0;
}

/* One epoch of the general path: N_ONLINE without `run`. */
static void P(online_epoch)(const mlp_layout *y, R *params, size_t n, const R *X, size_t ldx,
                         const R *Y, const size_t *labels, const size_t *indices, R alpha,
                         R *scratch, R *old, double *loss_sum, size_t *steps, int *diverged) {
    const size_t L = y->n_layers, n_in = y->layers[0].n_in, k = y->layers[L - 1].n_out;
    const size_t np = y->n_params;
    R *const In = scratch, *const T = TC, *const bufA = DC(0), *const bufB = DC(1);
    /* one row: binary losses and MSE average over the k outputs */
    const int per_row = y->loss == BP_LOSS_CCE || y->loss == BP_LOSS_SOFTMAX_CCE;
    const double scale = per_row ? 1.0 : 1.0 / (double)k;
    double total = 0.0;
    size_t done = 0;
    *diverged = 0;
    for (; done < n; done++) {
        /* the sample into column 0 of the chunk layout (P(gather)'s work
         * for one row, without its loops' set-up) */
        const size_t src = indices ? indices[done] : done;
        size_t lab = 0;
        N_UNIT_LOOP
        for (size_t i = 0; i < n_in; i++) In[i * CH] = X[src * ldx + i];
        if (labels) {
            lab = labels[src];
        } else {
            N_UNIT_LOOP
            for (size_t j = 0; j < k; j++) T[j * CH] = Y[src * k + j];
        }
        for (size_t l = 0; l < L; l++)
            P(forward1)(&y->layers[l], l == 0 ? In : AC(l - 1), params + y->w_off[l],
                     params + y->b_off[l], ZC(l), AC(l), EC(l));
        R *dZ = bufA, *spare = bufB;
        double loss =
            P(online_output)(y, ZC(L - 1), AC(L - 1), EC(L - 1), T, labels ? &lab : NULL, scale, dZ) *
            scale;
        /* Backward and update together, layer by layer from the top: the
         * bottom layer's new weights, which the next sample needs first,
         * are written as soon as its gradient is known. */
        int status = 0;
        for (size_t l = L; l-- > 0;) {
            status |=
                P(online_backward)(&y->layers[l], l == 0 ? In : AC(l - 1), params + y->w_off[l],
                                      params + y->b_off[l], dZ, alpha, old + y->w_off[l],
                                      old + y->b_off[l], l == 0 ? NULL : spare);
            if (l == 0) break;
            P(online_derive)(&y->layers[l - 1], ZC(l - 1), AC(l - 1), EC(l - 1), spare);
            R *t = dZ;
            dZ = spare;
            spare = t;
        }
        total += loss;
        /* as bp_mlp_train_step: a non-finite loss or gradient leaves the
         * parameters as they were; a non-finite result is reported (the
         * caller restores its copy) */
        if (!isfinite(loss) || (status & 1)) {
            memcpy(params, old, np * sizeof(R));
            *diverged = 1;
            break;
        }
        if (status) {
            *diverged = 2;
            done++;
            break;
        }
    }
    *loss_sum = total;
    *steps = done;
}

void N_ONLINE(const mlp_layout *y, R *params, size_t n, const R *X, size_t ldx, const R *Y,
              const size_t *labels, const size_t *indices, R alpha, R *scratch, R *old,
              narrow_epochs *run, double *loss_sum, size_t *steps, int *diverged) {
    /* MSE and binary cross-entropy: dense targets, never labels */
    switch (P(tiny_width)(y)) {
    case 2:
        P(online_tiny2)(y, params, n, X, ldx, Y, indices, alpha, run, loss_sum, steps, diverged);
        return;
    case 4:
        P(online_tiny4)(y, params, n, X, ldx, Y, indices, alpha, run, loss_sum, steps, diverged);
        return;
    default: break;
    }
    const size_t epochs = run ? run->epochs : 1;
    for (size_t e = 0; e < epochs; e++) {
        if (run && run->snapshot) memcpy(run->snapshot, params, y->n_params * sizeof(R));
        const size_t *rows = run && run->orders ? run->orders + e * n : indices;
        P(online_epoch)(y, params, n, X, ldx, Y, labels, rows, alpha, scratch, old, loss_sum, steps,
                     diverged);
        if (*diverged) return;
        if (run) {
            if (run->losses) run->losses[e] = *loss_sum / (double)n;
            run->completed = e + 1;
        }
    }
}

#undef TINY_UNROLL
#undef TINY_LAYERS
