import CKernels

/// The bridge from generic Swift code to the C kernels of one precision.
///
/// Every function takes raw pointers (the caller owns the memory and has
/// validated shapes) and dispatches on `Scalar`: `Double` goes to the `bp_d*`
/// kernels, `Float` to the `bp_s*` / `_f32` ones. Sizes are `Int` here and
/// `size_t` in C; callers never pass negative values.
enum Kernels {
    @inline(__always)
    static func d<S>(_ p: UnsafePointer<S>?) -> UnsafePointer<Double>? {
        p.map { UnsafeRawPointer($0).assumingMemoryBound(to: Double.self) }
    }

    @inline(__always)
    static func d<S>(_ p: UnsafeMutablePointer<S>?) -> UnsafeMutablePointer<Double>? {
        p.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Double.self) }
    }

    @inline(__always)
    static func f<S>(_ p: UnsafePointer<S>?) -> UnsafePointer<Float>? {
        p.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) }
    }

    @inline(__always)
    static func f<S>(_ p: UnsafeMutablePointer<S>?) -> UnsafeMutablePointer<Float>? {
        p.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Float.self) }
    }

    static func unsupported<S>(_: S.Type) -> BackpropError {
        .unsupportedScalar(String(describing: S.self))
    }

    /// The index of the first NaN or infinity in `x`, if any (bp_finite.h:
    /// a vectorised scan; other scalar types are scanned here).
    static func firstNonFinite<S: NetworkScalar>(_ x: [S]) -> Int? {
        x.withUnsafeBufferPointer { b -> Int? in
            var index = b.count
            let status: bp_status
            if S.self == Double.self {
                status = bp_find_nonfinite(b.count, d(b.baseAddress), &index)
            } else if S.self == Float.self {
                status = bp_find_nonfinite_f32(b.count, f(b.baseAddress), &index)
            } else {
                return b.firstIndex(where: { !$0.isFinite })
            }
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
        if S.self == Double.self {
            try check(bp_dgemm(ta, tb, m, n, k, Double(alpha), d(a), lda, d(b), ldb,
                               Double(beta), d(c), ldc), "bp_dgemm")
        } else if S.self == Float.self {
            try check(bp_sgemm(ta, tb, m, n, k, Float(alpha), f(a), lda, f(b), ldb,
                               Float(beta), f(c), ldc), "bp_sgemm")
        } else {
            throw unsupported(S.self)
        }
    }

    /// w ← w − rate·g over `count` elements (`bp_sgd_update`: the engine's SGD rule).
    static func sgdUpdate<S: NetworkScalar>(count: Int, rate: Double, g: UnsafePointer<S>,
                                            w: UnsafeMutablePointer<S>) throws(BackpropError) {
        if S.self == Double.self {
            try check(bp_sgd_update(count, rate, d(g), d(w)), "bp_sgd_update")
        } else if S.self == Float.self {
            try check(bp_sgd_update_f32(count, Float(rate), f(g), f(w)), "bp_sgd_update_f32")
        } else {
            throw unsupported(S.self)
        }
    }
}
