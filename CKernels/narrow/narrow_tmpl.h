/*
 * narrow_tmpl.h — the narrow-network engine (mlp_internal.h), written once
 * and included once per precision by narrow.c (portable), narrow_avx2.c and
 * narrow_avx512.c (the same source compiled for wider vectors). No include
 * guard on purpose. Before each inclusion the including file defines:
 *
 *   R         element type (double, float)
 *   P(name)   private names (name##_d, name##_s)
 *   N_ENTRY   the entry point to define (bp_narrow_d_avx2, ...)
 *   VEXP      the vectorisable exp of vexp.h for R
 *   EXP1      exp1.h's short-latency exp for R, for one sample at a time
 *   TANH      libm's tanh for R
 *   NV        lanes of the partial sums in reductions (a multiple of the
 *             widest vector of R)
 *
 * Why: a network such as seed 01's 2-4-3-1 on 1000 samples is a chain of
 * GEMMs with k, n ≤ 4. Through the blocked GEMM every layer pays packing
 * and micro-kernel edge costs far larger than its arithmetic, and the
 * activations run one exp call at a time. Here the whole step — forward,
 * loss, backward — runs on a chunk of CH = BP_NARROW_CHUNK samples held
 * feature-major in L1 (unit j of a layer is one run of CH values), so every
 * inner loop is a loop across samples that the compiler turns into SIMD
 * code: z_j += a_i·w_ij over the chunk, exp through VEXP, the gradient sums
 * Σ_s a_i·dz_j as NV-lane partial sums. Per chunk and layer:
 *
 *   forward    Z_j = b_j + Σ_i A_i·W_ij,   A = f(Z)
 *   output     dZ_L from the loss (fused (A − Y)·scale for the logit
 *              losses; dL/dA ⊙ f' otherwise), loss terms in double
 *   backward   gW_ij += Σ_s A_i·dZ_j,  gb_j += Σ_s dZ_j,
 *              dA_i = Σ_j W_ij·dZ_j,   dZ_{l−1} = dA ⊙ f'(Z_{l−1})
 *
 * Summation order depends only on the batch size (chunks of CH, NV lanes),
 * so results are reproducible run to run. They differ from the blocked
 * path's in the last bits (other summation order; VEXP is within 2 ulp of
 * exp): the C harness compares the two.
 *
 * The smallest networks (at most three layers of at most four units, with
 * the activations and losses listed there) take the register blocks of
 * narrow_block_tmpl.h instead: the whole step of 32 (double) or 64 (float)
 * samples in vector registers.
 */

#define CH ((size_t)BP_NARROW_CHUNK)
/* samples per register block: two of the widest vectors */
#define SB ((size_t)(2 * NV))
/* Before a loop over the units of one sample (a handful of values CH
 * apart): clang would vectorise it with gather instructions, slower than
 * the scalar loop for so few values. GCC leaves such loops scalar. */
#if defined(__clang__)
#define N_UNIT_LOOP _Pragma("clang loop vectorize(disable)")
#else
#define N_UNIT_LOOP
#endif

/* The gradient reductions below keep NG groups of NV lanes of partial
 * sums (NL = NG·NV). With one group a reduction is a single chain of
 * dependent FMAs on one register, one every 4 cycles, a quarter of what the
 * two FMA pipes can start. Clang's build keeps four groups, which hides
 * that latency; GCC's build is faster with one (Benchmarks/README.md, "Kernel design measurements"). The lanes are folded in a fixed pairwise
 * order, so results depend on the batch size and the compiler only. */
#if defined(__clang__)
#define NG ((size_t)4)
#else
#define NG ((size_t)1)
#endif
#define NL (NG * NV)

/* the fold: the groups of lanes into the first, then its NV lanes
 * pairwise */
static R P(fold)(R acc[NG][NV]) {
    for (size_t w = NG / 2; w > 0; w /= 2)
        for (size_t g = 0; g < w; g++)
            for (size_t v = 0; v < NV; v++) acc[g][v] += acc[g + w][v];
    for (size_t w = NV / 2; w > 0; w /= 2)
        for (size_t v = 0; v < w; v++) acc[0][v] += acc[0][v + w];
    return acc[0][0];
}

/* Σ_s a[s]·b[s] over n ≤ CH samples: NL independent lanes, the whole
 * vectors left in the first group, a scalar tail, then the fold. */
static R P(dot)(const R *restrict a, const R *restrict b, size_t n) {
    R acc[NG][NV] = { { 0 } };
    size_t s = 0;
    for (; s + NL <= n; s += NL)
        for (size_t g = 0; g < NG; g++)
            for (size_t v = 0; v < NV; v++) acc[g][v] += a[s + g * NV + v] * b[s + g * NV + v];
    for (; s + NV <= n; s += NV) /* whole vectors left: the first group */
        for (size_t v = 0; v < NV; v++) acc[0][v] += a[s + v] * b[s + v];
    R tail = 0;
    for (; s < n; s++) tail += a[s] * b[s];
    if (n < NV) return tail; /* a few samples: no lanes to fold */
    return P(fold)(acc) + tail;
}

/* Σ_s a[s] over n ≤ CH samples, in the same lanes. */
static R P(sum)(const R *restrict a, size_t n) {
    R acc[NG][NV] = { { 0 } };
    size_t s = 0;
    for (; s + NL <= n; s += NL)
        for (size_t g = 0; g < NG; g++)
            for (size_t v = 0; v < NV; v++) acc[g][v] += a[s + g * NV + v];
    for (; s + NV <= n; s += NV)
        for (size_t v = 0; v < NV; v++) acc[0][v] += a[s + v];
    R tail = 0;
    for (; s < n; s++) tail += a[s];
    if (n < NV) return tail;
    return P(fold)(acc) + tail;
}

/* A = f(Z) on n units × cs samples (unit j at offset j·CH), by the
 * formulas of ops/formulas.h with VEXP. Sigmoid units also keep
 * E = e^(−|z|), from which their derivative and the logit loss follow
 * without another exp. */
static void P(activate)(bp_activation act, R param, size_t n, size_t cs, const R *restrict Z,
                     R *restrict A, R *restrict E) {
    if (act == BP_ACT_SOFTMAX) {
        /* Row-wise over units, vectorised across samples. */
        R mx[CH], sum[CH];
        for (size_t s = 0; s < cs; s++) {
            mx[s] = Z[s];
            sum[s] = 0;
        }
        for (size_t j = 1; j < n; j++)
            for (size_t s = 0; s < cs; s++) mx[s] = BP_SOFTMAX_MAX(BP_SEL, Z[j * CH + s], mx[s]);
        for (size_t j = 0; j < n; j++)
            for (size_t s = 0; s < cs; s++) {
                R e = VEXP(Z[j * CH + s] - mx[s]);
                A[j * CH + s] = e;
                sum[s] += e;
            }
        for (size_t j = 0; j < n; j++)
            for (size_t s = 0; s < cs; s++) A[j * CH + s] /= sum[s];
        return;
    }
    for (size_t j = 0; j < n; j++) {
        const R *z = Z + j * CH;
        R *a = A + j * CH, *ej = E + j * CH;
        switch (act) {
        case BP_ACT_IDENTITY:
            for (size_t s = 0; s < cs; s++) a[s] = z[s];
            break;
        case BP_ACT_RELU:
            for (size_t s = 0; s < cs; s++) a[s] = BP_RELU(BP_SEL, BP_K, z[s]);
            break;
        case BP_ACT_LEAKY_RELU:
            for (size_t s = 0; s < cs; s++) a[s] = BP_LEAKY_RELU(BP_SEL, BP_K, z[s], param);
            break;
        case BP_ACT_SIGMOID:
            for (size_t s = 0; s < cs; s++) {
                R e = VEXP(-ABS(z[s]));
                ej[s] = e;
                a[s] = BP_SIGMOID_E(BP_SEL, BP_K, z[s], e);
            }
            break;
        case BP_ACT_TANH:
            for (size_t s = 0; s < cs; s++) a[s] = TANH(z[s]);
            break;
        case BP_ACT_SOFTMAX: break;
        }
    }
}

/* D ← D ⊙ f'(Z) on n units × cs samples, in place: D holds dL/dA on entry,
 * dL/dZ on return (ops/formulas.h's derivative products; sigmoid's from
 * the forward pass's E). In place and restrict-qualified, so the loops
 * vectorise without a run-time overlap check. */
static void P(derive)(bp_activation act, R param, size_t n, size_t cs, const R *restrict Z,
                   const R *restrict A, const R *restrict E, R *restrict D) {
    if (act == BP_ACT_SOFTMAX) {
        /* per sample: ⟨da, s⟩, then BP_SOFTMAX_JVP */
        R dot[CH];
        for (size_t s = 0; s < cs; s++) dot[s] = 0;
        for (size_t j = 0; j < n; j++)
            for (size_t s = 0; s < cs; s++) dot[s] += D[j * CH + s] * A[j * CH + s];
        for (size_t j = 0; j < n; j++)
            for (size_t s = 0; s < cs; s++)
                D[j * CH + s] = BP_SOFTMAX_JVP(A[j * CH + s], D[j * CH + s], dot[s]);
        return;
    }
    for (size_t j = 0; j < n; j++) {
        const R *z = Z + j * CH, *a = A + j * CH, *ej = E + j * CH;
        R *d = D + j * CH;
        switch (act) {
        case BP_ACT_IDENTITY: break;
        case BP_ACT_RELU:
            for (size_t s = 0; s < cs; s++) d[s] = BP_RELU_DERIV(BP_SEL, BP_K, z[s], d[s]);
            break;
        case BP_ACT_LEAKY_RELU:
            for (size_t s = 0; s < cs; s++)
                d[s] = BP_LEAKY_RELU_DERIV(BP_SEL, BP_K, z[s], param, d[s]);
            break;
        case BP_ACT_SIGMOID:
            for (size_t s = 0; s < cs; s++) d[s] = BP_SIGMOID_DERIV_E(BP_K, ej[s], d[s]);
            break;
        case BP_ACT_TANH:
            for (size_t s = 0; s < cs; s++) d[s] = BP_TANH_DERIV(BP_K, a[s], d[s]);
            break;
        case BP_ACT_SOFTMAX: break;
        }
    }
}

/* Z = In·W + b, A = f(Z) (and E) for one layer on a chunk. */
static void P(layer_forward)(const bp_layer_spec *sp, size_t cs, const R *restrict In,
                          const R *restrict W, const R *restrict b, R *restrict Z, R *restrict A,
                          R *restrict E) {
    size_t n_in = sp->n_in, n_out = sp->n_out;
    for (size_t j = 0; j < n_out; j++) {
        R *restrict z = Z + j * CH;
        const R bj = b[j];
        /* SB samples at a time, their sums in registers across all inputs:
         * one load per input and block instead of a load and a store of z
         * as well. The same order of operations as the tail below. */
        size_t s0 = 0;
        for (; s0 + SB <= cs; s0 += SB) {
            R acc[SB];
            for (size_t v = 0; v < SB; v++) acc[v] = bj + In[s0 + v] * W[j];
            for (size_t i = 1; i < n_in; i++) {
                const R w = W[i * n_out + j];
                const R *restrict a = In + i * CH + s0;
                for (size_t v = 0; v < SB; v++) acc[v] += a[v] * w;
            }
            for (size_t v = 0; v < SB; v++) z[s0 + v] = acc[v];
        }
        for (size_t s = s0; s < cs; s++) {
            R acc = bj + In[s] * W[j];
            for (size_t i = 1; i < n_in; i++) acc += In[i * CH + s] * W[i * n_out + j];
            z[s] = acc;
        }
    }
    P(activate)(sp->act, (R)sp->param, n_out, cs, Z, A, E);
}

/* Σ_s t[s] over n ≤ CH per-sample loss terms (double), in fixed lanes. */
static double P(sum_terms)(const double *restrict t, size_t n) {
    double acc[8] = { 0 };
    size_t s = 0;
    for (; s + 8 <= n; s += 8)
        for (size_t v = 0; v < 8; v++) acc[v] += t[s + v];
    double tail = 0.0;
    for (; s < n; s++) tail += t[s];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

/* Loss terms of a chunk (returned, in double, unscaled) and dL/dZ_L into
 * dZ, by ops/formulas.h's loss formulas. T holds the chunk's dense targets
 * (k × CH) or lab its labels. Every loop runs across samples (the
 * logarithms too, through vexp.h); the per-sample terms are summed at the
 * end in fixed lanes. */
static double P(output)(const mlp_layout *y, size_t cs, const R *restrict Z, const R *restrict A,
                     const R *restrict E, const R *restrict T, const size_t *restrict lab,
                     double scale, R *restrict dZ) {
    const bp_layer_spec *sp = &y->layers[y->n_layers - 1];
    const size_t k = sp->n_out;
    double term[CH];
    for (size_t s = 0; s < cs; s++) term[s] = 0.0;
/* the target of unit j, sample s: dense, or one-hot from the labels */
#define TGT(j, s) (lab ? (lab[s] == (j) ? 1.0 : 0.0) : (double)T[(j) * CH + (s)])
    switch (y->loss) {
    case BP_LOSS_BCE_LOGITS:
        /* σ(z) is the forward pass's A */
        for (size_t j = 0; j < k; j++)
            for (size_t s = 0; s < cs; s++) {
                double z = Z[j * CH + s], t = T[j * CH + s];
                /* e^(−|z|) from the forward pass in double; recomputed in
                 * double when the network is float (losses are double). */
                double e =
                    sizeof(R) == sizeof(double) ? (double)E[j * CH + s] : bp_vexp_d(-fabs(z));
                term[s] += BP_BCE_LOGITS_TERM(BP_SEL, BP_K, bp_vlog1p_d, z, t, e);
                dZ[j * CH + s] = (R)BP_BCE_LOGITS_GRAD((double)A[j * CH + s], t, scale);
            }
        return P(sum_terms)(term, cs);
    case BP_LOSS_SOFTMAX_CCE: {
        /* the term from the probabilities a_j; a probability that
         * underflowed to 0 under a nonzero target sends its sample to the
         * term from the logits below */
        double ysum[CH];
        int underflow = 0;
        if (lab) {
            /* one-hot: only the label's probability has a logarithm */
            double pl[CH];
            for (size_t s = 0; s < cs; s++) {
                pl[s] = A[lab[s] * CH + s];
                ysum[s] = 1.0;
            }
            for (size_t s = 0; s < cs; s++) {
                term[s] = BP_CCE_TERM_NONZERO(bp_vlog_d, 1.0, pl[s]);
                underflow |= pl[s] == 0.0;
            }
        } else {
            for (size_t s = 0; s < cs; s++) ysum[s] = 0.0;
            for (size_t j = 0; j < k; j++)
                for (size_t s = 0; s < cs; s++) {
                    double t = T[j * CH + s], a = A[j * CH + s];
                    ysum[s] += t;
                    term[s] += BP_CCE_TERM(BP_SEL, BP_K, bp_vlog_d, t, a);
                    underflow |= t != 0.0 && a == 0.0;
                }
        }
        /* labels and dense targets in loops of their own (a select between
         * them inside the loop became gathers) */
        if (lab)
            for (size_t j = 0; j < k; j++)
                for (size_t s = 0; s < cs; s++)
                    dZ[j * CH + s] = (R)BP_SOFTMAX_CCE_GRAD((double)A[j * CH + s], ysum[s],
                                                            lab[s] == j ? 1.0 : 0.0, scale);
        else
            for (size_t j = 0; j < k; j++)
                for (size_t s = 0; s < cs; s++)
                    dZ[j * CH + s] = (R)BP_SOFTMAX_CCE_GRAD((double)A[j * CH + s], ysum[s],
                                                            (double)T[j * CH + s], scale);
        for (size_t s = 0; underflow && s < cs; s++) {
            int under = 0;
            for (size_t j = 0; j < k; j++) under |= TGT(j, s) != 0.0 && A[j * CH + s] == (R)0;
            if (!under) continue;
            double mx = Z[s], sum = 0.0;
            for (size_t j = 1; j < k; j++) mx = BP_SOFTMAX_MAX(BP_SEL, (double)Z[j * CH + s], mx);
            for (size_t j = 0; j < k; j++) sum += exp((double)Z[j * CH + s] - mx);
            double lse = BP_LOG_SUM_EXP(log, mx, sum);
            term[s] = 0.0;
            for (size_t j = 0; j < k; j++)
                if (TGT(j, s) != 0.0)
                    term[s] += BP_SOFTMAX_CCE_TERM_LSE(TGT(j, s), lse, (double)Z[j * CH + s]);
        }
        return P(sum_terms)(term, cs);
    }
    case BP_LOSS_MSE:
        for (size_t j = 0; j < k; j++)
            for (size_t s = 0; s < cs; s++) {
                double d = (double)A[j * CH + s] - T[j * CH + s];
                term[s] += BP_MSE_TERM(d);
                dZ[j * CH + s] = (R)BP_MSE_GRAD(d, scale);
            }
        break;
    case BP_LOSS_BCE:
        for (size_t j = 0; j < k; j++)
            for (size_t s = 0; s < cs; s++) {
                double a = A[j * CH + s], t = T[j * CH + s];
                double pc = BP_CLAMP_PROB(BP_SEL, BP_K, a);
                term[s] += BP_BCE_TERM(bp_vlog_d, bp_vlog1p_d, t, pc);
                dZ[j * CH + s] = (R)BP_BCE_GRAD(t, pc, scale);
            }
        break;
    case BP_LOSS_CCE:
        for (size_t j = 0; j < k; j++)
            for (size_t s = 0; s < cs; s++) {
                double a = A[j * CH + s], t = TGT(j, s);
                double pc = BP_CLAMP_PROB(BP_SEL, BP_K, a);
                term[s] += BP_CCE_TERM(BP_SEL, BP_K, bp_vlog_d, t, pc);
                dZ[j * CH + s] = (R)BP_CCE_GRAD(t, pc, scale);
            }
        break;
    }
#undef TGT
    P(derive)(sp->act, (R)sp->param, k, cs, Z, A, E, dZ); /* dL/dA → dL/dZ */
    return P(sum_terms)(term, cs);
}

/* gW += Inᵀ·dZ, gb += Σ dZ for one layer on a chunk; with Down != NULL also
 * Down = dZ·Wᵀ (dL/dA of the layer below). */
static void P(layer_backward)(const bp_layer_spec *sp, size_t cs, const R *restrict In,
                           const R *restrict W, const R *restrict dZ, R *restrict gW,
                           R *restrict gb, R *restrict Down) {
    size_t n_in = sp->n_in, n_out = sp->n_out;
    for (size_t i = 0; i < n_in; i++)
        for (size_t j = 0; j < n_out; j++) gW[i * n_out + j] += P(dot)(In + i * CH, dZ + j * CH, cs);
    for (size_t j = 0; j < n_out; j++) gb[j] += P(sum)(dZ + j * CH, cs);
    if (Down == NULL) return;
    for (size_t i = 0; i < n_in; i++) {
        R *restrict d = Down + i * CH;
        const R *w = W + i * n_out;
        size_t s0 = 0;
        for (; s0 + SB <= cs; s0 += SB) { /* register blocks, as in layer_forward */
            R acc[SB];
            for (size_t v = 0; v < SB; v++) acc[v] = dZ[s0 + v] * w[0];
            for (size_t j = 1; j < n_out; j++) {
                const R wj = w[j];
                const R *restrict dz = dZ + j * CH + s0;
                for (size_t v = 0; v < SB; v++) acc[v] += dz[v] * wj;
            }
            for (size_t v = 0; v < SB; v++) d[s0 + v] = acc[v];
        }
        for (size_t s = s0; s < cs; s++) {
            R acc = dZ[s] * w[0];
            for (size_t j = 1; j < n_out; j++) acc += dZ[j * CH + s] * w[j];
            d[s] = acc;
        }
    }
}

/* The chunk's inputs, feature-major (In: n_in × CH), and its targets (T:
 * k × CH) or labels, from batch rows r0 … r0 + cs − 1: the transpose costs
 * one pass over data that is read once anyway. Sample by sample: looping
 * over features outside (strided loads, as SIMD gathers or scalar) runs
 * fewer instructions but is slower (Benchmarks/README.md, "Kernel design measurements"). */
static void P(gather)(size_t cs, size_t r0, const size_t *restrict indices, const R *restrict X,
                   size_t ldx, size_t n_in, const R *restrict Y, const size_t *restrict labels,
                   size_t k, R *restrict In, R *restrict T, size_t *restrict lab) {
    /* Rows of one or two values (the seeds' inputs and binary targets) get
     * a loop of their own: a general inner loop of one or two iterations
     * costs more than the copy. */
    N_UNIT_LOOP /* strided rows of X: clang's gathers were slower here too */
        for (size_t s = 0; s < cs; s++) {
        size_t src = indices ? indices[r0 + s] : r0 + s;
        const R *restrict x = X + src * ldx;
        if (n_in == 2) {
            In[s] = x[0];
            In[CH + s] = x[1];
        } else
            for (size_t i = 0; i < n_in; i++) In[i * CH + s] = x[i];
        if (labels) lab[s] = labels[src];
        else if (k == 1) T[s] = Y[src];
        else
            for (size_t j = 0; j < k; j++) T[j * CH + s] = Y[src * k + j];
    }
}

/* The scratch, in a function with the layout y and the scratch in scope
 * (mlp_internal.h's chunk_off): the input chunk (n_in × CH) | Z, A and E
 * of each layer (n_out × CH each) | the targets (k × CH) | two delta
 * buffers (BP_NARROW_WIDTH × CH each). */
#define ZC(l) (scratch + y->chunk_off[l])
#define AC(l) (ZC(l) + y->layers[l].n_out * CH)
#define EC(l) (ZC(l) + 2 * y->layers[l].n_out * CH)
#define TC (ZC(y->n_layers - 1) + 3 * y->layers[y->n_layers - 1].n_out * CH)
#define DC(i) (TC + (y->layers[y->n_layers - 1].n_out + (i) * BP_NARROW_WIDTH) * CH)

/* One sample (a chunk of cs = 1, same layout): layer_forward and
 * layer_backward as plain scalar loops over units, without the
 * across-samples loops' set-up costs — batches of a few rows, and the
 * online path (narrow_online_tmpl.h), where a step's time is the latency
 * of its chain of operations: a sigmoid unit's activation is computed from
 * its sum while that is still in a register, with exp1.h's exp (EXP1, the
 * shortest latency from argument to result; VEXP's 13-term Horner
 * polynomial is built for throughput across a chunk). */
static void P(forward1)(const bp_layer_spec *sp, const R *restrict In, const R *restrict W,
                     const R *restrict b, R *restrict Z, R *restrict A, R *restrict E) {
    const size_t n_in = sp->n_in, n_out = sp->n_out;
    const int sigmoid = sp->act == BP_ACT_SIGMOID;
    N_UNIT_LOOP
    for (size_t j = 0; j < n_out; j++) {
        R z = b[j];
        N_UNIT_LOOP
        for (size_t i = 0; i < n_in; i++) z += In[i * CH] * W[i * n_out + j];
        Z[j * CH] = z;
        if (sigmoid) { /* P(activate)'s formula, with EXP1 */
            R e = EXP1(-ABS(z));
            E[j * CH] = e;
            A[j * CH] = BP_SIGMOID_E(BP_SEL, BP_K, z, e);
        }
    }
    if (!sigmoid) P(activate)(sp->act, (R)sp->param, n_out, 1, Z, A, E);
}

/* Down = dZ·Wᵀ for one sample: dL/dA of the layer below. */
static void P(down1)(const bp_layer_spec *sp, const R *restrict W, const R *restrict dZ,
                  R *restrict Down) {
    const size_t n_in = sp->n_in, n_out = sp->n_out;
    N_UNIT_LOOP
    for (size_t i = 0; i < n_in; i++) {
        R acc = dZ[0] * W[i * n_out];
        N_UNIT_LOOP
        for (size_t j = 1; j < n_out; j++) acc += dZ[j * CH] * W[i * n_out + j];
        Down[i * CH] = acc;
    }
}

/* gW += In·dZ, gb += dZ for one sample; and Down unless NULL. */
static void P(backward1)(const bp_layer_spec *sp, const R *restrict In, const R *restrict W,
                      const R *restrict dZ, R *restrict gW, R *restrict gb, R *restrict Down) {
    const size_t n_in = sp->n_in, n_out = sp->n_out;
    N_UNIT_LOOP
    for (size_t i = 0; i < n_in; i++) {
        R a = In[i * CH];
        N_UNIT_LOOP
        for (size_t j = 0; j < n_out; j++) gW[i * n_out + j] += a * dZ[j * CH];
    }
    N_UNIT_LOOP
    for (size_t j = 0; j < n_out; j++) gb[j] += dZ[j * CH];
    if (Down != NULL) P(down1)(sp, W, dZ, Down);
}

#include "narrow_block_tmpl.h"

void N_ENTRY(const mlp_layout *y, const R *params, size_t rows, const R *X, size_t ldx, const R *Y,
             const size_t *labels, const size_t *indices, R *scratch, double *loss, R *grad) {
    /* Small networks: blocks of samples in registers (narrow_block_tmpl.h),
     * for batches of more than one block: its groups of blocks are computed
     * whole, which only pays beyond one vector of rows
     * (Benchmarks/README.md, "Kernel design measurements"). */
    if (rows > NV && P(block_fits)(y)) {
        P(block_grad)(y, params, rows, X, ldx, Y, labels, indices, scratch, loss, grad);
        return;
    }
    const size_t L = y->n_layers, n_in = y->layers[0].n_in, k = y->layers[L - 1].n_out;
    R *const In = scratch, *const T = TC, *const bufA = DC(0), *const bufB = DC(1);
    size_t lab[CH];
    /* Binary losses and MSE average over all rows·k elements, categorical
     * ones over the rows (bp_loss.h). */
    int per_row = y->loss == BP_LOSS_CCE || y->loss == BP_LOSS_SOFTMAX_CCE;
    double scale = 1.0 / (per_row ? (double)rows : (double)rows * (double)k);
    double total = 0.0;
    memset(grad, 0, y->n_params * sizeof(R));

    /* Batches of a few rows go one sample at a time (see forward1). */
    const size_t step = rows < BP_NARROW_ONLINE_ROWS ? 1 : CH;
    for (size_t r0 = 0; r0 < rows; r0 += step) {
        const size_t cs = rows - r0 < step ? rows - r0 : step;
        P(gather)(cs, r0, indices, X, ldx, n_in, Y, labels, k, In, T, lab);
        for (size_t l = 0; l < L; l++) {
            const R *in = l == 0 ? In : AC(l - 1);
            if (cs == 1)
                P(forward1)(&y->layers[l], in, params + y->w_off[l], params + y->b_off[l], ZC(l),
                         AC(l), EC(l));
            else
                P(layer_forward)(&y->layers[l], cs, in, params + y->w_off[l], params + y->b_off[l],
                              ZC(l), AC(l), EC(l));
        }
        R *dZ = bufA, *spare = bufB;
        total +=
            P(output)(y, cs, ZC(L - 1), AC(L - 1), EC(L - 1), T, labels ? lab : NULL, scale, dZ);
        for (size_t l = L; l-- > 0;) {
            const R *in = l == 0 ? In : AC(l - 1);
            if (cs == 1)
                P(backward1)(&y->layers[l], in, params + y->w_off[l], dZ, grad + y->w_off[l],
                          grad + y->b_off[l], l == 0 ? NULL : spare);
            else
                P(layer_backward)(&y->layers[l], cs, in, params + y->w_off[l], dZ, grad + y->w_off[l],
                               grad + y->b_off[l], l == 0 ? NULL : spare);
            if (l == 0) break;
            /* dL/dA_{l−1} is in `spare`; through f' it becomes dZ_{l−1}. */
            const bp_layer_spec *below = &y->layers[l - 1];
            P(derive)(below->act, (R)below->param, below->n_out, cs, ZC(l - 1), AC(l - 1), EC(l - 1),
                   spare);
            R *t = dZ;
            dZ = spare;
            spare = t;
        }
    }
    *loss = total * scale;
}

#include "narrow_online_tmpl.h"

#undef N_UNIT_LOOP
#undef ZC
#undef AC
#undef EC
#undef TC
#undef DC
#undef NL
#undef NG
#undef SB
#undef CH
