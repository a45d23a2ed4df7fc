/*
 * narrow_online_tiny_tmpl.h — online learning (one-sample SGD steps) for
 * tiny networks: at most TINY_LAYERS layers, each at most TW units wide
 * (TW = 2 or 4), sigmoid, ReLU, leaky-ReLU or identity units, mean squared
 * error or a sigmoid output with binary cross-entropy — the classic
 * online-learning nets (seed 03's 2-2-2-2 half adder, XOR). Included twice
 * per precision by narrow_online_tmpl.h, with its macros and
 *
 *   TW         the width every layer is padded to (2, 4)
 *   TINY_NAME  the function to define (P(online_tiny2), P(online_tiny4))
 *
 * Why a path of its own: a step is one chain of dependent operations
 * (narrow_online_tmpl.h). The general path hands every value from one
 * operation to the next through memory (the chunk scratch, the parameter
 * vector), and its loops over a layer's units have run-time bounds: a step
 * of seed 03's network ran ~1600 instructions for ~100 flops, 90 ns. Here
 * the network is padded to TW × TW layers with zero weights and every loop
 * has a constant bound, so the compiler unrolls them into straight-line
 * code with constant indices and keeps a sample's values, and the weights
 * across the whole call, in registers (as far as there are registers); the
 * parameter vector is written through after each step (stores off the
 * chain) and read once per call — and bp_mlp_train_epochs makes one call
 * of a whole run of epochs. That step now takes ~57 ns (clang, Zen 5), most
 * of it the three exp → divide chains of the sigmoid units. tanh units stay on
 * the general path: a call to libm's tanh makes every vector register
 * caller-saved, and the spills around it cost the other networks more than
 * the path saves (exp1.h's exp is inline for the same reason).
 *
 * Padding changes no bit of the real units. A padded unit's sum is 0 (its
 * incoming weights and bias are zero and stay so, below), so its output is
 * f(0): 0, or ½ for a sigmoid; it meets only zero outgoing weights, adding
 * (+0) after the real terms of the sums above it. Those weights stay zero:
 * their gradients take the unit's output times its mask (1 on real units,
 * 0 on padding — exact either way, and off the chain of the forward pass).
 * A padded hidden unit's delta is 0 (its outgoing weights are zero), a
 * padded output's is set to 0 (and adds nothing to the loss), so their
 * incoming weights and biases keep zero gradients. The operations on real
 * units are those of the general path, in the same order (on seed 03's
 * network both end 20000 epochs on the same bits); the C harness holds both
 * to steps of bp_mlp_gradient over many steps in a row, padded networks
 * included.
 */

static void TINY_NAME(const mlp_layout *y, R *params, size_t n, const R *X, size_t ldx, const R *Y,
                      const size_t *indices, R alpha, narrow_epochs *run, double *loss_sum,
                      size_t *steps, int *diverged) {
    const size_t L = y->n_layers, n_in = y->layers[0].n_in, k = y->layers[L - 1].n_out;
    const double scale = 1.0 / (double)k; /* MSE on one row: the mean over k outputs */
    /* the padded parameters; mask[l]: 1 on the real inputs of layer l, 0
     * on padding */
    R W[TINY_LAYERS][TW][TW], b[TINY_LAYERS][TW], mask[TINY_LAYERS][TW];
    TINY_UNROLL
    for (size_t l = 0; l < TINY_LAYERS; l++) {
        const size_t ni = l < L ? y->layers[l].n_in : 0, no = l < L ? y->layers[l].n_out : 0;
        TINY_UNROLL
        for (size_t i = 0; i < TW; i++) TINY_UNROLL
        for (size_t j = 0; j < TW; j++)
            W[l][i][j] = i < ni && j < no ? params[y->w_off[l] + i * no + j] : (R)0;
        TINY_UNROLL
        for (size_t j = 0; j < TW; j++) {
            b[l][j] = j < no ? params[y->b_off[l] + j] : (R)0;
            mask[l][j] = j < ni ? (R)1 : (R)0;
        }
    }
    const size_t epochs = run ? run->epochs : 1;
    *diverged = 0;
    for (size_t ep = 0; ep < epochs; ep++) {
        /* the parameter vector is written through after every step: it
         * holds what the epoch starts from */
        if (run && run->snapshot) memcpy(run->snapshot, params, y->n_params * sizeof(R));
        const size_t *rows = run && run->orders ? run->orders + ep * n : indices;
        double total = 0.0;
        size_t done = 0;
        for (; done < n; done++) {
            /* a[l]: the input of layer l (a[0] the sample); z, e: each
             * layer's sums and, for sigmoid units, e^(−|z|); out, zo, eo: the
             * output layer's (copied to fixed registers: L is known at run
             * time only). Zero-initialised for the compilers' sake: the
             * layers past L are never read, and the stores to them are dead. */
            R a[TINY_LAYERS + 1][TW] = { { 0 } }, z[TINY_LAYERS][TW] = { { 0 } };
            R e[TINY_LAYERS][TW] = { { 0 } }, t[TW], out[TW] = { 0 };
            R zo[TW] = { 0 }, eo[TW] = { 0 };
            const size_t src = rows ? rows[done] : done;
            TINY_UNROLL
            for (size_t i = 0; i < TW; i++) {
                a[0][i] = i < n_in ? X[src * ldx + i] : (R)0;
                t[i] = i < k ? Y[src * k + i] : (R)0;
            }

            TINY_UNROLL
            for (size_t l = 0; l < TINY_LAYERS; l++) {
                if (l >= L) continue;
                const bp_layer_spec *sp = &y->layers[l];
                TINY_UNROLL
                for (size_t j = 0; j < TW; j++) {
                    R s = b[l][j];
                    TINY_UNROLL
                    for (size_t i = 0; i < TW; i++) s += a[l][i] * W[l][i][j];
                    z[l][j] = s;
                    e[l][j] = (R)0;
                }
                /* one switch per layer, the units' loops inside it */
                switch (sp->act) {
                case BP_ACT_SIGMOID:
                    TINY_UNROLL
                    for (size_t j = 0; j < TW; j++) {
                        const R s = z[l][j], ej = EXP1(-ABS(s));
                        e[l][j] = ej;
                        a[l + 1][j] = BP_SIGMOID_E(BP_SEL, BP_K, s, ej);
                    }
                    break;
                case BP_ACT_RELU:
                    TINY_UNROLL
                    for (size_t j = 0; j < TW; j++) a[l + 1][j] = BP_RELU(BP_SEL, BP_K, z[l][j]);
                    break;
                case BP_ACT_LEAKY_RELU:
                    TINY_UNROLL
                    for (size_t j = 0; j < TW; j++)
                        a[l + 1][j] = BP_LEAKY_RELU(BP_SEL, BP_K, z[l][j], (R)sp->param);
                    break;
                default: /* identity (softmax and tanh never come here) */
                    TINY_UNROLL
                    for (size_t j = 0; j < TW; j++) a[l + 1][j] = z[l][j];
                    break;
                }
                if (l == L - 1) TINY_UNROLL
                for (size_t j = 0; j < TW; j++) {
                    out[j] = a[l + 1][j];
                    zo[j] = z[l][j];
                    eo[j] = e[l][j];
                }
            }

            /* the loss and the output layer's delta (formulas.h, as
             * P(online_output), P(output)): dL/dA for MSE, dL/dZ for the
             * fused sigmoid + binary cross-entropy; a padded output (½ if
             * sigmoid) counts as on target: it adds (+0) to the loss and its
             * delta is 0 */
            R dz[TW];
            double term = 0.0;
            if (y->loss == BP_LOSS_MSE) TINY_UNROLL
            for (size_t j = 0; j < TW; j++) {
                double d = j < k ? (double)out[j] - t[j] : 0.0;
                term += BP_MSE_TERM(d);
                dz[j] = (R)BP_MSE_GRAD(d, scale);
            }
            else /* BCE_LOGITS, σ(z) the forward pass's activation */
                TINY_UNROLL for (size_t j = 0; j < TW; j++) {
                if (j >= k) {
                    dz[j] = (R)0;
                    continue;
                }
                double zz = zo[j], tt = t[j];
                double ee = sizeof(R) == sizeof(double) ? (double)eo[j] : bp_vexp_d(-fabs(zz));
                term += BP_BCE_LOGITS_TERM(BP_SEL, BP_K, bp_vlog1p_d, zz, tt, ee);
                dz[j] = (R)BP_BCE_LOGITS_GRAD((double)out[j], tt, scale);
            }
            const double loss = term * scale;

            /* backward and update layer by layer from the top
             * (P(online_backward)): dL/dA → dL/dZ through f', Down from the
             * weights before the update, then the update */
            R bad_grad = 0, bad_new = 0;
            TINY_UNROLL
            for (size_t step = 0; step < TINY_LAYERS; step++) {
                const size_t l = TINY_LAYERS - 1 - step;
                if (l >= L) continue;
                const bp_layer_spec *sp = &y->layers[l];
                const R *zl = z[l], *el = e[l];
                /* the fused loss gave dL/dZ of the output layer already */
                const bp_activation act = l == L - 1 && y->on_logits ? BP_ACT_IDENTITY : sp->act;
                switch (act) { /* formulas.h's, as P(online_derive) and P(derive) */
                case BP_ACT_SIGMOID:
                    TINY_UNROLL
                    for (size_t j = 0; j < TW; j++) dz[j] = BP_SIGMOID_DERIV_E(BP_K, el[j], dz[j]);
                    break;
                case BP_ACT_RELU:
                    TINY_UNROLL
                    for (size_t j = 0; j < TW; j++)
                        dz[j] = BP_RELU_DERIV(BP_SEL, BP_K, zl[j], dz[j]);
                    break;
                case BP_ACT_LEAKY_RELU:
                    TINY_UNROLL
                    for (size_t j = 0; j < TW; j++)
                        dz[j] = BP_LEAKY_RELU_DERIV(BP_SEL, BP_K, zl[j], (R)sp->param, dz[j]);
                    break;
                default: break;
                }
                R down[TW] = { 0 };
                if (l > 0) TINY_UNROLL
                for (size_t i = 0; i < TW; i++) {
                    R acc = dz[0] * W[l][i][0];
                    TINY_UNROLL
                    for (size_t j = 1; j < TW; j++) acc += dz[j] * W[l][i][j];
                    down[i] = acc;
                }
                TINY_UNROLL
                for (size_t i = 0; i < TW; i++) TINY_UNROLL
                for (size_t j = 0; j < TW; j++) {
                    const R g = (a[l][i] * mask[l][i]) * dz[j],
                            upd = P(bp_sgd_rule)(W[l][i][j], alpha, g);
                    bad_grad += g * (R)0;
                    bad_new += upd * (R)0;
                    W[l][i][j] = upd;
                }
                TINY_UNROLL
                for (size_t j = 0; j < TW; j++) {
                    const R g = dz[j], upd = P(bp_sgd_rule)(b[l][j], alpha, g);
                    bad_grad += g * (R)0;
                    bad_new += upd * (R)0;
                    b[l][j] = upd;
                }
                if (l > 0) TINY_UNROLL
                for (size_t i = 0; i < TW; i++) dz[i] = down[i];
            }
            total += loss;
            /* As the general path: a non-finite loss or gradient takes the
             * step back — the parameter vector still holds the values
             * before it — and a non-finite result is reported (the caller
             * restores its copy). Otherwise the step's values are written
             * through: the stores are off the chain, the next step reads the
             * registers. */
            if (!isfinite(loss) || bad_grad != (R)0) {
                *diverged = 1;
                break;
            }
            TINY_UNROLL
            for (size_t l = 0; l < TINY_LAYERS; l++) {
                if (l >= L) continue;
                const size_t ni = y->layers[l].n_in, no = y->layers[l].n_out;
                R *Wp = params + y->w_off[l], *bp = params + y->b_off[l];
                TINY_UNROLL
                for (size_t i = 0; i < TW; i++) TINY_UNROLL
                for (size_t j = 0; j < TW; j++)
                    if (i < ni && j < no) Wp[i * no + j] = W[l][i][j];
                TINY_UNROLL
                for (size_t j = 0; j < TW; j++)
                    if (j < no) bp[j] = b[l][j];
            }
            if (bad_new != (R)0) {
                *diverged = 2;
                done++;
                break;
            }
        }
        *loss_sum = total;
        *steps = done;
        if (*diverged) return;
        if (run) {
            if (run->losses) run->losses[ep] = total / (double)n;
            run->completed = ep + 1;
        }
    }
}
