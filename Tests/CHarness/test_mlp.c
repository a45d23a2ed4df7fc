/*
 * test_mlp.c — the whole-network engine of bp_mlp.h, against references
 * that never call bp_mlp:
 *
 *  - forward: the layer-by-layer composition of the individual kernels
 *    (bp_dgemm, bp_bias_add, bp_activation_forward), for networks whose
 *    layers take both paths of mlp.c (≤ 256 weights: a direct loop; more: the
 *    GEMM kernels), every activation, a padded X whose padding is NaN;
 *  - bp_mlp_preactivations: the Z of that composition, for the most recent
 *    forward pass;
 *  - bp_mlp_gradient: every parameter and input gradient against central
 *    finite differences of the loss (the loss bp_mlp_gradient returns with
 *    grad = NULL), for every loss kind, and against the manual backward
 *    composition of the kernels (bp_loss_compute*, bp_activation_backward,
 *    bp_weight_gradient, bp_bias_gradient, bp_input_gradient);
 *  - bp_mlp_backward with the MSE gradient as dA_out against
 *    bp_mlp_gradient with BP_LOSS_MSE;
 *  - bp_mlp_train_step against bp_mlp_gradient plus a plain-loop update,
 *    with and without an index permutation, with dense targets and labels,
 *    and its divergence reports;
 *  - every documented argument error, with the outputs left untouched, and
 *    the order in which bp_status.h says several faults are reported;
 *  - the narrow-network engine (training steps of networks at most 8 wide)
 *    against bp_mlp_gradient, which runs the dense kernels, for every
 *    activation and loss and batch sizes from 1 to 150, and its portable,
 *    AVX2 and AVX-512 builds against each other (one-row batches there run
 *    the engine's online path, tiny networks its register path); and 60
 *    online steps in a row against 60 steps of bp_mlp_gradient;
 *  - bp_mlp_train_epoch against the bp_mlp_train_step calls it stands for,
 *    bit for bit (double and float, every batch kind), where it stops when a
 *    step diverges, and its argument errors;
 *  - bp_mlp_train_epochs against the bp_mlp_train_epoch calls it stands
 *    for, bit for bit (rows in order and a new order every epoch), its
 *    snapshot, where it stops when an epoch diverges, and its argument
 *    errors.
 *
 * The parameter layout [W_0 | b_0 | W_1 | b_1 | ...] is recomputed here from
 * the header's description.
 */
#include "harness.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXL 4

/* ---- network descriptions ------------------------------------------------------------ */

typedef struct net_cfg {
    const char *name;
    size_t nl;
    bp_layer_spec ls[MAXL];
    bp_loss loss;
    int labels;         /* targets as class labels instead of dense Y */
} net_cfg;

#define L_(i, o, a) {(i), (o), (a), 0.0}
#define LEAKY_(i, o) {(i), (o), BP_ACT_LEAKY_RELU, 0.1}

static int is_fused(bp_loss loss)
{
    return loss == BP_LOSS_BCE_LOGITS || loss == BP_LOSS_SOFTMAX_CCE;
}

static int is_categorical(bp_loss loss)
{
    return loss == BP_LOSS_CCE || loss == BP_LOSS_SOFTMAX_CCE;
}

static size_t n_in0(const net_cfg *c) { return c->ls[0].n_in; }
static size_t n_out_last(const net_cfg *c) { return c->ls[c->nl - 1].n_out; }

/* Offsets of W_l and b_l in the flat parameter vector (bp_mlp.h layout). */
typedef struct layout { size_t w[MAXL], b[MAXL], total; } layout;

static layout make_layout(const net_cfg *c)
{
    layout o;
    memset(&o, 0, sizeof o);
    size_t off = 0;
    for (size_t l = 0; l < c->nl; l++) {
        o.w[l] = off;
        off += c->ls[l].n_in * c->ls[l].n_out;
        o.b[l] = off;
        off += c->ls[l].n_out;
    }
    o.total = off;
    return o;
}

/* W_l uniform on ±2/√n_in (pre-activations of order 1 for inputs in
 * [−1, 1]), b_l uniform on ±0.5. */
static void fill_params(h_rng *r, const net_cfg *c, const layout *o, double *p)
{
    for (size_t l = 0; l < c->nl; l++) {
        size_t ni = c->ls[l].n_in, no = c->ls[l].n_out;
        double s = 2.0 / sqrt((double)ni);
        h_fill(r, p + o->w[l], ni * no, -s, s);
        h_fill(r, p + o->b[l], no, -0.5, 0.5);
    }
}

/* ---- the reference network: the individual kernels, layer by layer ------------------------ */

typedef struct ref {
    const net_cfg *c;
    layout lay;
    double *Z[MAXL], *A[MAXL], *dZ[MAXL], *dA[MAXL];
} ref;

static void ref_init(ref *r, const net_cfg *c, size_t max_rows)
{
    r->c = c;
    r->lay = make_layout(c);
    for (size_t l = 0; l < c->nl; l++) {
        size_t n = max_rows * c->ls[l].n_out;
        r->Z[l] = h_alloc(n);
        r->A[l] = h_alloc(n);
        r->dZ[l] = h_alloc(n);
        r->dA[l] = h_alloc(n);
    }
}

static void ref_free(ref *r)
{
    for (size_t l = 0; l < r->c->nl; l++) {
        free(r->Z[l]);
        free(r->A[l]);
        free(r->dZ[l]);
        free(r->dA[l]);
    }
}

#define R_TRY(call)                                                            \
    do {                                                                       \
        bp_status r_s_ = (call);                                               \
        if (r_s_ != BP_OK) return r_s_;                                        \
    } while (0)

/* Z_l = A_{l−1}·W_l + b_l, A_l = f_l(Z_l). */
static bp_status ref_forward(ref *r, const double *p, size_t rows, const double *X,
                             size_t ldx)
{
    const net_cfg *c = r->c;
    for (size_t l = 0; l < c->nl; l++) {
        const bp_layer_spec *s = &c->ls[l];
        const double *in = l == 0 ? X : r->A[l - 1];
        size_t ld = l == 0 ? ldx : s->n_in;
        R_TRY(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, rows, s->n_out, s->n_in, 1.0, in, ld,
                       p + r->lay.w[l], s->n_out, 0.0, r->Z[l], s->n_out));
        R_TRY(bp_bias_add(rows, s->n_out, p + r->lay.b[l], r->Z[l], s->n_out));
        R_TRY(bp_activation_forward(s->act, s->param, rows, s->n_out, r->Z[l], r->A[l]));
    }
    return BP_OK;
}

/* Loss and backpropagation composed from the kernels. The fused losses read
 * the logits Z_L and give dZ_L directly; the others read A_L and go through
 * the output activation's backward pass (bp_mlp.h). */
static bp_status ref_gradient(ref *r, const double *p, size_t rows, const double *X,
                              size_t ldx, const double *Y, const size_t *lab,
                              double *loss, double *grad, double *dX)
{
    const net_cfg *c = r->c;
    size_t L = c->nl - 1, k = c->ls[L].n_out;
    R_TRY(ref_forward(r, p, rows, X, ldx));
    int fused = is_fused(c->loss);
    const double *pred = fused ? r->Z[L] : r->A[L];
    double *g = fused ? r->dZ[L] : r->dA[L];
    if (lab)
        R_TRY(bp_loss_compute_labels(c->loss, rows, k, pred, lab, loss, g));
    else
        R_TRY(bp_loss_compute(c->loss, rows, k, pred, Y, loss, g));
    if (!fused)
        R_TRY(bp_activation_backward(c->ls[L].act, c->ls[L].param, rows, k, r->Z[L],
                                     r->A[L], r->dA[L], r->dZ[L]));
    for (size_t l = L + 1; l-- > 0;) {
        const bp_layer_spec *s = &c->ls[l];
        const double *in = l == 0 ? X : r->A[l - 1];
        size_t ld = l == 0 ? ldx : s->n_in;
        const double *W = p + r->lay.w[l];
        R_TRY(bp_weight_gradient(rows, s->n_in, s->n_out, 1.0, in, ld, r->dZ[l], s->n_out,
                                 0.0, grad + r->lay.w[l], s->n_out));
        R_TRY(bp_bias_gradient(rows, s->n_out, 1.0, r->dZ[l], s->n_out, 0.0,
                               grad + r->lay.b[l]));
        if (l == 0) {
            if (dX)
                R_TRY(bp_input_gradient(rows, s->n_in, s->n_out, r->dZ[0], s->n_out, W,
                                        s->n_out, dX, s->n_in));
        } else {
            const bp_layer_spec *below = &c->ls[l - 1];
            R_TRY(bp_input_gradient(rows, s->n_in, s->n_out, r->dZ[l], s->n_out, W,
                                    s->n_out, r->dA[l - 1], s->n_in));
            R_TRY(bp_activation_backward(below->act, below->param, rows, below->n_out,
                                         r->Z[l - 1], r->A[l - 1], r->dA[l - 1],
                                         r->dZ[l - 1]));
        }
    }
    return BP_OK;
}

/* Distance of the nearest ReLU / leaky-ReLU pre-activation from the kink,
 * after ref_forward (+inf when the network has none). */
static double kink_distance(const ref *r, size_t rows)
{
    double d = INFINITY;
    for (size_t l = 0; l < r->c->nl; l++) {
        bp_activation a = r->c->ls[l].act;
        if (a != BP_ACT_RELU && a != BP_ACT_LEAKY_RELU)
            continue;
        for (size_t i = 0; i < rows * r->c->ls[l].n_out; i++)
            d = fmin(d, fabs(r->Z[l][i]));
    }
    return d;
}

/* ---- batches ------------------------------------------------------------------------------ */

typedef struct batch {
    size_t rows, ldx;
    double *X;      /* rows × n_in, leading dimension ldx, NaN padding */
    double *Y;      /* rows × k, contiguous */
    size_t *lab;    /* rows labels (Y one-hot of them for categorical losses) */
} batch;

/* Targets suited to the loss: MSE uniform on [−1, 1), binary losses {0, 1},
 * categorical one-hot rows of random labels. */
static void make_batch(h_rng *r, const net_cfg *c, size_t rows, size_t ldx, batch *b)
{
    size_t ni = n_in0(c), k = n_out_last(c);
    b->rows = rows;
    b->ldx = ldx;
    b->X = h_matrix(r, rows, ni, ldx, -1.0, 1.0, h_nan());
    b->Y = h_alloc(rows * k);
    b->lab = malloc(rows * sizeof *b->lab);
    for (size_t i = 0; i < rows; i++) {
        b->lab[i] = h_below(r, k);
        for (size_t j = 0; j < k; j++) {
            double *y = &b->Y[i * k + j];
            if (c->loss == BP_LOSS_MSE)
                *y = h_uniform(r, -1.0, 1.0);
            else if (is_categorical(c->loss))
                *y = j == b->lab[i] ? 1.0 : 0.0;
            else
                *y = (double)(h_next(r) & 1);
        }
    }
}

static void free_batch(batch *b)
{
    free(b->X);
    free(b->Y);
    free(b->lab);
}

static const double *targets_Y(const net_cfg *c, const batch *b)
{
    return c->labels ? NULL : b->Y;
}

static const size_t *targets_lab(const net_cfg *c, const batch *b)
{
    return c->labels ? b->lab : NULL;
}

/* Parameters drawn until every ReLU-type pre-activation of the batch is more
 * than 1e-3 from the kink: a finite-difference step of 1e-6 moves a
 * pre-activation by at most ~1e-5 here, so no step crosses a kink. */
static void draw_params(h_rng *r, const net_cfg *c, ref *rf, double *p, const batch *b)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        fill_params(r, c, &rf->lay, p);
        H_OK(ref_forward(rf, p, b->rows, b->X, b->ldx));
        if (kink_distance(rf, b->rows) > 1e-3)
            return;
    }
    H_EXPECT(0, "%s: no parameters in 100 draws keep ReLU inputs 1e-3 from 0", c->name);
}

/* The context create() attaches to its networks: NULL (one thread, the
 * step's separate passes), or one of test_fused_steps's contexts, with
 * which a dense network's steps fuse the SGD update into the
 * weight-gradient products (mlp_tmpl.h, P(descend)). */
static const bp_exec *g_context;

static bp_mlp *create(const net_cfg *c, size_t max_rows)
{
    bp_mlp *m = NULL;
    H_OK(bp_mlp_create(c->nl, c->ls, c->loss, max_rows, &m));
    H_EXPECT(m != NULL, "%s: bp_mlp_create gave no workspace", c->name);
    H_OK(bp_mlp_set_exec(m, g_context));
    return m;
}

/* max |x − y| / max |y| over n elements (+inf for a NaN or infinity). */
static double rel_err(const double *x, const double *y, size_t n)
{
    return h_normwise_err(1, n, x, n, y, n, h_max_abs(y, n));
}

/* ---- 1, 5. forward and pre-activations ----------------------------------------------------- */

/*
 * Tolerance 1e-13, norm-wise per matrix. mlp.c and the reference differ only
 * in the order of the sums (the direct path starts from b_j and adds x_k·w_kj
 * in increasing k; bp_dgemm may block, use FMA, and adds b last), so each
 * Z_ij differs by at most ~2·γ_{n_in+1}·(Σ_k |x_k·w_kj| + |b_j|)
 * ≈ 2·31·1.1e-16 ≈ 7e-15 of a scale that is within a small factor of max|Z|
 * for our data; activations are 1-Lipschitz (softmax too) and three layers
 * of weights of norm ~2 carry it to the output, below 1e-13.
 */
#define FWD_TOL 1e-13

static const net_cfg FWD_NETS[] = {
    /* every layer ≤ 256 weights: the direct loop path */
    {"3-5-2 relu/softmax", 2, {L_(3, 5, BP_ACT_RELU), L_(5, 2, BP_ACT_SOFTMAX)},
     BP_LOSS_MSE, 0},
    {"3-5-2 leaky/sigmoid", 2, {LEAKY_(3, 5), L_(5, 2, BP_ACT_SIGMOID)}, BP_LOSS_MSE, 0},
    {"3-5-4-2 tanh/identity/sigmoid", 3,
     {L_(3, 5, BP_ACT_TANH), L_(5, 4, BP_ACT_IDENTITY), L_(4, 2, BP_ACT_SIGMOID)},
     BP_LOSS_MSE, 0},
    /* 600 and 320 weights: the GEMM path, then 64 direct */
    {"30-20-16-4 relu/tanh/softmax", 3,
     {L_(30, 20, BP_ACT_RELU), L_(20, 16, BP_ACT_TANH), L_(16, 4, BP_ACT_SOFTMAX)},
     BP_LOSS_MSE, 0},
    {"30-20-16-4 leaky/sigmoid/identity", 3,
     {LEAKY_(30, 20), L_(20, 16, BP_ACT_SIGMOID), L_(16, 4, BP_ACT_IDENTITY)},
     BP_LOSS_MSE, 0},
    {"30-20-16-4 softmax/identity/tanh", 3,
     {L_(30, 20, BP_ACT_SOFTMAX), L_(20, 16, BP_ACT_IDENTITY), L_(16, 4, BP_ACT_TANH)},
     BP_LOSS_MSE, 0},
    /* 30-20-10-4: 600 weights on GEMM, 200 and 40 direct */
    {"30-20-10-4 tanh/relu/leaky", 3,
     {L_(30, 20, BP_ACT_TANH), L_(20, 10, BP_ACT_RELU), LEAKY_(10, 4)}, BP_LOSS_MSE, 0},
    /* the threshold itself: 16·16 = 256 direct, 16·17 = 272 GEMM */
    {"16-16-17-3 sigmoid/leaky/softmax", 3,
     {L_(16, 16, BP_ACT_SIGMOID), LEAKY_(16, 17), L_(17, 3, BP_ACT_SOFTMAX)},
     BP_LOSS_MSE, 0},
};

/* bp_mlp_forward on one batch against the reference; every layer's Z
 * through bp_mlp_preactivations, the output copied to `out` and nothing
 * beyond rows × k written. */
static void check_forward(const net_cfg *c, bp_mlp *m, ref *rf, const double *p,
                          const batch *b)
{
    size_t k = n_out_last(c), rows = b->rows;
    double *out = h_alloc_fill(rows * k + 8, H_OUT_PAD);
    double *Xcopy = h_copy(b->X, rows * b->ldx);
    H_OK(bp_mlp_forward(m, p, rows, b->X, b->ldx, out));
    H_OK(ref_forward(rf, p, rows, b->X, b->ldx));
    double e = rel_err(out, rf->A[c->nl - 1], rows * k);
    H_EXPECT(e <= FWD_TOL, "%s, %zu rows: output differs from the kernel composition by "
             "%.3g (norm-wise relative)", c->name, rows, e);
    for (size_t l = 0; l < c->nl; l++) {
        const double *Z = NULL;
        H_OK(bp_mlp_preactivations(m, l, &Z));
        H_EXPECT(Z != NULL, "%s: no Z for layer %zu", c->name, l);
        /* every workspace buffer starts on a 64-byte line (mlp_tmpl.h) */
        H_EXPECT((uintptr_t)Z % 64 == 0, "%s: Z of layer %zu not 64-byte aligned", c->name, l);
        e = rel_err(Z, rf->Z[l], rows * c->ls[l].n_out);
        H_EXPECT(e <= FWD_TOL, "%s, %zu rows: Z of layer %zu differs by %.3g", c->name,
                 rows, l, e);
    }
    H_EXPECT(h_padding_intact(out, 1, rows * k, rows * k + 8, H_OUT_PAD),
             "%s: bp_mlp_forward wrote beyond rows × k outputs", c->name);
    H_EXPECT(h_same_bits(Xcopy, b->X, rows * b->ldx), "%s: X was modified", c->name);
    free(out);
    free(Xcopy);
}

static void test_forward_matches_kernel_composition(void **state)
{
    (void)state;
    h_rng r;
    h_seed(&r, 9001);
    for (size_t t = 0; t < sizeof FWD_NETS / sizeof FWD_NETS[0]; t++) {
        const net_cfg *c = &FWD_NETS[t];
        const size_t max_rows = 13;
        ref rf;
        ref_init(&rf, c, max_rows);
        bp_mlp *m = create(c, max_rows);
        layout o = make_layout(c);
        double *p = h_alloc(o.total);
        fill_params(&r, c, &o, p);
        double *pcopy = h_copy(p, o.total);
        /* ldx = n_in + 3 with NaN padding: any read of it poisons the output. */
        batch b1, b2, b3;
        make_batch(&r, c, 11, n_in0(c) + 3, &b1);
        make_batch(&r, c, 4, n_in0(c) + 1, &b2);
        make_batch(&r, c, max_rows, n_in0(c), &b3);
        check_forward(c, m, &rf, p, &b1);
        check_forward(c, m, &rf, p, &b2);   /* fewer rows, on a used workspace */
        check_forward(c, m, &rf, p, &b3);   /* rows == max_rows, ldx == n_in */
        H_EXPECT(h_same_bits(p, pcopy, o.total), "%s: params were modified", c->name);
        /* out == NULL is allowed and still runs the pass */
        H_OK(bp_mlp_forward(m, p, b1.rows, b1.X, b1.ldx, NULL));
        const double *Z = NULL;
        H_OK(bp_mlp_preactivations(m, 0, &Z));
        H_OK(ref_forward(&rf, p, b1.rows, b1.X, b1.ldx));
        H_EXPECT(rel_err(Z, rf.Z[0], b1.rows * c->ls[0].n_out) <= FWD_TOL,
                 "%s: forward with out == NULL did not run the pass", c->name);
        free_batch(&b1);
        free_batch(&b2);
        free_batch(&b3);
        free(p);
        free(pcopy);
        bp_mlp_free(m);
        ref_free(&rf);
    }
}

static void test_parameter_count(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof FWD_NETS / sizeof FWD_NETS[0]; t++) {
        const net_cfg *c = &FWD_NETS[t];
        size_t want = 0;
        for (size_t l = 0; l < c->nl; l++)
            want += c->ls[l].n_in * c->ls[l].n_out + c->ls[l].n_out;
        bp_mlp *m = create(c, 1);
        size_t got = 0;
        H_OK(bp_mlp_parameter_count(m, &got));
        H_EXPECT(got == want, "%s: %zu parameters, expected %zu", c->name, got, want);
        bp_mlp_free(m);
    }
}

/* bp_mlp_preactivations follows the most recent forward pass, whichever call
 * ran it (bp_mlp_gradient, bp_mlp_backward, bp_mlp_train_step). */
static void test_preactivations_follow_last_forward(void **state)
{
    (void)state;
    h_rng r;
    h_seed(&r, 9002);
    const net_cfg c = {"30-12-3 tanh/identity", 2,
                       {L_(30, 12, BP_ACT_TANH), L_(12, 3, BP_ACT_IDENTITY)},
                       BP_LOSS_MSE, 0};
    ref rf;
    ref_init(&rf, &c, 8);
    bp_mlp *m = create(&c, 8);
    layout o = make_layout(&c);
    double *p = h_alloc(o.total), *grad = h_alloc(o.total);
    fill_params(&r, &c, &o, p);
    batch a, b;
    make_batch(&r, &c, 8, 31, &a);
    make_batch(&r, &c, 3, 30, &b);
    double loss = 0.0;
    const double *Z = NULL;
    H_OK(bp_mlp_forward(m, p, a.rows, a.X, a.ldx, NULL));
    H_OK(bp_mlp_gradient(m, p, b.rows, b.X, b.ldx, b.Y, NULL, &loss, grad, NULL));
    H_OK(ref_forward(&rf, p, b.rows, b.X, b.ldx));
    for (size_t l = 0; l < c.nl; l++) {
        H_OK(bp_mlp_preactivations(m, l, &Z));
        H_EXPECT(rel_err(Z, rf.Z[l], b.rows * c.ls[l].n_out) <= FWD_TOL,
                 "after bp_mlp_gradient: Z of layer %zu is not that of its batch", l);
    }
    H_OK(bp_mlp_backward(m, p, a.rows, a.X, a.ldx, a.Y, grad, NULL));
    H_OK(ref_forward(&rf, p, a.rows, a.X, a.ldx));
    H_OK(bp_mlp_preactivations(m, 1, &Z));
    H_EXPECT(rel_err(Z, rf.Z[1], a.rows * 3) <= FWD_TOL,
             "after bp_mlp_backward: Z of layer 1 is not that of its batch");
    /* train_step: the forward pass ran with the parameters before the update */
    double *p0 = h_copy(p, o.total);
    int diverged = -1;
    H_OK(bp_mlp_train_step(m, p, b.X, b.ldx, b.Y, NULL, NULL, 0, b.rows, 0.1, &loss,
                           &diverged));
    H_EXPECT(diverged == 0, "train step diverged (%d)", diverged);
    H_OK(ref_forward(&rf, p0, b.rows, b.X, b.ldx));
    H_OK(bp_mlp_preactivations(m, 0, &Z));
    H_EXPECT(rel_err(Z, rf.Z[0], b.rows * 12) <= FWD_TOL,
             "after bp_mlp_train_step: Z of layer 0 is not that of the step's forward pass");
    /* a layer that does not exist; Z is left alone */
    const double sentinel = 0.0;
    Z = &sentinel;
    H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_preactivations(m, c.nl, &Z));
    H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_preactivations(m, SIZE_MAX, &Z));
    H_EXPECT(Z == &sentinel, "bp_mlp_preactivations wrote Z on an error");
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_preactivations(NULL, 0, &Z));
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_preactivations(m, 0, NULL));
    free_batch(&a);
    free_batch(&b);
    free(p);
    free(p0);
    free(grad);
    bp_mlp_free(m);
    ref_free(&rf);
}

/* ---- 2. gradients against finite differences and the kernel composition -------------------- */

/*
 * Finite differences: g ≈ (L(θ + ε) − L(θ − ε)) / ((θ + ε) − (θ − ε)),
 * ε = 1e-6, dividing by the step actually taken. L is the loss of
 * bp_mlp_gradient with grad = dX = NULL. Truncation error is O(ε²·L''') ≈
 * 1e-12; rounding error is about 2u·|L±|/(2ε) per difference, so
 * the analytic and numerical values are compared relative to
 *     max(|a|, |n|, 4u·max(|L±|, 1)/ε / 1e-6)
 * (u = 2^-53): below that floor (≈ 4.4e-4 for an O(1) loss) finite
 * differences cannot resolve 1e-6 relative, and such entries are held to
 * ~4.4e-10 absolute instead. The error must stay below 1e-6, and every block
 * (each W_l, each b_l, dX) must have an entry above the floor, so no check
 * passes vacuously on zero gradients.
 *
 * The manual composition uses the same kernels as mlp.c's GEMM path, with
 * different summation orders on its direct path: results agree to a few
 * ulps of each block's scale; 1e-12 norm-wise leaves a wide margin.
 */
#define FD_EPS 1e-6
#define FD_TOL 1e-6
#define U_ROUND 0x1.0p-53
#define COMPOSE_TOL 1e-12

static double mlp_loss(bp_mlp *m, const net_cfg *c, const double *p, const batch *b)
{
    double L = h_nan();
    bp_status s = bp_mlp_gradient(m, p, b->rows, b->X, b->ldx, targets_Y(c, b),
                                  targets_lab(c, b), &L, NULL, NULL);
    return s == BP_OK ? L : h_nan();
}

typedef struct fd_stats {
    double worst, max_an, max_fd, floor_min;
    size_t at;
    double an_at, fd_at;
} fd_stats;

/* Compares an[i] with the central difference of the loss along x[stride·i]
 * (x points into p or b->X) for i < count. */
static fd_stats fd_block(bp_mlp *m, const net_cfg *c, double *p, const batch *b,
                         double *x, size_t count, size_t row_len, size_t stride,
                         const double *an)
{
    fd_stats s = {0.0, 0.0, 0.0, INFINITY, 0, 0.0, 0.0};
    for (size_t i = 0; i < count; i++) {
        /* element i of a row_len-wide block stored with leading dimension stride */
        double *xi = &x[(i / row_len) * stride + i % row_len];
        const double x0 = *xi;
        volatile double xp = x0 + FD_EPS, xm = x0 - FD_EPS;
        *xi = xp;
        double Lp = mlp_loss(m, c, p, b);
        *xi = xm;
        double Lm = mlp_loss(m, c, p, b);
        *xi = x0;
        double fd = (Lp - Lm) / (xp - xm);
        double floor = 4.0 * U_ROUND * fmax(fmax(fabs(Lp), fabs(Lm)), 1.0) / FD_EPS / FD_TOL;
        double e = fabs(an[i] - fd) / fmax(fmax(fabs(an[i]), fabs(fd)), floor);
        if (isnan(e))
            e = INFINITY;
        if (e > s.worst || i == 0) {
            s.worst = e;
            s.at = i;
            s.an_at = an[i];
            s.fd_at = fd;
        }
        s.max_an = fmax(s.max_an, fabs(an[i]));
        s.max_fd = fmax(s.max_fd, fabs(fd));
        s.floor_min = fmin(s.floor_min, floor);
    }
    return s;
}

static void expect_fd(const net_cfg *c, const char *what, size_t layer, fd_stats s)
{
    H_EXPECT(s.worst < FD_TOL, "%s: %s of layer %zu, entry %zu: analytic %.12g, finite "
             "difference %.12g (error %.3g)", c->name, what, layer, s.at, s.an_at,
             s.fd_at, s.worst);
    H_EXPECT(s.max_an > s.floor_min && s.max_fd > s.floor_min,
             "%s: %s of layer %zu is below the noise floor %.3g everywhere (max |analytic| "
             "%.3g, max |fd| %.3g): the check would be vacuous", c->name, what, layer,
             s.floor_min, s.max_an, s.max_fd);
}

static const net_cfg GRAD_NETS[] = {
    /* MSE on an identity output; a softmax hidden layer (its Jacobian in the
     * middle of the network); 360 weights on the GEMM path */
    {"MSE identity 30-12-5-3", 3,
     {L_(30, 12, BP_ACT_RELU), L_(12, 5, BP_ACT_SOFTMAX), L_(5, 3, BP_ACT_IDENTITY)},
     BP_LOSS_MSE, 0},
    {"MSE tanh 3-5-2", 2, {LEAKY_(3, 5), L_(5, 2, BP_ACT_TANH)}, BP_LOSS_MSE, 0},
    {"BCE sigmoid 30-12-4", 2, {L_(30, 12, BP_ACT_TANH), L_(12, 4, BP_ACT_SIGMOID)},
     BP_LOSS_BCE, 0},
    {"BCE_LOGITS sigmoid 24-12-3", 2, {L_(24, 12, BP_ACT_RELU), L_(12, 3, BP_ACT_SIGMOID)},
     BP_LOSS_BCE_LOGITS, 0},
    {"CCE softmax 20-14-4", 2, {L_(20, 14, BP_ACT_SIGMOID), L_(14, 4, BP_ACT_SOFTMAX)},
     BP_LOSS_CCE, 0},
    {"CCE softmax labels 3-5-4", 2, {L_(3, 5, BP_ACT_IDENTITY), L_(5, 4, BP_ACT_SOFTMAX)},
     BP_LOSS_CCE, 1},
    {"SOFTMAX_CCE one-hot 30-10-5-4", 3,
     {LEAKY_(30, 10), L_(10, 5, BP_ACT_TANH), L_(5, 4, BP_ACT_SOFTMAX)},
     BP_LOSS_SOFTMAX_CCE, 0},
    {"SOFTMAX_CCE labels 30-10-5-4", 3,
     {LEAKY_(30, 10), L_(10, 5, BP_ACT_TANH), L_(5, 4, BP_ACT_SOFTMAX)},
     BP_LOSS_SOFTMAX_CCE, 1},
};

static void check_gradient(const net_cfg *c, uint64_t seed)
{
    h_rng r;
    h_seed(&r, seed);
    const size_t rows = 6, max_rows = 8, ni = n_in0(c);
    ref rf;
    ref_init(&rf, c, max_rows);
    bp_mlp *m = create(c, max_rows);
    layout o = rf.lay;
    batch b;
    make_batch(&r, c, rows, ni + 2, &b);
    double *p = h_alloc(o.total);
    draw_params(&r, c, &rf, p, &b);

    double *grad = h_alloc_fill(o.total, H_OUT_PAD), *dX = h_alloc_fill(rows * ni, H_OUT_PAD);
    double *rgrad = h_alloc(o.total), *rdX = h_alloc(rows * ni);
    double L = h_nan(), rL = h_nan();
    H_OK(bp_mlp_gradient(m, p, rows, b.X, b.ldx, targets_Y(c, &b), targets_lab(c, &b), &L,
                         grad, dX));
    H_OK(ref_gradient(&rf, p, rows, b.X, b.ldx, targets_Y(c, &b), targets_lab(c, &b), &rL,
                      rgrad, rdX));
    H_EXPECT(isfinite(L) && fabs(L - rL) <= COMPOSE_TOL * fabs(rL),
             "%s: loss %.17g, kernel composition %.17g", c->name, L, rL);

    /* against the kernel composition */
    for (size_t l = 0; l < c->nl; l++) {
        size_t nw = c->ls[l].n_in * c->ls[l].n_out, nb = c->ls[l].n_out;
        double ew = rel_err(grad + o.w[l], rgrad + o.w[l], nw);
        double eb = rel_err(grad + o.b[l], rgrad + o.b[l], nb);
        H_EXPECT(ew <= COMPOSE_TOL, "%s: dW of layer %zu differs from the kernel "
                 "composition by %.3g", c->name, l, ew);
        H_EXPECT(eb <= COMPOSE_TOL, "%s: db of layer %zu differs from the kernel "
                 "composition by %.3g", c->name, l, eb);
    }
    double ex = rel_err(dX, rdX, rows * ni);
    H_EXPECT(ex <= COMPOSE_TOL, "%s: dX differs from the kernel composition by %.3g",
             c->name, ex);

    /* against finite differences of the loss, every entry */
    for (size_t l = 0; l < c->nl; l++) {
        size_t nw = c->ls[l].n_in * c->ls[l].n_out, nb = c->ls[l].n_out;
        expect_fd(c, "dW", l, fd_block(m, c, p, &b, p + o.w[l], nw, nw, nw, grad + o.w[l]));
        expect_fd(c, "db", l, fd_block(m, c, p, &b, p + o.b[l], nb, nb, nb, grad + o.b[l]));
    }
    expect_fd(c, "dX", 0, fd_block(m, c, p, &b, b.X, rows * ni, ni, b.ldx, dX));
    H_EXPECT(h_padding_intact(b.X, rows, ni, b.ldx, h_nan()), "%s: X padding changed",
             c->name);

    /* dX alone (grad == NULL) is the same dX; grad alone the same grad */
    double *dX2 = h_alloc_fill(rows * ni, H_OUT_PAD), *grad2 = h_alloc_fill(o.total, H_OUT_PAD);
    double L2 = h_nan();
    H_OK(bp_mlp_gradient(m, p, rows, b.X, b.ldx, targets_Y(c, &b), targets_lab(c, &b), &L2,
                         NULL, dX2));
    H_EXPECT(h_same_bits(dX, dX2, rows * ni) && L2 == L,
             "%s: dX (or the loss) with grad == NULL differs from the full call", c->name);
    H_OK(bp_mlp_gradient(m, p, rows, b.X, b.ldx, targets_Y(c, &b), targets_lab(c, &b), &L2,
                         grad2, NULL));
    H_EXPECT(h_same_bits(grad, grad2, o.total) && L2 == L,
             "%s: grad with dX == NULL differs from the full call", c->name);

    free(dX2);
    free(grad2);
    free(grad);
    free(dX);
    free(rgrad);
    free(rdX);
    free(p);
    free_batch(&b);
    bp_mlp_free(m);
    ref_free(&rf);
}

static void test_gradient_mse(void **state)
{
    (void)state;
    check_gradient(&GRAD_NETS[0], 9101);
    check_gradient(&GRAD_NETS[1], 9102);
}

static void test_gradient_bce(void **state)
{
    (void)state;
    check_gradient(&GRAD_NETS[2], 9103);
    check_gradient(&GRAD_NETS[3], 9104);
}

static void test_gradient_cce(void **state)
{
    (void)state;
    check_gradient(&GRAD_NETS[4], 9105);
    check_gradient(&GRAD_NETS[5], 9106);
}

static void test_gradient_softmax_cce(void **state)
{
    (void)state;
    check_gradient(&GRAD_NETS[6], 9107);
    check_gradient(&GRAD_NETS[7], 9108);
}

/* ---- 3. bp_mlp_backward ----------------------------------------------------------------------- */

/*
 * dA_out = 2(A − Y)/(n·k), the MSE gradient, computed here from the
 * reference forward pass; bp_mlp_gradient with BP_LOSS_MSE computes the
 * same from its own A. The two differ by the rounding of A (≤ 1e-13 above)
 * and of the scaling, so grad and dX agree to 1e-13 norm-wise.
 */
#define BACKWARD_TOL 1e-13

static void test_backward_equals_mse_gradient(void **state)
{
    (void)state;
    static const net_cfg nets[] = {
        {"30-12-3 relu/identity", 2, {L_(30, 12, BP_ACT_RELU), L_(12, 3, BP_ACT_IDENTITY)},
         BP_LOSS_MSE, 0},
        {"3-5-2 tanh/tanh", 2, {L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_TANH)}, BP_LOSS_MSE, 0},
        {"20-14-4 sigmoid/softmax", 2, {L_(20, 14, BP_ACT_SIGMOID), L_(14, 4, BP_ACT_SOFTMAX)},
         BP_LOSS_MSE, 0},
    };
    h_rng r;
    h_seed(&r, 9201);
    for (size_t t = 0; t < sizeof nets / sizeof nets[0]; t++) {
        const net_cfg *c = &nets[t];
        const size_t rows = 7, ni = n_in0(c), k = n_out_last(c);
        ref rf;
        ref_init(&rf, c, rows);
        bp_mlp *m = create(c, rows);
        layout o = rf.lay;
        batch b;
        make_batch(&r, c, rows, ni + 1, &b);
        double *p = h_alloc(o.total);
        draw_params(&r, c, &rf, p, &b);
        H_OK(ref_forward(&rf, p, rows, b.X, b.ldx));
        double *dA = h_alloc(rows * k);
        for (size_t i = 0; i < rows * k; i++)
            dA[i] = 2.0 * (rf.A[c->nl - 1][i] - b.Y[i]) / (double)(rows * k);
        double *dAcopy = h_copy(dA, rows * k);
        double *g1 = h_alloc(o.total), *g2 = h_alloc(o.total), *g3 = h_alloc(o.total);
        double *x1 = h_alloc(rows * ni), *x2 = h_alloc(rows * ni);
        double L = 0.0;
        H_OK(bp_mlp_backward(m, p, rows, b.X, b.ldx, dA, g1, x1));
        H_OK(bp_mlp_gradient(m, p, rows, b.X, b.ldx, b.Y, NULL, &L, g2, x2));
        double eg = rel_err(g1, g2, o.total), ex = rel_err(x1, x2, rows * ni);
        H_EXPECT(eg <= BACKWARD_TOL, "%s: backward grad differs from the MSE gradient by %.3g",
                 c->name, eg);
        H_EXPECT(ex <= BACKWARD_TOL, "%s: backward dX differs from the MSE gradient by %.3g",
                 c->name, ex);
        H_EXPECT(h_max_abs(g2, o.total) > 1e-3, "%s: gradient (nearly) zero", c->name);
        /* dX == NULL: the same grad */
        H_OK(bp_mlp_backward(m, p, rows, b.X, b.ldx, dA, g3, NULL));
        H_EXPECT(h_same_bits(g1, g3, o.total), "%s: backward grad depends on dX == NULL",
                 c->name);
        H_EXPECT(h_same_bits(dA, dAcopy, rows * k), "%s: dA_out was modified", c->name);
        free(dA); free(dAcopy); free(g1); free(g2); free(g3); free(x1); free(x2); free(p);
        free_batch(&b);
        bp_mlp_free(m);
        ref_free(&rf);
    }
}

/* ---- 4. bp_mlp_train_step ---------------------------------------------------------------------- */

/*
 * train_step = bp_mlp_gradient, then params −= lr·grad. The step's gradient
 * comes from the same code as bp_mlp_gradient's, and daxpy computes
 * p + (−lr)·g with at most one rounding more than the plain loop here (or one
 * fewer, with FMA): each parameter may differ by ~2u·(|p| + |lr·g|), well
 * inside 1e-14 of that scale.
 *
 * The gathered (indices) batch and a contiguous copy of the same rows run the
 * same arithmetic; only buffer addresses differ, so results are expected
 * bitwise, and are held to 1e-15 relative in case a GEMM kernel takes an
 * alignment-dependent path.
 */
#define STEP_TOL 1e-14
#define GATHER_TOL 1e-15

static void expect_update(const char *name, const double *got, const double *p0,
                          const double *g, double lr, size_t n)
{
    double worst = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double want = p0[i] - lr * g[i];
        double e = fabs(got[i] - want) / (fabs(p0[i]) + fabs(lr * g[i]));
        if (!(e <= worst)) {
            worst = isnan(e) ? INFINITY : e;
            at = i;
        }
    }
    H_EXPECT(worst <= STEP_TOL, "%s: parameter %zu is %.17g after the step, expected "
             "%.17g − %g·%.17g (error %.3g)", name, at, got[at], p0[at], lr, g[at], worst);
}

static void expect_close(const char *name, const char *what, const double *x,
                         const double *y, size_t n)
{
    double e = h_same_bits(x, y, n) ? 0.0 : rel_err(x, y, n);
    H_EXPECT(e <= GATHER_TOL, "%s: %s differ by %.3g", name, what, e);
}

/* One step on rows start .. start+rows of (X, ldx), against gradient+update. */
static void check_step_equals_gradient(const net_cfg *c, uint64_t seed)
{
    h_rng r;
    h_seed(&r, seed);
    const size_t N = 10, start = 2, rows = 5, ni = n_in0(c);
    const double lr = 0.05;
    ref rf;
    ref_init(&rf, c, N);
    bp_mlp *m = create(c, 6);
    layout o = rf.lay;
    batch all;
    make_batch(&r, c, N, ni + 2, &all);
    double *p = h_alloc(o.total), *g = h_alloc(o.total);
    fill_params(&r, c, &o, p);
    double *p0 = h_copy(p, o.total);
    const double *Yb = c->labels ? NULL : all.Y + start * n_out_last(c);
    const size_t *lb = c->labels ? all.lab + start : NULL;
    double Lg = h_nan(), Ls = h_nan();
    H_OK(bp_mlp_gradient(m, p, rows, all.X + start * all.ldx, all.ldx, Yb, lb, &Lg, g, NULL));
    H_EXPECT(h_max_abs(g, o.total) > 1e-3, "%s: gradient (nearly) zero", c->name);
    int diverged = -1;
    H_OK(bp_mlp_train_step(m, p, all.X, all.ldx, targets_Y(c, &all), targets_lab(c, &all),
                           NULL, start, rows, lr, &Ls, &diverged));
    H_EXPECT(diverged == 0, "%s: diverged = %d on a normal step", c->name, diverged);
    expect_update(c->name, p, p0, g, lr, o.total);
    /* the loss reported is the loss before the update ... */
    H_EXPECT(Ls == Lg || fabs(Ls - Lg) <= GATHER_TOL * fabs(Lg),
             "%s: step loss %.17g, loss of the batch before the step %.17g", c->name, Ls, Lg);
    /* ... which is not the loss after it (so the check above can tell) */
    double Lafter = h_nan();
    H_OK(bp_mlp_gradient(m, p, rows, all.X + start * all.ldx, all.ldx, Yb, lb, &Lafter,
                         NULL, NULL));
    H_EXPECT(Lafter < Lg && fabs(Lafter - Lg) > 1e6 * GATHER_TOL * Lg,
             "%s: loss %.17g before the step, %.17g after: the step should lower it "
             "measurably", c->name, Lg, Lafter);
    free(p); free(p0); free(g);
    free_batch(&all);
    bp_mlp_free(m);
    ref_free(&rf);
}

static const net_cfg STEP_NETS[] = {
    {"step MSE 30-12-3", 2, {L_(30, 12, BP_ACT_TANH), L_(12, 3, BP_ACT_IDENTITY)},
     BP_LOSS_MSE, 0},
    {"step SOFTMAX_CCE labels 3-5-4", 2, {LEAKY_(3, 5), L_(5, 4, BP_ACT_SOFTMAX)},
     BP_LOSS_SOFTMAX_CCE, 1},
    {"step CCE labels 20-14-4", 2, {L_(20, 14, BP_ACT_TANH), L_(14, 4, BP_ACT_SOFTMAX)},
     BP_LOSS_CCE, 1},
    {"step BCE_LOGITS 3-5-2", 2, {L_(3, 5, BP_ACT_RELU), L_(5, 2, BP_ACT_SIGMOID)},
     BP_LOSS_BCE_LOGITS, 0},
};

static void test_train_step_equals_gradient_and_update(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof STEP_NETS / sizeof STEP_NETS[0]; t++)
        check_step_equals_gradient(&STEP_NETS[t], 9301 + t);
}

/* With indices, the batch is rows indices[start .. start+rows): the same as
 * a step on those rows copied contiguously, and not the same as a step on
 * rows start .. start+rows themselves. */
static void check_step_with_indices(const net_cfg *c, uint64_t seed)
{
    h_rng r;
    h_seed(&r, seed);
    const size_t N = 11, start = 3, rows = 5, ni = n_in0(c), k = n_out_last(c);
    const double lr = 0.1;
    bp_mlp *m = create(c, rows);
    layout o = make_layout(c);
    batch all;
    make_batch(&r, c, N, ni + 3, &all);
    /* a random permutation (Fisher–Yates with the harness generator) */
    size_t idx[11];
    for (size_t i = 0; i < N; i++)
        idx[i] = i;
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = h_below(&r, i + 1), tmp = idx[i];
        idx[i] = idx[j];
        idx[j] = tmp;
    }
    /* the selected rows, copied contiguously by hand */
    double *Xc = h_alloc(rows * ni), *Yc = h_alloc(rows * k);
    size_t labc[5];
    for (size_t i = 0; i < rows; i++) {
        size_t src = idx[start + i];
        memcpy(Xc + i * ni, all.X + src * all.ldx, ni * sizeof(double));
        memcpy(Yc + i * k, all.Y + src * k, k * sizeof(double));
        labc[i] = all.lab[src];
    }
    /* at least one selected row lies outside start .. start+rows, so a step
     * that ignored indices could not match */
    int moved = 0;
    for (size_t i = 0; i < rows; i++)
        moved |= idx[start + i] < start || idx[start + i] >= start + rows;
    H_EXPECT(moved, "%s: the permutation selects rows %zu..%zu again; pick another seed",
             c->name, start, start + rows);

    double *p = h_alloc(o.total);
    fill_params(&r, c, &o, p);
    double *pa = h_copy(p, o.total), *pb = h_copy(p, o.total), *pc = h_copy(p, o.total);
    double La = h_nan(), Lb = h_nan(), Lc = h_nan();
    int da = -1, db = -1, dc = -1;
    H_OK(bp_mlp_train_step(m, pa, all.X, all.ldx, targets_Y(c, &all), targets_lab(c, &all),
                           idx, start, rows, lr, &La, &da));
    H_OK(bp_mlp_train_step(m, pb, Xc, ni, c->labels ? NULL : Yc, c->labels ? labc : NULL,
                           NULL, 0, rows, lr, &Lb, &db));
    H_OK(bp_mlp_train_step(m, pc, all.X, all.ldx, targets_Y(c, &all), targets_lab(c, &all),
                           NULL, start, rows, lr, &Lc, &dc));
    H_EXPECT(da == 0 && db == 0 && dc == 0, "%s: diverged %d %d %d", c->name, da, db, dc);
    expect_close(c->name, "parameters after the gathered and the contiguous step", pa, pb,
                 o.total);
    expect_close(c->name, "losses of the gathered and the contiguous step", &La, &Lb, 1);
    H_EXPECT(!h_same_bits(pa, pc, o.total) && La != Lc,
             "%s: the indexed step equals a step on rows %zu..%zu: indices were ignored",
             c->name, start, start + rows);
    free(Xc); free(Yc); free(p); free(pa); free(pb); free(pc);
    free_batch(&all);
    bp_mlp_free(m);
}

static void test_train_step_with_indices(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof STEP_NETS / sizeof STEP_NETS[0]; t++)
        check_step_with_indices(&STEP_NETS[t], 9401 + t);
}

/* Divergence: a non-finite loss or gradient leaves the parameters alone
 * (*diverged = 1); an update that overflows reports *diverged = 2. */
/* A divergence case's set-up: the network (batches of up to `rows`), its
 * layout, a batch of `rows` rows (leading dimension ldx) and parameters,
 * drawn from r in that order. */
static bp_mlp *divergence_case(h_rng *r, const net_cfg *c, size_t rows, size_t ldx, layout *o,
                               batch *b, double **p)
{
    bp_mlp *m = create(c, rows);
    *o = make_layout(c);
    make_batch(r, c, rows, ldx, b);
    *p = h_alloc(o->total);
    fill_params(r, c, o, *p);
    return m;
}

static void test_train_step_divergence(void **state)
{
    (void)state;
    h_rng r;
    h_seed(&r, 9501);
    /* every case below sets these up afresh (divergence_case) */
    layout o;
    batch b;
    double *p;
    /* 1. a NaN in the batch: loss NaN */
    {
        const net_cfg c = {"3-5-2 tanh/identity", 2,
                           {L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_IDENTITY)},
                           BP_LOSS_MSE, 0};
        bp_mlp *m = divergence_case(&r, &c, 4, 4, &o, &b, &p);
        double *p0 = h_copy(p, o.total);
        b.X[2 * b.ldx + 1] = h_nan();
        double L = 0.0;
        int d = -1;
        H_OK(bp_mlp_train_step(m, p, b.X, b.ldx, b.Y, NULL, NULL, 0, 4, 0.1, &L, &d));
        H_EXPECT(d == 1, "NaN input: diverged = %d, expected 1", d);
        H_EXPECT(!isfinite(L), "NaN input: loss %.17g", L);
        H_EXPECT(h_same_bits(p, p0, o.total), "NaN input: parameters changed");
        /* the same through indices */
        size_t idx[4] = {3, 2, 1, 0};
        d = -1;
        H_OK(bp_mlp_train_step(m, p, b.X, b.ldx, b.Y, NULL, idx, 1, 3, 0.1, &L, &d));
        H_EXPECT(d == 1 && h_same_bits(p, p0, o.total),
                 "NaN input via indices: diverged = %d, or parameters changed", d);
        free(p); free(p0);
        free_batch(&b);
        bp_mlp_free(m);
    }
    /* 2. a huge row through identity layers: the MSE loss overflows to +inf */
    {
        const net_cfg c = {"3-4-2 identity", 2,
                           {L_(3, 4, BP_ACT_IDENTITY), L_(4, 2, BP_ACT_IDENTITY)},
                           BP_LOSS_MSE, 0};
        bp_mlp *m = divergence_case(&r, &c, 3, 3, &o, &b, &p);
        double *p0 = h_copy(p, o.total);
        for (size_t j = 0; j < 3; j++)
            b.X[1 * b.ldx + j] = 1e300;
        double L = 0.0;
        int d = -1;
        H_OK(bp_mlp_train_step(m, p, b.X, b.ldx, b.Y, NULL, NULL, 0, 3, 0.1, &L, &d));
        H_EXPECT(d == 1, "1e300 input: diverged = %d, expected 1 (loss %.3g)", d, L);
        H_EXPECT(h_same_bits(p, p0, o.total), "1e300 input: parameters changed");
        free(p); free(p0);
        free_batch(&b);
        bp_mlp_free(m);
    }
    /* 3. a finite loss with an infinite gradient: 1-1-1, x = 1e300,
     * W1 = 1e-20, W2 = 1e10, sigmoid output on logits, y = 0. Then
     * z2 = 1e290, loss = z2 = 1e290 (finite), dz2 = σ(z2) − 0 = 1,
     * dz1 = W2·dz2 = 1e10 and dW1 = x·dz1 = 1e310 = +inf. */
    {
        const net_cfg c = {"1-1-1 identity/sigmoid", 2,
                           {L_(1, 1, BP_ACT_IDENTITY), L_(1, 1, BP_ACT_SIGMOID)},
                           BP_LOSS_BCE_LOGITS, 0};
        bp_mlp *m = create(&c, 1);
        double p[4] = {1e-20, 0.0, 1e10, 0.0}; /* W1 b1 W2 b2 */
        double p0[4];
        memcpy(p0, p, sizeof p);
        double X[1] = {1e300}, Y[1] = {0.0};
        double L = 0.0;
        int d = -1;
        H_OK(bp_mlp_train_step(m, p, X, 1, Y, NULL, NULL, 0, 1, 0.1, &L, &d));
        H_EXPECT(d == 1, "infinite gradient: diverged = %d, expected 1", d);
        H_EXPECT(L == 1e290 || fabs(L - 1e290) <= 1e-15 * 1e290,
                 "infinite gradient: loss %.17g, expected 1e290", L);
        H_EXPECT(h_same_bits(p, p0, 4), "infinite gradient: parameters changed");
        bp_mlp_free(m);
    }
    /* 4. a finite gradient, a learning rate of 1e308: the update overflows */
    {
        const net_cfg c = {"3-5-2 tanh/identity", 2,
                           {L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_IDENTITY)},
                           BP_LOSS_MSE, 0};
        bp_mlp *m = divergence_case(&r, &c, 4, 3, &o, &b, &p);
        for (size_t i = 0; i < 8; i++)
            b.Y[i] = 100.0;   /* far targets: |dL/db_2| ≈ 2·100/2 per output */
        double *g = h_alloc(o.total);
        double Lg = 0.0, L = 0.0;
        H_OK(bp_mlp_gradient(m, p, 4, b.X, b.ldx, b.Y, NULL, &Lg, g, NULL));
        H_EXPECT(h_all_finite(g, o.total) && h_max_abs(g, o.total) > 2.0,
                 "setup: need a finite gradient above 2 (max %.3g)", h_max_abs(g, o.total));
        int d = -1;
        H_OK(bp_mlp_train_step(m, p, b.X, b.ldx, b.Y, NULL, NULL, 0, 4, 1e308, &L, &d));
        H_EXPECT(d == 2, "overflowing update: diverged = %d, expected 2", d);
        H_EXPECT(!h_all_finite(p, o.total), "overflowing update: parameters all finite");
        H_EXPECT(L == Lg || fabs(L - Lg) <= GATHER_TOL * Lg,
                 "overflowing update: loss %.17g, expected the pre-step %.17g", L, Lg);
        free(p); free(g);
        free_batch(&b);
        bp_mlp_free(m);
    }
    /* 5. a modest step that pushes a weight at the largest double over, on
     * a dense network: W_1[0][0] = +DBL_MAX and W_1[1][0] = −DBL_MAX, with
     * x_0 = x_1 a power of two on every row, cancel exactly in z_0 (the
     * products are exact and equal, and adjacent in every kernel's sum over
     * the inputs, FMA or not), so the
     * loss and the gradient are finite; both weights get the same
     * gradient, so one of them grows. The learning rate makes that growth
     * 1e295, far above the weight's last place (~2e292), while η·|g| stays
     * below 1e306 for every weight: what overflows is the weight, not the
     * step. (With a context, this is the case the fused update must not
     * take on the strength of η·g alone.) */
    {
        const net_cfg c = {"30-12-3 tanh/identity", 2,
                           {L_(30, 12, BP_ACT_TANH), L_(12, 3, BP_ACT_IDENTITY)},
                           BP_LOSS_MSE, 0};
        bp_mlp *m = divergence_case(&r, &c, 4, 30, &o, &b, &p);
        for (size_t i = 0; i < 4; i++) b.X[i * b.ldx] = b.X[i * b.ldx + 1] = ldexp(1.0, -(int)i);
        double *g = h_alloc(o.total);
        p[o.w[0] + 0 * 12] = DBL_MAX;
        p[o.w[0] + 1 * 12] = -DBL_MAX;
        double Lg = 0.0, L = 0.0;
        H_OK(bp_mlp_gradient(m, p, 4, b.X, b.ldx, b.Y, NULL, &Lg, g, NULL));
        double g00 = fabs(g[o.w[0]]), lr = 1e295 / g00;
        H_EXPECT(isfinite(Lg) && h_all_finite(g, o.total) && g00 > 0 &&
                     lr * h_max_abs(g, o.total) < 1e306,
                 "setup: need a finite loss and gradient, dW_1[0][0] (%.3g) not far below the "
                 "largest (%.3g)", g00, h_max_abs(g, o.total));
        int d = -1;
        H_OK(bp_mlp_train_step(m, p, b.X, b.ldx, b.Y, NULL, NULL, 0, 4, lr, &L, &d));
        H_EXPECT(d == 2 && !h_all_finite(p, o.total),
                 "weight at DBL_MAX pushed over: diverged = %d, parameters %s", d,
                 h_all_finite(p, o.total) ? "finite" : "not finite");
        free(p); free(g);
        free_batch(&b);
        bp_mlp_free(m);
    }
}

/* A ReLU pre-activation that overflows to NaN (x·w = +inf on one input,
 * −inf on the other) must reach the loss (ReLU once made it a silent 0): the step reports diverged = 1
 * and changes nothing, for a narrow network (the narrow engine, one row and
 * a chunk) and a wide one (the dense kernels). */
static void test_train_step_nan_preactivation(void **state)
{
    (void)state;
    for (size_t width = 2; width <= 40; width += 38) {
        const net_cfg c = {"2-w-1 relu/identity", 2,
                           {L_(2, width, BP_ACT_RELU), L_(width, 1, BP_ACT_IDENTITY)},
                           BP_LOSS_MSE, 0};
        bp_mlp *m = create(&c, 8);
        layout o = make_layout(&c);
        double *p = h_alloc(o.total);
        for (size_t i = 0; i < o.total; i++) p[i] = 0.5;
        for (size_t j = 0; j < width; j++) {   /* W_0 row 0 = +1e10, row 1 = −1e10 */
            p[j] = 1e10;
            p[width + j] = -1e10;
        }
        double *p0 = h_copy(p, o.total);
        double X[16], Y[8];
        for (size_t r = 0; r < 8; r++) { X[2 * r] = X[2 * r + 1] = 1e300; Y[r] = 0.0; }
        for (size_t rows = 1; rows <= 8; rows += 7) {
            double L = 0.0;
            int d = -1;
            H_OK(bp_mlp_train_step(m, p, X, 2, Y, NULL, NULL, 0, rows, 0.1, &L, &d));
            /* (with FMA the sum is inf rather than NaN: fma(x, −w, +inf) is
             * +inf; either way the loss must not be finite) */
            H_EXPECT(d == 1 && !isfinite(L), "width %zu, %zu rows: a NaN pre-activation gave "
                     "diverged = %d, loss %g", width, rows, d, L);
            H_EXPECT(h_same_bits(p, p0, o.total), "width %zu, %zu rows: parameters changed",
                     width, rows);
        }
        free(p); free(p0);
        bp_mlp_free(m);
    }
}

/* One overflowing element in the gradient of a layer large enough for the
 * blocked GEMM (the divergence tests above use tiny networks): dW_1 —
 * in an interior strip, in the last rows and the partial last strip of
 * columns, and in between — from one sample in the last k-block of the
 * product (600 rows > KC), double and float, 1 and 2 threads (the product
 * is split by rows), each kernel set: the loss stays finite, the step
 * reports *diverged = 1 and the parameters keep their bits. Without the
 * huge input the same step applies an update.
 *
 * Network 160-75-3 identity/softmax, CCE on labels (never 0): W_1's row f
 * is tiny and x[r*][f] huge, so z_1 stays moderate but dW_1[f][j*] =
 * x[r*][f]·dZ_1[r*][j*] overflows, dZ_1[r*][j*] ≈ W_2[j*][0]/600 being
 * large through W_2[j*][0] = 1e12 alone (a row of equal values would
 * cancel: softmax − one-hot sums to 0). */
#define OVERFLOW_N_IN 160
#define OVERFLOW_HIDDEN 75
#define OVERFLOW_ROWS 600
#define OVERFLOW_CASE(NAME, T, MLP_T, CREATE, SET_EXEC, STEP, FREE, HUGE_X)                \
    static void NAME(size_t f, size_t jstar, size_t threads, unsigned kernels, int huge)   \
    {                                                                                      \
        const size_t n_in = OVERFLOW_N_IN, h = OVERFLOW_HIDDEN, k = 3, rows = OVERFLOW_ROWS; \
        const size_t rstar = rows - 10;                                                    \
        bp_layer_spec L[2] = { { n_in, h, BP_ACT_IDENTITY, 0 }, { h, k, BP_ACT_SOFTMAX, 0 } }; \
        MLP_T *m = NULL;                                                                   \
        bp_exec *ex = NULL;                                                                \
        H_OK(CREATE(2, L, BP_LOSS_SOFTMAX_CCE, rows, &m));                                 \
        H_OK(bp_exec_create_with(threads, kernels, &ex));                                  \
        H_OK(SET_EXEC(m, ex));                                                             \
        size_t total = n_in * h + h + h * k + k;                                           \
        T *p = malloc(total * sizeof *p), *p0 = malloc(total * sizeof *p0);                \
        T *X = malloc(rows * n_in * sizeof *X);                                            \
        size_t labels[OVERFLOW_ROWS];                                                      \
        h_rng r;                                                                           \
        h_seed(&r, 9601 + f);                                                              \
        for (size_t i = 0; i < total; i++) p[i] = (T)h_uniform_signed(&r, 0.01, 0.1);      \
        for (size_t j = 0; j < h; j++) p[f * h + j] = (T)(1 / HUGE_X);  /* W_1 row f */    \
        T *W2 = p + n_in * h + h;                                                          \
        for (size_t c = 0; c < k; c++) W2[jstar * k + c] = c == 0 ? (T)1e12 : (T)0;        \
        for (size_t i = 0; i < rows * n_in; i++) X[i] = (T)h_uniform_signed(&r, 0.1, 1.0); \
        if (huge) X[rstar * n_in + f] = (T)HUGE_X;                                         \
        for (size_t i = 0; i < rows; i++) labels[i] = 1 + h_below(&r, 2);                  \
        memcpy(p0, p, total * sizeof *p);                                                  \
        double loss = 0.0;                                                                 \
        int d = -1;                                                                        \
        H_OK(STEP(m, p, X, n_in, NULL, labels, NULL, 0, rows, 1e-3, &loss, &d));           \
        H_EXPECT(isfinite(loss), #T " f=%zu j*=%zu: loss %g (the case needs a finite loss)", \
                 f, jstar, loss);                                                          \
        int same = memcmp(p, p0, total * sizeof *p) == 0;                                  \
        if (huge)                                                                          \
            H_EXPECT(d == 1 && same, #T ", %zu thread(s), kernels %u, dW_1[%zu][%zu] "       \
                     "overflowing: diverged = %d, parameters %s", threads, kernels, f,     \
                     jstar, d, same ? "kept" : "changed");                                 \
        else                                                                               \
            H_EXPECT(d == 0 && !same, #T ", %zu thread(s), kernels %u, f=%zu j*=%zu, no "   \
                     "huge input: diverged = %d, parameters %s", threads, kernels, f,      \
                     jstar, d, same ? "unchanged" : "updated");                            \
        free(p); free(p0); free(X);                                                        \
        FREE(m);                                                                           \
        bp_exec_free(ex);                                                                  \
    }
OVERFLOW_CASE(overflow_case_d, double, bp_mlp, bp_mlp_create, bp_mlp_set_exec, bp_mlp_train_step,
              bp_mlp_free, 1e300)
OVERFLOW_CASE(overflow_case_s, float, bp_mlp_f32, bp_mlp_create_f32, bp_mlp_set_exec_f32,
              bp_mlp_train_step_f32, bp_mlp_free_f32, 1e31f)

static void test_train_step_gradient_overflow_in_gemm(void **state)
{
    (void)state;
    static const size_t at[][2] = { { 5, 10 }, { OVERFLOW_N_IN - 1, OVERFLOW_HIDDEN - 1 }, { 90, 40 } };
    /* the default kernels (AVX-512 where the CPU has it) on 1 and 2
     * threads, the AVX2, all-AVX-512 (tiles included) and portable ones
     * (their own tile checks) on 1 */
    static const struct { size_t threads; unsigned kernels; } ctx[] = {
        { 1, BP_EXEC_DEFAULT }, { 2, BP_EXEC_DEFAULT }, { 1, BP_EXEC_AVX2 }, { 1, BP_EXEC_AVX512 },
        { 1, BP_EXEC_PORTABLE }
    };
    for (size_t c = 0; c < sizeof at / sizeof at[0]; c++)
        for (size_t x = 0; x < sizeof ctx / sizeof ctx[0]; x++)
            for (int huge = 1; huge >= 0; huge--) {
                overflow_case_d(at[c][0], at[c][1], ctx[x].threads, ctx[x].kernels, huge);
                overflow_case_s(at[c][0], at[c][1], ctx[x].threads, ctx[x].kernels, huge);
            }
}

/* Training one sample at a time (max_rows = 1), the case the direct path is
 * for: 200 steps on a 2-2-2-2 network bring the loss of a fixed set down. */
static void test_train_step_one_sample_at_a_time(void **state)
{
    (void)state;
    const net_cfg c = {"2-2-2-2 tanh/tanh/sigmoid", 3,
                       {L_(2, 2, BP_ACT_TANH), L_(2, 2, BP_ACT_TANH),
                        L_(2, 2, BP_ACT_SIGMOID)},
                       BP_LOSS_BCE, 0};
    h_rng r;
    h_seed(&r, 9601);
    bp_mlp *one = create(&c, 1), *full = create(&c, 4);
    layout o = make_layout(&c);
    double *p = h_alloc(o.total);
    fill_params(&r, &c, &o, p);
    /* the half adder: inputs a, b; outputs sum, carry */
    const double X[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    const double Y[8] = {0, 0, 1, 0, 1, 0, 0, 1};
    double L0 = 0.0, L1 = 0.0, L = 0.0;
    H_OK(bp_mlp_gradient(full, p, 4, X, 2, Y, NULL, &L0, NULL, NULL));
    for (int epoch = 0; epoch < 200; epoch++)
        for (size_t i = 0; i < 4; i++) {
            int d = -1;
            H_OK(bp_mlp_train_step(one, p, X, 2, Y, NULL, NULL, i, 1, 0.5, &L, &d));
            H_EXPECT(d == 0, "epoch %d, sample %zu: diverged %d", epoch, i, d);
        }
    H_OK(bp_mlp_gradient(full, p, 4, X, 2, Y, NULL, &L1, NULL, NULL));
    H_EXPECT(L1 < 0.75 * L0, "800 single-sample steps: loss %.6g → %.6g", L0, L1);
    H_STATUS(BP_ERR_BAD_VALUE,
             bp_mlp_train_step(one, p, X, 2, Y, NULL, NULL, 0, 2, 0.5, &L, &(int){0}));
    free(p);
    bp_mlp_free(one);
    bp_mlp_free(full);
}

/* ---- 7. the narrow engine ---------------------------------------------------------------------- */

/*
 * Networks whose widths are all ≤ 8 train through the narrow engine
 * (narrow_tmpl.h: chunks of 128 samples, feature-major, loops across
 * samples; batches under 4 rows one sample at a time), while
 * bp_mlp_gradient still runs the dense kernels (or, for ≤ 16 rows, the
 * direct loops): two independent computations of the same gradient. With
 * lr = 1 a step leaves p0 − g, so (p0 − p1) recovers the step's gradient to
 * within an ulp of |p0| (~2e−16 here).
 *
 * Tolerance 1e−12 of max|g| (norm-wise) for the gradient and 1e−13 for the
 * loss: the two differ in summation order (lanes of 8 and chunks of 128
 * against the GEMM's blocking), in exp and log (vexp.h is within 2 ulp of
 * libm) and in the sigmoid derivative (e/(1 + e)² against σ·(1 − σ), up to
 * ~60 ulp apart for z < 4), each a few 1e−15 of the gradient's scale at these
 * sizes. A wrong delta, a missing row or a mis-scaled loss is off by far more.
 *
 * Every activation (softmax also as a hidden layer) and every loss, dense
 * targets and labels, rows that exercise one-sample batches (1–3), partial
 * chunks (17, 64, 65, 129, 150) and an exact one (128), contiguous and
 * permuted rows;
 * and the portable, AVX2 and default (AVX-512 where present) builds of the
 * engine against each other, through bp_exec contexts.
 */
static const net_cfg NARROW_NETS[] = {
    {"narrow 2-4-3-1 relu/relu/sigmoid BCE_LOGITS", 3,
     {L_(2, 4, BP_ACT_RELU), L_(4, 3, BP_ACT_RELU), L_(3, 1, BP_ACT_SIGMOID)},
     BP_LOSS_BCE_LOGITS, 0},
    {"narrow 2-3-3 sigmoid/softmax SOFTMAX_CCE labels", 2,
     {L_(2, 3, BP_ACT_SIGMOID), L_(3, 3, BP_ACT_SOFTMAX)}, BP_LOSS_SOFTMAX_CCE, 1},
    {"narrow 2-2-2-2 sigmoid MSE", 3,
     {L_(2, 2, BP_ACT_SIGMOID), L_(2, 2, BP_ACT_SIGMOID), L_(2, 2, BP_ACT_SIGMOID)},
     BP_LOSS_MSE, 0},
    {"narrow 3-5-4 tanh/softmax SOFTMAX_CCE dense", 2,
     {L_(3, 5, BP_ACT_TANH), L_(5, 4, BP_ACT_SOFTMAX)}, BP_LOSS_SOFTMAX_CCE, 0},
    {"narrow 4-6-3 leaky/identity MSE", 2, {LEAKY_(4, 6), L_(6, 3, BP_ACT_IDENTITY)},
     BP_LOSS_MSE, 0},
    {"narrow 3-8-5 sigmoid/sigmoid BCE", 2,
     {L_(3, 8, BP_ACT_SIGMOID), L_(8, 5, BP_ACT_SIGMOID)}, BP_LOSS_BCE, 0},
    {"narrow 5-7-4 relu/softmax CCE labels", 2,
     {L_(5, 7, BP_ACT_RELU), L_(7, 4, BP_ACT_SOFTMAX)}, BP_LOSS_CCE, 1},
    {"narrow 4-5-3 tanh/softmax CCE dense", 2,
     {L_(4, 5, BP_ACT_TANH), L_(5, 3, BP_ACT_SOFTMAX)}, BP_LOSS_CCE, 0},
    {"narrow 3-4-2 softmax/sigmoid BCE_LOGITS", 2,
     {L_(3, 4, BP_ACT_SOFTMAX), L_(4, 2, BP_ACT_SIGMOID)}, BP_LOSS_BCE_LOGITS, 0},
    {"narrow 8-8-8-8 tanh/leaky/identity MSE", 3,
     {L_(8, 8, BP_ACT_TANH), LEAKY_(8, 8), L_(8, 8, BP_ACT_IDENTITY)}, BP_LOSS_MSE, 0},
    /* online steps of these take the register path (narrow_online_tiny_tmpl.h),
     * padded to widths 4, 2, 4, 2 and 4: padded sigmoid units too */
    {"narrow 3-1-4 sigmoid/relu MSE", 2,
     {L_(3, 1, BP_ACT_SIGMOID), L_(1, 4, BP_ACT_RELU)}, BP_LOSS_MSE, 0},
    {"narrow 2-1-1 sigmoid/sigmoid MSE", 2,
     {L_(2, 1, BP_ACT_SIGMOID), L_(1, 1, BP_ACT_SIGMOID)}, BP_LOSS_MSE, 0},
    {"narrow 1-3-2-1 leaky/sigmoid/identity MSE", 3,
     {LEAKY_(1, 3), L_(3, 2, BP_ACT_SIGMOID), L_(2, 1, BP_ACT_IDENTITY)}, BP_LOSS_MSE, 0},
    {"narrow 2-2-1 sigmoid/sigmoid BCE_LOGITS", 2,
     {L_(2, 2, BP_ACT_SIGMOID), L_(2, 1, BP_ACT_SIGMOID)}, BP_LOSS_BCE_LOGITS, 0},
    {"narrow 3-4-2 relu/sigmoid BCE_LOGITS", 2,
     {L_(3, 4, BP_ACT_RELU), L_(4, 2, BP_ACT_SIGMOID)}, BP_LOSS_BCE_LOGITS, 0},
    /* batches of more than one block of every network above at most four
     * wide (2-4-3-1, 2-3-3, 2-2-2-2, 3-1-4, 2-1-1, 1-3-2-1, 2-2-1, 3-4-2)
     * and of these take the register blocks (narrow_block_tmpl.h): padded
     * to widths 2, 3 and 4 — padded softmax, identity and sigmoid outputs —
     * one to three layers */
    {"narrow 2-4-4 relu/softmax SOFTMAX_CCE dense", 2,
     {L_(2, 4, BP_ACT_RELU), L_(4, 4, BP_ACT_SOFTMAX)}, BP_LOSS_SOFTMAX_CCE, 0},
    {"narrow 3-2 softmax SOFTMAX_CCE labels", 1, {L_(3, 2, BP_ACT_SOFTMAX)},
     BP_LOSS_SOFTMAX_CCE, 1},
    {"narrow 4-4-4-3 sigmoid/sigmoid/softmax SOFTMAX_CCE labels", 3,
     {L_(4, 4, BP_ACT_SIGMOID), L_(4, 4, BP_ACT_SIGMOID), L_(4, 3, BP_ACT_SOFTMAX)},
     BP_LOSS_SOFTMAX_CCE, 1},
    {"narrow 2-4-2 leaky/identity MSE", 2, {LEAKY_(2, 4), L_(4, 2, BP_ACT_IDENTITY)},
     BP_LOSS_MSE, 0},
    {"narrow 3-3-2 sigmoid/sigmoid MSE", 2,
     {L_(3, 3, BP_ACT_SIGMOID), L_(3, 2, BP_ACT_SIGMOID)}, BP_LOSS_MSE, 0},
};

#define NARROW_GRAD_TOL 1e-12
#define NARROW_LOSS_TOL 1e-13

/* One lr = 1 step through `ex` on rows[start .. start+rows) (through a
 * permutation when perm != NULL); the new parameters into p1, the loss out. */
static void narrow_step(const net_cfg *c, bp_mlp *m, const bp_exec *ex, const batch *all,
                        const size_t *perm, size_t start, size_t rows, const double *p0,
                        double *p1, size_t n, double *loss)
{
    memcpy(p1, p0, n * sizeof *p1);
    int d = -1;
    H_OK(bp_mlp_set_exec(m, ex));
    H_OK(bp_mlp_train_step(m, p1, all->X, all->ldx, targets_Y(c, all), targets_lab(c, all),
                           perm, start, rows, 1.0, loss, &d));
    H_EXPECT(d == 0, "%s, %zu rows: diverged = %d", c->name, rows, d);
}

static void check_narrow(const net_cfg *c, uint64_t seed)
{
    static const size_t ROWS[] = {1, 2, 3, 4, 17, 64, 65, 128, 129, 150};
    const size_t N = 160, ni = n_in0(c), k = n_out_last(c);
    h_rng r;
    h_seed(&r, seed);
    layout o = make_layout(c);
    batch all;
    make_batch(&r, c, N, ni + 1, &all);
    double *p0 = h_alloc(o.total), *p1 = h_alloc(o.total), *q = h_alloc(o.total);
    double *g = h_alloc(o.total), *step = h_alloc(o.total);
    double *Xc = h_alloc(N * ni), *Yc = h_alloc(N * k);
    size_t *labc = malloc(N * sizeof *labc), perm[160];
    for (size_t i = 0; i < N; i++) perm[i] = (i * 97 + 13) % N;   /* a fixed permutation */
    /* the same batch with X dense (leading dimension n_in): rows in order
     * then take the engines' strided gathers instead of the row-by-row one */
    batch dense = all;
    dense.ldx = ni;
    dense.X = h_alloc(N * ni);
    for (size_t i = 0; i < N; i++) memcpy(dense.X + i * ni, all.X + i * all.ldx, ni * sizeof *dense.X);
    fill_params(&r, c, &o, p0);
    bp_mlp *m = create(c, N);
    bp_exec *portable = NULL, *avx2 = NULL;
    H_OK(bp_exec_create_with(1, BP_EXEC_PORTABLE, &portable));
    H_OK(bp_exec_create_with(1, BP_EXEC_AVX2, &avx2));
    for (size_t t = 0; t < sizeof ROWS / sizeof ROWS[0]; t++)
        for (int permuted = 0; permuted < 2; permuted++) {
            size_t rows = ROWS[t], start = permuted ? 5 : N - rows;
            /* the reference: bp_mlp_gradient on the same rows, copied */
            for (size_t i = 0; i < rows; i++) {
                size_t src = permuted ? perm[start + i] : start + i;
                memcpy(Xc + i * ni, all.X + src * all.ldx, ni * sizeof *Xc);
                memcpy(Yc + i * k, all.Y + src * k, k * sizeof *Yc);
                labc[i] = all.lab[src];
            }
            double Lg = h_nan(), Ls = h_nan();
            H_OK(bp_mlp_set_exec(m, NULL));
            H_OK(bp_mlp_gradient(m, p0, rows, Xc, ni, c->labels ? NULL : Yc,
                                 c->labels ? labc : NULL, &Lg, g, NULL));
            narrow_step(c, m, NULL, &all, permuted ? perm : NULL, start, rows, p0, p1, o.total,
                        &Ls);
            for (size_t i = 0; i < o.total; i++) step[i] = p0[i] - p1[i];
            double scale = h_max_abs(g, o.total);
            H_EXPECT(scale > 1e-6, "%s, %zu rows: gradient (nearly) zero", c->name, rows);
            double e = rel_err(step, g, o.total);
            H_EXPECT(e <= NARROW_GRAD_TOL, "%s, %zu rows%s: step gradient differs from "
                     "bp_mlp_gradient by %.3g of max|g| = %.3g", c->name, rows,
                     permuted ? " (permuted)" : "", e, scale);
            H_EXPECT(fabs(Ls - Lg) <= NARROW_LOSS_TOL * fabs(Lg), "%s, %zu rows: step loss "
                     "%.17g, bp_mlp_gradient's %.17g", c->name, rows, Ls, Lg);
            /* the other builds of the engine agree with the default one */
            const bp_exec *others[2] = {portable, avx2};
            for (int x = 0; x < 2; x++) {
                double Lx = h_nan();
                narrow_step(c, m, others[x], &all, permuted ? perm : NULL, start, rows, p0, q,
                            o.total, &Lx);
                for (size_t i = 0; i < o.total; i++) q[i] = p0[i] - q[i];
                double ex = rel_err(q, step, o.total);
                H_EXPECT(ex <= NARROW_GRAD_TOL && fabs(Lx - Ls) <= NARROW_LOSS_TOL * fabs(Ls),
                         "%s, %zu rows: the %s build differs from the default one by %.3g "
                         "(gradient), losses %.17g and %.17g", c->name, rows,
                         x == 0 ? "portable" : "AVX2", ex, Lx, Ls);
            }
            if (!permuted) {   /* the gather changes no bit */
                double Ld = h_nan();
                narrow_step(c, m, NULL, &dense, NULL, start, rows, p0, q, o.total, &Ld);
                for (size_t i = 0; i < o.total; i++) q[i] = p0[i] - q[i];
                H_EXPECT(memcmp(q, step, o.total * sizeof *q) == 0 && Ld == Ls,
                         "%s, %zu rows: a dense X changed the step (%.3g) or the loss "
                         "(%.17g, %.17g)", c->name, rows, rel_err(q, step, o.total), Ld, Ls);
            }
        }
    bp_exec_free(portable);
    bp_exec_free(avx2);
    bp_mlp_free(m);
    free(p0); free(p1); free(q); free(g); free(step); free(Xc); free(Yc); free(labc);
    free(dense.X);
    free_batch(&all);
}

static void test_narrow_engine_matches_gradient(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof NARROW_NETS / sizeof NARROW_NETS[0]; t++)
        check_narrow(&NARROW_NETS[t], 9701 + t);
}

/*
 * A softmax probability that underflows to 0 under its label: the narrow
 * engine (register blocks and chunks) must take that sample's loss term
 * by log-sum-exp, −z_y + log Σ e^z, not −log 0 = +inf. Seed 05's 2-3-3
 * network with output weights of ±1000 (logits ~1000 apart) on 40 rows,
 * two thirds of them labelled with a losing class: the loss against a plain
 * log-sum-exp written here, the gradient against bp_mlp_gradient.
 * Tolerance: 1e−12 relative (a loss ~500 summed from 40 terms).
 */
static void test_narrow_softmax_underflow(void **state)
{
    (void)state;
    const net_cfg c = {"narrow 2-3-3 sigmoid/softmax, saturated", 2,
                       {L_(2, 3, BP_ACT_SIGMOID), L_(3, 3, BP_ACT_SOFTMAX)},
                       BP_LOSS_SOFTMAX_CCE, 1};
    enum { N = 40 };
    const layout o = make_layout(&c);
    double p[21], X[2 * N], p1[21], g[21];
    size_t lab[N];
    h_rng r;
    h_seed(&r, 7707);
    h_fill(&r, p, o.total, -1.0, 1.0);
    for (size_t i = 0; i < 3; i++) {   /* z = (1000, −1000, 0)·Σh + b */
        p[o.w[1] + i * 3] = 1000.0;
        p[o.w[1] + i * 3 + 1] = -1000.0;
        p[o.w[1] + i * 3 + 2] = 0.0;
    }
    h_fill(&r, X, 2 * N, -2.0, 2.0);
    for (size_t s = 0; s < N; s++) lab[s] = (s * 7) % 3;
    /* the expected loss, sample by sample */
    double want = 0.0;
    size_t under = 0;
    for (size_t s = 0; s < N; s++) {
        double h[3], z[3], mx = -INFINITY, sum = 0.0;
        for (size_t j = 0; j < 3; j++) {
            double a = p[o.b[0] + j] + X[2 * s] * p[o.w[0] + j] + X[2 * s + 1] * p[o.w[0] + 3 + j];
            h[j] = 1.0 / (1.0 + exp(-a));
        }
        for (size_t j = 0; j < 3; j++) {
            z[j] = p[o.b[1] + j];
            for (size_t i = 0; i < 3; i++) z[j] += h[i] * p[o.w[1] + i * 3 + j];
            mx = fmax(mx, z[j]);
        }
        for (size_t j = 0; j < 3; j++) sum += exp(z[j] - mx);
        const double term = mx + log(sum) - z[lab[s]];
        under += exp(-term) == 0.0;
        want += term;
    }
    want /= N;
    H_EXPECT(under >= 5, "only %zu of %d probabilities underflow: the test lost its point", under, N);
    bp_mlp *m = create(&c, N);
    double Lg = h_nan(), Ls = h_nan();
    H_OK(bp_mlp_gradient(m, p, N, X, 2, NULL, lab, &Lg, g, NULL));
    memcpy(p1, p, sizeof p1);
    int d = -1;
    H_OK(bp_mlp_train_step(m, p1, X, 2, NULL, lab, NULL, 0, N, 1.0, &Ls, &d));
    H_EXPECT(d == 0, "the step diverged (%d)", d);
    H_EXPECT(fabs(Ls - want) <= 1e-12 * want && fabs(Lg - want) <= 1e-12 * want,
             "losses %.17g (step) and %.17g (bp_mlp_gradient), log-sum-exp %.17g", Ls, Lg, want);
    for (size_t i = 0; i < o.total; i++) p1[i] = p[i] - p1[i];
    H_EXPECT(rel_err(p1, g, o.total) <= NARROW_GRAD_TOL, "the step's gradient differs from "
             "bp_mlp_gradient's by %.3g", rel_err(p1, g, o.total));
    bp_mlp_free(m);
}

/*
 * Many online steps in a row: each step's parameters feed the next, so a
 * wrong value that one step leaves behind — e.g. a padded weight of the
 * register path (narrow_online_tiny_tmpl.h) that stopped being zero — shows
 * in the steps after it. An epoch of 60 one-row steps against 60 steps of
 * bp_mlp_gradient on one row and p ← p − lr·g; every narrow network with
 * dense targets (the register path's and the general online path's),
 * double and float.
 * Tolerance: 1e−11 (double) and 2e−4 (float, against the double reference)
 * of max|p|, normwise; the per-step differences of check_narrow, carried
 * through 60 steps.
 */
enum { CHAIN_STEPS = 60 };

static float *to_float(const double *x, size_t n)
{
    float *f = malloc(n * sizeof *f);
    H_EXPECT(f != NULL, "out of memory");
    for (size_t i = 0; i < n; i++)
        f[i] = (float)x[i];
    return f;
}

/*
 * The narrow engine in single precision (its float register blocks and
 * chunks) against bp_mlp_gradient in double on the same float-representable
 * parameters and data: one lr = 1 step of bp_mlp_train_step_f32 per batch
 * size (rows in order and shuffled), every narrow network.
 * Tolerance: 1e−5 of max|g|, normwise (3.7e−6 the largest seen, 2-2-1 on
 * 64 shuffled rows), and 1e−5 relative for the loss (computed in double
 * from float activations): float rounding (6e−8) through at most three
 * layers, exp and the sums over up to 150 samples, with their
 * cancellation.
 */
#define NARROW_F32_TOL 1e-5

static void check_narrow_f32(const net_cfg *c, uint64_t seed)
{
    static const size_t ROWS[] = {5, 17, 64, 150};
    const size_t N = 160, ni = n_in0(c), k = n_out_last(c);
    h_rng r;
    h_seed(&r, seed);
    layout o = make_layout(c);
    batch all;
    make_batch(&r, c, N, ni, &all);
    double *p0 = h_alloc(o.total), *g = h_alloc(o.total), *step = h_alloc(o.total);
    double *Xc = h_alloc(N * ni), *Yc = h_alloc(N * k);
    size_t *labc = malloc(N * sizeof *labc), perm[160];
    for (size_t i = 0; i < N; i++) perm[i] = (i * 89 + 7) % N;
    fill_params(&r, c, &o, p0);
    for (size_t i = 0; i < o.total; i++) p0[i] = (float)p0[i];
    for (size_t i = 0; i < N * ni; i++) all.X[i] = (float)all.X[i];
    float *pf = to_float(p0, o.total), *qf = malloc(o.total * sizeof *qf);
    float *Xf = to_float(all.X, N * ni), *Yf = to_float(all.Y, N * k);
    bp_mlp *m = create(c, N);
    bp_mlp_f32 *mf = NULL;
    H_OK(bp_mlp_create_f32(c->nl, c->ls, c->loss, N, &mf));
    for (size_t t = 0; t < sizeof ROWS / sizeof ROWS[0]; t++)
        for (int permuted = 0; permuted < 2; permuted++) {
            const size_t rows = ROWS[t], start = permuted ? 3 : N - rows;
            for (size_t i = 0; i < rows; i++) {
                size_t src = permuted ? perm[start + i] : start + i;
                memcpy(Xc + i * ni, all.X + src * ni, ni * sizeof *Xc);
                memcpy(Yc + i * k, all.Y + src * k, k * sizeof *Yc);
                labc[i] = all.lab[src];
            }
            double Lg = h_nan(), Lf = h_nan();
            H_OK(bp_mlp_gradient(m, p0, rows, Xc, ni, c->labels ? NULL : Yc,
                                 c->labels ? labc : NULL, &Lg, g, NULL));
            memcpy(qf, pf, o.total * sizeof *qf);
            int d = -1;
            H_OK(bp_mlp_train_step_f32(mf, qf, Xf, ni, c->labels ? NULL : Yf,
                                       c->labels ? all.lab : NULL, permuted ? perm : NULL, start,
                                       rows, 1.0f, &Lf, &d));
            H_EXPECT(d == 0, "%s, %zu rows (float): diverged = %d", c->name, rows, d);
            for (size_t i = 0; i < o.total; i++) step[i] = (double)pf[i] - (double)qf[i];
            const double e = rel_err(step, g, o.total);
            H_EXPECT(e <= NARROW_F32_TOL && fabs(Lf - Lg) <= 1e-5 * fabs(Lg),
                     "%s, %zu rows%s: the float step differs from the double gradient by %.3g "
                     "of max|g|, losses %.9g and %.9g", c->name, rows, permuted ? " (permuted)" : "",
                     e, Lf, Lg);
        }
    bp_mlp_free(m);
    bp_mlp_free_f32(mf);
    free(p0); free(g); free(step); free(Xc); free(Yc); free(labc);
    free(pf); free(qf); free(Xf); free(Yf);
    free_batch(&all);
}

static void test_narrow_engine_float(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof NARROW_NETS / sizeof NARROW_NETS[0]; t++)
        check_narrow_f32(&NARROW_NETS[t], 9801 + t);
}



static void check_online_chain(const net_cfg *c, uint64_t seed)
{
    h_rng r;
    h_seed(&r, seed);
    const double lr = 0.2;
    const size_t ni = n_in0(c), k = n_out_last(c);
    layout o = make_layout(c);
    batch all;
    make_batch(&r, c, CHAIN_STEPS, ni, &all);
    double *p0 = h_alloc(o.total), *g = h_alloc(o.total);
    fill_params(&r, c, &o, p0);
    double *ref = h_copy(p0, o.total), *p = h_copy(p0, o.total);
    bp_mlp *one = create(c, 1);
    for (size_t s = 0; s < CHAIN_STEPS; s++) {
        double L = h_nan();
        H_OK(bp_mlp_gradient(one, ref, 1, all.X + s * ni, ni, all.Y + s * k, NULL, &L, g, NULL));
        for (size_t i = 0; i < o.total; i++) ref[i] -= lr * g[i];
    }
    double L = h_nan();
    int d = -1;
    H_OK(bp_mlp_train_epoch(one, p, all.X, ni, all.Y, NULL, NULL, CHAIN_STEPS, 1, lr, &L, &d));
    double e = rel_err(p, ref, o.total), moved = rel_err(p0, ref, o.total);
    H_EXPECT(d == 0 && e <= 1e-11, "%s: %d online steps differ from gradient steps by %.3g of "
             "max|p| (diverged %d)", c->name, CHAIN_STEPS, e, d);
    H_EXPECT(moved > 1e-3, "%s: %d steps moved the parameters by only %.3g", c->name,
             CHAIN_STEPS, moved);
    bp_mlp_f32 *onef = NULL;
    H_OK(bp_mlp_create_f32(c->nl, c->ls, c->loss, 1, &onef));
    float *pf = to_float(p0, o.total), *Xf = to_float(all.X, CHAIN_STEPS * ni);
    float *Yf = to_float(all.Y, CHAIN_STEPS * k);
    H_OK(bp_mlp_train_epoch_f32(onef, pf, Xf, ni, Yf, NULL, NULL, CHAIN_STEPS, 1, lr, &L, &d));
    for (size_t i = 0; i < o.total; i++) p[i] = pf[i];
    e = rel_err(p, ref, o.total);
    H_EXPECT(d == 0 && e <= 2e-4, "%s (float): %d online steps differ from gradient steps by "
             "%.3g of max|p|", c->name, CHAIN_STEPS, e);
    free(pf); free(Xf); free(Yf);
    bp_mlp_free_f32(onef);
    bp_mlp_free(one);
    free(p0); free(g); free(ref); free(p);
    free_batch(&all);
}

static void test_online_steps_follow_gradient_steps(void **state)
{
    (void)state;
    size_t checked = 0;
    for (size_t t = 0; t < sizeof NARROW_NETS / sizeof NARROW_NETS[0]; t++)
        if (!NARROW_NETS[t].labels) {
            check_online_chain(&NARROW_NETS[t], 9761 + t);
            checked++;
        }
    H_EXPECT(checked >= 10, "only %zu networks checked", checked);
}

/* ---- 6. argument errors ------------------------------------------------------------------------- */

#define SENT 1234.5
#define BAD_ACT ((bp_activation)99)
#define BAD_LOSS ((bp_loss)99)

/* Each call has exactly one thing wrong; every output starts as a sentinel
 * and must still hold it afterwards. */
static void test_create_errors(void **state)
{
    (void)state;
    static max_align_t dummy;
    bp_mlp *const untouched = (bp_mlp *)(void *)&dummy;
    bp_mlp *m = untouched;
    const bp_layer_spec ok[2] = {L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_SOFTMAX)};
    bp_layer_spec bad[3];

#define CREATE_ERR(status, nl, layers, loss, max_rows)                         \
    do {                                                                       \
        m = untouched;                                                         \
        H_STATUS(status, bp_mlp_create(nl, layers, loss, max_rows, &m));       \
        H_EXPECT(m == untouched, "bp_mlp_create wrote *out on an error");      \
    } while (0)

    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_create(2, ok, BP_LOSS_MSE, 4, NULL));
    CREATE_ERR(BP_ERR_NULL_POINTER, 2, NULL, BP_LOSS_MSE, 4);
    /* no layers, a zero width, no rows */
    CREATE_ERR(BP_ERR_ZERO_SIZE, 0, ok, BP_LOSS_MSE, 4);
    CREATE_ERR(BP_ERR_ZERO_SIZE, 0, NULL, BP_LOSS_MSE, 4);
    CREATE_ERR(BP_ERR_ZERO_SIZE, 2, ok, BP_LOSS_MSE, 0);
    memcpy(bad, ok, sizeof ok);
    bad[0].n_in = 0;
    CREATE_ERR(BP_ERR_ZERO_SIZE, 2, bad, BP_LOSS_MSE, 4);
    memcpy(bad, ok, sizeof ok);
    bad[1].n_out = 0;
    CREATE_ERR(BP_ERR_ZERO_SIZE, 2, bad, BP_LOSS_MSE, 4);
    memcpy(bad, ok, sizeof ok);
    bad[0].n_out = 0;   /* a zero-width hidden layer, connected */
    bad[1].n_in = 0;
    CREATE_ERR(BP_ERR_ZERO_SIZE, 2, bad, BP_LOSS_MSE, 4);
    /* layers that do not connect */
    memcpy(bad, ok, sizeof ok);
    bad[1].n_in = 4;
    CREATE_ERR(BP_ERR_BAD_VALUE, 2, bad, BP_LOSS_MSE, 4);
    memcpy(bad, ok, sizeof ok);
    bad[2] = (bp_layer_spec)L_(3, 2, BP_ACT_IDENTITY);   /* 2 ≠ 3 */
    CREATE_ERR(BP_ERR_BAD_VALUE, 3, bad, BP_LOSS_MSE, 4);
    /* unknown enum values */
    CREATE_ERR(BP_ERR_BAD_ENUM, 2, ok, BAD_LOSS, 4);
    CREATE_ERR(BP_ERR_BAD_ENUM, 2, ok, (bp_loss)-1, 4);
    memcpy(bad, ok, sizeof ok);
    bad[1].act = BAD_ACT;
    CREATE_ERR(BP_ERR_BAD_ENUM, 2, bad, BP_LOSS_MSE, 4);
    memcpy(bad, ok, sizeof ok);
    bad[0].act = (bp_activation)-1;
    CREATE_ERR(BP_ERR_BAD_ENUM, 2, bad, BP_LOSS_MSE, 4);
    /* a non-finite leaky-ReLU slope (bp_activation.h: param must be finite) */
    const double nonfinite[3] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        memcpy(bad, ok, sizeof ok);
        bad[0].act = BP_ACT_LEAKY_RELU;
        bad[0].param = nonfinite[i];
        CREATE_ERR(BP_ERR_BAD_VALUE, 2, bad, BP_LOSS_MSE, 4);
    }
    /* ... finite in double but not in float: a float network refuses it at
     * create (its layers would get an infinite slope and fail every call),
     * a double one takes it */
    memcpy(bad, ok, sizeof ok);
    bad[0].act = BP_ACT_LEAKY_RELU;
    for (int sign = -1; sign <= 1; sign += 2) {
        bad[0].param = sign * 1e39;
        bp_mlp_f32 *const untouched_f = (bp_mlp_f32 *)(void *)&dummy;
        bp_mlp_f32 *mf = untouched_f;
        H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_create_f32(2, bad, BP_LOSS_MSE, 4, &mf));
        H_EXPECT(mf == untouched_f, "bp_mlp_create_f32 wrote *out on an error");
        H_OK(bp_mlp_create(2, bad, BP_LOSS_MSE, 4, &m));
        bp_mlp_free(m);
    }
    /* fused losses need their output activation */
    const bp_activation not_sigmoid[4] = {BP_ACT_IDENTITY, BP_ACT_RELU, BP_ACT_TANH,
                                          BP_ACT_SOFTMAX};
    const bp_activation not_softmax[4] = {BP_ACT_IDENTITY, BP_ACT_RELU, BP_ACT_TANH,
                                          BP_ACT_SIGMOID};
    for (int i = 0; i < 4; i++) {
        memcpy(bad, ok, sizeof ok);
        bad[1].act = not_sigmoid[i];
        CREATE_ERR(BP_ERR_BAD_VALUE, 2, bad, BP_LOSS_BCE_LOGITS, 4);
        bad[1].act = not_softmax[i];
        CREATE_ERR(BP_ERR_BAD_VALUE, 2, bad, BP_LOSS_SOFTMAX_CCE, 4);
    }
    /* ... and only the output layer's activation counts */
    memcpy(bad, ok, sizeof ok);
    bad[0].act = BP_ACT_SOFTMAX;
    bad[1].act = BP_ACT_SIGMOID;
    CREATE_ERR(BP_ERR_BAD_VALUE, 2, bad, BP_LOSS_SOFTMAX_CCE, 4);
    /* sizes whose products overflow: they must be rejected before any
     * allocation (an attempt would fail with BP_ERR_NO_MEMORY instead, or
     * be reported by AddressSanitizer) */
    const size_t big = SIZE_MAX / 2;
    bp_layer_spec huge[2] = {L_(big, 3, BP_ACT_TANH), L_(3, 2, BP_ACT_IDENTITY)};
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 2, huge, BP_LOSS_MSE, 1);    /* n_in·n_out */
    huge[0] = (bp_layer_spec)L_(3, big, BP_ACT_TANH);
    huge[1] = (bp_layer_spec)L_(big, 2, BP_ACT_IDENTITY);
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 2, huge, BP_LOSS_MSE, 1);
    huge[0] = (bp_layer_spec)L_(1, SIZE_MAX / 16, BP_ACT_TANH);   /* fits; bytes do not */
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 1, huge, BP_LOSS_MSE, 1);
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 1, huge, BP_LOSS_MSE, SIZE_MAX); /* rows · width */
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 2, ok, BP_LOSS_MSE, SIZE_MAX / 4);   /* rows · 5 */
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 2, ok, BP_LOSS_MSE, SIZE_MAX / 64);  /* bytes */
    huge[0] = (bp_layer_spec)L_(SIZE_MAX / 16, 1, BP_ACT_TANH);   /* max_rows·n_in bytes */
    CREATE_ERR(BP_ERR_SIZE_OVERFLOW, 1, huge, BP_LOSS_MSE, 4);
#undef CREATE_ERR

    /* the valid combinations are accepted; bp_mlp_free(NULL) is a no-op */
    bp_layer_spec good[2];
    memcpy(good, ok, sizeof ok);
    const bp_loss losses[5] = {BP_LOSS_MSE, BP_LOSS_BCE, BP_LOSS_BCE_LOGITS, BP_LOSS_CCE,
                               BP_LOSS_SOFTMAX_CCE};
    for (int i = 0; i < 5; i++) {
        good[1].act = losses[i] == BP_LOSS_BCE_LOGITS ? BP_ACT_SIGMOID : BP_ACT_SOFTMAX;
        m = NULL;
        H_OK(bp_mlp_create(2, good, losses[i], 1, &m));
        H_EXPECT(m != NULL, "loss %d: no workspace", i);
        bp_mlp_free(m);
    }
    bp_mlp_free(NULL);
    size_t count = 7;
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_parameter_count(NULL, &count));
    H_EXPECT(count == 7, "parameter_count wrote on an error");
    m = NULL;
    H_OK(bp_mlp_create(2, ok, BP_LOSS_MSE, 1, &m));
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_parameter_count(m, NULL));
    bp_mlp_free(m);
}

/* A 3-5-2 network with max_rows 4 and valid arguments for every call;
 * each check below changes exactly one of them. */
typedef struct err_env {
    bp_mlp *m;          /* SOFTMAX_CCE: takes Y or labels */
    bp_mlp *mse;        /* MSE: labels are not allowed */
    double params[32], X[4 * 4], Y[4 * 2], dA[4 * 2];
    size_t lab[4], idx[4];
    double out[16], grad[32], dX[16], loss;
    double p_saved[32];
    int diverged;
} err_env;

static void env_reset(err_env *e)
{
    for (size_t i = 0; i < 32; i++)
        e->params[i] = e->p_saved[i] = 0.1 * (double)(i % 7) - 0.3;
    for (size_t i = 0; i < 16; i++)
        e->X[i] = 0.05 * (double)i - 0.4;
    for (size_t i = 0; i < 4; i++) {
        e->lab[i] = i % 2;
        e->idx[i] = 3 - i;
        e->Y[2 * i] = (double)(i % 2 == 0);
        e->Y[2 * i + 1] = (double)(i % 2 == 1);
        e->dA[2 * i] = 0.1;
        e->dA[2 * i + 1] = -0.2;
    }
    for (size_t i = 0; i < 16; i++)
        e->out[i] = e->dX[i] = SENT;
    for (size_t i = 0; i < 32; i++)
        e->grad[i] = SENT;
    e->loss = SENT;
    e->diverged = -7;
}

static void env_untouched(const err_env *e, const char *what)
{
    for (size_t i = 0; i < 16; i++)
        H_EXPECT(e->out[i] == SENT && e->dX[i] == SENT, "%s: out or dX written on an error",
                 what);
    for (size_t i = 0; i < 32; i++)
        H_EXPECT(e->grad[i] == SENT, "%s: grad written on an error", what);
    H_EXPECT(h_same_bits(e->params, e->p_saved, 32), "%s: params changed on an error", what);
    H_EXPECT(e->loss == SENT, "%s: loss written on an error", what);
    H_EXPECT(e->diverged == -7, "%s: diverged written on an error", what);
}

#define ENV_ERR(status, call)                                                  \
    do {                                                                       \
        env_reset(e);                                                          \
        H_STATUS(status, call);                                                \
        env_untouched(e, #call);                                               \
    } while (0)

/* The two networks of the error tests, 3-5-2 tanh/softmax: e->m with
 * SOFTMAX_CCE (takes Y or labels), e->mse with MSE (labels not allowed). */
static void env_open(err_env *e, size_t max_rows)
{
    const bp_layer_spec ls[2] = {L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_SOFTMAX)};
    H_OK(bp_mlp_create(2, ls, BP_LOSS_SOFTMAX_CCE, max_rows, &e->m));
    H_OK(bp_mlp_create(2, ls, BP_LOSS_MSE, max_rows, &e->mse));
}

static void env_close(err_env *e)
{
    bp_mlp_free(e->m);
    bp_mlp_free(e->mse);
}

static void test_forward_backward_errors(void **state)
{
    (void)state;
    err_env env, *e = &env;
    env_open(e, 4);
    bp_mlp *m = e->m;
    double *P = e->params, *X = e->X, *O = e->out;

    /* the valid calls succeed */
    env_reset(e);
    H_OK(bp_mlp_forward(m, P, 4, X, 4, O));
    H_OK(bp_mlp_gradient(m, P, 4, X, 4, e->Y, NULL, &e->loss, e->grad, e->dX));
    H_OK(bp_mlp_gradient(m, P, 4, X, 4, NULL, e->lab, &e->loss, e->grad, e->dX));
    H_OK(bp_mlp_backward(m, P, 4, X, 4, e->dA, e->grad, e->dX));

    /* forward */
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_forward(NULL, P, 4, X, 4, O));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_forward(m, NULL, 4, X, 4, O));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_forward(m, P, 4, NULL, 4, O));
    ENV_ERR(BP_ERR_ZERO_SIZE, bp_mlp_forward(m, P, 0, X, 4, O));
    ENV_ERR(BP_ERR_BAD_VALUE, bp_mlp_forward(m, P, 5, X, 3, O));
    ENV_ERR(BP_ERR_LEADING_DIMENSION, bp_mlp_forward(m, P, 4, X, 2, O));
    ENV_ERR(BP_ERR_LEADING_DIMENSION, bp_mlp_forward(m, P, 1, X, 2, O));
    ENV_ERR(BP_ERR_SIZE_OVERFLOW, bp_mlp_forward(m, P, 2, X, SIZE_MAX / 4, O));

    /* gradient */
    const double *Y = e->Y;
    const size_t *lab = e->lab;
    double *G = e->grad, *DX = e->dX;
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_gradient(NULL, P, 4, X, 4, Y, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_gradient(m, NULL, 4, X, 4, Y, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_gradient(m, P, 4, NULL, 4, Y, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_gradient(m, P, 4, X, 4, Y, NULL, NULL, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_gradient(m, P, 4, X, 4, Y, lab, &e->loss, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_gradient(m, P, 4, X, 4, NULL, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_ZERO_SIZE, bp_mlp_gradient(m, P, 0, X, 4, Y, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_BAD_VALUE, bp_mlp_gradient(m, P, 5, X, 3, Y, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_LEADING_DIMENSION,
            bp_mlp_gradient(m, P, 4, X, 2, Y, NULL, &e->loss, G, DX));
    ENV_ERR(BP_ERR_SIZE_OVERFLOW,
            bp_mlp_gradient(m, P, 2, X, SIZE_MAX / 4, Y, NULL, &e->loss, G, DX));
    /* labels with a non-categorical loss */
    ENV_ERR(BP_ERR_BAD_ENUM,
            bp_mlp_gradient(e->mse, P, 4, X, 4, NULL, lab, &e->loss, G, DX));
    /* a label ≥ k, in the last row only, and a huge one */
    size_t bad_last[4] = {0, 1, 0, 2}, bad_huge[4] = {SIZE_MAX, 0, 1, 0};
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_gradient(m, P, 4, X, 4, NULL, bad_last, &e->loss, G, DX));
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_gradient(m, P, 4, X, 4, NULL, bad_huge, &e->loss, NULL, NULL));
    bp_mlp *cce = NULL;
    const bp_layer_spec ls_cce[2] = {L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_SOFTMAX)};
    H_OK(bp_mlp_create(2, ls_cce, BP_LOSS_CCE, 4, &cce));
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_gradient(cce, P, 4, X, 4, NULL, bad_last, &e->loss, G, DX));

    /* backward */
    const double *dA = e->dA;
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_backward(NULL, P, 4, X, 4, dA, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_backward(m, NULL, 4, X, 4, dA, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_backward(m, P, 4, NULL, 4, dA, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_backward(m, P, 4, X, 4, NULL, G, DX));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_backward(m, P, 4, X, 4, dA, NULL, DX));
    ENV_ERR(BP_ERR_ZERO_SIZE, bp_mlp_backward(m, P, 0, X, 4, dA, G, DX));
    ENV_ERR(BP_ERR_BAD_VALUE, bp_mlp_backward(m, P, 5, X, 3, dA, G, DX));
    ENV_ERR(BP_ERR_LEADING_DIMENSION, bp_mlp_backward(m, P, 4, X, 2, dA, G, DX));
    ENV_ERR(BP_ERR_SIZE_OVERFLOW, bp_mlp_backward(m, P, 2, X, SIZE_MAX / 4, dA, G, DX));

    bp_mlp_free(cce);
    env_close(e);
}

static void test_train_step_errors(void **state)
{
    (void)state;
    err_env env, *e = &env;
    env_open(e, 4);
    bp_mlp *m = e->m;
    double *P = e->params;
    const double *X = e->X, *Y = e->Y;
    const size_t *lab = e->lab, *idx = e->idx;
    double *L = &e->loss;
    int *D = &e->diverged;

    /* the valid calls succeed */
    env_reset(e);
    H_OK(bp_mlp_train_step(m, P, X, 4, Y, NULL, NULL, 0, 4, 0.1, L, D));
    H_OK(bp_mlp_train_step(m, P, X, 4, NULL, lab, idx, 0, 4, 0.1, L, D));
    H_OK(bp_mlp_train_step(m, P, X, 3, Y, NULL, NULL, 1, 3, 0.1, L, D));

    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(NULL, P, X, 4, Y, NULL, NULL, 0, 4, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(m, NULL, X, 4, Y, NULL, NULL, 0, 4, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(m, P, NULL, 4, Y, NULL, NULL, 0, 4, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(m, P, X, 4, Y, NULL, NULL, 0, 4, 0.1, NULL, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(m, P, X, 4, Y, NULL, NULL, 0, 4, 0.1, L, NULL));
    /* both targets, or neither */
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(m, P, X, 4, Y, lab, NULL, 0, 4, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(m, P, X, 4, NULL, NULL, NULL, 0, 4, 0.1, L, D));
    /* labels with a non-categorical loss */
    ENV_ERR(BP_ERR_BAD_ENUM,
            bp_mlp_train_step(e->mse, P, X, 4, NULL, lab, NULL, 0, 4, 0.1, L, D));
    /* non-finite learning rates */
    const double bad_lr[3] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++)
        ENV_ERR(BP_ERR_BAD_VALUE,
                bp_mlp_train_step(m, P, X, 4, Y, NULL, NULL, 0, 4, bad_lr[i], L, D));
    ENV_ERR(BP_ERR_ZERO_SIZE, bp_mlp_train_step(m, P, X, 4, Y, NULL, NULL, 0, 0, 0.1, L, D));
    ENV_ERR(BP_ERR_BAD_VALUE, bp_mlp_train_step(m, P, X, 3, Y, NULL, NULL, 0, 5, 0.1, L, D));
    ENV_ERR(BP_ERR_LEADING_DIMENSION,
            bp_mlp_train_step(m, P, X, 2, Y, NULL, NULL, 0, 4, 0.1, L, D));
    /* a label ≥ k, directly and through indices (idx[3] = 0 selects row 0) */
    size_t bad_last[4] = {0, 1, 0, 2}, bad_first[4] = {2, 1, 0, 1};
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_train_step(m, P, X, 4, NULL, bad_last, NULL, 0, 4, 0.1, L, D));
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_train_step(m, P, X, 4, NULL, bad_first, idx, 3, 1, 0.1, L, D));
    /* ... and rows that avoid the bad label are fine */
    env_reset(e);
    H_OK(bp_mlp_train_step(m, P, X, 4, NULL, bad_first, idx, 0, 3, 0.1, L, D));

    env_close(e);
}

/*
 * bp_status.h: "Arguments are checked in a fixed order (enum values, leading
 * dimensions, size overflow, null pointers), so a call with several faults
 * reports the first in that order." Each call below has two faults, a NULL
 * pointer and one that comes earlier in that order. Every mismatch is
 * printed before the test fails.
 */
static void test_fault_order_of_bp_status_h(void **state)
{
    (void)state;
    const bp_layer_spec ls[2] = {L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_SOFTMAX)};
    const bp_layer_spec bad_act[2] = {L_(3, 5, BAD_ACT), L_(5, 2, BP_ACT_SOFTMAX)};
    const bp_layer_spec huge[2] = {L_(SIZE_MAX / 2, 3, BP_ACT_TANH),
                                   L_(3, 2, BP_ACT_SOFTMAX)};
    bp_mlp *m = NULL;
    H_OK(bp_mlp_create(2, ls, BP_LOSS_SOFTMAX_CCE, 4, &m));
    double P[32] = {0}, X[16] = {0}, Y[8] = {0}, out[8], loss = SENT;
    int diverged = -7;
    struct { const char *call; bp_status want, got; } cases[] = {
        {"bp_mlp_create(bad activation, out = NULL)", BP_ERR_BAD_ENUM,
         bp_mlp_create(2, bad_act, BP_LOSS_MSE, 4, NULL)},
        {"bp_mlp_create(overflowing widths, out = NULL)", BP_ERR_SIZE_OVERFLOW,
         bp_mlp_create(2, huge, BP_LOSS_MSE, 1, NULL)},
        {"bp_mlp_forward(params = NULL, ldx < n_in)", BP_ERR_LEADING_DIMENSION,
         bp_mlp_forward(m, NULL, 4, X, 2, out)},
        {"bp_mlp_backward(params = NULL, ldx < n_in)", BP_ERR_LEADING_DIMENSION,
         bp_mlp_backward(m, NULL, 4, X, 2, Y, P, NULL)},
        {"bp_mlp_gradient(X = NULL, ldx < n_in)", BP_ERR_LEADING_DIMENSION,
         bp_mlp_gradient(m, P, 4, NULL, 2, Y, NULL, &loss, NULL, NULL)},
        {"bp_mlp_train_step(loss = NULL, ldx < n_in)", BP_ERR_LEADING_DIMENSION,
         bp_mlp_train_step(m, P, X, 2, Y, NULL, NULL, 0, 4, 0.1, NULL, &diverged)},
    };
    int wrong = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (cases[i].got != cases[i].want) {
            print_error("  %s: returned %d (%s), bp_status.h's order gives %d (%s)\n",
                        cases[i].call, (int)cases[i].got, bp_status_string(cases[i].got),
                        (int)cases[i].want, bp_status_string(cases[i].want));
            wrong++;
        }
    bp_mlp_free(m);
    H_EXPECT(wrong == 0, "%d of %zu two-fault calls report the later fault", wrong,
             sizeof cases / sizeof cases[0]);
    H_EXPECT(loss == SENT && diverged == -7, "outputs written on an argument error");
}

/* ---- 8. bp_mlp_train_epoch ---------------------------------------------------------------------- */

/*
 * An epoch is defined as the bp_mlp_train_step calls on its consecutive
 * batches, so the two must agree bit for bit: same parameters, and the loss
 * Σ loss_b·rows_b / n computed in the same order. Narrow and dense
 * networks, one-row batches (the narrow engine's online path), batches of a
 * few rows, batches of max_rows with a partial last one, n > max_rows,
 * natural and permuted order, double and float.
 */
static const size_t EPOCH_BATCHES[] = {1, 2, 5, 8};
enum { EPOCH_N = 23, EPOCH_MAX_ROWS = 8 };

/* train_step over the epoch's batches, as bp_mlp_train_epoch defines it;
 * stops at the first divergence (its code into *d). Returns the mean loss. */
static double steps_d(bp_mlp *m, double *p, const batch *all, const net_cfg *c,
                      const size_t *perm, size_t batch_rows, double lr, int *d)
{
    double total = 0.0;
    *d = 0;
    for (size_t start = 0; start < EPOCH_N && *d == 0; start += batch_rows) {
        size_t rows = EPOCH_N - start < batch_rows ? EPOCH_N - start : batch_rows;
        double L = h_nan();
        H_OK(bp_mlp_train_step(m, p, all->X, all->ldx, targets_Y(c, all), targets_lab(c, all),
                               perm, start, rows, lr, &L, d));
        total += L * (double)rows;
    }
    return total / (double)EPOCH_N;
}

static double steps_s(bp_mlp_f32 *m, float *p, const float *X, size_t ldx, const float *Y,
                      const size_t *lab, const size_t *perm, size_t batch_rows, double lr)
{
    double total = 0.0;
    for (size_t start = 0; start < EPOCH_N; start += batch_rows) {
        size_t rows = EPOCH_N - start < batch_rows ? EPOCH_N - start : batch_rows;
        double L = h_nan();
        int d = -1;
        H_OK(bp_mlp_train_step_f32(m, p, X, ldx, Y, lab, perm, start, rows, lr, &L, &d));
        H_EXPECT(d == 0, "float step at row %zu diverged (%d)", start, d);
        total += L * (double)rows;
    }
    return total / (double)EPOCH_N;
}

/* The set-up of the epoch tests: a batch of EPOCH_N rows (leading
 * dimension ldx), parameters p0 and a network of EPOCH_MAX_ROWS rows, all
 * drawn from `seed`. */
typedef struct epoch_env {
    layout o;
    batch all;
    double *p0;
    bp_mlp *m;
} epoch_env;

static void epoch_env_open(epoch_env *v, const net_cfg *c, uint64_t seed, size_t ldx)
{
    h_rng r;
    h_seed(&r, seed);
    v->o = make_layout(c);
    make_batch(&r, c, EPOCH_N, ldx, &v->all);
    v->p0 = h_alloc(v->o.total);
    fill_params(&r, c, &v->o, v->p0);
    v->m = create(c, EPOCH_MAX_ROWS);
}

static void epoch_env_close(epoch_env *v)
{
    bp_mlp_free(v->m);
    free(v->p0);
    free_batch(&v->all);
}

/* check(c, seed) on every narrow and every dense training network, seeds
 * counting up from narrow_seed and step_seed. */
static void for_each_training_net(void (*check)(const net_cfg *, uint64_t), uint64_t narrow_seed,
                                  uint64_t step_seed)
{
    for (size_t t = 0; t < sizeof NARROW_NETS / sizeof NARROW_NETS[0]; t++)
        check(&NARROW_NETS[t], narrow_seed + t);
    for (size_t t = 0; t < sizeof STEP_NETS / sizeof STEP_NETS[0]; t++)
        check(&STEP_NETS[t], step_seed + t);
}

static void check_epoch_equals_steps(const net_cfg *c, uint64_t seed)
{
    const size_t k = n_out_last(c);
    const double lr = 0.1;
    epoch_env v;
    epoch_env_open(&v, c, seed, n_in0(c) + 1);
    size_t perm[EPOCH_N];
    for (size_t i = 0; i < EPOCH_N; i++) perm[i] = (i * 7 + 3) % EPOCH_N;
    bp_mlp_f32 *mf = NULL;
    H_OK(bp_mlp_create_f32(c->nl, c->ls, c->loss, EPOCH_MAX_ROWS, &mf));
    H_OK(bp_mlp_set_exec_f32(mf, g_context));
    float *Xf = to_float(v.all.X, EPOCH_N * v.all.ldx), *Yf = to_float(v.all.Y, EPOCH_N * k);
    float *pf0 = to_float(v.p0, v.o.total);
    float *pfa = malloc(v.o.total * sizeof *pfa), *pfb = malloc(v.o.total * sizeof *pfb);
    for (size_t b = 0; b < sizeof EPOCH_BATCHES / sizeof EPOCH_BATCHES[0]; b++)
        for (int permuted = 0; permuted < 2; permuted++) {
            const size_t bs = EPOCH_BATCHES[b], *ord = permuted ? perm : NULL;
            double *pa = h_copy(v.p0, v.o.total), *pb = h_copy(v.p0, v.o.total);
            int da = -1, db = -1;
            double La = steps_d(v.m, pa, &v.all, c, ord, bs, lr, &da), Lb = h_nan();
            H_OK(bp_mlp_train_epoch(v.m, pb, v.all.X, v.all.ldx, targets_Y(c, &v.all),
                                    targets_lab(c, &v.all), ord, EPOCH_N, bs, lr, &Lb, &db));
            H_EXPECT(da == 0 && db == 0, "%s, batch %zu: diverged %d (steps), %d (epoch)",
                     c->name, bs, da, db);
            H_EXPECT(h_same_bits(pa, pb, v.o.total) && h_same_bits(&La, &Lb, 1),
                     "%s, batch %zu%s: the epoch differs from its steps (loss %.17g vs %.17g, "
                     "parameters %.3g apart)", c->name, bs, permuted ? " (permuted)" : "",
                     Lb, La, rel_err(pb, pa, v.o.total));
            H_EXPECT(!h_same_bits(pb, v.p0, v.o.total), "%s, batch %zu: the epoch changed nothing",
                     c->name, bs);
            /* the same in single precision */
            memcpy(pfa, pf0, v.o.total * sizeof *pfa);
            memcpy(pfb, pf0, v.o.total * sizeof *pfb);
            const float *Yt = c->labels ? NULL : Yf;
            const size_t *lt = targets_lab(c, &v.all);
            double Lfa = steps_s(mf, pfa, Xf, v.all.ldx, Yt, lt, ord, bs, lr), Lfb = h_nan();
            int df = -1;
            H_OK(bp_mlp_train_epoch_f32(mf, pfb, Xf, v.all.ldx, Yt, lt, ord, EPOCH_N, bs, lr,
                                        &Lfb, &df));
            H_EXPECT(df == 0 && memcmp(pfa, pfb, v.o.total * sizeof *pfa) == 0 && Lfa == Lfb,
                     "%s, batch %zu%s (float): the epoch differs from its steps (diverged %d, "
                     "loss %.9g vs %.9g)", c->name, bs, permuted ? " (permuted)" : "", df, Lfb,
                     Lfa);
            free(pa); free(pb);
        }
    free(Xf); free(Yf); free(pf0); free(pfa); free(pfb);
    bp_mlp_free_f32(mf);
    epoch_env_close(&v);
}

static void test_train_epoch_equals_steps(void **state)
{
    (void)state;
    for_each_training_net(check_epoch_equals_steps, 9801, 9851);
}

/* An epoch stops at its first diverging step, as its steps would: a NaN in
 * row 9 (1: nothing of that step applied) and a learning rate that
 * overflows the first update (2). */
static void check_epoch_divergence(const net_cfg *c, uint64_t seed)
{
    epoch_env v;
    epoch_env_open(&v, c, seed, n_in0(c));
    v.all.X[9 * v.all.ldx] = h_nan();
    for (size_t b = 0; b < sizeof EPOCH_BATCHES / sizeof EPOCH_BATCHES[0]; b++) {
        const size_t bs = EPOCH_BATCHES[b];
        double *pa = h_copy(v.p0, v.o.total), *pb = h_copy(v.p0, v.o.total), L = 0.0;
        int da = -1, db = -1;
        steps_d(v.m, pa, &v.all, c, NULL, bs, 0.1, &da);
        H_OK(bp_mlp_train_epoch(v.m, pb, v.all.X, v.all.ldx, targets_Y(c, &v.all), targets_lab(c, &v.all),
                                NULL, EPOCH_N, bs, 0.1, &L, &db));
        H_EXPECT(da == 1 && db == 1, "%s, batch %zu, NaN in row 9: diverged %d (steps), %d "
                 "(epoch), expected 1", c->name, bs, da, db);
        H_EXPECT(h_same_bits(pa, pb, v.o.total), "%s, batch %zu, NaN in row 9: the epoch did not "
                 "stop where its steps did", c->name, bs);
        /* the steps before row 9's batch were applied, that one was not */
        H_EXPECT(!h_same_bits(pb, v.p0, v.o.total), "%s, batch %zu: nothing before row 9 applied",
                 c->name, bs);
        free(pa); free(pb);
    }
    /* far targets: every output's gradient is well above 1, so
     * 1e308·g overflows */
    v.all.X[9 * v.all.ldx] = 0.5;
    for (size_t i = 0; i < EPOCH_N * n_out_last(c); i++)
        v.all.Y[i] = 100.0;
    double *p = h_copy(v.p0, v.o.total), L = 0.0;
    int d = -1;
    H_OK(bp_mlp_train_epoch(v.m, p, v.all.X, v.all.ldx, targets_Y(c, &v.all), targets_lab(c, &v.all),
                            NULL, EPOCH_N, 1, 1e308, &L, &d));
    H_EXPECT(d == 2 && !h_all_finite(p, v.o.total),
             "%s, learning rate 1e308: diverged %d, parameters %s", c->name, d,
             h_all_finite(p, v.o.total) ? "finite" : "not finite");
    free(p);
    epoch_env_close(&v);
}

static void test_train_epoch_divergence(void **state)
{
    (void)state;
    check_epoch_divergence(&NARROW_NETS[2], 9901);   /* 2-2-2-2 sigmoid MSE (online path) */
    check_epoch_divergence(&NARROW_NETS[4], 9902);   /* 4-6-3 leaky/identity MSE */
    check_epoch_divergence(&STEP_NETS[0], 9903);     /* 30-12-3, dense kernels */
}

/* The training tests again with a context attached (create() and the
 * float networks of the epoch tests): a dense network's steps then fuse
 * the SGD update into the weight-gradient products, after proving from
 * magnitudes that nothing overflows (mlp_tmpl.h, P(descend)); a narrow
 * network's are unchanged. Steps against the gradient and update, epochs
 * against their steps bit for bit, and every divergence case (where the
 * proof fails, the separate passes must give their verdict): the default
 * kernels on 1 and 2 threads, the AVX2, all-AVX-512 and portable ones on 1. */
static void test_train_epochs_equal_epoch_calls(void **state);
static void test_train_epochs_divergence(void **state);

static void test_fused_steps(void **state)
{
    (void)state;
    static const struct { size_t threads; unsigned kernels; } ctx[] = {
        { 1, BP_EXEC_DEFAULT }, { 2, BP_EXEC_DEFAULT }, { 1, BP_EXEC_AVX2 }, { 1, BP_EXEC_AVX512 },
        { 1, BP_EXEC_PORTABLE }
    };
    for (size_t x = 0; x < sizeof ctx / sizeof ctx[0]; x++) {
        bp_exec *ex = NULL;
        H_OK(bp_exec_create_with(ctx[x].threads, ctx[x].kernels, &ex));
        g_context = ex;
        test_train_step_equals_gradient_and_update(NULL);
        test_train_step_with_indices(NULL);
        test_train_step_divergence(NULL);
        test_train_step_nan_preactivation(NULL);
        test_train_epoch_equals_steps(NULL);
        test_train_epoch_divergence(NULL);
        test_train_epochs_equal_epoch_calls(NULL);
        test_train_epochs_divergence(NULL);
        g_context = NULL;
        bp_exec_free(ex);
    }
}

/* Parameters that do not start on a cache line: an epoch call of several
 * steps on a dense network of ≥ 2^15 parameters trains on the network's
 * aligned copy and writes the result back (mlp_tmpl.h, P(work_params)).
 * The results must be those of the same calls on aligned parameters, bit
 * for bit: train_epoch, train_epochs with its snapshot, and a diverging
 * run (a huge learning rate: the updates until the divergence written
 * back, the same ones). Double and
 * float, 1 and 2 threads. */
#define MISALIGNED_CASE(NAME, T, MLP_T, CREATE, SET_EXEC, EPOCH, EPOCHS, FREE, HUGE_LR)         \
    static void NAME(size_t threads)                                                           \
    {                                                                                          \
        const size_t n_in = 200, h = 160, k = 10, rows = 64, batch = 8, epochs = 3;            \
        bp_layer_spec L[2] = { { n_in, h, BP_ACT_RELU, 0 }, { h, k, BP_ACT_SOFTMAX, 0 } };      \
        const size_t total = n_in * h + h + h * k + k;   /* 33 770 ≥ 2^15 */                  \
        MLP_T *m = NULL;                                                                       \
        bp_exec *ex = NULL;                                                                    \
        H_OK(CREATE(2, L, BP_LOSS_SOFTMAX_CCE, batch, &m));                                    \
        H_OK(bp_exec_create(threads, &ex));                                                    \
        H_OK(SET_EXEC(m, ex));                                                                 \
        T *base[2], *snap[2], *p0 = malloc(total * sizeof(T)), *X = malloc(rows * n_in * sizeof(T)); \
        size_t labels[64];                                                                     \
        h_rng r;                                                                               \
        h_seed(&r, 9701);                                                                      \
        for (size_t i = 0; i < total; i++) p0[i] = (T)h_uniform_signed(&r, 0.01, 0.1);         \
        for (size_t i = 0; i < rows * n_in; i++) X[i] = (T)h_uniform(&r, 0.0, 1.0);            \
        for (size_t i = 0; i < rows; i++) labels[i] = h_below(&r, k);                          \
        for (int v = 0; v < 2; v++) {                                                          \
            base[v] = aligned_alloc(64, ((total + 64) * sizeof(T) + 63) / 64 * 64);            \
            snap[v] = malloc(total * sizeof(T));                                               \
        }                                                                                      \
        T *aligned = base[0], *off = base[1] + 1;   /* one element past a line */             \
        for (int run = 0; run < 3; run++) {                                                    \
            double lr = run == 2 ? HUGE_LR : 0.05, loss[2][3] = { { 0 } };                     \
            int d[2] = { -1, -1 };                                                             \
            size_t done[2] = { 0, 0 };                                                         \
            for (int v = 0; v < 2; v++) {                                                      \
                T *p = v ? off : aligned;                                                      \
                memcpy(p, p0, total * sizeof(T));                                              \
                if (run == 0)                                                                  \
                    H_OK(EPOCH(m, p, X, n_in, NULL, labels, NULL, rows, batch, lr, &loss[v][0], &d[v])); \
                else                                                                           \
                    H_OK(EPOCHS(m, p, X, n_in, NULL, labels, NULL, rows, batch, epochs, lr,    \
                                loss[v], snap[v], &done[v], &d[v]));                           \
            }                                                                                  \
            H_EXPECT(memcmp(aligned, off, total * sizeof(T)) == 0 && d[0] == d[1] &&           \
                         done[0] == done[1] && memcmp(loss[0], loss[1], sizeof loss[0]) == 0,   \
                     #T ", %zu thread(s), run %d: parameters one element off a line trained "  \
                     "differently (diverged %d / %d, epochs %zu / %zu)", threads, run, d[0],    \
                     d[1], done[0], done[1]);                                                  \
            H_EXPECT(memcmp(aligned, p0, total * sizeof(T)) != 0 && (run < 2) == (d[0] == 0), \
                     #T ", run %d: the set-up (parameters changed, diverged %d)", run, d[0]);  \
            if (run > 0)                                                                       \
                H_EXPECT(memcmp(snap[0], snap[1], total * sizeof(T)) == 0,                     \
                         #T ", %zu thread(s), run %d: the snapshots differ", threads, run);    \
        }                                                                                      \
        for (int v = 0; v < 2; v++) { free(base[v]); free(snap[v]); }                          \
        free(p0); free(X);                                                                     \
        FREE(m);                                                                               \
        bp_exec_free(ex);                                                                      \
    }
MISALIGNED_CASE(misaligned_case_d, double, bp_mlp, bp_mlp_create, bp_mlp_set_exec,
                bp_mlp_train_epoch, bp_mlp_train_epochs, bp_mlp_free, 1e300)
MISALIGNED_CASE(misaligned_case_s, float, bp_mlp_f32, bp_mlp_create_f32, bp_mlp_set_exec_f32,
                bp_mlp_train_epoch_f32, bp_mlp_train_epochs_f32, bp_mlp_free_f32, 1e37)

static void test_misaligned_parameters(void **state)
{
    (void)state;
    for (size_t threads = 1; threads <= 2; threads++) {
        misaligned_case_d(threads);
        misaligned_case_s(threads);
    }
}

static void test_train_epoch_errors(void **state)
{
    (void)state;
    err_env env, *e = &env;
    env_open(e, 2);
    bp_mlp *m = e->m;
    double *P = e->params;
    const double *X = e->X, *Y = e->Y;
    const size_t *lab = e->lab, *idx = e->idx;
    double *L = &e->loss;
    int *D = &e->diverged;

    /* the valid calls succeed: n may exceed max_rows (2), batch may not */
    env_reset(e);
    H_OK(bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 4, 1, 0.1, L, D));
    H_OK(bp_mlp_train_epoch(m, P, X, 4, NULL, lab, idx, 4, 2, 0.1, L, D));
    H_OK(bp_mlp_train_epoch(m, P, X, 3, Y, NULL, NULL, 5, 2, 0.1, L, D));
    H_EXPECT(*D == 0 && isfinite(*L), "valid epoch: diverged %d, loss %g", *D, *L);

    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(NULL, P, X, 4, Y, NULL, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(m, NULL, X, 4, Y, NULL, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(m, P, NULL, 4, Y, NULL, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 4, 1, 0.1, NULL, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 4, 1, 0.1, L, NULL));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(m, P, X, 4, Y, lab, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(m, P, X, 4, NULL, NULL, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_BAD_ENUM,
            bp_mlp_train_epoch(e->mse, P, X, 4, NULL, lab, NULL, 4, 1, 0.1, L, D));
    const double bad_lr[3] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++)
        ENV_ERR(BP_ERR_BAD_VALUE,
                bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 4, 1, bad_lr[i], L, D));
    ENV_ERR(BP_ERR_ZERO_SIZE, bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 0, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_ZERO_SIZE, bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 4, 0, 0.1, L, D));
    ENV_ERR(BP_ERR_BAD_VALUE, bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 4, 3, 0.1, L, D));
    ENV_ERR(BP_ERR_LEADING_DIMENSION,
            bp_mlp_train_epoch(m, P, X, 2, Y, NULL, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_SIZE_OVERFLOW,
            bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, SIZE_MAX / 2, 1, 0.1, L, D));
    /* a bad label or row index in the last row is found before the first step */
    size_t bad_last[4] = {0, 1, 0, 2};
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_train_epoch(m, P, X, 4, NULL, bad_last, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_train_epoch(m, P, X, 4, NULL, bad_last, idx, 4, 2, 0.1, L, D));
    ENV_ERR(BP_ERR_SIZE_OVERFLOW,
            bp_mlp_train_epoch(m, P, X, 4, Y, NULL, (const size_t[]){0, 1, 2, SIZE_MAX}, 4, 1,
                               0.1, L, D));
    env_close(e);
}

/* ---- 9. bp_mlp_train_epochs --------------------------------------------------------------------- */

/*
 * bp_mlp_train_epochs is defined as its epochs' bp_mlp_train_epoch calls:
 * the same parameters and per-epoch losses bit for bit, with rows in order
 * and with a different order every epoch, double and float; the snapshot
 * holds the parameters the last epoch started from.
 */
enum { MULTI_EPOCHS = 3 };

/* epoch e's order: a different permutation of the EPOCH_N rows each epoch */
static void multi_orders(size_t *orders)
{
    for (size_t e = 0; e < MULTI_EPOCHS; e++)
        for (size_t i = 0; i < EPOCH_N; i++)
            orders[e * EPOCH_N + i] = (i * (5 + 2 * e) + 3 * e + 1) % EPOCH_N;
}

static void check_epochs_equal_epoch_calls(const net_cfg *c, uint64_t seed)
{
    const size_t k = n_out_last(c);
    const double lr = 0.1;
    epoch_env v;
    epoch_env_open(&v, c, seed, n_in0(c));
    size_t orders[MULTI_EPOCHS * EPOCH_N];
    multi_orders(orders);
    bp_mlp_f32 *mf = NULL;
    H_OK(bp_mlp_create_f32(c->nl, c->ls, c->loss, EPOCH_MAX_ROWS, &mf));
    H_OK(bp_mlp_set_exec_f32(mf, g_context));
    float *Xf = to_float(v.all.X, EPOCH_N * v.all.ldx), *Yf = to_float(v.all.Y, EPOCH_N * k);
    const float *Yt = c->labels ? NULL : Yf;
    const size_t batches[2] = {1, 5};
    for (size_t b = 0; b < 2; b++)
        for (int ordered = 0; ordered < 2; ordered++) {
            const size_t bs = batches[b], *ord = ordered ? orders : NULL;
            double *pa = h_copy(v.p0, v.o.total), *pb = h_copy(v.p0, v.o.total);
            double *before_last = h_alloc(v.o.total), *snap = h_alloc(v.o.total);
            double La[MULTI_EPOCHS], Lb[MULTI_EPOCHS];
            int da = -1, db = -1;
            for (size_t e = 0; e < MULTI_EPOCHS; e++) {
                if (e == MULTI_EPOCHS - 1) memcpy(before_last, pa, v.o.total * sizeof *pa);
                H_OK(bp_mlp_train_epoch(v.m, pa, v.all.X, v.all.ldx, targets_Y(c, &v.all),
                                        targets_lab(c, &v.all), ord ? ord + e * EPOCH_N : NULL,
                                        EPOCH_N, bs, lr, &La[e], &da));
                H_EXPECT(da == 0, "%s, batch %zu: epoch %zu diverged", c->name, bs, e);
            }
            size_t done = 0;
            H_OK(bp_mlp_train_epochs(v.m, pb, v.all.X, v.all.ldx, targets_Y(c, &v.all),
                                     targets_lab(c, &v.all), ord, EPOCH_N, bs, MULTI_EPOCHS, lr,
                                     Lb, snap, &done, &db));
            H_EXPECT(db == 0 && done == MULTI_EPOCHS, "%s, batch %zu: diverged %d after %zu "
                     "epochs", c->name, bs, db, done);
            H_EXPECT(h_same_bits(pa, pb, v.o.total) && h_same_bits(La, Lb, MULTI_EPOCHS),
                     "%s, batch %zu%s: %d epochs in one call differ from %d calls (last loss "
                     "%.17g vs %.17g)", c->name, bs, ordered ? " (orders)" : "", MULTI_EPOCHS,
                     MULTI_EPOCHS, Lb[MULTI_EPOCHS - 1], La[MULTI_EPOCHS - 1]);
            H_EXPECT(h_same_bits(snap, before_last, v.o.total),
                     "%s, batch %zu: the snapshot is not the last epoch's start", c->name, bs);
            /* single precision */
            float *pfa = to_float(v.p0, v.o.total), *pfb = to_float(v.p0, v.o.total);
            double Lfa[MULTI_EPOCHS], Lfb[MULTI_EPOCHS];
            for (size_t e = 0; e < MULTI_EPOCHS; e++)
                H_OK(bp_mlp_train_epoch_f32(mf, pfa, Xf, v.all.ldx, Yt, targets_lab(c, &v.all),
                                            ord ? ord + e * EPOCH_N : NULL, EPOCH_N, bs, lr,
                                            &Lfa[e], &da));
            H_OK(bp_mlp_train_epochs_f32(mf, pfb, Xf, v.all.ldx, Yt, targets_lab(c, &v.all), ord,
                                         EPOCH_N, bs, MULTI_EPOCHS, lr, Lfb, NULL, &done, &db));
            H_EXPECT(db == 0 && done == MULTI_EPOCHS &&
                         memcmp(pfa, pfb, v.o.total * sizeof *pfa) == 0 &&
                         h_same_bits(Lfa, Lfb, MULTI_EPOCHS),
                     "%s, batch %zu%s (float): epochs in one call differ from the calls",
                     c->name, bs, ordered ? " (orders)" : "");
            free(pfa); free(pfb);
            free(pa); free(pb); free(before_last); free(snap);
        }
    free(Xf); free(Yf);
    bp_mlp_free_f32(mf);
    epoch_env_close(&v);
}

static void test_train_epochs_equal_epoch_calls(void **state)
{
    (void)state;
    for_each_training_net(check_epochs_equal_epoch_calls, 9951, 9971);
}

/* Divergence: a NaN in row 9, which only the third epoch's order visits,
 * stops training there (diverged 1) with two epochs completed, their losses
 * written, the third's not, and the parameters of the equivalent calls; an
 * update that overflows in the first epoch (diverged 2) leaves the
 * snapshot at the starting parameters. */
static void check_epochs_divergence(const net_cfg *c, uint64_t seed)
{
    epoch_env v;
    epoch_env_open(&v, c, seed, n_in0(c));
    v.all.X[9 * v.all.ldx] = h_nan();
    size_t orders[MULTI_EPOCHS * EPOCH_N];
    for (size_t e = 0; e < MULTI_EPOCHS; e++)
        for (size_t i = 0; i < EPOCH_N; i++)
            orders[e * EPOCH_N + i] = e < 2 && i == 9 ? 10 : i;
    const size_t batches[2] = {1, 5};
    for (size_t b = 0; b < 2; b++) {
        const size_t bs = batches[b];
        double *pa = h_copy(v.p0, v.o.total), *pb = h_copy(v.p0, v.o.total), *snap = h_alloc(v.o.total);
        double La[MULTI_EPOCHS], Lb[MULTI_EPOCHS] = {0.5, 0.5, 0.5};
        int da = -1, db = -1;
        for (size_t e = 0; e < MULTI_EPOCHS; e++)
            H_OK(bp_mlp_train_epoch(v.m, pa, v.all.X, v.all.ldx, targets_Y(c, &v.all),
                                    targets_lab(c, &v.all), orders + e * EPOCH_N, EPOCH_N, bs, 0.1,
                                    &La[e], &da));
        size_t done = 99;
        H_OK(bp_mlp_train_epochs(v.m, pb, v.all.X, v.all.ldx, targets_Y(c, &v.all), targets_lab(c, &v.all),
                                 orders, EPOCH_N, bs, MULTI_EPOCHS, 0.1, Lb, snap, &done, &db));
        H_EXPECT(da == 1 && db == 1 && done == 2, "%s, batch %zu: diverged %d (calls), %d after "
                 "%zu epochs (one call), expected 1 after 2", c->name, bs, da, db, done);
        H_EXPECT(h_same_bits(pa, pb, v.o.total) && h_same_bits(La, Lb, 2) && Lb[2] == 0.5,
                 "%s, batch %zu: the call did not stop where the epoch calls did", c->name, bs);
        free(pa); free(pb); free(snap);
    }
    v.all.X[9 * v.all.ldx] = 0.5;
    for (size_t i = 0; i < EPOCH_N * n_out_last(c); i++)
        v.all.Y[i] = 100.0;
    double *p = h_copy(v.p0, v.o.total), *snap = h_alloc(v.o.total), L[MULTI_EPOCHS];
    size_t done = 99;
    int d = -1;
    H_OK(bp_mlp_train_epochs(v.m, p, v.all.X, v.all.ldx, targets_Y(c, &v.all), targets_lab(c, &v.all),
                             NULL, EPOCH_N, 1, MULTI_EPOCHS, 1e308, L, snap, &done, &d));
    H_EXPECT(d == 2 && done == 0 && !h_all_finite(p, v.o.total) && h_same_bits(snap, v.p0, v.o.total),
             "%s, learning rate 1e308: diverged %d after %zu epochs, snapshot %s", c->name, d,
             done, h_same_bits(snap, v.p0, v.o.total) ? "the start" : "not the start");
    free(p); free(snap);
    epoch_env_close(&v);
}

static void test_train_epochs_divergence(void **state)
{
    (void)state;
    check_epochs_divergence(&NARROW_NETS[2], 9991);   /* 2-2-2-2 sigmoid MSE (online path) */
    check_epochs_divergence(&STEP_NETS[0], 9992);     /* 30-12-3, dense kernels */
}

static void test_train_epochs_errors(void **state)
{
    (void)state;
    err_env env, *e = &env;
    env_open(e, 2);
    bp_mlp *m = e->m;
    double *P = e->params, Ls[3], snap[32];
    const double *X = e->X, *Y = e->Y;
    const size_t *lab = e->lab;
    size_t done = 0, *C = &done;
    int *D = &e->diverged;
    /* three epochs' orders; the last epoch's holds a bad row index or label */
    size_t ord[12] = {0, 1, 2, 3, 3, 2, 1, 0, 1, 0, 3, 2};

    env_reset(e);
    H_OK(bp_mlp_train_epochs(m, P, X, 4, Y, NULL, ord, 4, 1, 3, 0.1, Ls, snap, C, D));
    H_EXPECT(*D == 0 && done == 3 && isfinite(Ls[2]), "valid epochs: diverged %d, %zu done",
             *D, done);
    H_OK(bp_mlp_train_epochs(m, P, X, 4, NULL, lab, NULL, 4, 2, 3, 0.1, Ls, NULL, C, D));

    ENV_ERR(BP_ERR_NULL_POINTER,
            bp_mlp_train_epochs(NULL, P, X, 4, Y, NULL, NULL, 4, 1, 3, 0.1, Ls, snap, C, D));
    ENV_ERR(BP_ERR_NULL_POINTER,
            bp_mlp_train_epochs(m, NULL, X, 4, Y, NULL, NULL, 4, 1, 3, 0.1, Ls, snap, C, D));
    ENV_ERR(BP_ERR_NULL_POINTER,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, NULL, 4, 1, 3, 0.1, NULL, snap, C, D));
    ENV_ERR(BP_ERR_NULL_POINTER,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, NULL, 4, 1, 3, 0.1, Ls, snap, NULL, D));
    ENV_ERR(BP_ERR_NULL_POINTER,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, NULL, 4, 1, 3, 0.1, Ls, snap, C, NULL));
    ENV_ERR(BP_ERR_ZERO_SIZE,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, NULL, 4, 1, 0, 0.1, Ls, snap, C, D));
    ENV_ERR(BP_ERR_ZERO_SIZE,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, NULL, 0, 1, 3, 0.1, Ls, snap, C, D));
    ENV_ERR(BP_ERR_BAD_VALUE,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, NULL, 4, 1, 3, NAN, Ls, snap, C, D));
    ENV_ERR(BP_ERR_SIZE_OVERFLOW,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, ord, SIZE_MAX / 2, 1, 3, 0.1, Ls, snap, C, D));
    /* a bad row index or label in the last epoch is found before the first step */
    ord[11] = SIZE_MAX;
    ENV_ERR(BP_ERR_SIZE_OVERFLOW,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, ord, 4, 1, 3, 0.1, Ls, snap, C, D));
    ord[11] = 2;
    size_t bad_lab[4] = {0, 1, 0, 2};
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_train_epochs(m, P, X, 4, NULL, bad_lab, ord, 4, 1, 3, 0.1, Ls, snap, C, D));
    env_close(e);
}

/* bp_mlp_workspace_bytes covers at least the buffers bp_mlp_create lays
 * out (Z, A, dZ, dA of every layer for max_rows rows, and a gradient),
 * grows with the rows by at least those buffers, and refuses what create
 * refuses, without allocating. */
static void test_workspace_bytes(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof FWD_NETS / sizeof FWD_NETS[0]; t++) {
        const net_cfg *c = &FWD_NETS[t];
        size_t widths = 0, params = 0;
        for (size_t l = 0; l < c->nl; l++) {
            widths += c->ls[l].n_out;
            params += c->ls[l].n_in * c->ls[l].n_out + c->ls[l].n_out;
        }
        for (size_t rows = 1; rows <= 256; rows *= 16) {
            size_t d = 0, f = 0, d2 = 0;
            H_OK(bp_mlp_workspace_bytes(c->nl, c->ls, c->loss, rows, &d));
            H_OK(bp_mlp_workspace_bytes_f32(c->nl, c->ls, c->loss, rows, &f));
            H_OK(bp_mlp_workspace_bytes(c->nl, c->ls, c->loss, 2 * rows, &d2));
            size_t floor = (4 * rows * widths + params) * sizeof(double);
            H_EXPECT(d >= floor, "%s, %zu rows: %zu bytes, buffers alone take %zu", c->name, rows, d, floor);
            H_EXPECT(f >= floor / 2 && f < d, "%s, %zu rows: float %zu bytes, double %zu", c->name, rows, f, d);
            H_EXPECT(d2 - d >= 4 * rows * widths * sizeof(double), "%s: %zu → %zu bytes for twice the rows",
                     c->name, d, d2);
            bp_mlp *m = create(c, rows);
            bp_mlp_free(m);
        }
    }
    const net_cfg *c = &FWD_NETS[0];
    size_t bytes = 0;
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_workspace_bytes(c->nl, c->ls, c->loss, 4, NULL));
    H_STATUS(BP_ERR_ZERO_SIZE, bp_mlp_workspace_bytes(c->nl, c->ls, c->loss, 0, &bytes));
    bp_layer_spec huge[2] = {{(size_t)1 << 40, (size_t)1 << 30, BP_ACT_RELU, 0.0},
                             {(size_t)1 << 30, 1, BP_ACT_IDENTITY, 0.0}};
    H_STATUS(BP_ERR_SIZE_OVERFLOW, bp_mlp_workspace_bytes(2, huge, BP_LOSS_MSE, 4, &bytes));
}

int run_mlp_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_matches_kernel_composition),
        cmocka_unit_test(test_parameter_count),
        cmocka_unit_test(test_workspace_bytes),
        cmocka_unit_test(test_preactivations_follow_last_forward),
        cmocka_unit_test(test_gradient_mse),
        cmocka_unit_test(test_gradient_bce),
        cmocka_unit_test(test_gradient_cce),
        cmocka_unit_test(test_gradient_softmax_cce),
        cmocka_unit_test(test_backward_equals_mse_gradient),
        cmocka_unit_test(test_train_step_equals_gradient_and_update),
        cmocka_unit_test(test_train_step_with_indices),
        cmocka_unit_test(test_train_step_divergence),
        cmocka_unit_test(test_train_step_nan_preactivation),
        cmocka_unit_test(test_train_step_gradient_overflow_in_gemm),
        cmocka_unit_test(test_train_step_one_sample_at_a_time),
        cmocka_unit_test(test_narrow_engine_matches_gradient),
        cmocka_unit_test(test_narrow_softmax_underflow),
        cmocka_unit_test(test_narrow_engine_float),
        cmocka_unit_test(test_online_steps_follow_gradient_steps),
        cmocka_unit_test(test_train_epoch_equals_steps),
        cmocka_unit_test(test_train_epoch_divergence),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_forward_backward_errors),
        cmocka_unit_test(test_train_step_errors),
        cmocka_unit_test(test_train_epoch_errors),
        cmocka_unit_test(test_train_epochs_equal_epoch_calls),
        cmocka_unit_test(test_train_epochs_divergence),
        cmocka_unit_test(test_train_epochs_errors),
        cmocka_unit_test(test_fused_steps),
        cmocka_unit_test(test_misaligned_parameters),
        cmocka_unit_test(test_fault_order_of_bp_status_h),
    };
    return cmocka_run_group_tests_name("mlp", tests, NULL, NULL);
}
