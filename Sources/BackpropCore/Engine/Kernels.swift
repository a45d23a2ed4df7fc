import CKernels

/// The bridge from generic Swift code to the C kernels for the few calls
/// that are not an engine's: GEMM, the finiteness scan and the SGD update.
///
/// Every function takes raw pointers (the caller owns the memory and has
/// validated shapes) and reaches the kernels of its scalar through
/// ``NetworkScalar/kernelFunctions``. Sizes are `Int` here and `size_t` in
/// C; callers never pass negative values.
enum Kernels {
    /// The index of the first NaN or infinity in `x`, if any (bp_finite.h:
    /// a vectorised scan).
    static func firstNonFinite<S: NetworkScalar>(_ x: [S]) -> Int? {
        x.withUnsafeBufferPointer { b -> Int? in
            var index = b.count
            let status = S.kernelFunctions.findNonFinite(b.count, b.baseAddress, &index)
            // The scan cannot fail on an array's own buffer; if it ever
            // did, scanning here keeps the answer right.
            guard status == BP_OK else { return b.firstIndex(where: { !$0.isFinite }) }
            return index < b.count ? index : nil
        }
    }

    /// C = alpha·op(A)·op(B) + beta·C (row-major, see bp_gemm.h).
    static func gemm<S: NetworkScalar>(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: S, a: UnsafePointer<S>?, lda: Int, b: UnsafePointer<S>?, ldb: Int,
        beta: S, c: UnsafeMutablePointer<S>?, ldc: Int
    ) throws(BackpropError) {
        let ta = transA ? BP_TRANS : BP_NO_TRANS, tb = transB ? BP_TRANS : BP_NO_TRANS
        let functions = S.kernelFunctions
        try check(functions.gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), function: functions.gemmName)
    }

    /// w ← w − rate·g over `count` elements (`bp_sgd_update`: the engine's SGD rule).
    static func sgdUpdate<S: NetworkScalar>(count: Int, rate: Double, g: UnsafePointer<S>,
                                            w: UnsafeMutablePointer<S>) throws(BackpropError) {
        let functions = S.kernelFunctions
        try check(functions.sgdUpdate(count, rate, g, w), function: functions.name("bp_sgd_update"))
    }
}
