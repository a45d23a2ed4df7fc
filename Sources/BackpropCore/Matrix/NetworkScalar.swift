/// The floating-point types a `Matrix` or `Network` can hold: `Double` and
/// `Float`.
///
/// `Double` is the default everywhere: `Matrix([[1, 2]])` and
/// `Network(inputSize:layers:loss:seed:)` are double precision unless you
/// write `Matrix<Float>` or `Network<Float>`. Each conforming type brings
/// its own set of C kernels through ``kernelFunctions``, which is how
/// generic code such as `Network<Scalar>` reaches the right ones (as
/// swift-numerics' `Real` brings its own `exp`); the kernels exist for
/// these two types only, so no other type can conform.
public protocol NetworkScalar: BinaryFloatingPoint, Sendable, Codable,
    LosslessStringConvertible where RawSignificand: FixedWidthInteger {
    /// The C kernels of this precision (`bp_mlp_*` and `bp_dgemm` for
    /// `Double`, `bp_mlp_*_f32` and `bp_sgemm` for `Float`).
    static var kernelFunctions: KernelFunctions<Self> { get }
}

extension Double: NetworkScalar {
    /// The double-precision C kernels.
    public static var kernelFunctions: KernelFunctions<Double> { .double }
}

extension Float: NetworkScalar {
    /// The single-precision C kernels.
    public static var kernelFunctions: KernelFunctions<Float> { .float }
}
