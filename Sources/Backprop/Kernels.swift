import CKernels

/// The bridge from generic Swift code to the C kernels of one precision.
///
/// Every function takes raw pointers (the caller owns the memory and has
/// validated shapes) and dispatches on `Scalar`: `Double` goes to the `bp_d*`
/// kernels. Sizes are `Int` here and `size_t` in C; callers never pass
/// negative values.
enum Kernels {
    @inline(__always)
    static func d<S>(_ p: UnsafePointer<S>?) -> UnsafePointer<Double>? {
        p.map { UnsafeRawPointer($0).assumingMemoryBound(to: Double.self) }
    }

    @inline(__always)
    static func d<S>(_ p: UnsafeMutablePointer<S>?) -> UnsafeMutablePointer<Double>? {
        p.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Double.self) }
    }

    static func unsupported<S>(_: S.Type) -> BackpropError {
        .unsupportedScalar(String(describing: S.self))
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
        } else {
            throw unsupported(S.self)
        }
    }

    /// Z[i][j] += b[j] for an m × n block Z (contiguous).
    static func biasAdd<S: NetworkScalar>(m: Int, n: Int, bias: UnsafePointer<S>,
                                          z: UnsafeMutablePointer<S>) throws(BackpropError) {
        if S.self == Double.self {
            try check(bp_bias_add(m, n, d(bias), d(z), n), "bp_bias_add")
        } else {
            throw unsupported(S.self)
        }
    }

    /// db = column sums of the m × n block dZ.
    static func biasGradient<S: NetworkScalar>(m: Int, n: Int, dz: UnsafePointer<S>,
                                               db: UnsafeMutablePointer<S>) throws(BackpropError) {
        if S.self == Double.self {
            try check(bp_bias_gradient(m, n, 1, d(dz), n, 0, d(db)), "bp_bias_gradient")
        } else {
            throw unsupported(S.self)
        }
    }

    static func activationForward<S: NetworkScalar>(
        _ act: Activation, rows: Int, cols: Int, z: UnsafePointer<S>, a: UnsafeMutablePointer<S>
    ) throws(BackpropError) {
        if S.self == Double.self {
            try check(bp_activation_forward(act.kernel, act.parameter, rows, cols, d(z), d(a)),
                      "bp_activation_forward")
        } else {
            throw unsupported(S.self)
        }
    }

    static func activationBackward<S: NetworkScalar>(
        _ act: Activation, rows: Int, cols: Int, z: UnsafePointer<S>, a: UnsafePointer<S>,
        da: UnsafePointer<S>, dz: UnsafeMutablePointer<S>
    ) throws(BackpropError) {
        if S.self == Double.self {
            try check(bp_activation_backward(act.kernel, act.parameter, rows, cols,
                                             d(z), d(a), d(da), d(dz)), "bp_activation_backward")
        } else {
            throw unsupported(S.self)
        }
    }

    /// Loss value (returned) and, when `grad` is given, its gradient, for n × k
    /// predictions against dense targets.
    static func loss<S: NetworkScalar>(
        _ kind: bp_loss, n: Int, k: Int, pred: UnsafePointer<S>, target: UnsafePointer<S>,
        grad: UnsafeMutablePointer<S>?
    ) throws(BackpropError) -> Double {
        var value = 0.0
        if S.self == Double.self {
            try check(bp_loss_compute(kind, n, k, d(pred), d(target), &value, d(grad)),
                      "bp_loss_compute")
        } else {
            throw unsupported(S.self)
        }
        return value
    }

    /// The categorical losses with integer labels.
    static func loss<S: NetworkScalar>(
        _ kind: bp_loss, n: Int, k: Int, pred: UnsafePointer<S>, labels: UnsafePointer<Int>,
        grad: UnsafeMutablePointer<S>?
    ) throws(BackpropError) -> Double {
        var value = 0.0
        if S.self == Double.self {
            try check(bp_loss_compute_labels(kind, n, k, d(pred), labels, &value, d(grad)),
                      "bp_loss_compute_labels")
        } else {
            throw unsupported(S.self)
        }
        return value
    }

    /// w ← w − rate·g over `count` elements.
    static func sgdUpdate<S: NetworkScalar>(count: Int, rate: Double, g: UnsafePointer<S>,
                                            w: UnsafeMutablePointer<S>) throws(BackpropError) {
        if S.self == Double.self {
            try check(bp_sgd_update(count, rate, d(g), d(w)), "bp_sgd_update")
        } else {
            throw unsupported(S.self)
        }
    }

    /// ‖x‖₂, overflow-safe.
    static func norm2<S: NetworkScalar>(count: Int, x: UnsafePointer<S>) throws(BackpropError) -> Double {
        var out = 0.0
        if S.self == Double.self {
            try check(bp_norm2(count, d(x), &out), "bp_norm2")
        } else {
            throw unsupported(S.self)
        }
        return out
    }
}
