/*
 * mlp_tmpl.h — the network engine of bp_mlp.h, written once and included by
 * mlp.c once per precision (no include guard on purpose). Before each
 * inclusion mlp.c defines:
 *
 *   R                 element type (double, float)
 *   MLP               the struct name (bp_mlp, bp_mlp_f32)
 *   P(name)           private names (name##_d, name##_s)
 *   DENSE_FWD, DENSE_BWD, LOSS, LOSS_LABELS         the precision's kernels
 *   DIRECT_FWD, DIRECT_BWD                          the dense kernels' unchecked
 *                                                   direct path for tiny layers
 *   LOSS_FUSED                                      fused output loss from A
 *   VEC_NONFINITE, VEC_SGD, VEC_MAXABS              the dispatch table's parameter-
 *                                                   vector passes (vector_tmpl.h)
 *   UPDATE_FINISH                                   the update stage's end of a
 *                                                   step (bp_update_finish_d, _s)
 *   PENALTY                                         its L2 penalty
 *                                                   (bp_update_penalty_d, _s)
 *   DROP_DRAW, DROP_SCALE                           dropout's masks and products
 *                                                   (ops/dropout.h: _d, _s)
 *   GEMM_RUN                                        the blocked GEMM (bp_dgemm_run, ...)
 *   R_MAX, R_EPS                                    DBL_MAX / FLT_MAX, DBL_EPSILON / ...
 *   NARROW, NARROW_ONLINE                           the dispatch table's narrow
 *                                                   engine members (narrow_d,
 *                                                   narrow_online_d; _s for float)
 *   REF(name), REF_WORK                             the reference engine
 *                                                   (reference/mlp_reference.h)
 *
 * Each layer runs through the fused dense kernels (bp_dense.h): bias and
 * activation in the GEMM epilogue on the way forward, the activation
 * derivative fused into the backward pass, and a direct path for small
 * layers. Arguments are validated once per call, here; the layout and the
 * shared checks live in mlp.c.
 *
 * Narrow networks (every width ≤ BP_NARROW_WIDTH, e.g. seed 01's 2-4-3-1 or
 * seed 03's 2-2-2-2) train through the narrow engine (narrow_tmpl.h): a
 * whole step on chunks of samples held feature-major, vectorised across
 * samples, instead of a chain of GEMMs with k, n ≤ 8. Their forward and
 * gradient calls on at most BP_TINY_ROWS rows skip even the dense kernels'
 * argument checks and run as plain loops over the workspace; larger batches
 * of those calls go through the dense kernels.
 *
 * It defines P(mlp_name) for each public function bp_mlp_name(_f32) of
 * bp_mlp.h (P(mlp_train_step) for bp_mlp_train_step, ...): their bodies,
 * which mlp.c defines by name as calls to them.
 *
 * With a context created with BP_EXEC_REFERENCE, every public function
 * hands its checked arguments to the reference engine instead (one branch
 * each, P(on_reference)), which runs in this workspace's buffers.
 *
 * Every training step applies its parameters through the network's update
 * stage (update_stage.h): the gradient formed, then the stage's step
 * (P(finish_step)); or, when the stage says its step is p ← p + α·g and
 * nothing else, fused into the engine's own loops (P(descend)'s products,
 * the narrow engine's one-sample path), with the stage's α and rule.
 *
 * Dropout (bp_regularization.h): a training step of a network with rates
 * draws its masks S_l first (P(step)), then runs with m->dropping set: the
 * forward pass writes D_l = A_l ⊙ S_l next to A_l and the layer above reads
 * D_l (P(input)); the backward pass scales dL/dD_l by S_l into dL/dA_l
 * before layer l's own backward pass, which reads Z_l and A_l unchanged.
 * Those steps take the general path (no fused update, no narrow engine:
 * narrow networks run through the dense kernels).
 */

struct MLP {
    mlp_layout layout;      /* shapes, loss, offsets (precision-free) */
    const bp_exec *exec;    /* GEMM context (threads, buffers); may be NULL */
    R **Z, **A, **dZ, **dA; /* per layer, max_rows × n_out */
    R *Xg, *Yg;             /* gathered batch inputs and targets */
    size_t *Lg;             /* gathered labels */
    R *grad;                /* gradient buffer for train_step */
    R *narrow;              /* the narrow engine's scratch (narrow networks) */
    R *work;                /* aligned copy of the parameters (P(work_params)) */
    double *mag;            /* the fused step's magnitudes (P(descend)), 4 per
                                   layer: see P(MAG_BOUND) .. P(MAG_DZ) */
    bp_update_stage stage;  /* how steps turn m->grad into parameters */
    bp_dropout drop;        /* dropout's rates, seed, counter (rates NULL: off) */
    R **S, **D;             /* per layer: masks S_l and dropped D_l (NULL: not dropped) */
    void *drop_block;       /* the allocation behind S and D */
    int dropping;           /* inside a training step with dropout */
    void *block;            /* the single allocation behind the buffers */
    REF_WORK ref;           /* those buffers, as the reference engine takes them */
};

/* Whether calls run on the reference engine (a BP_EXEC_REFERENCE context). */
static int P(on_reference)(const MLP *m) { return bp_exec_reference(m->exec); }

/* The bytes of the buffer block of an engine with `elements` scalars of
 * buffers (mlp_layout_init) over n_layers layers and max_rows rows.
 * Every buffer starts on a cache line (BP_MLP_ALIGN bytes, a whole
 * AVX-512 vector): the GEMMs write Z, dZ and the gradient in full-width
 * vector stores along rows, and a buffer 16 bytes off a line (where a
 * large calloc block starts) splits every one of them across two lines
 * (Benchmarks/README.md: +0.5 % per epoch aligned). So each buffer is
 * rounded up to whole lines, and the block has one line of slack to align
 * its start. */
static bp_status P(block_bytes)(size_t n_layers, size_t max_rows, size_t elements, size_t *bytes) {
    const size_t line = BP_MLP_ALIGN / sizeof(R);
    size_t slack;
    if (bp_mul_overflows(4 * n_layers + 5, line, &slack) ||
        __builtin_add_overflow(elements, slack, &elements) ||
        bp_mul_overflows(elements, sizeof(R), bytes) ||
        __builtin_add_overflow(*bytes, max_rows * sizeof(size_t) + BP_MLP_ALIGN, bytes))
        return BP_ERR_SIZE_OVERFLOW;
    return BP_OK;
}

static bp_status P(mlp_workspace_bytes)(size_t n_layers, const bp_layer_spec *layers, bp_loss loss,
                                     size_t max_rows, size_t *bytes) {
    if (bytes == NULL) return BP_ERR_NULL_POINTER;
    mlp_layout layout;
    size_t elements;
    BP_TRY(mlp_layout_init(&layout, n_layers, layers, loss, max_rows, sizeof(R), &elements));
    mlp_layout_free(&layout);
    size_t block;
    BP_TRY(P(block_bytes)(n_layers, max_rows, elements, &block));
    /* (a new network's optimiser, plain SGD, keeps no state) */
    size_t tables = 4 * n_layers * (sizeof(R *) + sizeof(double));
    if (__builtin_add_overflow(block, tables + sizeof(MLP), bytes)) return BP_ERR_SIZE_OVERFLOW;
    return BP_OK;
}

static bp_status P(mlp_create)(size_t n_layers, const bp_layer_spec *layers, bp_loss loss,
                            size_t max_rows, MLP **out) {
    mlp_layout layout;
    size_t elements, tables;
    BP_TRY(mlp_layout_init(&layout, n_layers, layers, loss, max_rows, sizeof(R), &elements));
    if (out == NULL) {
        mlp_layout_free(&layout);
        return BP_ERR_NULL_POINTER;
    }
    tables = 4 * n_layers;
    const size_t line = BP_MLP_ALIGN / sizeof(R);
    size_t bytes;
    if (P(block_bytes)(n_layers, max_rows, elements, &bytes) != BP_OK) {
        mlp_layout_free(&layout);
        return BP_ERR_SIZE_OVERFLOW;
    }
    MLP *m = calloc(1, sizeof *m);
    R **pointers = malloc(tables * sizeof(R *));
    double *mag = calloc(4 * n_layers, sizeof(double));
    /* calloc, not malloc + memset: a large block comes straight from the
     * system already zeroed, and its pages are touched by training, not
     * twice. */
    void *block = calloc(1, bytes);
    if (m == NULL || pointers == NULL || mag == NULL || block == NULL) {
        free(m);
        free(pointers);
        free(mag);
        free(block);
        mlp_layout_free(&layout);
        return BP_ERR_NO_MEMORY;
    }
    bp_update_stage_init(&m->stage, layout.n_params, sizeof(R)); /* plain SGD */
    m->layout = layout;
    /* the weights W_l = [w_off[l], b_off[l]) for the L2 penalty */
    bp_update_stage_set_weights(&m->stage, n_layers, m->layout.w_off, m->layout.b_off);
    m->block = block;
    m->mag = mag;
    m->Z = pointers;
    m->A = pointers + n_layers;
    m->dZ = pointers + 2 * n_layers;
    m->dA = pointers + 3 * n_layers;
    R *cursor =
        (R *)(void *)(((uintptr_t)block + BP_MLP_ALIGN - 1) & ~(uintptr_t)(BP_MLP_ALIGN - 1));
#define P_LINES(count) (((count) + line - 1) / line * line)
    for (size_t l = 0; l < n_layers; l++) {
        size_t act = P_LINES(max_rows * layers[l].n_out);
        m->Z[l] = cursor;
        cursor += act;
        m->A[l] = cursor;
        cursor += act;
        m->dZ[l] = cursor;
        cursor += act;
        m->dA[l] = cursor;
        cursor += act;
    }
    m->Xg = cursor;
    cursor += P_LINES(max_rows * layers[0].n_in);
    m->Yg = cursor;
    cursor += P_LINES(max_rows * layers[n_layers - 1].n_out);
    m->grad = cursor;
    cursor += P_LINES(layout.n_params);
    m->narrow = cursor;
    cursor += P_LINES(layout.narrow_elems);
    m->work = cursor;
    cursor += P_LINES(layout.narrow ? 0 : layout.n_params);
#undef P_LINES
    m->Lg = (size_t *)(void *)cursor;
    m->ref = (REF_WORK){ m->Z, m->A, m->dZ, m->dA, m->grad, m->Xg, m->Yg, m->Lg, NULL, NULL, NULL };
    *out = m;
    return BP_OK;
}

static void P(mlp_free)(MLP *m) {
    if (m == NULL) return;
    mlp_layout_free(&m->layout);
    bp_update_stage_free(&m->stage);
    free(m->drop.rates);
    free(m->S);
    free(m->drop_block);
    free(m->Z);
    free(m->mag);
    free(m->block);
    free(m);
}

bp_update_stage *P(bp_mlp_update_stage)(MLP *m) { return &m->stage; }

const mlp_layout *P(bp_mlp_layout)(const MLP *m) { return &m->layout; }

static bp_status P(mlp_set_exec)(MLP *m, const bp_exec *exec) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    m->exec = exec;
    return BP_OK;
}

/* The checks of the per-layer accessors: a network, a layer of it, and
 * somewhere to put the pointer (nothing is written on an error). They
 * return the buffers every engine path writes: the dense kernels, the tiny
 * passes' plain loops (P(forward_mag), P(backward)) and the reference
 * engine (m->ref holds the same pointers). */
static bp_status P(check_layer)(const MLP *m, size_t layer, const R *const *out) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    if (layer >= m->layout.n_layers) return BP_ERR_BAD_VALUE;
    return out == NULL ? BP_ERR_NULL_POINTER : BP_OK;
}

static bp_status P(mlp_preactivations)(const MLP *m, size_t layer, const R **Z) {
    BP_TRY(P(check_layer)(m, layer, Z));
    *Z = m->Z[layer];
    return BP_OK;
}

static bp_status P(mlp_activations)(const MLP *m, size_t layer, const R **A) {
    BP_TRY(P(check_layer)(m, layer, A));
    *A = m->A[layer];
    return BP_OK;
}

static bp_status P(mlp_deltas)(const MLP *m, size_t layer, const R **dZ) {
    BP_TRY(P(check_layer)(m, layer, dZ));
    *dZ = m->dZ[layer];
    return BP_OK;
}

static bp_status P(mlp_parameter_count)(const MLP *m, size_t *count) {
    if (m == NULL || count == NULL) return BP_ERR_NULL_POINTER;
    *count = m->layout.n_params;
    return BP_OK;
}

/* The fused step's magnitudes (P(descend)): m->mag holds, from offset
 * k·n_layers + l, the bound on max |W_l|, the next step's candidate for it,
 * max |input of layer l| (X or A_{l−1}) and max |dZ_l|. */
enum { P(MAG_BOUND) = 0, P(MAG_NEXT) = 1, P(MAG_IN) = 2, P(MAG_DZ) = 3 };

/* max |x| over a rows × cols block of leading dimension ld (+∞ if a value
 * is not finite). */
static double P(maxabs_block)(const bp_kernel_set *ks, size_t rows, size_t cols, const R *x,
                           size_t ld) {
    if (ld == cols) return ks->VEC_MAXABS(rows * cols, x);
    double most = 0.0;
    for (size_t i = 0; i < rows; i++) {
        double r = ks->VEC_MAXABS(cols, x + i * ld);
        most = r > most ? r : most; /* +∞ wins; VEC_MAXABS never returns NaN */
    }
    return most;
}

/* One thread's rows of P(maxabs_rows). */
typedef struct P(mag_job) {
    const bp_kernel_set *ks;
    const R *x;
    size_t rows, cols, ld;
    double most[BP_EXEC_MAX_THREADS];
} P(mag_job);

static void P(mag_share)(void *arg, size_t tid, size_t nthreads) {
    P(mag_job) *j = arg;
    size_t lo = j->rows * tid / nthreads, hi = j->rows * (tid + 1) / nthreads;
    j->most[tid] = P(maxabs_block)(j->ks, hi - lo, j->cols, j->x + lo * j->ld, j->ld);
}

/* P(maxabs_block) shared between the context's threads from
 * PARALLEL_UPDATE values on, like the update: the batch X comes from
 * memory, and one thread alone scanning it while the other waited cost W3
 * 3–4 % of its 2-thread epoch. */
static double P(maxabs_rows)(const MLP *m, size_t rows, size_t cols, const R *x, size_t ld) {
    const bp_kernel_set *ks = bp_exec_kernels(m->exec);
    size_t threads = bp_exec_threads(m->exec);
    if (threads <= 1 || rows < threads || rows * cols < PARALLEL_UPDATE)
        return P(maxabs_block)(ks, rows, cols, x, ld);
    P(mag_job) j = { ks, x, rows, cols, ld, { 0 } };
    bp_exec_run(m->exec, threads, P(mag_share), &j);
    double most = 0.0;
    for (size_t t = 0; t < threads; t++) most = j.most[t] > most ? j.most[t] : most;
    return most;
}

/* The input of layer l ≥ 1: D_{l−1} in a training step that drops layer
 * l − 1's outputs, else A_{l−1}. */
static const R *P(input)(const MLP *m, size_t l) {
    return m->dropping && m->S[l - 1] != NULL ? m->D[l - 1] : m->A[l - 1];
}

/* In a training step with dropout: D_l = A_l ⊙ S_l after layer l's forward
 * pass (forward), or dL/dA_l = dL/dD_l ⊙ S_l in m->dA[l] before its
 * backward pass (backward); nothing for a layer that does not drop. */
static void P(drop_layer)(MLP *m, size_t l, size_t rows, int backward) {
    if (!m->dropping || m->S[l] == NULL) return;
    const size_t count = rows * m->layout.layers[l].n_out;
    if (backward) DROP_SCALE(count, m->S[l], m->dA[l], m->dA[l]);
    else DROP_SCALE(count, m->S[l], m->A[l], m->D[l]);
}

/* Z_l = A_{l−1}·W_l + b_l, A_l = f_l(Z_l) for every layer. With `inputs`
 * (a fused step), also max |X| and max |A_l| into the magnitudes, each
 * taken where its array is in cache: X just before the first product
 * reads it, A_l just after the epilogue writes it (3 % of W3's epoch in
 * double when taken at the end of the step). */
static bp_status P(forward_mag)(MLP *m, const R *params, size_t rows, const R *X, size_t ldx,
                             int inputs) {
    const mlp_layout *y = &m->layout;
    if (y->narrow && rows <= BP_TINY_ROWS) {
        for (size_t l = 0; l < y->n_layers; l++) {
            const bp_layer_spec *s = &y->layers[l];
            DIRECT_FWD(s->act, (R)s->param, rows, s->n_in, s->n_out, l == 0 ? X : P(input)(m, l),
                       l == 0 ? ldx : s->n_in, params + y->w_off[l], s->n_out, params + y->b_off[l],
                       m->Z[l], m->A[l]);
            P(drop_layer)(m, l, rows, 0);
        }
        return BP_OK;
    }
    double *in_mag = m->mag + P(MAG_IN) * y->n_layers;
    if (inputs) in_mag[0] = P(maxabs_rows)(m, rows, y->layers[0].n_in, X, ldx);
    for (size_t l = 0; l < y->n_layers; l++) {
        const bp_layer_spec *s = &y->layers[l];
        const R *in = l == 0 ? X : P(input)(m, l);
        size_t ld = l == 0 ? ldx : s->n_in;
        BP_TRY(DENSE_FWD(m->exec, s->act, (R)s->param, rows, s->n_in, s->n_out, in, ld,
                         params + y->w_off[l], s->n_out, params + y->b_off[l], m->Z[l], m->A[l]));
        P(drop_layer)(m, l, rows, 0);
        if (inputs && l + 1 < y->n_layers)
            in_mag[l + 1] = P(maxabs_rows)(m, rows, s->n_out, m->A[l], s->n_out);
    }
    return BP_OK;
}

static bp_status P(forward)(MLP *m, const R *params, size_t rows, const R *X, size_t ldx) {
    return P(forward_mag)(m, params, rows, X, ldx, 0);
}

/* Backward pass. On entry either dZ_L holds dL/dZ_L (dA_out == NULL) or
 * dA_out holds dL/dA_L. Fills grad and, if not NULL, dX. */
static bp_status P(backward)(MLP *m, const R *params, size_t rows, const R *X, size_t ldx,
                          const R *dA_out, R *grad, R *dX) {
    const mlp_layout *y = &m->layout;
    const R *dA = dA_out;
    for (size_t l = y->n_layers; l-- > 0;) {
        const bp_layer_spec *s = &y->layers[l];
        const R *in = l == 0 ? X : P(input)(m, l);
        size_t ld = l == 0 ? ldx : s->n_in;
        R *down = l == 0 ? dX : m->dA[l - 1];
        if (l + 1 < y->n_layers) P(drop_layer)(m, l, rows, 1); /* dA is m->dA[l] */
        if (y->narrow && rows <= BP_TINY_ROWS) {
            DIRECT_BWD(s->act, (R)s->param, rows, s->n_in, s->n_out, in, ld, params + y->w_off[l],
                       s->n_out, m->Z[l], m->A[l], dA, m->dZ[l], grad + y->w_off[l],
                       grad + y->b_off[l], down);
            dA = down;
            continue;
        }
        BP_TRY(DENSE_BWD(m->exec, s->act, (R)s->param, rows, s->n_in, s->n_out, in, ld,
                         params + y->w_off[l], s->n_out, m->Z[l], m->A[l], dA, m->dZ[l],
                         grad + y->w_off[l], grad + y->b_off[l], down));
        dA = down; /* the layer below starts from dL/dA_{l−1} */
    }
    return BP_OK;
}

/* Loss of the batch after forward. With `gradient`, the start of the
 * backward pass: dL/dZ_L into dZ_L for the fused losses (returns NULL), or
 * dL/dA_L into dA_L otherwise (returns dA_L). */
static bp_status P(output_loss)(MLP *m, size_t rows, const R *Y, const size_t *labels, double *loss,
                             int gradient, const R **dA_start) {
    const mlp_layout *y = &m->layout;
    size_t L = y->n_layers - 1, k = y->layers[L].n_out;
    const R *pred = y->on_logits ? m->Z[L] : m->A[L];
    R *g = gradient ? (y->on_logits ? m->dZ[L] : m->dA[L]) : NULL;
    if (y->on_logits) {
        /* Labels were validated by the caller; the fused losses reuse A_L. */
        LOSS_FUSED(y->loss, rows, k, m->Z[L], m->A[L], Y, labels, loss, g);
    } else if (labels) {
        BP_TRY(LOSS_LABELS(y->loss, rows, k, pred, labels, loss, g));
    } else {
        BP_TRY(LOSS(y->loss, rows, k, pred, Y, loss, g));
    }
    *dA_start = gradient && !y->on_logits ? m->dA[L] : NULL;
    return BP_OK;
}

static bp_status
P(check_batch)(const MLP *m, const R *params, size_t rows, const R *X, size_t ldx) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    if (rows == 0) return BP_ERR_ZERO_SIZE;
    if (rows > m->layout.max_rows) return BP_ERR_BAD_VALUE;
    BP_TRY(bp_check_matrix(rows, m->layout.layers[0].n_in, X, ldx)); /* ld, overflow, X */
    return params == NULL ? BP_ERR_NULL_POINTER : BP_OK;
}

static bp_status
P(mlp_forward)(MLP *m, const R *params, size_t rows, const R *X, size_t ldx, R *out) {
    BP_TRY(P(check_batch)(m, params, rows, X, ldx));
    if (P(on_reference)(m)) REF(forward)(&m->layout, &m->ref, params, rows, X, ldx);
    else BP_TRY(P(forward)(m, params, rows, X, ldx));
    const mlp_layout *y = &m->layout;
    if (out)
        memcpy(out, m->A[y->n_layers - 1], rows * y->layers[y->n_layers - 1].n_out * sizeof(R));
    return BP_OK;
}

/* The checks of a gradient call (bp_mlp_gradient, bp_mlp_training_gradient). */
static bp_status
P(check_gradient)(const MLP *m, const R *params, size_t rows, const R *X, size_t ldx,
                                const R *Y, const size_t *labels, const double *loss) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(mlp_check_label_kind(&m->layout, labels));
    BP_TRY(P(check_batch)(m, params, rows, X, ldx));
    BP_TRY(mlp_check_targets(Y, labels));
    if (loss == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(mlp_check_labels(labels, NULL, 0, rows, m->layout.layers[m->layout.n_layers - 1].n_out));
    return BP_OK;
}

static bp_status P(mlp_gradient)(MLP *m, const R *params, size_t rows, const R *X, size_t ldx,
                              const R *Y, const size_t *labels, double *loss, R *grad, R *dX) {
    BP_TRY(P(check_gradient)(m, params, rows, X, ldx, Y, labels, loss));
    if (P(on_reference)(m)) {
        REF(gradient)(&m->layout, &m->ref, params, rows, X, ldx, Y, labels, loss, grad, dX);
        return BP_OK;
    }
    BP_TRY(P(forward)(m, params, rows, X, ldx));
    const R *dA;
    BP_TRY(P(output_loss)(m, rows, Y, labels, loss, grad != NULL || dX != NULL, &dA));
    if (grad == NULL && dX == NULL) return BP_OK;
    return P(backward)(m, params, rows, X, ldx, dA, grad ? grad : m->grad, dX);
}

static bp_status P(mlp_backward)(MLP *m, const R *params, size_t rows, const R *X, size_t ldx,
                              const R *dA_out, R *grad, R *dX) {
    BP_TRY(P(check_batch)(m, params, rows, X, ldx));
    if (dA_out == NULL || grad == NULL) return BP_ERR_NULL_POINTER;
    if (P(on_reference)(m)) {
        REF(backward)(&m->layout, &m->ref, params, rows, X, ldx, dA_out, grad, dX);
        return BP_OK;
    }
    BP_TRY(P(forward)(m, params, rows, X, ldx));
    return P(backward)(m, params, rows, X, ldx, dA_out, grad, dX);
}

/* The end of a training step of `rows` rows once m->grad and *loss hold
 * the batch's gradient and mean loss: the update stage's end of a step —
 * the L2 penalty (into *loss too), a loss that is not finite diverging
 * (nothing applied), its hook, clipping, the gradient's check, its rule —
 * with its verdict. */
static bp_status P(finish_step)(MLP *m, R *params, size_t rows, double *loss, int *diverged) {
    return UPDATE_FINISH(&m->stage, m->exec, params, m->grad, rows, loss, diverged);
}

/*
 * The SGD step fused into the weight-gradient products.
 *
 * W_l ← W_l − η·A_{l−1}ᵀ·dZ_l runs as one GEMM into W_l (α = −η, β = 1),
 * so the step never writes its weight gradient, scans it and reads it back
 * (W4 in float: 8 MB, three times per step). Those separate passes made
 * two guarantees the product cannot check before it writes: nothing of a
 * step is applied when a gradient is not finite, and an update that makes
 * a parameter non-finite is reported (*diverged = 2). Both are proved
 * instead, before the first product, from magnitudes. With k = rows,
 * a = max |A_{l−1}| and d = max |dZ_l|, every partial sum of dW_l's k
 * products is at most (1 + u)^k·k·a·d whatever the order of the roundings
 * (u the unit roundoff, ε/2), so below g_l = 2·k·a·d + 1 when k·u ≤ 2⁻¹²;
 * with |W_l| ≤ M_l, every new weight is then at most (M_l + |η|·g_l)·
 * (1 + 2⁻¹⁰), the product's roundings into W_l included (two per k-block,
 * at most 2k). When that is at most R_MAX/2 for every layer (a, d and M_l
 * finite), the step is safe and M_l becomes that bound. The biases'
 * gradients (a few values each) are scanned, and their update checked, as
 * before. Otherwise — a network diverging, or k·ε > 2⁻¹¹ (batches of more
 * than 4096 rows in float) — the step takes the separate passes: dW formed,
 * scanned, then applied.
 *
 * M_l comes from a scan of W_l at the first step of a call (*bounded = 0:
 * the parameters may have changed between calls), so a call of many steps
 * reads the weights once for the proof rather than the gradient three
 * times per step; each step scans only its activations and deltas (rows ×
 * width values per layer). The products need the context's preallocated
 * buffers, which cannot fail to be had halfway through the updates: without
 * a context (exec NULL) steps take the separate passes.
 *
 * The product applies the update stage's step itself, so it is taken only
 * when the stage's step is p ← p + α·g and nothing else
 * (bp_update_stage_fusable: SGD without state or hook), with the stage's
 * α; the biases go through the stage's SGD pass with the same α. Any other
 * stage takes the separate passes, which end in the stage's own step.
 */

/* Whether a step of `rows` rows can take the fused update (P(descend)). */
static int P(fusable)(const MLP *m, size_t rows) {
    return m->exec != NULL && !m->dropping && (double)rows * R_EPS <= 0x1p-11 &&
           bp_update_stage_fusable(&m->stage, NULL);
}

/* The backward pass and the update of a training step whose forward pass,
 * loss and dL/dA_L (dA_out, or dZ_L when NULL) are done. */
static bp_status P(descend)(MLP *m, R *params, size_t rows, const R *X, size_t ldx, const R *dA_out,
                         double *loss, int *bounded, int *diverged) {
    const mlp_layout *y = &m->layout;
    const bp_kernel_set *ks = bp_exec_kernels(m->exec);
    const size_t L = y->n_layers;
    double *bound = m->mag + P(MAG_BOUND) * L, *next = m->mag + P(MAG_NEXT) * L;
    const double *in_mag = m->mag + P(MAG_IN) * L;
    double *dz_mag = m->mag + P(MAG_DZ) * L;
    if (!P(fusable)(m, rows)) {
        BP_TRY(P(backward)(m, params, rows, X, ldx, dA_out, m->grad, NULL));
        *bounded = 0; /* the weights change without a bound */
        return P(finish_step)(m, params, rows, loss, diverged);
    }
    double stage_alpha;
    bp_update_stage_fusable(&m->stage, &stage_alpha);
    const R alpha = (R)stage_alpha; /* the stage's α = −η */
    if (!*bounded) {
        for (size_t l = 0; l < L; l++)
            bound[l] = ks->VEC_MAXABS(y->layers[l].n_in * y->layers[l].n_out, params + y->w_off[l]);
        *bounded = 1;
    }

    /* dZ_l, db_l and dL/dA_{l−1} of every layer, top down; dW_l later, in
     * the update (so W_l still holds its old values for dL/dA_{l−1}).
     * max |dZ_l| taken while dZ_l is in cache. */
    const R *dA = dA_out;
    for (size_t l = L; l-- > 0;) {
        const bp_layer_spec *s = &y->layers[l];
        R *down = l == 0 ? NULL : m->dA[l - 1];
        BP_TRY(DENSE_BWD(m->exec, s->act, (R)s->param, rows, s->n_in, s->n_out, NULL, s->n_in,
                         params + y->w_off[l], s->n_out, m->Z[l], m->A[l], dA, m->dZ[l], NULL,
                         m->grad + y->b_off[l], down));
        dz_mag[l] = P(maxabs_rows)(m, rows, s->n_out, m->dZ[l], s->n_out);
        dA = down;
    }

    /* The proof (above): every layer's new bound, kept only if all hold. */
    int safe = 1;
    for (size_t l = 0; l < L && safe; l++) {
        const bp_layer_spec *s = &y->layers[l];
        double g = 2.0 * (double)rows * in_mag[l] * dz_mag[l] + 1.0;
        next[l] = (bound[l] + fabs((double)alpha) * g) * (1.0 + 0x1p-10);
        safe = next[l] <= (double)R_MAX / 2 &&
               ks->VEC_NONFINITE(s->n_out, m->grad + y->b_off[l]) == s->n_out;
    }
    if (!safe) {
        /* the separate passes: every dW formed, then checked and applied */
        for (size_t l = 0; l < L; l++) {
            const bp_layer_spec *s = &y->layers[l];
            BP_TRY(GEMM_RUN(m->exec, 1, 0, s->n_in, s->n_out, rows, (R)1, l == 0 ? X : m->A[l - 1],
                            l == 0 ? ldx : s->n_in, m->dZ[l], s->n_out, (R)0, m->grad + y->w_off[l],
                            s->n_out, NULL));
        }
        *bounded = 0; /* the weights change without a bound */
        return P(finish_step)(m, params, rows, loss, diverged);
    }

    /* W_l ← W_l + α·A_{l−1}ᵀ·dZ_l in the product, b_l ← b_l + α·db_l */
    int bad = 0;
    for (size_t l = 0; l < L; l++) {
        const bp_layer_spec *s = &y->layers[l];
        BP_TRY(GEMM_RUN(m->exec, 1, 0, s->n_in, s->n_out, rows, alpha, l == 0 ? X : m->A[l - 1],
                        l == 0 ? ldx : s->n_in, m->dZ[l], s->n_out, (R)1, params + y->w_off[l],
                        s->n_out, NULL));
        bad |= !ks->VEC_SGD(s->n_out, alpha, m->grad + y->b_off[l], params + y->b_off[l]);
        bound[l] = next[l];
    }
    bp_update_stage_applied(&m->stage, 1);
    *diverged = bad ? 2 : 0;
    return BP_OK;
}

/* The argument checks of a training step on rows start .. start+rows of
 * the order (or of an epoch, rows = n), whose batches are at most
 * `batch` rows. */
static bp_status P(check_training)(const MLP *m, const R *params, const R *X_all, size_t ldx,
                                const R *Y_all, const size_t *labels_all, const size_t *indices,
                                size_t start, size_t rows, size_t batch, double learning_rate,
                                const double *loss, const int *diverged) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    const mlp_layout *y = &m->layout;
    BP_TRY(mlp_check_label_kind(y, labels_all));
    size_t n_in = y->layers[0].n_in, k = y->layers[y->n_layers - 1].n_out;
    if (ldx < n_in) return BP_ERR_LEADING_DIMENSION;
    if (rows == 0 || batch == 0) return BP_ERR_ZERO_SIZE;
    /* η ≥ 0: a negative rate would climb the loss (torch.optim refuses it too). */
    if (batch > y->max_rows || !isfinite(learning_rate) || !isfinite((R)learning_rate) ||
        learning_rate < 0)
        return BP_ERR_BAD_VALUE;
    BP_TRY(mlp_check_rows(X_all, ldx, n_in, Y_all, k, indices, start, rows));
    if (params == NULL || loss == NULL || diverged == NULL || X_all == NULL)
        return BP_ERR_NULL_POINTER;
    BP_TRY(mlp_check_targets(Y_all, labels_all));
    return mlp_check_labels(labels_all, indices, start, rows, k);
}

/* Whether the narrow engine's one-sample path (NARROW_ONLINE) may take
 * the network's steps of one row: it updates the weights inside its loops,
 * so only when the stage's step is p ← p + α·g (α into *alpha) and the
 * network has no dropout. Otherwise one-row steps go through the chunk
 * path (or, with dropout, the dense kernels) and the stage. */
static int P(online_alpha)(MLP *m, R *alpha) {
    double a;
    if (!m->layout.narrow || m->drop.rates != NULL || !bp_update_stage_fusable(&m->stage, &a))
        return 0;
    *alpha = (R)a;
    return 1;
}

/* One training step, arguments already checked, the learning rate in
 * m->stage, the masks (if any) drawn. */
static bp_status P(step_drawn)(MLP *m, R *params, const R *X_all, size_t ldx, const R *Y_all,
                            const size_t *labels_all, const size_t *indices, size_t start,
                            size_t rows, double *loss, int *bounded, int *diverged) {
    const mlp_layout *y = &m->layout;
    size_t n_in = y->layers[0].n_in, k = y->layers[y->n_layers - 1].n_out;

    if (y->narrow && !m->dropping) {
        /* The narrow engine reads the rows through `indices` itself. */
        const size_t *idx = indices ? indices + start : NULL;
        const R *X = X_all + (indices ? 0 : start * ldx);
        const R *Y = Y_all ? Y_all + (indices ? 0 : start * k) : NULL;
        const size_t *labels = labels_all ? labels_all + (indices ? 0 : start) : NULL;
        R alpha;
        if (rows == 1 && P(online_alpha)(m, &alpha)) {
            /* online learning: the same path as an epoch of one-row steps */
            size_t steps;
            bp_exec_kernels(m->exec)->NARROW_ONLINE(y, params, 1, X, ldx, Y, labels, idx, alpha,
                                                    m->narrow, m->grad, NULL, loss, &steps,
                                                    diverged);
            bp_update_stage_applied(&m->stage, steps);
            return BP_OK;
        }
        bp_exec_kernels(m->exec)->NARROW(y, params, rows, X, ldx, Y, labels, idx, m->narrow, loss,
                                         m->grad);
        return P(finish_step)(m, params, rows, loss, diverged);
    }

    const R *X = X_all + (indices ? 0 : start * ldx);
    const R *Y = Y_all ? Y_all + (indices ? 0 : start * k) : NULL;
    const size_t *labels = labels_all ? labels_all + (indices ? 0 : start) : NULL;
    size_t ld = ldx;
    if (indices) {
        /* Gather the batch rows so the kernels see contiguous memory. */
        for (size_t i = 0; i < rows; i++) {
            size_t r = indices[start + i];
            memcpy(m->Xg + i * n_in, X_all + r * ldx, n_in * sizeof(R));
            if (Y_all) memcpy(m->Yg + i * k, Y_all + r * k, k * sizeof(R));
            else m->Lg[i] = labels_all[r];
        }
        X = m->Xg;
        ld = n_in;
        Y = Y_all ? m->Yg : NULL;
        labels = labels_all ? m->Lg : NULL;
    }

    const R *dA;
    BP_TRY(P(forward_mag)(m, params, rows, X, ld, P(fusable)(m, rows)));
    BP_TRY(P(output_loss)(m, rows, Y, labels, loss, 1, &dA));
    if (!isfinite(*loss)) {
        *diverged = 1;
        return BP_OK;
    }
    return P(descend)(m, params, rows, X, ld, dA, loss, bounded, diverged);
}

/* The masks of the network's next step on `rows` rows into m->S (when it
 * has dropout), at the counter's current value. */
static void P(draw_masks)(MLP *m, size_t rows) {
    DROP_DRAW(&m->drop, m->layout.n_layers, m->layout.layers, rows, m->S);
    m->drop.rows = rows;
}

/* One training step, arguments already checked, the learning rate in
 * m->stage: with dropout, the step's masks drawn, the step run with them,
 * and the counter advanced when the update was applied. */
static bp_status P(step)(MLP *m, R *params, const R *X_all, size_t ldx, const R *Y_all,
                      const size_t *labels_all, const size_t *indices, size_t start, size_t rows,
                      double *loss, int *bounded, int *diverged) {
    if (m->drop.rates == NULL)
        return P(step_drawn)(m, params, X_all, ldx, Y_all, labels_all, indices, start, rows, loss,
                          bounded, diverged);
    P(draw_masks)(m, rows);
    m->dropping = 1;
    bp_status status = P(step_drawn)(m, params, X_all, ldx, Y_all, labels_all, indices, start, rows,
                                  loss, bounded, diverged);
    m->dropping = 0;
    if (status == BP_OK && *diverged != 1) m->drop.step++;
    return status;
}

/* The reference engine's buffers for a training call: with dropout, the
 * masks and dropped activations and the dropout itself (m->ref, which
 * forward and gradient calls use, never drops). */
static REF_WORK P(ref_training)(MLP *m) {
    REF_WORK w = m->ref;
    if (m->drop.rates != NULL) {
        w.mask = m->S;
        w.dropped = m->D;
        w.drop = &m->drop;
    }
    return w;
}

static bp_status P(mlp_train_step)(MLP *m, R *params, const R *X_all, size_t ldx, const R *Y_all,
                                const size_t *labels_all, const size_t *indices, size_t start,
                                size_t rows, double learning_rate, double *loss, int *diverged) {
    BP_TRY(P(check_training)(m, params, X_all, ldx, Y_all, labels_all, indices, start, rows, rows,
                          learning_rate, loss, diverged));
    m->stage.hp.learning_rate = learning_rate;
    REF_WORK w = P(ref_training)(m);
    if (P(on_reference)(m))
        return REF(
            train_step)(&m->layout, &w, &m->stage, params, X_all, ldx, Y_all, labels_all, indices,
                          start, rows, loss, diverged);
    int bounded = 0;
    return P(step)(m, params, X_all, ldx, Y_all, labels_all, indices, start, rows, loss, &bounded,
                diverged);
}

/*
 * Where a call of `steps` training steps updates the parameters: params
 * itself, or — when params does not start on a cache line — the network's
 * aligned copy, copied in here and back by P(work_done). The weights are
 * read and written in full-vector rows by every product of a step (packed
 * for the forward pass, read for dL/dA, updated in place by the fused
 * update); a row 16 or 32 bytes off a line splits every one of those
 * accesses across two lines (a Swift array's elements start 32 bytes into
 * its allocation) (Benchmarks/README.md, "Kernel design measurements"). The two copies
 * cost about as much as one step's passes over the weights, so only calls
 * of several steps on dense networks large enough to matter take them.
 */
static R *P(work_params)(MLP *m, R *params, size_t steps) {
    if (m->layout.narrow || m->exec == NULL || steps < 4 || m->layout.n_params < PARALLEL_UPDATE ||
        (uintptr_t)params % BP_MLP_ALIGN == 0)
        return params;
    memcpy(m->work, params, m->layout.n_params * sizeof(R));
    return m->work;
}

/* The end of a call that trained on P(work_params)'s `work`: its result
 * into params (also after an error or a divergence: the call's updates
 * are the caller's, whichever buffer they were made in). */
static bp_status P(work_done)(const MLP *m, R *params, const R *work, bp_status status) {
    if (work != params) memcpy(params, work, m->layout.n_params * sizeof(R));
    return status;
}

/* One epoch, arguments already checked (bp_mlp_train_epoch's loop).
 * *bounded: whether m's bounds on the weights hold for params (P(descend));
 * 0 at the start of a call, kept across the epochs of one. */
static bp_status P(epoch)(MLP *m, R *params, const R *X_all, size_t ldx, const R *Y_all,
                       const size_t *labels_all, const size_t *indices, size_t n, size_t batch,
                       double *loss, int *bounded, int *diverged) {
    const mlp_layout *y = &m->layout;
    double total = 0.0;
    R alpha;
    *diverged = 0;
    if (batch == 1 && P(online_alpha)(m, &alpha)) {
        size_t steps;
        bp_exec_kernels(m->exec)->NARROW_ONLINE(y, params, n, X_all, ldx, Y_all, labels_all,
                                                indices, alpha, m->narrow, m->grad, NULL, &total,
                                                &steps, diverged);
        bp_update_stage_applied(&m->stage, steps);
    } else {
        for (size_t start = 0; start < n && *diverged == 0; start += batch) {
            size_t rows = n - start < batch ? n - start : batch;
            double step_loss;
            BP_TRY(
                P(step)(m, params, X_all, ldx, Y_all, labels_all, indices, start, rows, &step_loss,
                        bounded, diverged));
            total += step_loss * (double)rows;
        }
    }
    *loss = total / (double)n;
    return BP_OK;
}

static bp_status
P(mlp_train_epoch)(MLP *m, R *params, const R *X_all, size_t ldx, const R *Y_all,
                                 const size_t *labels_all, const size_t *indices, size_t n,
                                 size_t batch, double learning_rate, double *loss, int *diverged) {
    /* Every row of the epoch is checked once, here, not step by step. */
    BP_TRY(P(check_training)(m, params, X_all, ldx, Y_all, labels_all, indices, 0, n, batch,
                          learning_rate, loss, diverged));
    m->stage.hp.learning_rate = learning_rate;
    REF_WORK w = P(ref_training)(m);
    if (P(on_reference)(m))
        return REF(train_epoch)(&m->layout, &w, &m->stage, params, X_all, ldx, Y_all, labels_all,
                           indices, n, batch, loss, diverged);
    int bounded = 0;
    R *work = P(work_params)(m, params, n / batch + (n % batch != 0));
    return P(work_done)(
        m, params, work,
        P(epoch)(m, work, X_all, ldx, Y_all, labels_all, indices, n, batch, loss, &bounded, diverged));
}

static bp_status
P(mlp_train_epochs)(MLP *m, R *params, const R *X_all, size_t ldx, const R *Y_all,
                                  const size_t *labels_all, const size_t *orders, size_t n,
                                  size_t batch, size_t epochs, double learning_rate, double *losses,
                                  R *snapshot, size_t *completed, int *diverged) {
    if (completed == NULL || losses == NULL) return BP_ERR_NULL_POINTER;
    if (epochs == 0) return BP_ERR_ZERO_SIZE;
    if (orders != NULL && n > SIZE_MAX / epochs) return BP_ERR_SIZE_OVERFLOW;
    /* Every epoch's order is checked before the first step (nothing changes
     * on an argument error); without orders the rows are the same every
     * epoch and are checked once. */
    for (size_t e = 0; e < (orders ? epochs : 1); e++)
        BP_TRY(P(check_training)(m, params, X_all, ldx, Y_all, labels_all,
                              orders ? orders + e * n : NULL, 0, n, batch, learning_rate, losses,
                              diverged));
    m->stage.hp.learning_rate = learning_rate;
    REF_WORK w = P(ref_training)(m);
    if (P(on_reference)(m))
        return REF(train_epochs)(&m->layout, &w, &m->stage, params, X_all, ldx, Y_all, labels_all,
                            orders, n, batch, epochs, losses, snapshot, completed, diverged);
    size_t np = m->layout.n_params;
    *completed = 0;
    R alpha;
    if (batch == 1 && P(online_alpha)(m, &alpha)) {
        /* online learning: every epoch in one call of the narrow engine's
         * online path, which keeps a tiny network in registers throughout */
        narrow_epochs run = { epochs, orders, losses, snapshot, 0 };
        double last;
        size_t steps;
        bp_exec_kernels(m->exec)->NARROW_ONLINE(&m->layout, params, n, X_all, ldx, Y_all,
                                                labels_all, NULL, alpha, m->narrow, m->grad, &run,
                                                &last, &steps, diverged);
        /* the epochs finished, then the diverging one's applied steps */
        bp_update_stage_applied(&m->stage, (uint64_t)run.completed * n + (*diverged ? steps : 0));
        *completed = run.completed;
        return BP_OK;
    }
    int bounded = 0; /* the weights are the engine's from here to the return */
    size_t per_epoch = n / batch + (n % batch != 0);
    R *work =
        P(work_params)(m, params, per_epoch > SIZE_MAX / epochs ? SIZE_MAX : per_epoch * epochs);
    bp_status status = BP_OK;
    for (size_t e = 0; e < epochs; e++) {
        if (snapshot != NULL) memcpy(snapshot, work, np * sizeof(R));
        double loss;
        status = P(epoch)(m, work, X_all, ldx, Y_all, labels_all, orders ? orders + e * n : NULL, n,
                       batch, &loss, &bounded, diverged);
        if (status != BP_OK || *diverged) break;
        losses[e] = loss;
        *completed = e + 1;
    }
    return P(work_done)(m, params, work, status);
}

/* ---- the optimiser (bp_optimizer.h) ------------------------------------------------ */

static bp_status P(mlp_set_optimizer)(MLP *m, const bp_optimizer *opt) {
    if (m == NULL || opt == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(bp_update_check_optimizer(opt, sizeof(R)));
    return bp_update_stage_configure(&m->stage, opt);
}

static bp_status P(mlp_get_optimizer)(const MLP *m, bp_optimizer *opt) {
    if (m == NULL || opt == NULL) return BP_ERR_NULL_POINTER;
    *opt = m->stage.opt;
    return BP_OK;
}

static bp_status P(mlp_optimizer_state_size)(const MLP *m, size_t *count) {
    if (m == NULL || count == NULL) return BP_ERR_NULL_POINTER;
    *count = m->stage.state_slots * m->stage.n; /* allocated, so no overflow */
    return BP_OK;
}

static bp_status P(mlp_get_optimizer_state)(const MLP *m, R *state, size_t count, uint64_t *step) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    const size_t want = m->stage.state_slots * m->stage.n;
    if (count != want) return BP_ERR_BAD_VALUE;
    if ((state == NULL && count > 0) || step == NULL) return BP_ERR_NULL_POINTER;
    if (count > 0) memcpy(state, m->stage.state, count * sizeof(R));
    *step = m->stage.step;
    return BP_OK;
}

static bp_status P(mlp_set_optimizer_state)(MLP *m, const R *state, size_t count, uint64_t step) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    const size_t n = m->stage.n, want = m->stage.state_slots * n;
    if (count != want) return BP_ERR_BAD_VALUE;
    if (state == NULL && count > 0) return BP_ERR_NULL_POINTER;
    /* every value finite, the slots of squares and step sizes ≥ 0; no
     * early exit (the check vectorises) */
    int bad = 0;
    for (size_t j = 0; j < m->stage.state_slots; j++) {
        const int nonnegative = bp_update_slot_nonnegative(&m->stage.opt, j);
        for (size_t i = 0; i < n; i++) {
            const R x = state[j * n + i];
            bad |= (!(fabs((double)x) <= (double)R_MAX)) | (nonnegative & (x < (R)0));
        }
    }
    if (bad) return BP_ERR_BAD_VALUE;
    if (count > 0) memcpy(m->stage.state, state, count * sizeof(R));
    m->stage.step = step;
    return BP_OK;
}

/* ---- regularisation (bp_regularization.h) -------------------------------------------- */

static bp_status P(mlp_set_regularization)(MLP *m, const bp_regularization *reg) {
    if (m == NULL || reg == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(bp_update_check_regularization(reg, sizeof(R)));
    m->stage.reg = *reg;
    return BP_OK;
}

static bp_status P(mlp_get_regularization)(const MLP *m, bp_regularization *reg) {
    if (m == NULL || reg == NULL) return BP_ERR_NULL_POINTER;
    *reg = m->stage.reg;
    return BP_OK;
}

/* Checks the rates, then allocates the new masks' buffers before freeing
 * the old ones: on an error nothing changes. One block holds, for each
 * dropped layer, S_l then D_l (max_rows × n_out values each, a whole
 * number of cache lines apart); one more the rates and the pointers. */
static bp_status P(mlp_set_dropout)(MLP *m, const double *rates, size_t n_rates, uint64_t seed) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    const mlp_layout *y = &m->layout;
    const size_t L = y->n_layers, line = BP_MLP_ALIGN / sizeof(R);
    int on = 0;
    if (rates != NULL) {
        if (n_rates != L - 1) return BP_ERR_BAD_VALUE;
        for (size_t l = 0; l + 1 < L; l++) {
            if (!(rates[l] >= 0.0 && rates[l] < 1.0)) return BP_ERR_BAD_VALUE; /* NaN too */
            on |= rates[l] > 0.0;
        }
    }
    double *new_rates = NULL;
    R **pointers = NULL;
    void *block = NULL;
    if (on) {
        size_t elements = 0; /* activations fit the workspace: no overflow */
        for (size_t l = 0; l + 1 < L; l++)
            if (rates[l] > 0.0)
                elements += 2 * ((y->max_rows * y->layers[l].n_out + line - 1) / line * line);
        new_rates = calloc(L, sizeof(double));
        pointers = calloc(2 * L, sizeof(R *));
        block = malloc(elements * sizeof(R) + BP_MLP_ALIGN);
        if (new_rates == NULL || pointers == NULL || block == NULL) {
            free(new_rates);
            free(pointers);
            free(block);
            return BP_ERR_NO_MEMORY;
        }
        R *cursor =
            (R *)(void *)(((uintptr_t)block + BP_MLP_ALIGN - 1) & ~(uintptr_t)(BP_MLP_ALIGN - 1));
        for (size_t l = 0; l + 1 < L; l++) {
            new_rates[l] = rates[l];
            if (rates[l] == 0.0) continue;
            const size_t act = (y->max_rows * y->layers[l].n_out + line - 1) / line * line;
            pointers[l] = cursor;
            pointers[L + l] = cursor + act;
            cursor += 2 * act;
        }
    }
    free(m->drop.rates);
    free(m->S);
    free(m->drop_block);
    m->drop = (bp_dropout){ .rates = new_rates, .seed = seed, .step = 0, .rows = 0 };
    m->S = pointers;
    m->D = pointers ? pointers + L : NULL;
    m->drop_block = block;
    return BP_OK;
}

static bp_status P(mlp_get_dropout)(const MLP *m, double *rates, size_t n_rates, uint64_t *seed) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    if (n_rates != m->layout.n_layers - 1) return BP_ERR_BAD_VALUE;
    if ((rates == NULL && n_rates > 0) || seed == NULL) return BP_ERR_NULL_POINTER;
    for (size_t l = 0; l < n_rates; l++) rates[l] = m->drop.rates ? m->drop.rates[l] : 0.0;
    *seed = m->drop.seed;
    return BP_OK;
}

static bp_status P(mlp_get_dropout_step)(const MLP *m, uint64_t *step) {
    if (m == NULL || step == NULL) return BP_ERR_NULL_POINTER;
    *step = m->drop.step;
    return BP_OK;
}

static bp_status P(mlp_set_dropout_step)(MLP *m, uint64_t step) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    m->drop.step = step;
    return BP_OK;
}

static bp_status P(mlp_dropout_mask)(const MLP *m, size_t layer, const R **scale, size_t *rows) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    if (layer + 1 >= m->layout.n_layers) return BP_ERR_BAD_VALUE;
    if (scale == NULL || rows == NULL) return BP_ERR_NULL_POINTER;
    const int drawn = m->drop.rates != NULL && m->S[layer] != NULL && m->drop.rows > 0;
    *scale = drawn ? m->S[layer] : NULL;
    *rows = drawn ? m->drop.rows : 0;
    return BP_OK;
}

/* The next step's objective: its masks drawn (the counter kept), the
 * forward and backward passes with them, then the penalty. */
static bp_status
P(mlp_training_gradient)(MLP *m, const R *params, size_t rows, const R *X, size_t ldx,
                                       const R *Y, const size_t *labels, double *loss, R *grad) {
    BP_TRY(P(check_gradient)(m, params, rows, X, ldx, Y, labels, loss));
    if (m->drop.rates != NULL) P(draw_masks)(m, rows);
    R *g = grad ? grad : m->grad;
    if (P(on_reference)(m)) {
        REF_WORK w = P(ref_training)(m);
        REF(gradient)(&m->layout, &w, params, rows, X, ldx, Y, labels, loss, g, NULL);
    } else {
        m->dropping = m->drop.rates != NULL;
        const R *dA;
        bp_status status = P(forward)(m, params, rows, X, ldx);
        if (status == BP_OK) status = P(output_loss)(m, rows, Y, labels, loss, 1, &dA);
        if (status == BP_OK) status = P(backward)(m, params, rows, X, ldx, dA, g, NULL);
        m->dropping = 0;
        BP_TRY(status);
    }
    PENALTY(&m->stage, params, grad, rows, loss);
    return BP_OK;
}
