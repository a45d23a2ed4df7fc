/*
 * test_trace.c — the per-layer accessors of bp_mlp.h: bp_mlp_preactivations
 * (Z_l), bp_mlp_activations (A_l) and bp_mlp_deltas (dZ_l = dL/dZ_l), in
 * double and single precision, on every path of the engine:
 *
 *   gemm          layers wider than 8 on enough rows: the blocked GEMM with
 *                 its fused epilogue (no context, and a two-thread context)
 *   dense-direct  a network with a layer wider than 8 on a few rows: the
 *                 dense kernels' direct loops
 *   narrow-tiny   every width ≤ 8 on at most 16 rows: the engine's own plain
 *                 loops over the workspace (mlp_tmpl.h)
 *   narrow-dense  every width ≤ 8 on more rows: the dense kernels
 *   reference     each network again on a BP_EXEC_REFERENCE context
 *
 * What is checked, against plain loops written here (in double, on the
 * values the engine computed with):
 *
 *  - after bp_mlp_gradient and bp_mlp_backward, every layer's
 *    Z_l = A_{l−1}·W_l + b_l (A_0 = X) and A_l = f_l(Z_l), from the engine's
 *    own A_{l−1} and Z_l, and the delta rule: dZ_L from the loss (MSE through
 *    the output activation's derivative, the fused gradients of
 *    BCE_LOGITS and SOFTMAX_CCE) or from the caller's dA_L, then
 *    dZ_{l−1} = (dZ_l·W_lᵀ) ⊙ f'_{l−1}(Z_{l−1}) from the engine's dZ_l;
 *  - A_L equals bp_mlp_forward's copied outputs bit for bit;
 *  - bp_mlp_forward, and bp_mlp_gradient computing the loss alone, leave
 *    dZ_l as it was; bp_mlp_backward's forward pass repeats
 *    bp_mlp_forward's on the same rows bit for bit (the Swift layer's
 *    backward relies on it to backpropagate through a recorded trace);
 *  - the fast paths' Z, A and dZ against the reference engine's;
 *  - the argument errors of the three accessors (the output pointer left
 *    alone).
 *
 * Tolerances are bounds on the rounding of the sums involved: a layer's
 * Z_ij is a sum of n_in products and b_j, each term rounded at most once
 * more per addition, so |Z_engine − Z_plain| ≤ 2·(n_in + 2)·u·(Σ|a·w| + |b|)
 * with u the unit roundoff of the precision (the plain sum, in double, is
 * far more accurate in the float runs); the deltas get the same kind of
 * bound from their sums over the next layer's units, times the
 * activation's largest derivative. A delta taken from the wrong layer, a
 * missing factor or a stale buffer is off by far more.
 */
#include "mlp_support.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the cases ------------------------------------------------------------ */

typedef struct tcase {
    const char *name;
    size_t L;
    bp_layer_spec sp[MAXL];
    bp_loss loss;
    size_t rows;
} tcase;

static const tcase CASES[] = {
    { "gemm 12-40-16-4 tanh/relu/softmax SOFTMAX_CCE",
      3,
      { L_(12, 40, BP_ACT_TANH), L_(40, 16, BP_ACT_RELU), L_(16, 4, BP_ACT_SOFTMAX) },
      BP_LOSS_SOFTMAX_CCE,
      40 },
    { "gemm 5-33-3 leaky/identity MSE",
      2,
      { LEAKY_(5, 33), L_(33, 3, BP_ACT_IDENTITY) },
      BP_LOSS_MSE,
      24 },
    { "gemm 7-36-10-2 sigmoid/softmax/sigmoid BCE_LOGITS",
      3,
      { L_(7, 36, BP_ACT_SIGMOID), L_(36, 10, BP_ACT_SOFTMAX), L_(10, 2, BP_ACT_SIGMOID) },
      BP_LOSS_BCE_LOGITS,
      30 },
    { "dense-direct 3-9-3 leaky/softmax MSE",
      2,
      { LEAKY_(3, 9), L_(9, 3, BP_ACT_SOFTMAX) },
      BP_LOSS_MSE,
      3 },
    { "dense-direct 4-10-1 relu/sigmoid BCE_LOGITS",
      2,
      { L_(4, 10, BP_ACT_RELU), L_(10, 1, BP_ACT_SIGMOID) },
      BP_LOSS_BCE_LOGITS,
      4 },
    { "narrow-tiny 2-4-3-3 relu/sigmoid/softmax SOFTMAX_CCE",
      3,
      { L_(2, 4, BP_ACT_RELU), L_(4, 3, BP_ACT_SIGMOID), L_(3, 3, BP_ACT_SOFTMAX) },
      BP_LOSS_SOFTMAX_CCE,
      10 },
    { "narrow-tiny 3-8-2 tanh/identity MSE",
      2,
      { L_(3, 8, BP_ACT_TANH), L_(8, 2, BP_ACT_IDENTITY) },
      BP_LOSS_MSE,
      16 },
    { "narrow-dense 2-4-3-1 leaky/tanh/sigmoid BCE_LOGITS",
      3,
      { LEAKY_(2, 4), L_(4, 3, BP_ACT_TANH), L_(3, 1, BP_ACT_SIGMOID) },
      BP_LOSS_BCE_LOGITS,
      50 },
    { "narrow-dense 4-6-5 relu/softmax MSE",
      2,
      { L_(4, 6, BP_ACT_RELU), L_(6, 5, BP_ACT_SOFTMAX) },
      BP_LOSS_MSE,
      17 },
};
enum { N_CASES = sizeof CASES / sizeof CASES[0] };

/* The contexts every case runs on: none, two threads of the default
 * kernels, the reference engine. */
static const struct {
    int make;
    unsigned flags;
    size_t threads;
    const char *name;
} CONTEXTS[] = {
    { 0, 0, 0, "no context" },
    { 1, BP_EXEC_DEFAULT, 2, "default kernels, 2 threads" },
    { 1, BP_EXEC_REFERENCE, 1, "reference" },
};
enum { N_CONTEXTS = sizeof CONTEXTS / sizeof CONTEXTS[0], REFERENCE_CONTEXT = 2 };

/* ---- a network in either precision -------------------------------------------------------- */

/* Float runs keep their parameters and data in double arrays holding
 * float values (they round-trip exactly) and convert at each call. */
typedef struct tnet {
    int f32;
    bp_mlp *d;
    bp_mlp_f32 *s;
    bp_exec *exec;
    const tcase *c;
    size_t np, w[MAXL], b[MAXL];
} tnet;

static void tnet_open(tnet *t, const tcase *c, int f32, size_t context) {
    memset(t, 0, sizeof *t);
    t->f32 = f32;
    t->c = c;
    if (CONTEXTS[context].make)
        H_OK(bp_exec_create_with(CONTEXTS[context].threads, CONTEXTS[context].flags, &t->exec));
    if (f32) {
        H_OK(bp_mlp_create_f32(c->L, c->sp, c->loss, c->rows, &t->s));
        H_OK(bp_mlp_set_exec_f32(t->s, t->exec));
    } else {
        H_OK(bp_mlp_create(c->L, c->sp, c->loss, c->rows, &t->d));
        H_OK(bp_mlp_set_exec(t->d, t->exec));
    }
    for (size_t l = 0; l < c->L; l++) {
        t->w[l] = t->np;
        t->np += c->sp[l].n_in * c->sp[l].n_out;
        t->b[l] = t->np;
        t->np += c->sp[l].n_out;
    }
}

static void tnet_close(tnet *t) {
    bp_mlp_free(t->d);
    bp_mlp_free_f32(t->s);
    bp_exec_free(t->exec);
}

static size_t k_out(const tcase *c) { return c->sp[c->L - 1].n_out; }

static bp_status t_forward(tnet *t, const double *p, const double *X, size_t ldx, double *out) {
    size_t rows = t->c->rows;
    if (!t->f32) return bp_mlp_forward(t->d, p, rows, X, ldx, out);
    float *pf = to_float(p, t->np), *Xf = to_float(X, rows * ldx),
          *of = to_float(out, rows * k_out(t->c));
    bp_status s = bp_mlp_forward_f32(t->s, pf, rows, Xf, ldx, of);
    from_float(of, out, rows * k_out(t->c));
    free(pf);
    free(Xf);
    free(of);
    return s;
}

static bp_status t_gradient(tnet *t, const double *p, const double *X, size_t ldx, const double *Y,
                            double *loss, double *grad) {
    size_t rows = t->c->rows;
    if (!t->f32) return bp_mlp_gradient(t->d, p, rows, X, ldx, Y, NULL, loss, grad, NULL);
    float *pf = to_float(p, t->np), *Xf = to_float(X, rows * ldx),
          *Yf = to_float(Y, rows * k_out(t->c));
    float *gf = to_float(grad, t->np);
    bp_status s = bp_mlp_gradient_f32(t->s, pf, rows, Xf, ldx, Yf, NULL, loss, gf, NULL);
    from_float(gf, grad, t->np);
    free(pf);
    free(Xf);
    free(Yf);
    free(gf);
    return s;
}

static bp_status t_backward(tnet *t, const double *p, const double *X, size_t ldx, const double *dA,
                            double *grad) {
    size_t rows = t->c->rows;
    if (!t->f32) return bp_mlp_backward(t->d, p, rows, X, ldx, dA, grad, NULL);
    float *pf = to_float(p, t->np), *Xf = to_float(X, rows * ldx),
          *dAf = to_float(dA, rows * k_out(t->c));
    float *gf = to_float(grad, t->np);
    bp_status s = bp_mlp_backward_f32(t->s, pf, rows, Xf, ldx, dAf, gf, NULL);
    from_float(gf, grad, t->np);
    free(pf);
    free(Xf);
    free(dAf);
    free(gf);
    return s;
}

enum which { Z_OF, A_OF, DZ_OF };

/* Layer l's Z, A or dZ (rows × n_out) through the accessors, as doubles. */
static double *t_layer(const tnet *t, enum which w, size_t l) {
    size_t count = t->c->rows * t->c->sp[l].n_out;
    double *out = h_alloc(count);
    if (t->f32) {
        const float *v = NULL;
        H_OK(w == Z_OF   ? bp_mlp_preactivations_f32(t->s, l, &v)
             : w == A_OF ? bp_mlp_activations_f32(t->s, l, &v)
                         : bp_mlp_deltas_f32(t->s, l, &v));
        assert_non_null(v);
        from_float(v, out, count);
    } else {
        const double *v = NULL;
        H_OK(w == Z_OF   ? bp_mlp_preactivations(t->d, l, &v)
             : w == A_OF ? bp_mlp_activations(t->d, l, &v)
                         : bp_mlp_deltas(t->d, l, &v));
        assert_non_null(v);
        memcpy(out, v, count * sizeof *out);
    }
    return out;
}

/* Every layer's Z, A and dZ of the last pass. */
typedef struct snapshot {
    double *Z[MAXL], *A[MAXL], *dZ[MAXL];
} snapshot;

static void take(const tnet *t, snapshot *s) {
    for (size_t l = 0; l < t->c->L; l++) {
        s->Z[l] = t_layer(t, Z_OF, l);
        s->A[l] = t_layer(t, A_OF, l);
        s->dZ[l] = t_layer(t, DZ_OF, l);
    }
}

static void release(const tcase *c, snapshot *s) {
    for (size_t l = 0; l < c->L; l++) {
        free(s->Z[l]);
        free(s->A[l]);
        free(s->dZ[l]);
    }
}

/* ---- data ----------------------------------------------------------------------------------- */

typedef struct tdata {
    size_t ldx;
    double *p, *X, *Y, *dA;
} tdata;

/* Parameters (W_l on ±2/√n_in, b_l on ±0.5), inputs on [−1, 1) with NaN
 * padding (ldx = n_in + 2), targets suited to the loss and a dL/dA_L on
 * [−1, 1); in float runs every value rounded to float first. */
static void make_data(h_rng *r, const tnet *t, tdata *d) {
    const tcase *c = t->c;
    size_t rows = c->rows, k = k_out(c);
    d->ldx = c->sp[0].n_in + 2;
    d->p = h_alloc(t->np);
    for (size_t l = 0; l < c->L; l++) {
        double s = 2.0 / sqrt((double)c->sp[l].n_in);
        h_fill(r, d->p + t->w[l], c->sp[l].n_in * c->sp[l].n_out, -s, s);
        h_fill(r, d->p + t->b[l], c->sp[l].n_out, -0.5, 0.5);
    }
    d->X = h_matrix(r, rows, c->sp[0].n_in, d->ldx, -1.0, 1.0, h_nan());
    d->Y = h_alloc(rows * k);
    d->dA = h_alloc(rows * k);
    h_fill(r, d->dA, rows * k, -1.0, 1.0);
    for (size_t i = 0; i < rows; i++) {
        size_t label = h_below(r, k);
        for (size_t j = 0; j < k; j++) {
            double *y = &d->Y[i * k + j];
            if (c->loss == BP_LOSS_MSE) *y = h_uniform(r, -1.0, 1.0);
            else if (c->loss == BP_LOSS_SOFTMAX_CCE) *y = j == label ? 1.0 : 0.0;
            else *y = (double)(h_next(r) & 1);
        }
    }
    if (t->f32) {
        double *all[] = { d->p, d->X, d->dA };
        size_t len[] = { t->np, rows * d->ldx, rows * k };
        for (size_t a = 0; a < 3; a++)
            for (size_t i = 0; i < len[a]; i++)
                if (!isnan(all[a][i])) all[a][i] = (double)(float)all[a][i];
    }
}

static void free_data(tdata *d) {
    free(d->p);
    free(d->X);
    free(d->Y);
    free(d->dA);
}

/* ---- plain loops ---------------------------------------------------------------------------- */

static double plain_f(const bp_layer_spec *s, double z) {
    switch (s->act) {
    case BP_ACT_RELU: return z > 0.0 ? z : 0.0;
    case BP_ACT_LEAKY_RELU: return z > 0.0 ? z : s->param * z;
    case BP_ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case BP_ACT_TANH: return tanh(z);
    default: return z;
    }
}

/* d·f'(z) for an element-wise activation (a = f(z)); bp_activation.h's
 * conventions: the ReLU family takes its left derivative at 0. */
static double plain_fprime(const bp_layer_spec *s, double z, double d) {
    switch (s->act) {
    case BP_ACT_RELU: return z > 0.0 ? d : 0.0;
    case BP_ACT_LEAKY_RELU: return z > 0.0 ? d : s->param * d;
    case BP_ACT_SIGMOID: { /* σ' = e/(1 + e)², e = e^(−|z|): no cancellation */
        double e = exp(-fabs(z));
        return d * (e / ((1.0 + e) * (1.0 + e)));
    }
    case BP_ACT_TANH: {
        double a = tanh(z);
        return d * (1.0 - a * a);
    }
    default: return d;
    }
}

/* A = f(Z) of one layer (softmax by rows, from the row maximum). */
static void plain_activation(const bp_layer_spec *s, size_t rows, const double *Z, double *A) {
    size_t k = s->n_out;
    for (size_t i = 0; i < rows; i++) {
        const double *z = Z + i * k;
        double *a = A + i * k;
        if (s->act != BP_ACT_SOFTMAX) {
            for (size_t j = 0; j < k; j++) a[j] = plain_f(s, z[j]);
            continue;
        }
        double m = z[0], sum = 0.0;
        for (size_t j = 1; j < k; j++) m = z[j] > m ? z[j] : m;
        for (size_t j = 0; j < k; j++) sum += a[j] = exp(z[j] - m);
        for (size_t j = 0; j < k; j++) a[j] /= sum;
    }
}

/* dZ = dA ⊙ f'(Z) of one layer (softmax: dz_j = s_j·(da_j − Σ_i da_i·s_i),
 * s from the plain softmax of Z). */
static void plain_chain(const bp_layer_spec *s, size_t rows, const double *Z, const double *dA,
                        double *dZ) {
    size_t k = s->n_out;
    double *S = h_alloc(rows * k);
    plain_activation(s, rows, Z, S);
    for (size_t i = 0; i < rows; i++) {
        const double *z = Z + i * k, *da = dA + i * k, *sm = S + i * k;
        double *dz = dZ + i * k;
        if (s->act != BP_ACT_SOFTMAX) {
            for (size_t j = 0; j < k; j++) dz[j] = plain_fprime(s, z[j], da[j]);
            continue;
        }
        double dot = 0.0;
        for (size_t j = 0; j < k; j++) dot += da[j] * sm[j];
        for (size_t j = 0; j < k; j++) dz[j] = sm[j] * (da[j] - dot);
    }
    free(S);
}

/* The largest factor by which the chain rule through an activation can
 * scale dA (|f'| ≤ 1 for the element-wise ones here; a softmax row's
 * Jacobian-vector product is at most 2·max |da|). */
static double chain_gain(const bp_layer_spec *s) { return s->act == BP_ACT_SOFTMAX ? 2.0 : 1.0; }

/* ---- the checks ------------------------------------------------------------------------------ */

static double unit_roundoff(const tnet *t) { return t->f32 ? 0x1p-24 : 0x1p-53; }

/* max over i of |x_i − y_i| − bound_i (≤ 0 when every element is within its bound). */
static double excess(const double *x, const double *y, const double *bound, size_t n) {
    double worst = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(x[i] - y[i]) - bound[i];
        worst = e > worst || isnan(e) ? e : worst;
    }
    return worst;
}

/* Z_l = A_{l−1}·W_l + b_l and A_l = f_l(Z_l), layer by layer from the
 * engine's own A_{l−1} (X for layer 0). */
static void check_forward_quantities(const tnet *t, const tdata *d, const snapshot *s,
                                     const char *call) {
    const tcase *c = t->c;
    const double u = unit_roundoff(t);
    size_t rows = c->rows;
    for (size_t l = 0; l < c->L; l++) {
        const bp_layer_spec *sp = &c->sp[l];
        size_t n_in = sp->n_in, k = sp->n_out;
        const double *in = l == 0 ? d->X : s->A[l - 1], *W = d->p + t->w[l], *b = d->p + t->b[l];
        size_t ld = l == 0 ? d->ldx : n_in;
        double *Z = h_alloc(rows * k), *bound = h_alloc(rows * k), *A = h_alloc(rows * k);
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < k; j++) {
                double sum = 0.0, mag = fabs(b[j]);
                for (size_t q = 0; q < n_in; q++) {
                    sum += in[i * ld + q] * W[q * k + j];
                    mag += fabs(in[i * ld + q] * W[q * k + j]);
                }
                Z[i * k + j] = sum + b[j];
                bound[i * k + j] = 2.0 * (double)(n_in + 2) * u * mag;
            }
        double e = excess(s->Z[l], Z, bound, rows * k);
        H_EXPECT(e <= 0.0, "%s (%s), after %s: Z of layer %zu exceeds its rounding bound by %.3g",
                 c->name, t->f32 ? "float" : "double", call, l, e);
        /* A from the engine's Z: a few roundings of each value (exp, the
         * softmax's sum over the row). */
        plain_activation(sp, rows, s->Z[l], A);
        for (size_t q = 0; q < rows * k; q++)
            bound[q] = 8.0 * (double)(k + 2) * u * (fabs(A[q]) + u);
        e = excess(s->A[l], A, bound, rows * k);
        H_EXPECT(e <= 0.0,
                 "%s (%s), after %s: A of layer %zu is not f(Z) (off by %.3g beyond rounding)",
                 c->name, t->f32 ? "float" : "double", call, l, e);
        free(Z);
        free(bound);
        free(A);
    }
}

/* dL/dA_L of the loss (bp_loss.h) from the engine's A_L, or NULL for the
 * fused losses, whose dZ_L is returned in *fused instead. The fused
 * gradients are (a − y)·scale, where an engine may take a from its A_L or
 * recompute it from Z_L (the reference engine does): a few roundings of a,
 * bounded in check_deltas relative to |a| + |y|. */
static double *loss_gradient(const tnet *t, const tdata *d, const snapshot *s, double **fused) {
    const tcase *c = t->c;
    size_t rows = c->rows, k = k_out(c), L = c->L - 1;
    double *g = h_alloc(rows * k);
    const double *A = s->A[L];
    for (size_t q = 0; q < rows * k; q++) {
        double y = d->Y[q];
        switch (c->loss) {
        case BP_LOSS_MSE: g[q] = 2.0 * (A[q] - y) / (double)(rows * k); break;
        case BP_LOSS_BCE_LOGITS: g[q] = (A[q] - y) / (double)(rows * k); break;
        default: g[q] = (A[q] - y) / (double)rows; break; /* SOFTMAX_CCE, one-hot rows */
        }
    }
    *fused = NULL;
    if (c->loss == BP_LOSS_BCE_LOGITS || c->loss == BP_LOSS_SOFTMAX_CCE) {
        *fused = g;
        return NULL;
    }
    return g;
}

/* The delta rule from the top: dZ_L from dA_top (the loss's or the
 * caller's dL/dA_L, through f'_L) or from `fused` (dL/dZ_L itself), then
 * dZ_{l−1} = (dZ_l·W_lᵀ) ⊙ f'_{l−1}(Z_{l−1}) from the engine's dZ_l. */
static void check_deltas(const tnet *t, const tdata *d, const snapshot *s, const double *dA_top,
                         const double *fused, const char *call) {
    const double *A_top = s->A[t->c->L - 1];
    const tcase *c = t->c;
    const double u = unit_roundoff(t);
    size_t rows = c->rows, L = c->L - 1, k = k_out(c);
    double *dZ = h_alloc(rows * k), *bound = h_alloc(rows * k);
    if (fused) {
        memcpy(dZ, fused, rows * k * sizeof *dZ);
        double scale =
            c->loss == BP_LOSS_SOFTMAX_CCE ? 1.0 / (double)rows : 1.0 / (double)(rows * k);
        for (size_t q = 0; q < rows * k; q++)
            bound[q] = 8.0 * (double)(k + 2) * u * (fabs(A_top[q]) + fabs(d->Y[q])) * scale;
    } else {
        plain_chain(&c->sp[L], rows, s->Z[L], dA_top, dZ);
        double most = h_max_abs(dA_top, rows * k);
        for (size_t q = 0; q < rows * k; q++)
            bound[q] = 8.0 * (double)(k + 8) * u * chain_gain(&c->sp[L]) * most;
    }
    double e = excess(s->dZ[L], dZ, bound, rows * k);
    H_EXPECT(e <= 0.0, "%s (%s), after %s: dZ of the output layer %zu off by %.3g beyond rounding",
             c->name, t->f32 ? "float" : "double", call, L, e);
    free(dZ);
    free(bound);
    for (size_t l = L; l > 0; l--) {
        const bp_layer_spec *sp = &c->sp[l], *below = &c->sp[l - 1];
        size_t n_in = sp->n_in, n_out = sp->n_out;
        const double *W = d->p + t->w[l], *dz = s->dZ[l];
        double *dA = h_alloc(rows * n_in), *want = h_alloc(rows * n_in);
        double *bnd = h_alloc(rows * n_in), most = 0.0;
        for (size_t i = 0; i < rows; i++)
            for (size_t q = 0; q < n_in; q++) {
                double sum = 0.0, mag = 0.0;
                for (size_t j = 0; j < n_out; j++) {
                    sum += dz[i * n_out + j] * W[q * n_out + j];
                    mag += fabs(dz[i * n_out + j] * W[q * n_out + j]);
                }
                dA[i * n_in + q] = sum;
                most = mag > most ? mag : most;
            }
        plain_chain(below, rows, s->Z[l - 1], dA, want);
        for (size_t q = 0; q < rows * n_in; q++)
            bnd[q] = 8.0 * (double)(n_out + n_in + 8) * u * chain_gain(below) * most;
        e = excess(s->dZ[l - 1], want, bnd, rows * n_in);
        H_EXPECT(e <= 0.0, "%s (%s), after %s: dZ of layer %zu off by %.3g beyond rounding",
                 c->name, t->f32 ? "float" : "double", call, l - 1, e);
        free(dA);
        free(want);
        free(bnd);
    }
}

/* ---- the tests ------------------------------------------------------------------------------- */

/* After bp_mlp_gradient: Z, A and the deltas from the loss's gradient. */
static void test_gradient_quantities(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 0x7ACE01);
    for (size_t ci = 0; ci < N_CASES; ci++)
        for (int f32 = 0; f32 <= 1; f32++)
            for (size_t x = 0; x < N_CONTEXTS; x++) {
                tnet t;
                tdata d;
                snapshot s;
                tnet_open(&t, &CASES[ci], f32, x);
                make_data(&r, &t, &d);
                double loss = 0.0, *grad = h_alloc(t.np), *fused;
                H_OK(t_gradient(&t, d.p, d.X, d.ldx, d.Y, &loss, grad));
                take(&t, &s);
                check_forward_quantities(&t, &d, &s, CONTEXTS[x].name);
                double *dA = loss_gradient(&t, &d, &s, &fused);
                check_deltas(&t, &d, &s, dA, fused, CONTEXTS[x].name);
                free(dA);
                free(fused);
                free(grad);
                release(t.c, &s);
                free_data(&d);
                tnet_close(&t);
            }
}

/* After bp_mlp_backward: Z, A and the deltas from the caller's dA_L; the
 * outputs of bp_mlp_forward are A_L; forward and a loss-only gradient
 * leave the deltas alone; backward's forward pass repeats forward's. */
static void test_backward_quantities(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 0x7ACE02);
    for (size_t ci = 0; ci < N_CASES; ci++)
        for (int f32 = 0; f32 <= 1; f32++)
            for (size_t x = 0; x < N_CONTEXTS; x++) {
                const tcase *c = &CASES[ci];
                const char *prec = f32 ? "float" : "double";
                tnet t;
                tdata d;
                snapshot fwd, bwd, later;
                tnet_open(&t, c, f32, x);
                make_data(&r, &t, &d);
                size_t k = k_out(c), L = c->L - 1;
                double *out = h_alloc(c->rows * k), *grad = h_alloc(t.np), loss = 0.0;

                H_OK(t_forward(&t, d.p, d.X, d.ldx, out));
                take(&t, &fwd);
                H_EXPECT(h_same_bits(fwd.A[L], out, c->rows * k),
                         "%s (%s, %s): A of the output layer is not bp_mlp_forward's output",
                         c->name, prec, CONTEXTS[x].name);

                H_OK(t_backward(&t, d.p, d.X, d.ldx, d.dA, grad));
                take(&t, &bwd);
                check_forward_quantities(&t, &d, &bwd, CONTEXTS[x].name);
                check_deltas(&t, &d, &bwd, d.dA, NULL, CONTEXTS[x].name);
                for (size_t l = 0; l < c->L; l++) {
                    size_t n = c->rows * c->sp[l].n_out;
                    H_EXPECT(h_same_bits(fwd.Z[l], bwd.Z[l], n) &&
                                 h_same_bits(fwd.A[l], bwd.A[l], n),
                             "%s (%s, %s): bp_mlp_backward's forward pass differs from "
                             "bp_mlp_forward's in layer %zu",
                             c->name, prec, CONTEXTS[x].name, l);
                }

                /* a forward pass and a loss-only gradient keep the deltas */
                H_OK(t_forward(&t, d.p, d.X, d.ldx, NULL));
                H_OK(t_gradient(&t, d.p, d.X, d.ldx, d.Y, &loss, NULL));
                take(&t, &later);
                for (size_t l = 0; l < c->L; l++)
                    H_EXPECT(h_same_bits(bwd.dZ[l], later.dZ[l], c->rows * c->sp[l].n_out),
                             "%s (%s, %s): dZ of layer %zu changed without a backward pass",
                             c->name, prec, CONTEXTS[x].name, l);
                release(c, &fwd);
                release(c, &bwd);
                release(c, &later);
                free(out);
                free(grad);
                free_data(&d);
                tnet_close(&t);
            }
}

/* Whether the reference run's ReLU-family pre-activations are clear of
 * the kink, where the engines may take different branches. */
static int clear_of_kinks(const tnet *t, const snapshot *s) {
    const double u = unit_roundoff(t);
    for (size_t l = 0; l < t->c->L; l++) {
        bp_activation a = t->c->sp[l].act;
        if (a != BP_ACT_RELU && a != BP_ACT_LEAKY_RELU) continue;
        size_t n = t->c->rows * t->c->sp[l].n_out;
        double most = h_max_abs(s->Z[l], n);
        for (size_t i = 0; i < n; i++)
            if (fabs(s->Z[l][i]) < 1024.0 * u * most) return 0;
    }
    return 1;
}

/* Largest norm-wise difference per layer over what rounding allows. */
static void expect_close(const tnet *t, const double *x, const double *y, size_t n, double tol,
                         const char *what, size_t l, const char *context) {
    double e = h_normwise_err(1, n, x, n, y, n, fmax(h_max_abs(y, n), 1e-300));
    H_EXPECT(e <= tol, "%s (%s, %s): %s of layer %zu differs from the reference engine's by %.3g",
             t->c->name, t->f32 ? "float" : "double", context, what, l, e);
}

/* The fast paths against the reference engine, after the same backward. */
static void test_fast_paths_match_reference(void **state) {
    (void)state;
    h_rng r;
    size_t compared = 0, skipped = 0;
    for (size_t ci = 0; ci < N_CASES; ci++)
        for (int f32 = 0; f32 <= 1; f32++) {
            const tcase *c = &CASES[ci];
            h_seed(&r, 0x7ACE03 + 2 * ci + (size_t)f32);
            tnet reference_net;
            tdata d;
            snapshot want;
            tnet_open(&reference_net, c, f32, REFERENCE_CONTEXT);
            make_data(&r, &reference_net, &d);
            double *grad = h_alloc(reference_net.np);
            H_OK(t_backward(&reference_net, d.p, d.X, d.ldx, d.dA, grad));
            take(&reference_net, &want);
            if (!clear_of_kinks(&reference_net, &want)) {
                skipped++;
            } else {
                /* test_reference.c's tolerance: 32 units of roundoff per
                 * layer and per √K, K the longest sum (the widest layer;
                 * no sum here runs over the rows) */
                size_t widest = 1;
                for (size_t l = 0; l < c->L; l++) {
                    widest = c->sp[l].n_in > widest ? c->sp[l].n_in : widest;
                    widest = c->sp[l].n_out > widest ? c->sp[l].n_out : widest;
                }
                double tol = 32.0 * (double)(c->L + 1) * sqrt((double)widest) *
                             unit_roundoff(&reference_net);
                for (size_t x = 0; x < N_CONTEXTS; x++) {
                    if (x == REFERENCE_CONTEXT) continue;
                    tnet t;
                    snapshot got;
                    tnet_open(&t, c, f32, x);
                    H_OK(t_backward(&t, d.p, d.X, d.ldx, d.dA, grad));
                    take(&t, &got);
                    for (size_t l = 0; l < c->L; l++) {
                        size_t n = c->rows * c->sp[l].n_out;
                        expect_close(&t, got.Z[l], want.Z[l], n, tol, "Z", l, CONTEXTS[x].name);
                        expect_close(&t, got.A[l], want.A[l], n, tol, "A", l, CONTEXTS[x].name);
                        expect_close(&t, got.dZ[l], want.dZ[l], n, tol, "dZ", l, CONTEXTS[x].name);
                    }
                    compared++;
                    release(c, &got);
                    tnet_close(&t);
                }
            }
            release(c, &want);
            free(grad);
            free_data(&d);
            tnet_close(&reference_net);
        }
    /* two fast contexts per case and precision; at most two of the
     * eighteen skipped at a kink */
    H_EXPECT(skipped <= 2 && compared == 2 * (2 * N_CASES - skipped),
             "%zu comparisons ran, %zu cases skipped at a ReLU kink", compared, skipped);
}

/* The argument errors of the three accessors, in both precisions; the
 * output pointer is left alone. */
static void test_accessor_errors(void **state) {
    (void)state;
    const bp_layer_spec sp[2] = { L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_IDENTITY) };
    bp_mlp *m = NULL;
    bp_mlp_f32 *mf = NULL;
    H_OK(bp_mlp_create(2, sp, BP_LOSS_MSE, 4, &m));
    H_OK(bp_mlp_create_f32(2, sp, BP_LOSS_MSE, 4, &mf));
    const double sentinel = 0.0;
    const float sentinel_f = 0.0f;
    const double *p = &sentinel;
    const float *pf = &sentinel_f;
    typedef bp_status (*acc_d)(const bp_mlp *, size_t, const double **);
    typedef bp_status (*acc_s)(const bp_mlp_f32 *, size_t, const float **);
    const acc_d D[] = { bp_mlp_preactivations, bp_mlp_activations, bp_mlp_deltas };
    const acc_s S[] = { bp_mlp_preactivations_f32, bp_mlp_activations_f32, bp_mlp_deltas_f32 };
    for (size_t a = 0; a < 3; a++) {
        H_STATUS(BP_ERR_BAD_VALUE, D[a](m, 2, &p));
        H_STATUS(BP_ERR_BAD_VALUE, D[a](m, SIZE_MAX, &p));
        H_STATUS(BP_ERR_NULL_POINTER, D[a](NULL, 0, &p));
        H_STATUS(BP_ERR_NULL_POINTER, D[a](m, 0, NULL));
        H_EXPECT(p == &sentinel, "accessor %zu wrote its output on an error", a);
        H_STATUS(BP_ERR_BAD_VALUE, S[a](mf, 2, &pf));
        H_STATUS(BP_ERR_BAD_VALUE, S[a](mf, SIZE_MAX, &pf));
        H_STATUS(BP_ERR_NULL_POINTER, S[a](NULL, 0, &pf));
        H_STATUS(BP_ERR_NULL_POINTER, S[a](mf, 0, NULL));
        H_EXPECT(pf == &sentinel_f, "float accessor %zu wrote its output on an error", a);
        /* every layer answers, each table its own buffer */
        const double *first = NULL, *second = NULL;
        H_OK(D[a](m, 0, &first));
        H_OK(D[a](m, 1, &second));
        H_EXPECT(first != NULL && second != NULL && first != second,
                 "accessor %zu: layers 0 and 1 share a buffer", a);
    }
    const double *z = NULL, *act = NULL, *dz = NULL;
    H_OK(bp_mlp_preactivations(m, 1, &z));
    H_OK(bp_mlp_activations(m, 1, &act));
    H_OK(bp_mlp_deltas(m, 1, &dz));
    H_EXPECT(z != act && act != dz && z != dz, "Z, A and dZ of a layer share a buffer");
    bp_mlp_free(m);
    bp_mlp_free_f32(mf);
}

int run_trace_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_quantities),
        cmocka_unit_test(test_backward_quantities),
        cmocka_unit_test(test_fast_paths_match_reference),
        cmocka_unit_test(test_accessor_errors),
    };
    return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
