/*
 * gemm_driver_tmpl.h — the blocked GEMM driver, written once and included
 * by gemm.c once per precision (no include guard on purpose). Before each
 * inclusion gemm.c defines:
 *
 *   R              element type (double, float)
 *   P(name)        name##_d / name##_s: the precision's private names
 *   G_MR, G_NR     micro-tile (gemm_internal.h)
 *   G_MC, G_KC, G_NC  cache blocks (gemm_internal.h)
 *   G_KERNEL, G_KERNEL2, G_KERNEL22, G_PACK_A, G_PACK_B, G_SMALL,
 *   G_BIAS_ROWS, G_RELU_ROWS   fields of bp_gemm_kernels
 *   G_REFERENCE                the textbook GEMM (bp_dgemm_reference, ...)
 *   G_KERNEL_TYPE, G_KERNEL2_TYPE, G_KERNEL22_TYPE, G_PACK_TYPE   their types
 *   G_PORTABLE, G_PACK_A_PORTABLE, G_PACK_B_PORTABLE
 *                  names of the portable kernel and packers to define
 *   G_RUN          name of the entry point to define (bp_dgemm_run, ...)
 *   G_EPI          epilogue type (bp_epilogue_d, ...)
 *   G_ACT_BLOCK    element-wise activation of a block (bp_act_block_d, ...)
 *   G_SOFTMAX      row-wise softmax (bp_softmax_rows_d, ...)
 *   G_SCALE_C      C ← beta·C (bp_gemm_scale_c, bp_gemm_scale_c_f)
 *
 * It also defines P(exec), the body of the public bp_dgemm_exec /
 * bp_sgemm_exec, which gemm.c defines by name.
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

/* Portable packers of nsl consecutive full slivers (the layout every
 * packer of the dispatch table produces, see gemm_internal.h). Where the
 * source is contiguous across slivers (rows of Aᵀ, rows of B) the loop runs
 * over p outside, so each source row is read once, in order; where it is
 * not (rows of A, rows of Bᵀ) sliver by sliver, MR or NR row streams at a
 * time. */
void G_PACK_A_PORTABLE(int trans, const R *A, size_t lda, size_t kc, size_t nsl, R *dst) {
    if (trans) {
        /* op(A)[i][p] = A[p][i]: row p of A holds MR values of each sliver. */
        for (size_t p = 0; p < kc; p++)
            for (size_t sl = 0; sl < nsl; sl++)
                for (size_t i = 0; i < G_MR; i++)
                    dst[sl * G_MR * kc + p * G_MR + i] = A[p * lda + sl * G_MR + i];
        return;
    }
    for (size_t sl = 0; sl < nsl; sl++, A += G_MR * lda, dst += G_MR * kc) {
        const R *rows[G_MR];
        for (size_t i = 0; i < G_MR; i++) rows[i] = A + i * lda;
        for (size_t p = 0; p < kc; p++)
            for (size_t i = 0; i < G_MR; i++) dst[p * G_MR + i] = rows[i][p];
    }
}

void G_PACK_B_PORTABLE(int trans, const R *B, size_t ldb, size_t kc, size_t nsl, R *dst) {
    if (!trans) {
        for (size_t p = 0; p < kc; p++)
            for (size_t sl = 0; sl < nsl; sl++)
                for (size_t j = 0; j < G_NR; j++)
                    dst[sl * G_NR * kc + p * G_NR + j] = B[p * ldb + sl * G_NR + j];
        return;
    }
    /* op(B)[p][j] = B[j][p]: NR row streams of B, contiguous in p. */
    for (size_t sl = 0; sl < nsl; sl++, B += G_NR * ldb, dst += G_NR * kc) {
        const R *cols[G_NR];
        for (size_t j = 0; j < G_NR; j++) cols[j] = B + j * ldb;
        for (size_t p = 0; p < kc; p++)
            for (size_t j = 0; j < G_NR; j++) dst[p * G_NR + j] = cols[j][p];
    }
}

/* Packs the mc × kc block of op(A) whose top-left element is A (already
 * offset) into MR-row slivers: full slivers through the kernel set's
 * packer, a last partial one here, zero-padded. */
static void P(pack_a)(G_PACK_TYPE pack, int trans, const R *A, size_t lda, size_t mc, size_t kc,
                   R *restrict Ap) {
    size_t nsl = mc / G_MR, ir = nsl * G_MR;
    if (nsl > 0) pack(trans, A, lda, kc, nsl, Ap);
    if (ir == mc) return;
    Ap += nsl * G_MR * kc;
    size_t mr = mc - ir;
    for (size_t p = 0; p < kc; p++) {
        size_t i = 0;
        for (; i < mr; i++) Ap[p * G_MR + i] = trans ? A[p * lda + ir + i] : A[(ir + i) * lda + p];
        for (; i < G_MR; i++) Ap[p * G_MR + i] = (R)0;
    }
}

/* Packs the kc × nc block of op(B) whose top-left element is B (already
 * offset) into NR-column slivers, the same way. */
static void P(pack_b)(G_PACK_TYPE pack, int trans, const R *B, size_t ldb, size_t kc, size_t nc,
                   R *restrict Bp) {
    size_t nsl = nc / G_NR, jr = nsl * G_NR;
    if (nsl > 0) pack(trans, B, ldb, kc, nsl, Bp);
    if (jr == nc) return;
    Bp += nsl * G_NR * kc;
    size_t nr = nc - jr;
    for (size_t p = 0; p < kc; p++) {
        size_t j = 0;
        for (; j < nr; j++) Bp[p * G_NR + j] = trans ? B[(jr + j) * ldb + p] : B[p * ldb + jr + j];
        for (; j < G_NR; j++) Bp[p * G_NR + j] = (R)0;
    }
}

/* ---- the portable micro-kernel ------------------------------------------------ */

/* Plain C: an MR × NR accumulator the compiler keeps in vector registers
 * where it can. The epilogue uses separate statements (no contraction into
 * an FMA), the same two roundings as the SIMD kernels. */
void G_PORTABLE(size_t kc, const R *a, const R *b, R *c, size_t ldc, R alpha, R beta, size_t mr,
                size_t nr) {
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

/* Z = C + bias, then A = f(Z), on the mr × nc block of rows just finished
 * (element-wise activations; softmax is done per row after the product).
 * Once per row block rather than per strip: A is a separate array, not in
 * cache, and writing it in long row segments lets the hardware stream it,
 * where strips of 16 columns across 120 rows (120 separate lines, each
 * fetched before it is written) ran at memory latency — a quarter of the
 * GEMM's time for a 256 × 1024 × 1024 ReLU layer. Z is still in L2 here.
 * The bias goes in the same pass, just before the activation reads each
 * row, rather than per strip right after the micro-kernel's stores. */
static void P(epilogue_rows)(const bp_gemm_kernels *ks, const G_EPI *ep, size_t i0, size_t j0,
                          size_t mr, size_t nc, R *C, size_t ldc) {
    R *Z = C + i0 * ldc + j0;
    if (ep->bias) ks->G_BIAS_ROWS(mr, nc, Z, ldc, ep->bias + j0);
    if (!ep->A || ep->act == BP_ACT_SOFTMAX) return;
    if (ep->act == BP_ACT_RELU) /* the common case, in the CPU's vectors */
        ks->G_RELU_ROWS(mr, nc, Z, ldc, ep->A + i0 * ep->lda + j0, ep->lda);
    else G_ACT_BLOCK(ep->act, ep->param, mr, nc, Z, ldc, ep->A + i0 * ep->lda + j0, ep->lda);
}

/* ---- one thread's share: the blocked loops ------------------------------------ */

typedef struct P(job) {
    R alpha, beta;
    const R *A, *B;
    R *C;
    size_t m, n, k, lda, ldb, ldc;
    int ta, tb;
    G_EPI ep; /* ep.A / ep.bias offset to this share */
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

/* Whether an m × n × k product is large enough to pay for waking the
 * workers. Float runs about twice as many flops per second: twice the
 * threshold. */
static inline int P(worth_splitting)(size_t m, size_t n, size_t k) {
    double min_flops = BP_EXEC_PARALLEL_MIN_FLOPS * (sizeof(R) < sizeof(double) ? 2.0 : 1.0);
    return 2.0 * (double)m * (double)n * (double)k >= min_flops;
}

/* Asks for the rows × cols tile of C at C to be brought into the cache
 * (write intent). With beta ≠ 0 the kernels read their tile of C after
 * their loop over k; when C is larger than the caches (W_l in the network
 * engine's fused update, W ← W − η·Aᵀ·dZ: 4 MB in W4) those loads, 24
 * lines for a 12 × 32 tile in float, would each wait on memory. Issued a
 * tile ahead, they arrive during the tile's kc·MR·NR multiply-adds. */
static inline void P(prefetch_tile)(const R *C, size_t ldc, size_t rows, size_t cols) {
    const size_t line = 64 / sizeof(R);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j += line) __builtin_prefetch(C + i * ldc + j, 1, 3);
}

/* The mc rows of the packed A block against one packed B sliver bs of nr
 * columns: double-height calls on full pairs of slivers where the kernels
 * have them, then single ones. */
static void
P(sliver_rows)(const bp_gemm_kernels *ks, size_t kc, const R *Ap, size_t mc, const R *bs,
                        R *C, size_t ldc, R alpha, R beta, size_t nr) {
    const G_KERNEL2_TYPE kernel2 = ks->G_KERNEL2;
    size_t ir = 0;
    if (kernel2)
        for (; ir + 2 * G_MR <= mc; ir += 2 * G_MR)
            kernel2(kc, Ap + ir * kc, Ap + (ir + G_MR) * kc, bs, C + ir * ldc, ldc, alpha, beta,
                    nr);
    for (; ir < mc; ir += G_MR) {
        size_t mr = mc - ir < G_MR ? mc - ir : G_MR;
        ks->G_KERNEL(kc, Ap + ir * kc, bs, C + ir * ldc, ldc, alpha, beta, mr, nr);
    }
}

/*
 * The blocked loops for the rows of jb (all of its columns). Ap is this
 * thread's A block. With nt > 1 threads sharing the work by rows, the
 * packed B panel is shared too: each thread packs its share of the panel's
 * slivers into bp[step % 2] and waits at a barrier; the two buffers
 * alternate, so one barrier per k-block suffices (a thread can only start
 * packing buffer b again after every thread has passed the barrier that
 * followed the packing of the other one, i.e. has finished with b).
 */
static void
P(blocked)(const bp_gemm_kernels *ks, const P(job) *jb, R *Ap, R *const bp[2], size_t tid,
                    size_t nt, const bp_exec *exec) {
    const G_KERNEL22_TYPE kernel22 = ks->G_KERNEL22;
    const size_t m = jb->m, n = jb->n, k = jb->k, ldc = jb->ldc;
    const R alpha = jb->alpha;
    R *C = jb->C;
    size_t step = 0;
    /* Row blocks of nearly equal height (≤ MC, whole tile pairs) rather
     * than MC, MC, …, remainder: a last block of a few rows streams the
     * whole B panel through the core for little work (n = 512 on two
     * threads: 252 rows each = 120 + 120 + 12). The row split changes no
     * element's arithmetic. */
    const size_t unit = ks->G_KERNEL2 ? 2 * G_MR : G_MR;
    const size_t row_blocks = (m + G_MC - 1) / G_MC;
    size_t mc_step = row_blocks ? (m + row_blocks - 1) / row_blocks : G_MC;
    mc_step = (mc_step + unit - 1) / unit * unit;
    if (mc_step > G_MC) mc_step = G_MC;

    for (size_t jc = 0; jc < n; jc += G_NC) {
        size_t nc = n - jc < G_NC ? n - jc : G_NC;
        for (size_t pc = 0; pc < k; pc += G_KC, step++) {
            size_t kc = k - pc < G_KC ? k - pc : G_KC;
            int last = pc + kc == k;
            R beta = pc == 0 ? jb->beta : (R)1;
            R *Bp = bp[nt > 1 ? step % 2 : 0];
            /* this thread's share of the panel's NR-column slivers */
            size_t slivers = (nc + G_NR - 1) / G_NR;
            size_t s0 = slivers * tid / nt, s1 = slivers * (tid + 1) / nt;
            size_t j0 = s0 * G_NR, j1 = s1 * G_NR < nc ? s1 * G_NR : nc;
            if (j1 > j0)
                P(pack_b)(ks->G_PACK_B, jb->tb,
                       jb->tb ? jb->B + (jc + j0) * jb->ldb + pc : jb->B + pc * jb->ldb + jc + j0,
                       jb->ldb, kc, j1 - j0, Bp + j0 * kc);
            if (nt > 1) bp_exec_barrier(exec, nt);
            for (size_t ic = 0; ic < m; ic += mc_step) {
                size_t mc = m - ic < mc_step ? m - ic : mc_step;
                P(pack_a)(ks->G_PACK_A, jb->ta,
                       jb->ta ? jb->A + pc * jb->lda + ic : jb->A + ic * jb->lda + pc, jb->lda, mc,
                       kc, Ap);
                for (size_t jr = 0; jr < nc;) {
                    size_t nr = nc - jr < G_NR ? nc - jr : G_NR, width = nr;
                    const R *bs = Bp + jr * kc;
                    R *Cs = C + ic * ldc + jc + jr;
                    if (kernel22 && jr + 2 * G_NR <= nc) {
                        /* two full B slivers at once: 2·MR × 2·NR tiles,
                         * the last one cut to the rows left (its missing
                         * second A sliver, if any, replaced by the first:
                         * computed, not stored) */
                        width = 2 * G_NR;
                        for (size_t ir = 0; ir < mc; ir += 2 * G_MR) {
                            size_t mr = mc - ir < 2 * G_MR ? mc - ir : 2 * G_MR;
                            const R *a0 = Ap + ir * kc, *a1 = mr > G_MR ? a0 + G_MR * kc : a0;
                            if (beta != (R)0) {
                                /* the next tile down, or the next strip's first */
                                size_t next = ir + 2 * G_MR;
                                if (next < mc)
                                    P(prefetch_tile)(Cs + next * ldc, ldc,
                                                  mc - next < 2 * G_MR ? mc - next : 2 * G_MR,
                                                  width);
                                else if (jr + width < nc)
                                    P(prefetch_tile)(Cs + width, ldc, mc < 2 * G_MR ? mc : 2 * G_MR,
                                                  nc - jr - width < width ? nc - jr - width
                                                                          : width);
                            }
                            kernel22(kc, a0, a1, bs, bs + G_NR * kc, Cs + ir * ldc, ldc, alpha,
                                     beta, mr);
                        }
                    } else {
                        P(sliver_rows)(ks, kc, Ap, mc, bs, Cs, ldc, alpha, beta, nr);
                    }
                    jr += width;
                }
                if (last && jb->has_ep) P(epilogue_rows)(ks, &jb->ep, ic, jc, mc, nc, C, ldc);
            }
        }
    }
    if (m > 0 && jb->has_ep && jb->ep.A && jb->ep.act == BP_ACT_SOFTMAX)
        G_SOFTMAX(m, n, C, ldc, jb->ep.A, jb->ep.lda);
}

/* One thread, workspace ws laid out as [Ap block | Bp panel] for this
 * product's sizes (the context-free path sizes it to the problem). */
static void P(serial)(const bp_gemm_kernels *ks, const P(job) *jb, void *ws) {
    R *bp[2];
    bp[0] = bp[1] = (R *)((char *)ws +
                          P(round_up)(P(ap_elems)(jb->m, jb->k) * sizeof(R), BP_GEMM_ALIGN));
    P(blocked)(ks, jb, ws, bp, 0, 1, NULL);
}

/* A context's per-thread workspace, laid out for the largest blocks. */
static R *P(ctx_ap)(const bp_exec *exec, size_t tid) { return bp_exec_workspace(exec, tid); }
static R *P(ctx_bp)(const bp_exec *exec, size_t tid) {
    return (R *)((char *)bp_exec_workspace(exec, tid) +
                 P(round_up)((size_t)G_MC * G_KC * sizeof(R), BP_GEMM_ALIGN));
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
static void P(share)(size_t tiles, size_t parts, size_t t, size_t tile, size_t extent, size_t *lo,
                  size_t *len) {
    size_t t0 = tiles * t / parts, t1 = tiles * (t + 1) / parts;
    size_t a = t0 * tile, b = t1 * tile;
    if (b > extent) b = extent;
    if (a > extent) a = extent;
    *lo = a;
    *len = b > a ? b - a : 0;
}

/* By rows: each thread its run of row tiles, the packed B panel shared
 * (P(blocked)). By columns: each thread an independent product on its run
 * of column tiles (it packs the A blocks it needs itself). */
static void P(thread_main)(void *arg, size_t tid, size_t nthreads) {
    const P(split) *sp = arg;
    const P(job) *w = sp->whole;
    P(job) jb = *w;
    size_t lo, len;
    if (sp->by_rows) {
        /* runs of whole tile pairs when double-height kernels exist */
        size_t unit = sp->ks->G_KERNEL2 ? 2 * G_MR : G_MR;
        P(share)((w->m + unit - 1) / unit, sp->parts, tid, unit, w->m, &lo, &len);
        jb.m = len; /* possibly 0: the thread still packs and meets the barriers */
        if (len > 0) {
            jb.A = w->ta ? w->A + lo : w->A + lo * w->lda;
            jb.C = w->C + lo * w->ldc;
            if (jb.ep.A) jb.ep.A = w->ep.A + lo * w->ep.lda;
        }
        R *bp[2] = { P(ctx_bp)(sp->exec, 0), P(ctx_bp)(sp->exec, 1) };
        P(blocked)(sp->ks, &jb, P(ctx_ap)(sp->exec, tid), bp, tid, nthreads, sp->exec);
    } else {
        P(share)((w->n + G_NR - 1) / G_NR, sp->parts, tid, G_NR, w->n, &lo, &len);
        if (len == 0) return;
        jb.n = len;
        jb.B = w->tb ? w->B + lo * w->ldb : w->B + lo;
        jb.C = w->C + lo;
        if (jb.ep.A) jb.ep.A = w->ep.A + lo;
        if (jb.ep.bias) jb.ep.bias = w->ep.bias + lo;
        R *bp[2] = { P(ctx_bp)(sp->exec, tid), P(ctx_bp)(sp->exec, tid) };
        P(blocked)(sp->ks, &jb, P(ctx_ap)(sp->exec, tid), bp, 0, 1, NULL);
    }
}

/* Stack workspace for small products without a context (32 KiB). */
enum { P(STACK_BYTES) = 32768 };

/* One thread with no context: packing workspace on the stack when it fits
 * (kept out of G_RUN, so that G_RUN's own frame stays small for the small
 * products that never pack), on the heap otherwise. */
#if defined(__GNUC__)
__attribute__((noinline)) /* clang would inline it, frame and all */
#endif
static bp_status P(run_without_context)(const bp_gemm_kernels *ks, const P(job) *jb) {
    size_t bytes = P(workspace_bytes)(jb->m, jb->n, jb->k);
    if (bytes <= P(STACK_BYTES)) {
        _Alignas(BP_GEMM_ALIGN) unsigned char stack[P(STACK_BYTES)];
        P(serial)(ks, jb, stack);
        return BP_OK;
    }
    void *heap = NULL;
    if (posix_memalign(&heap, BP_GEMM_ALIGN, bytes) != 0) return BP_ERR_NO_MEMORY;
    P(serial)(ks, jb, heap);
    free(heap);
    return BP_OK;
}

/* Everything but the small products: pack, block, and split over threads.
 * Kept out of line (noinline), so that P(run) — the small products' path
 * — inlines into the public entry points without this frame. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static bp_status P(run_blocked)(const bp_gemm_kernels *ks, const bp_exec *exec, int ta, int tb,
                             size_t m, size_t n, size_t k, R alpha, const R *A, size_t lda,
                             const R *B, size_t ldb, R beta, R *C, size_t ldc, const G_EPI *ep) {
    P(job) jb = { alpha, beta, A, B, C, m, n, k, lda, ldb, ldc, ta, tb, { 0 }, ep != NULL };
    if (ep) jb.ep = *ep;
    if (exec == NULL) return P(run_without_context)(ks, &jb);

    /* Split C into whole micro-tiles, one run per thread, when the product
     * is large enough to pay for waking the workers: by columns, unless the
     * rows outnumber them three times over (or softmax needs whole rows).
     * A column split has each thread pack all of A and its own part of B,
     * with no barrier; a row split shares one packed B panel, which the
     * threads pack together and wait for at a barrier per k-block. The
     * column split scales better for square and wide products; the row
     * split wins from m = 4n, where B's panel is worth sharing. A barrier
     * also waits for the slowest thread, which hurts most when the second
     * core is shared (Benchmarks/README.md, "Kernel design measurements"). */
    size_t threads = bp_exec_threads(exec), parts = 1;
    int by_rows = 1;
    if (threads > 1 && P(worth_splitting)(m, n, k)) {
        size_t unit = ks->G_KERNEL2 ? 2 * G_MR : G_MR;
        size_t row_tiles = (m + unit - 1) / unit, col_tiles = (n + G_NR - 1) / G_NR;
        int softmax = ep && ep->A && ep->act == BP_ACT_SOFTMAX;
        by_rows = softmax || row_tiles * unit >= 3 * col_tiles * G_NR;
        size_t tiles = by_rows ? row_tiles : col_tiles;
        parts = tiles < threads ? tiles : threads;
    }
    if (parts <= 1) {
        R *bp[2] = { P(ctx_bp)(exec, 0), P(ctx_bp)(exec, 0) };
        P(blocked)(ks, &jb, P(ctx_ap)(exec, 0), bp, 0, 1, NULL);
        return BP_OK;
    }
    P(split) sp = { &jb, ks, exec, parts, by_rows };
    bp_exec_run(exec, parts, P(thread_main), &sp);
    return BP_OK;
}

/* Whether the unpacked kernels (where the kernel set has them) take the
 * product: every product with m, n, k ≤ BP_GEMM_SMALL_MAX, and skinny ones
 * — C at most BP_GEMM_SMALL_MAX columns wide, k within one k-block, op(B)
 * = B — that one thread computes: the output layer's products (m = batch,
 * n = classes). There A is read once per column block and B (k × n) stays
 * in L1/L2, where packing would copy A and pad n up to the 16- or
 * 32-column tiles (1.3–1.9× the packed path for n = 10–64; Benchmarks/
 * README.md, "Kernel design measurements"). For op(A) = Aᵀ only up to BP_GEMM_SKINNY_TA_MAX
 * rows: each row tile then reads a column strip of A, k rows apart, and
 * in float from m = 1024 (n ≤ 16) the packed path is faster. k ≤ KC keeps
 * the bits: the packed path then runs one k-block, the same chain of
 * multiply-adds per element; so does the thread count (a product split
 * over threads goes the packed way, with the same bits). */
static inline int P(unpacked)(const bp_exec *exec, int ta, int tb, size_t m, size_t n, size_t k) {
    if (m <= BP_GEMM_SMALL_MAX && n <= BP_GEMM_SMALL_MAX && k <= BP_GEMM_SMALL_MAX) return 1;
    if (tb || n > BP_GEMM_SMALL_MAX || k > G_KC || (ta && m > BP_GEMM_SKINNY_TA_MAX)) return 0;
    return bp_exec_threads(exec) <= 1 || !P(worth_splitting)(m, n, k);
}

/* G_RUN's work (inlined into bp_?gemm_exec; G_RUN is its out-of-line
 * copy for the dense layers). */
static inline bp_status
P(run)(const bp_exec *exec, int ta, int tb, size_t m, size_t n, size_t k,
                            R alpha, const R *A, size_t lda, const R *B, size_t ldb, R beta, R *C,
                            size_t ldc, const G_EPI *ep) {
    const bp_gemm_kernels *ks = bp_exec_gemm(exec);

    /* Small and skinny products: no packing (gemm/kernels/small_avx512.c), then
     * the epilogue over the whole of C. So do the products of a reference
     * context (BP_EXEC_REFERENCE), with the textbook loops. */
    const int reference = bp_exec_reference(exec);
    if (reference || (ks->G_SMALL && P(unpacked)(exec, ta, tb, m, n, k))) {
        if (reference)
            (void)G_REFERENCE(ta ? BP_TRANS : BP_NO_TRANS, tb ? BP_TRANS : BP_NO_TRANS, m, n, k,
                              alpha, A, lda, B, ldb, beta, C, ldc); /* valid: cannot fail */
        else ks->G_SMALL(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        if (ep) {
            P(epilogue_rows)(ks, ep, 0, 0, m, n, C, ldc);
            if (ep->A && ep->act == BP_ACT_SOFTMAX) G_SOFTMAX(m, n, C, ldc, ep->A, ep->lda);
        }
        return BP_OK;
    }

    return P(run_blocked)(ks, exec, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, ep);
}

bp_status G_RUN(const bp_exec *exec, int ta, int tb, size_t m, size_t n, size_t k, R alpha,
                const R *A, size_t lda, const R *B, size_t ldb, R beta, R *C, size_t ldc,
                const G_EPI *ep) {
    return P(run)(exec, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, ep);
}

/* ---- the public entry point's body: validation and the BLAS special cases ---- */

/* bp_?gemm_exec (gemm.c), inline so that the named function is this body
 * with P(run) inlined into it. */
static inline bp_status P(exec)(const bp_exec *exec, bp_transpose trans_a, bp_transpose trans_b,
                             size_t m, size_t n, size_t k, R alpha, const R *A, size_t lda,
                             const R *B, size_t ldb, R beta, R *C, size_t ldc) {
    BP_TRY(bp_gemm_check_elem(trans_a, trans_b, m, n, k, alpha != (R)0, A, lda, B, ldb, C, ldc,
                              sizeof(R)));
    if (m == 0 || n == 0) return BP_OK;
    if (alpha == (R)0 || k == 0) {
        G_SCALE_C(m, n, beta, C, ldc);
        return BP_OK;
    }
    return P(
        run)(exec, trans_a == BP_TRANS, trans_b == BP_TRANS, m, n, k, alpha, A, lda, B, ldb, beta,
               C, ldc, NULL);
}
