/*
 * mlp_support.h — what the tests of the network engine (test_mlp.c), of its
 * narrow-network engine (test_narrow.c), of its training loop
 * (test_training.c) and of its per-layer accessors (test_trace.c) share:
 *
 *  - a network description (net_cfg: layers, loss, dense targets or labels)
 *    and its parameter layout [W_0 | b_0 | W_1 | b_1 | ...], recomputed here
 *    from bp_mlp.h's description rather than asked of the engine, and random
 *    parameters for it;
 *  - the buffers of the reference network (Z, A, dZ, dA of every layer),
 *    which test_mlp.c computes with the individual kernels;
 *  - random batches with targets suited to the loss;
 *  - create(): a network with the execution context the training tests
 *    attach (g_context);
 *  - rel_err, the norm-wise comparison every file uses, and to_float;
 *  - the argument-error environment (err_env, ENV_ERR): valid arguments for
 *    every call, and outputs that must keep their sentinels on an error;
 *  - NARROW_NETS, the networks of test_narrow.c, which the epoch tests of
 *    test_training.c train too.
 *
 * Nothing here computes with the engine: it only creates and frees networks.
 */
#ifndef MLP_SUPPORT_H
#define MLP_SUPPORT_H

#include "harness.h"

#include <stddef.h>

#define MAXL 4

/* ---- network descriptions ------------------------------------------------------------ */

typedef struct net_cfg {
    const char *name;
    size_t nl;
    bp_layer_spec ls[MAXL];
    bp_loss loss;
    int labels; /* targets as class labels instead of dense Y */
} net_cfg;

#define L_(i, o, a) { (i), (o), (a), 0.0 }
#define LEAKY_(i, o) { (i), (o), BP_ACT_LEAKY_RELU, 0.1 }

static inline size_t n_in0(const net_cfg *c) { return c->ls[0].n_in; }
static inline size_t n_out_last(const net_cfg *c) { return c->ls[c->nl - 1].n_out; }

/* Offsets of W_l and b_l in the flat parameter vector (bp_mlp.h layout). */
typedef struct layout {
    size_t w[MAXL], b[MAXL], total;
} layout;

layout make_layout(const net_cfg *c);
/* W_l uniform on ±2/√n_in (pre-activations of order 1 for inputs in
 * [−1, 1]), b_l uniform on ±0.5. */
void fill_params(h_rng *r, const net_cfg *c, const layout *o, double *p);

/* ---- the reference network's buffers ------------------------------------------------------ */

typedef struct ref {
    const net_cfg *c;
    layout lay;
    double *Z[MAXL], *A[MAXL], *dZ[MAXL], *dA[MAXL];
} ref;

/* Buffers for batches of up to max_rows rows; ref_free releases them. */
void ref_init(ref *r, const net_cfg *c, size_t max_rows);
void ref_free(ref *r);

/* ---- batches ------------------------------------------------------------------------------ */

typedef struct batch {
    size_t rows, ldx;
    double *X;   /* rows × n_in, leading dimension ldx, NaN padding */
    double *Y;   /* rows × k, contiguous */
    size_t *lab; /* rows labels (Y one-hot of them for categorical losses) */
} batch;

/* Targets suited to the loss: MSE uniform on [−1, 1), binary losses {0, 1},
 * categorical one-hot rows of random labels. */
void make_batch(h_rng *r, const net_cfg *c, size_t rows, size_t ldx, batch *b);
void free_batch(batch *b);
/* The targets the network takes: Y, or the labels when c->labels (the
 * other NULL). */
const double *targets_Y(const net_cfg *c, const batch *b);
const size_t *targets_lab(const net_cfg *c, const batch *b);

/* A classification problem for training tests (test_update_stage.c,
 * test_optimizers.c): n rows of inputs uniform on [−1, 1) (X, and Xf in
 * float), random labels below k and their one-hot rows (Y, Yf). */
typedef struct problem {
    size_t n, n_in, k;
    double *X, *Y;
    float *Xf, *Yf;
    size_t *labels;
} problem;

problem make_problem(uint64_t seed, size_t n, size_t n_in, size_t k);
void free_problem(problem *q);

/* ---- networks ------------------------------------------------------------------------------ */

/* The context create() attaches to its networks: NULL (one thread, the
 * step's separate passes), or one of test_fused_steps's contexts
 * (test_training.c), with which a dense network's steps fuse the SGD update
 * into the weight-gradient products (mlp_tmpl.h, P(descend)). */
extern const bp_exec *g_context;

/* bp_mlp_create for c with max_rows rows, and g_context attached. */
bp_mlp *create(const net_cfg *c, size_t max_rows);

/* max |x − y| / max |y| over n elements (+inf for a NaN or infinity). */
double rel_err(const double *x, const double *y, size_t n);

/* A float copy of x[0..n) (malloc'd), or NULL for x NULL. */
float *to_float(const double *x, size_t n);
/* x[i] = f[i] for i < n; nothing when either is NULL. */
void from_float(const float *f, double *x, size_t n);

/* The networks of the narrow engine's tests (test_narrow.c), every width
 * at most 8. */
extern const net_cfg NARROW_NETS[];
extern const size_t N_NARROW_NETS;

/* ---- argument errors ------------------------------------------------------------------------ */

/* The sentinel every output starts as in the error tests. */
#define SENT 1234.5

/* Two 3-5-2 networks (env_open) and valid arguments for every call; each
 * call of an error test changes exactly one of them. */
typedef struct err_env {
    bp_mlp *m;   /* SOFTMAX_CCE: takes Y or labels */
    bp_mlp *mse; /* MSE: labels are not allowed */
    double params[32], X[4 * 4], Y[4 * 2], dA[4 * 2];
    size_t lab[4], idx[4];
    double out[16], grad[32], dX[16], loss;
    double p_saved[32];
    int diverged;
} err_env;

/* Valid arguments again, and every output set to its sentinel. */
void env_reset(err_env *e);
/* Fails unless every output still holds its sentinel and params their values. */
void env_untouched(const err_env *e, const char *what);

/* Runs call (whose one fault makes it return status) on a fresh
 * environment *e and checks that it wrote nothing. */
#define ENV_ERR(status, call)                                                                      \
    do {                                                                                           \
        env_reset(e);                                                                              \
        H_STATUS(status, call);                                                                    \
        env_untouched(e, #call);                                                                   \
    } while (0)

/* The two networks of the error tests, 3-5-2 tanh/softmax: e->m with
 * SOFTMAX_CCE (takes Y or labels), e->mse with MSE (labels not allowed). */
void env_open(err_env *e, size_t max_rows);
void env_close(err_env *e);

#endif /* MLP_SUPPORT_H */
