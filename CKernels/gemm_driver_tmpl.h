/*
 * gemm_driver_tmpl.h — the blocked GEMM driver, written once and included
 * by gemm.c once per precision (no include guard on purpose). Before each
 * inclusion gemm.c defines:
 *
 *   R              element type (double, float)
 *   P(name)        name##_d / name##_s: the precision's private names
 *   G_MR, G_NR     micro-tile (gemm_internal.h)
 *   G_MC, G_KC, G_NC  cache blocks (gemm_internal.h)
 *   G_KERNEL, G_PACK_A, G_PACK_B   fields of bp_gemm_kernels (dkernel, ...)
 *   G_KERNEL_TYPE, G_PACK_TYPE     their types
 *   G_PORTABLE, G_PACK_A_PORTABLE, G_PACK_B_PORTABLE
 *                  names of the portable kernel and packers to define
 *   G_RUN          name of the entry point to define (bp_dgemm_run, ...)
 *   G_EPI          epilogue type (bp_epilogue_d, ...)
 *   G_ACT_BLOCK    element-wise activation of a block (bp_act_block_d, ...)
 *   G_SOFTMAX      row-wise softmax (bp_softmax_rows_d, ...)
 *
 * The five loops around the micro-kernel (BLIS):
 *
 *   for jc in steps of NC over n          B panel of NC columns   (L3)
 *     for pc in steps of KC over k        pack op(B) → Bp (KC × NC)
 *       for ic in steps of MC over m      pack op(A) → Ap (MC × KC, L2)
 *         for jr in steps of NR           one KC × NR sliver of Bp (L1)
 *           for ir in steps of MR         micro-kernel: MR × NR tile of C
 *
 * Packing copies each block into the order the micro-kernel reads it (MR-row
 * slivers of A and NR-column slivers of B, each k-major, zero-padded at the
 * edges), which resolves every transpose variant: the micro-kernel only
 * ever sees packed data. Edge tiles go through the same micro-kernel, which
 * is told how many rows and columns of its tile exist (the AVX2 kernels
 * switch to narrower register blocks and masked stores), so odd sizes run
 * at nearly full speed (no cliff).
 *
 * The first k-block stores alpha·acc + beta·C (beta == 0: C is not read),
 * later k-blocks add alpha·acc to C. Threads own disjoint sets of whole
 * micro-tiles of C (the tile grid is anchored at C[0][0] whatever the
 * split), and k is never split, so every element of C sees the same
 * operations in the same order for any thread count.
 */

/* ---- packing -------------------------------------------------------------- */

/* Portable packers of one full sliver (the layout every packer of the
 * dispatch table produces, see gemm_internal.h). */
void G_PACK_A_PORTABLE(int trans, const R *A, size_t lda, size_t kc, R *dst) {
    if (trans) {
        /* op(A)[i][p] = A[p][i]: each p is a contiguous run of MR values. */
        for (size_t p = 0; p < kc; p++)
            for (size_t i = 0; i < G_MR; i++) dst[p * G_MR + i] = A[p * lda + i];
    } else {
        /* Rows of A are contiguous in p: interleave MR row streams. */
        const R *rows[G_MR];
        for (size_t i = 0; i < G_MR; i++) rows[i] = A + i * lda;
        for (size_t p = 0; p < kc; p++)
            for (size_t i = 0; i < G_MR; i++) dst[p * G_MR + i] = rows[i][p];
    }
}

void G_PACK_B_PORTABLE(int trans, const R *B, size_t ldb, size_t kc, R *dst) {
    if (!trans) {
        for (size_t p = 0; p < kc; p++)
            for (size_t j = 0; j < G_NR; j++) dst[p * G_NR + j] = B[p * ldb + j];
    } else {
        /* op(B)[p][j] = B[j][p]: NR row streams of B, contiguous in p. */
        const R *cols[G_NR];
        for (size_t j = 0; j < G_NR; j++) cols[j] = B + j * ldb;
        for (size_t p = 0; p < kc; p++)
            for (size_t j = 0; j < G_NR; j++) dst[p * G_NR + j] = cols[j][p];
    }
}

/* Packs the mc × kc block of op(A) whose top-left element is A (already
 * offset) into MR-row slivers: full slivers through the kernel set's
 * packer, a last partial one here, zero-padded. */
static void P(pack_a)(G_PACK_TYPE pack, int trans, const R *A, size_t lda,
                      size_t mc, size_t kc, R *restrict Ap) {
    size_t ir = 0;
    for (; ir + G_MR <= mc; ir += G_MR, Ap += G_MR * kc)
        pack(trans, trans ? A + ir : A + ir * lda, lda, kc, Ap);
    if (ir == mc) return;
    size_t mr = mc - ir;
    for (size_t p = 0; p < kc; p++) {
        size_t i = 0;
        for (; i < mr; i++)
            Ap[p * G_MR + i] = trans ? A[p * lda + ir + i] : A[(ir + i) * lda + p];
        for (; i < G_MR; i++) Ap[p * G_MR + i] = (R)0;
    }
}

/* Packs the kc × nc block of op(B) whose top-left element is B (already
 * offset) into NR-column slivers, the same way. */
static void P(pack_b)(G_PACK_TYPE pack, int trans, const R *B, size_t ldb,
                      size_t kc, size_t nc, R *restrict Bp) {
    size_t jr = 0;
    for (; jr + G_NR <= nc; jr += G_NR, Bp += G_NR * kc)
        pack(trans, trans ? B + jr * ldb : B + jr, ldb, kc, Bp);
    if (jr == nc) return;
    size_t nr = nc - jr;
    for (size_t p = 0; p < kc; p++) {
        size_t j = 0;
        for (; j < nr; j++)
            Bp[p * G_NR + j] = trans ? B[(jr + j) * ldb + p] : B[p * ldb + jr + j];
        for (; j < G_NR; j++) Bp[p * G_NR + j] = (R)0;
    }
}

/* ---- the portable micro-kernel ------------------------------------------------ */

/* Plain C: an MR × NR accumulator the compiler keeps in vector registers
 * where it can. The epilogue uses separate statements (no contraction into
 * an FMA), the same two roundings as the SIMD kernels. */
void G_PORTABLE(size_t kc, const R *a, const R *b, R *c, size_t ldc, R alpha, R beta,
                size_t mr, size_t nr) {
    R acc[G_MR][G_NR];
    for (size_t i = 0; i < G_MR; i++)
        for (size_t j = 0; j < G_NR; j++) acc[i][j] = (R)0;
    for (size_t p = 0; p < kc; p++) {
        for (size_t i = 0; i < G_MR; i++) {
            R ai = a[p * G_MR + i];
            for (size_t j = 0; j < G_NR; j++) acc[i][j] += ai * b[p * G_NR + j];
        }
    }
    for (size_t i = 0; i < mr; i++) {
        R *row = c + i * ldc;
        for (size_t j = 0; j < nr; j++) {
            R v = alpha * acc[i][j];
            if (beta != (R)0) {
                R old = beta * row[j];
                v = v + old;
            }
            row[j] = v;
        }
    }
}

/* ---- the epilogue of a fused dense layer -------------------------------------- */

/* Z = C + bias and A = f(Z) on an mr × nr tile (element-wise activations;
 * softmax is done per row after the product). */
static void P(epilogue_tile)(const G_EPI *ep, size_t i0, size_t j0, size_t mr, size_t nr,
                             R *C, size_t ldc) {
    R *c = C + i0 * ldc + j0;
    if (ep->bias) {
        const R *b = ep->bias + j0;
        for (size_t i = 0; i < mr; i++)
            for (size_t j = 0; j < nr; j++) c[i * ldc + j] += b[j];
    }
    if (ep->A && ep->act != BP_ACT_SOFTMAX)
        G_ACT_BLOCK(ep->act, ep->param, mr, nr, c, ldc, ep->A + i0 * ep->lda + j0, ep->lda);
}

/* ---- one thread's share: the blocked loops ------------------------------------ */

typedef struct P(job) {
    R alpha, beta;
    const R *A, *B;
    R *C;
    size_t m, n, k, lda, ldb, ldc;
    int ta, tb;
    G_EPI ep;          /* ep.A / ep.bias offset to this share */
    int has_ep;
} P(job);

static size_t P(round_up)(size_t x, size_t to) { return (x + to - 1) / to * to; }

/* Bytes of workspace the blocked loops need for an m × n × k product: one
 * Ap block and one Bp panel, no larger than the problem. */
static size_t P(ap_elems)(size_t m, size_t k) {
    return P(round_up)(m < G_MC ? m : G_MC, G_MR) * (k < G_KC ? k : G_KC);
}
static size_t P(workspace_bytes)(size_t m, size_t n, size_t k) {
    size_t a = P(round_up)(P(ap_elems)(m, k) * sizeof(R), BP_GEMM_ALIGN);
    size_t b = P(round_up)(n < G_NC ? n : G_NC, G_NR) * (k < G_KC ? k : G_KC) * sizeof(R);
    return a + b;
}

static void P(serial)(const bp_gemm_kernels *ks, const P(job) *jb, void *ws) {
    R *Ap = ws;
    R *Bp = (R *)((char *)ws + P(round_up)(P(ap_elems)(jb->m, jb->k) * sizeof(R),
                                             BP_GEMM_ALIGN));
    const G_KERNEL_TYPE kernel = ks->G_KERNEL;
    const size_t m = jb->m, n = jb->n, k = jb->k, ldc = jb->ldc;
    const R alpha = jb->alpha;
    R *C = jb->C;

    for (size_t jc = 0; jc < n; jc += G_NC) {
        size_t nc = n - jc < G_NC ? n - jc : G_NC;
        for (size_t pc = 0; pc < k; pc += G_KC) {
            size_t kc = k - pc < G_KC ? k - pc : G_KC;
            int last = pc + kc == k;
            R beta = pc == 0 ? jb->beta : (R)1;
            P(pack_b)(ks->G_PACK_B, jb->tb,
                      jb->tb ? jb->B + jc * jb->ldb + pc : jb->B + pc * jb->ldb + jc,
                      jb->ldb, kc, nc, Bp);
            for (size_t ic = 0; ic < m; ic += G_MC) {
                size_t mc = m - ic < G_MC ? m - ic : G_MC;
                P(pack_a)(ks->G_PACK_A, jb->ta,
                          jb->ta ? jb->A + pc * jb->lda + ic : jb->A + ic * jb->lda + pc,
                          jb->lda, mc, kc, Ap);
                for (size_t jr = 0; jr < nc; jr += G_NR) {
                    size_t nr = nc - jr < G_NR ? nc - jr : G_NR;
                    const R *bs = Bp + jr * kc;
                    for (size_t ir = 0; ir < mc; ir += G_MR) {
                        size_t mr = mc - ir < G_MR ? mc - ir : G_MR;
                        kernel(kc, Ap + ir * kc, bs, C + (ic + ir) * ldc + jc + jr, ldc,
                               alpha, beta, mr, nr);
                        if (last && jb->has_ep)
                            P(epilogue_tile)(&jb->ep, ic + ir, jc + jr, mr, nr, C, ldc);
                    }
                }
            }
        }
    }
    if (jb->has_ep && jb->ep.A && jb->ep.act == BP_ACT_SOFTMAX)
        G_SOFTMAX(m, n, C, ldc, jb->ep.A, jb->ep.lda);
}

/* ---- splitting across threads ------------------------------------------------- */

typedef struct P(split) {
    const P(job) *whole;
    const bp_gemm_kernels *ks;
    const bp_exec *exec;
    size_t parts;
    int by_rows;
} P(split);

/* Share t of `tiles` tiles split into `parts` nearly equal runs. */
static void P(share)(size_t tiles, size_t parts, size_t t, size_t tile, size_t extent,
                     size_t *lo, size_t *len) {
    size_t t0 = tiles * t / parts, t1 = tiles * (t + 1) / parts;
    size_t a = t0 * tile, b = t1 * tile;
    if (b > extent) b = extent;
    *lo = a;
    *len = b > a ? b - a : 0;
}

static void P(thread_main)(void *arg, size_t tid, size_t nthreads) {
    const P(split) *sp = arg;
    const P(job) *w = sp->whole;
    (void)nthreads;
    P(job) jb = *w;
    size_t lo, len;
    if (sp->by_rows) {
        P(share)((w->m + G_MR - 1) / G_MR, sp->parts, tid, G_MR, w->m, &lo, &len);
        if (len == 0) return;
        jb.m = len;
        jb.A = w->ta ? w->A + lo : w->A + lo * w->lda;
        jb.C = w->C + lo * w->ldc;
        if (jb.ep.A) jb.ep.A = w->ep.A + lo * w->ep.lda;
    } else {
        P(share)((w->n + G_NR - 1) / G_NR, sp->parts, tid, G_NR, w->n, &lo, &len);
        if (len == 0) return;
        jb.n = len;
        jb.B = w->tb ? w->B + lo * w->ldb : w->B + lo;
        jb.C = w->C + lo;
        if (jb.ep.A) jb.ep.A = w->ep.A + lo;
        if (jb.ep.bias) jb.ep.bias = w->ep.bias + lo;
    }
    P(serial)(sp->ks, &jb, bp_exec_workspace(sp->exec, tid));
}

/* Stack workspace for small products without a context (32 KiB). */
enum { P(STACK_BYTES) = 32768 };

bp_status G_RUN(const bp_exec *exec, int ta, int tb, size_t m, size_t n, size_t k,
                R alpha, const R *A, size_t lda, const R *B, size_t ldb,
                R beta, R *C, size_t ldc, const G_EPI *ep) {
    P(job) jb = { alpha, beta, A, B, C, m, n, k, lda, ldb, ldc, ta, tb,
                  { 0 }, ep != NULL };
    if (ep) jb.ep = *ep;
    const bp_gemm_kernels *ks = bp_exec_kernels(exec);

    if (exec == NULL) {
        size_t bytes = P(workspace_bytes)(m, n, k);
        if (bytes <= P(STACK_BYTES)) {
            _Alignas(BP_GEMM_ALIGN) unsigned char stack[P(STACK_BYTES)];
            P(serial)(ks, &jb, stack);
            return BP_OK;
        }
        void *heap = NULL;
        if (posix_memalign(&heap, BP_GEMM_ALIGN, bytes) != 0) return BP_ERR_NO_MEMORY;
        P(serial)(ks, &jb, heap);
        free(heap);
        return BP_OK;
    }

    /* Split the larger dimension of C (rows for softmax, which needs whole
     * rows) into whole micro-tiles, one run per thread, when the product is
     * large enough to pay for waking the workers. */
    size_t threads = bp_exec_threads(exec), parts = 1;
    int by_rows = 1;
    if (threads > 1 && 2.0 * (double)m * (double)n * (double)k >= BP_EXEC_PARALLEL_MIN_FLOPS) {
        size_t row_tiles = (m + G_MR - 1) / G_MR, col_tiles = (n + G_NR - 1) / G_NR;
        int softmax = ep && ep->A && ep->act == BP_ACT_SOFTMAX;
        by_rows = softmax || row_tiles * G_MR >= col_tiles * G_NR;
        size_t tiles = by_rows ? row_tiles : col_tiles;
        parts = tiles < threads ? tiles : threads;
    }
    if (parts <= 1) {
        P(serial)(ks, &jb, bp_exec_workspace(exec, 0));
        return BP_OK;
    }
    P(split) sp = { &jb, ks, exec, parts, by_rows };
    bp_exec_run(exec, parts, P(thread_main), &sp);
    return BP_OK;
}
