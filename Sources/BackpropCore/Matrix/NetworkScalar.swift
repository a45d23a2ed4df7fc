/// The floating-point types a `Matrix` or `Network` can hold: `Double` and
/// `Float`.
///
/// `Double` is the default everywhere: `Matrix([[1, 2]])` and
/// `Network(inputSize:layers:loss:seed:)` are double precision unless you
/// write `Matrix<Float>` or `Network<Float>`. Each conforming type has its own
/// set of C kernels; conforming any other type is not supported (the kernels
/// report ``BackpropError/unsupportedScalar(_:)``). Gradient checks always
/// run in double precision.
public protocol NetworkScalar: BinaryFloatingPoint, Sendable, Codable,
    LosslessStringConvertible where RawSignificand: FixedWidthInteger {}

extension Double: NetworkScalar {}
extension Float: NetworkScalar {}
