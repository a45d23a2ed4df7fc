/*
 * mlp_support.c — the helpers that test_mlp.c, test_narrow.c and
 * test_training.c share; mlp_support.h says what each is for.
 */
#include "mlp_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_categorical(bp_loss loss) {
    return loss == BP_LOSS_CCE || loss == BP_LOSS_SOFTMAX_CCE;
}

layout make_layout(const net_cfg *c) {
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

void fill_params(h_rng *r, const net_cfg *c, const layout *o, double *p) {
    for (size_t l = 0; l < c->nl; l++) {
        size_t ni = c->ls[l].n_in, no = c->ls[l].n_out;
        double s = 2.0 / sqrt((double)ni);
        h_fill(r, p + o->w[l], ni * no, -s, s);
        h_fill(r, p + o->b[l], no, -0.5, 0.5);
    }
}

void ref_init(ref *r, const net_cfg *c, size_t max_rows) {
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

void ref_free(ref *r) {
    for (size_t l = 0; l < r->c->nl; l++) {
        free(r->Z[l]);
        free(r->A[l]);
        free(r->dZ[l]);
        free(r->dA[l]);
    }
}

void make_batch(h_rng *r, const net_cfg *c, size_t rows, size_t ldx, batch *b) {
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
            if (c->loss == BP_LOSS_MSE) *y = h_uniform(r, -1.0, 1.0);
            else if (is_categorical(c->loss)) *y = j == b->lab[i] ? 1.0 : 0.0;
            else *y = (double)(h_next(r) & 1);
        }
    }
}

problem make_problem(uint64_t seed, size_t n, size_t n_in, size_t k) {
    h_rng r;
    h_seed(&r, seed);
    problem q = {
        n, n_in, k, h_alloc(n * n_in), h_alloc(n * k), NULL, NULL, malloc(n * sizeof(size_t))
    };
    q.Xf = malloc(n * n_in * sizeof(float));
    q.Yf = malloc(n * k * sizeof(float));
    h_fill(&r, q.X, n * n_in, -1.0, 1.0);
    for (size_t i = 0; i < n; i++) {
        q.labels[i] = h_below(&r, k);
        for (size_t j = 0; j < k; j++) q.Y[i * k + j] = j == q.labels[i] ? 1.0 : 0.0;
    }
    for (size_t i = 0; i < n * n_in; i++) q.Xf[i] = (float)q.X[i];
    for (size_t i = 0; i < n * k; i++) q.Yf[i] = (float)q.Y[i];
    return q;
}

void free_problem(problem *q) {
    free(q->X);
    free(q->Y);
    free(q->Xf);
    free(q->Yf);
    free(q->labels);
}

void free_batch(batch *b) {
    free(b->X);
    free(b->Y);
    free(b->lab);
}

const double *targets_Y(const net_cfg *c, const batch *b) { return c->labels ? NULL : b->Y; }

const size_t *targets_lab(const net_cfg *c, const batch *b) { return c->labels ? b->lab : NULL; }

const bp_exec *g_context;

bp_mlp *create(const net_cfg *c, size_t max_rows) {
    bp_mlp *m = NULL;
    H_OK(bp_mlp_create(c->nl, c->ls, c->loss, max_rows, &m));
    H_EXPECT(m != NULL, "%s: bp_mlp_create gave no workspace", c->name);
    H_OK(bp_mlp_set_exec(m, g_context));
    return m;
}

double rel_err(const double *x, const double *y, size_t n) {
    return h_normwise_err(1, n, x, n, y, n, h_max_abs(y, n));
}

float *to_float(const double *x, size_t n) {
    if (x == NULL) return NULL;
    float *f = malloc((n ? n : 1) * sizeof *f);
    H_EXPECT(f != NULL, "out of memory");
    for (size_t i = 0; i < n; i++) f[i] = (float)x[i];
    return f;
}

void from_float(const float *f, double *x, size_t n) {
    if (f != NULL && x != NULL)
        for (size_t i = 0; i < n; i++) x[i] = f[i];
}

void env_reset(err_env *e) {
    for (size_t i = 0; i < 32; i++) e->params[i] = e->p_saved[i] = 0.1 * (double)(i % 7) - 0.3;
    for (size_t i = 0; i < 16; i++) e->X[i] = 0.05 * (double)i - 0.4;
    for (size_t i = 0; i < 4; i++) {
        e->lab[i] = i % 2;
        e->idx[i] = 3 - i;
        e->Y[2 * i] = (double)(i % 2 == 0);
        e->Y[2 * i + 1] = (double)(i % 2 == 1);
        e->dA[2 * i] = 0.1;
        e->dA[2 * i + 1] = -0.2;
    }
    for (size_t i = 0; i < 16; i++) e->out[i] = e->dX[i] = SENT;
    for (size_t i = 0; i < 32; i++) e->grad[i] = SENT;
    e->loss = SENT;
    e->diverged = -7;
}

void env_untouched(const err_env *e, const char *what) {
    for (size_t i = 0; i < 16; i++)
        H_EXPECT(e->out[i] == SENT && e->dX[i] == SENT, "%s: out or dX written on an error", what);
    for (size_t i = 0; i < 32; i++)
        H_EXPECT(e->grad[i] == SENT, "%s: grad written on an error", what);
    H_EXPECT(h_same_bits(e->params, e->p_saved, 32), "%s: params changed on an error", what);
    H_EXPECT(e->loss == SENT, "%s: loss written on an error", what);
    H_EXPECT(e->diverged == -7, "%s: diverged written on an error", what);
}

void env_open(err_env *e, size_t max_rows) {
    const bp_layer_spec ls[2] = { L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_SOFTMAX) };
    H_OK(bp_mlp_create(2, ls, BP_LOSS_SOFTMAX_CCE, max_rows, &e->m));
    H_OK(bp_mlp_create(2, ls, BP_LOSS_MSE, max_rows, &e->mse));
}

void env_close(err_env *e) {
    bp_mlp_free(e->m);
    bp_mlp_free(e->mse);
}
