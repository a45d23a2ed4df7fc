/*
 * narrow_block_body.h — one instance of the register-block path
 * (narrow_block_tmpl.h) for networks padded to BW units per layer. Included
 * by narrow_block_tmpl.h once per BW, with its macros and
 *
 *   BW         the padded width (2, 3, 4): every layer's inputs and outputs
 *   BLK_NAME   the function to define
 *
 * The network is padded to BW × BW layers with zero weights and biases, so
 * every loop over units has a constant bound: a layer's sums are
 * branch-free straight-line code. Only the costly per-unit work — the
 * activation, an output's loss term — is skipped for padded units, by a
 * branch per unit and layer (inside the loop over layers these cost nothing
 * measurable; with that loop unrolled, guards had cost 45 %). Padding
 * changes no bit of the real units: a padded unit's sum is 0 (+0 terms
 * after the real ones in the sums above it) and its activation is set to
 * 0; its delta is 0 (its outgoing weights are zero; as an output, 0 on a
 * zero target adds no term and no delta), so its weights' gradients, never
 * written out, are 0 too. Padded softmax outputs: bias −inf, probability
 * exactly 0, target 0.
 */

static void BLK_NAME(const mlp_layout *y, const R *params, size_t rows, const R *X, size_t ldx,
                     const R *Y, const size_t *labels, const size_t *indices, R *scratch,
                     double *loss, R *grad) {
    const size_t L = y->n_layers, n_in = y->layers[0].n_in, k = y->layers[L - 1].n_out;
    const int per_row = y->loss == BP_LOSS_SOFTMAX_CCE;
    const double scale = 1.0 / (per_row ? (double)rows : (double)rows * (double)k);
    bp_activation act[BLK_LAYERS] = { BP_ACT_IDENTITY, BP_ACT_IDENTITY, BP_ACT_IDENTITY };
    R prm[BLK_LAYERS] = { 0 };
    /* the padded parameters */
    R W[BLK_LAYERS][BW][BW], b[BLK_LAYERS][BW];
    for (size_t l = 0; l < BLK_LAYERS; l++) {
        const size_t ni = l < L ? y->layers[l].n_in : 0, no = l < L ? y->layers[l].n_out : 0;
        if (l < L) {
            act[l] = y->layers[l].act;
            prm[l] = (R)y->layers[l].param;
        }
        for (size_t j = 0; j < BW; j++) {
            b[l][j] = j < no                                   ? params[y->b_off[l] + j]
                      : l + 1 == L && act[l] == BP_ACT_SOFTMAX ? (R)-INFINITY
                                                               : (R)0;
            for (size_t i = 0; i < BW; i++)
                W[l][i][j] = i < ni && j < no ? params[y->w_off[l] + i * no + j] : (R)0;
        }
    }

    const VR zero = VR_SPLAT(0);
    /* per-lane sums of the gradient and of the loss terms */
    VR gW[BLK_LAYERS][BW][BW], gb[BLK_LAYERS][BW];
    BLK_UNROLL
    for (size_t l = 0; l < BLK_LAYERS; l++) BLK_UNROLL
    for (size_t j = 0; j < BW; j++) {
        gb[l][j] = zero;
        BLK_UNROLL
        for (size_t i = 0; i < BW; i++) gW[l][i][j] = zero;
    }
    VD lacc = VD_SPLAT(0);
    VRI lane_r;
    VDI lane_d;
    P(block_lanes)(&lane_r, &lane_d);

    R *restrict const In = scratch, *restrict const T = TC;
    size_t chunk_lab[CH];
    for (size_t c0 = 0; c0 < rows; c0 += CH) {
        const size_t ccs = rows - c0 < CH ? rows - c0 : CH;
        P(block_gather)(ccs, c0, indices, X, ldx, n_in, Y, labels, k, In, T, chunk_lab);
        /* the spare lanes of the last group of blocks: zeros */
        const size_t padded = (ccs + BLK_U * NV - 1) / (BLK_U * NV) * (BLK_U * NV);
        for (size_t s = ccs; s < padded; s++) {
            for (size_t i = 0; i < n_in; i++) In[i * CH + s] = (R)0;
            for (size_t j = 0; j < k; j++) T[j * CH + s] = (R)0;
        }
        for (size_t s0 = 0; s0 < ccs; s0 += BLK_U * NV) {
            /* a[l]: the input of layer l (a[0] the samples), z and e
             * (e^(−|z|) of sigmoid units) per layer, t the targets; the
             * last index is the block */
            VR a[BLK_LAYERS + 1][BW][BLK_U], z[BLK_LAYERS][BW][BLK_U];
            VR e[BLK_LAYERS][BW][BLK_U], t[BW][BLK_U];
            BLK_UNROLL
            for (size_t i = 0; i < BW; i++) BLK_UNROLL
            for (size_t u = 0; u < BLK_U; u++) {
                a[0][i][u] = i < n_in ? P(block_load)(In + i * CH + s0 + u * NV) : zero;
                t[i][u] = i < k ? P(block_load)(T + i * CH + s0 + u * NV) : zero;
            }

            /* forward: Z = In·W + b, A = f(Z), as P(layer_forward) */
            BLK_ROLLED
            for (size_t l = 0; l < L; l++) {
                BLK_UNROLL
                for (size_t j = 0; j < BW; j++) BLK_UNROLL
                for (size_t u = 0; u < BLK_U; u++) {
                    VR s = b[l][j] + a[l][0][u] * W[l][0][j];
                    BLK_UNROLL
                    for (size_t i = 1; i < BW; i++) s += a[l][i][u] * W[l][i][j];
                    z[l][j][u] = s;
                    e[l][j][u] = zero;
                }
                if (act[l] == BP_ACT_SOFTMAX) { /* the output layer only (block_fits) */
                    BLK_UNROLL
                    for (size_t u = 0; u < BLK_U; u++) {
                        VR mx = z[l][0][u], sum = zero;
                        BLK_UNROLL
                        for (size_t j = 1; j < BW; j++) mx = BP_SOFTMAX_MAX(VR_SEL, z[l][j][u], mx);
                        BLK_UNROLL
                        for (size_t j = 0; j < BW; j++) {
                            a[l + 1][j][u] = VR_EXP(z[l][j][u] - mx);
                            sum += a[l + 1][j][u];
                        }
                        BLK_UNROLL
                        for (size_t j = 0; j < BW; j++) a[l + 1][j][u] /= sum;
                    }
                    continue;
                }
                /* a padded unit's activation is not computed: 0 (its
                 * outgoing weights are zero; as an output it is on target) */
                const size_t live = y->layers[l].n_out;
                BLK_UNROLL
                for (size_t j = 0; j < BW; j++) {
                    if (j >= live) {
                        BLK_UNROLL
                        for (size_t u = 0; u < BLK_U; u++) a[l + 1][j][u] = zero;
                        continue;
                    }
                    BLK_UNROLL
                    for (size_t u = 0; u < BLK_U; u++)
                        a[l + 1][j][u] = P(block_act)(act[l], prm[l], z[l][j][u], &e[l][j][u]);
                }
            }

            /* the output layer's values under fixed names (L is known at
             * run time only) */
            VR out[BW][BLK_U], zo[BW][BLK_U], eo[BW][BLK_U];
            BLK_UNROLL
            for (size_t j = 0; j < BW; j++) BLK_UNROLL
            for (size_t u = 0; u < BLK_U; u++) {
                out[j][u] = a[L][j][u];
                zo[j][u] = z[L - 1][j][u];
                eo[j][u] = e[L - 1][j][u];
            }

            /* the loss terms (in double) and dZ of the output layer, as
             * P(output): formulas.h's on the double lanes VD */
            VR dz[BW][BLK_U];
            VD term[BLK_U];
            BLK_UNROLL
            for (size_t u = 0; u < BLK_U; u++) term[u] = VD_SPLAT(0);
/* a block's values as doubles */
#define BLK_D(x) __builtin_convertvector((x), VD)
            switch (y->loss) {
            case BP_LOSS_SOFTMAX_CCE: {
                /* the term from the probabilities. One-hot targets
                 * (labels): the label's probability, one logarithm. A
                 * padded unit: probability and target exactly 0. */
                VD ysum[BLK_U], pl[BLK_U];
                VDI under[BLK_U], any = (VDI){ 0 };
                BLK_UNROLL
                for (size_t u = 0; u < BLK_U; u++) {
                    ysum[u] = VD_SPLAT(labels ? 1 : 0);
                    pl[u] = VD_SPLAT(0);
                    under[u] = (VDI){ 0 };
                }
                if (labels) {
                    BLK_UNROLL
                    for (size_t u = 0; u < BLK_U; u++) {
                        BLK_UNROLL
                        for (size_t j = 0; j < BW; j++)
                            pl[u] += BLK_D(t[j][u]) * BLK_D(out[j][u]); /* exact: 0 or 1 times */
                        term[u] = BP_CCE_TERM_NONZERO(VD_LOG, 1.0, pl[u]);
                        under[u] = pl[u] == 0.0;
                    }
                } else {
                    BLK_UNROLL
                    for (size_t j = 0; j < BW; j++) BLK_UNROLL
                    for (size_t u = 0; u < BLK_U; u++) {
                        const VD tt = BLK_D(t[j][u]), aa = BLK_D(out[j][u]);
                        ysum[u] += tt;
                        term[u] += BP_CCE_TERM(VD_SEL, VD_SPLAT, VD_LOG, tt, aa);
                        under[u] |= (tt != 0.0) & (aa == 0.0);
                    }
                }
                BLK_UNROLL
                for (size_t j = 0; j < BW; j++) BLK_UNROLL
                for (size_t u = 0; u < BLK_U; u++)
                    dz[j][u] = __builtin_convertvector(
                        BP_SOFTMAX_CCE_GRAD(BLK_D(out[j][u]), ysum[u], BLK_D(t[j][u]), scale), VR);
                /* a probability that underflowed under a nonzero target
                 * (spare lanes aside): that sample's term by log-sum-exp */
                BLK_UNROLL
                for (size_t u = 0; u < BLK_U; u++) {
                    under[u] &= lane_d + (int)(s0 + u * NV) < (int)ccs;
                    any |= under[u];
                }
                if (P(block_any)(any)) {
                    /* copies of the values: passing the arrays themselves
                     * would keep them out of registers */
                    R zs[BLK_U][BLK_WIDTH][NV], ts[BLK_U][BLK_WIDTH][NV];
                    BLK_UNROLL
                    for (size_t u = 0; u < BLK_U; u++) BLK_UNROLL
                    for (size_t j = 0; j < BW; j++) {
                        memcpy(zs[u][j], &zo[j][u], sizeof zs[u][j]);
                        memcpy(ts[u][j], &t[j][u], sizeof ts[u][j]);
                    }
                    BLK_UNROLL
                    for (size_t u = 0; u < BLK_U; u++)
                        term[u] = P(block_underflow)(k, zs[u], ts[u], under[u], term[u]);
                }
                break;
            }
            case BP_LOSS_BCE_LOGITS:
                /* σ(z) is the forward pass's activation; e^(−|z|)
                 * recomputed in double for a float network */
                BLK_UNROLL
                for (size_t j = 0; j < BW; j++) {
                    if (j >= k) { /* padding: no term, no delta */
                        BLK_UNROLL
                        for (size_t u = 0; u < BLK_U; u++) dz[j][u] = zero;
                        continue;
                    }
                    BLK_UNROLL
                    for (size_t u = 0; u < BLK_U; u++) {
                        const VD zz = BLK_D(zo[j][u]), tt = BLK_D(t[j][u]);
                        const VD ee = sizeof(R) == sizeof(double)
                                          ? BLK_D(eo[j][u])
                                          : VD_EXP(VD_SEL(zz < 0.0, zz, -zz));
                        term[u] += BP_BCE_LOGITS_TERM(VD_SEL, VD_SPLAT, VD_LOG1P, zz, tt, ee);
                        dz[j][u] = __builtin_convertvector(
                            BP_BCE_LOGITS_GRAD(BLK_D(out[j][u]), tt, scale), VR);
                    }
                }
                break;
            default: /* MSE: dL/dA, then through f' (padding: 0 − 0) */
                BLK_UNROLL
                for (size_t j = 0; j < BW; j++) BLK_UNROLL
                for (size_t u = 0; u < BLK_U; u++) {
                    const VD d = BLK_D(out[j][u]) - BLK_D(t[j][u]);
                    term[u] += BP_MSE_TERM(d);
                    dz[j][u] = P(block_derive)(act[L - 1], prm[L - 1], zo[j][u], eo[j][u],
                                            __builtin_convertvector(BP_MSE_GRAD(d, scale), VR));
                }
                break;
            }
#undef BLK_D
            /* the spare lanes past the end of the batch add nothing */
            BLK_UNROLL
            for (size_t u = 0; u < BLK_U; u++) {
                const int base = (int)(s0 + u * NV), end = (int)ccs;
                const VRI live = lane_r + base < end;
                BLK_UNROLL
                for (size_t j = 0; j < BW; j++) dz[j][u] = VR_SEL(live, dz[j][u], zero);
                lacc += VD_SEL(lane_d + base < end, term[u], VD_SPLAT(0));
            }

            /* backward from the top, as P(layer_backward): gW += In·dZ,
             * gb += dZ, then dL/dA of the layer below through its f' */
            BLK_ROLLED
            for (size_t l = L; l-- > 0;) {
                BLK_UNROLL
                for (size_t i = 0; i < BW; i++) BLK_UNROLL
                for (size_t j = 0; j < BW; j++) BLK_UNROLL
                for (size_t u = 0; u < BLK_U; u++) gW[l][i][j] += a[l][i][u] * dz[j][u];
                BLK_UNROLL
                for (size_t j = 0; j < BW; j++) BLK_UNROLL
                for (size_t u = 0; u < BLK_U; u++) gb[l][j] += dz[j][u];
                if (l == 0) break;
                VR down[BW][BLK_U];
                BLK_UNROLL
                for (size_t i = 0; i < BW; i++) BLK_UNROLL
                for (size_t u = 0; u < BLK_U; u++) {
                    VR s = dz[0][u] * W[l][i][0];
                    BLK_UNROLL
                    for (size_t j = 1; j < BW; j++) s += dz[j][u] * W[l][i][j];
                    down[i][u] =
                        P(block_derive)(act[l - 1], prm[l - 1], z[l - 1][i][u], e[l - 1][i][u], s);
                }
                BLK_UNROLL
                for (size_t i = 0; i < BW; i++) BLK_UNROLL
                for (size_t u = 0; u < BLK_U; u++) dz[i][u] = down[i][u];
            }
        }
    }

    /* the real entries only; constant indices (unrolled), so that the
     * accumulators stay in registers through the loop above */
    BLK_UNROLL
    for (size_t l = 0; l < BLK_LAYERS; l++) {
        if (l >= L) continue;
        const size_t ni = y->layers[l].n_in, no = y->layers[l].n_out;
        R *restrict gw = grad + y->w_off[l], *restrict gbl = grad + y->b_off[l];
        BLK_UNROLL
        for (size_t j = 0; j < BW; j++) {
            if (j >= no) continue;
            BLK_UNROLL
            for (size_t i = 0; i < BW; i++)
                if (i < ni) gw[i * no + j] = P(block_fold)(gW[l][i][j]);
            gbl[j] = P(block_fold)(gb[l][j]);
        }
    }
    *loss = P(block_fold_d)(lacc) * scale;
}
