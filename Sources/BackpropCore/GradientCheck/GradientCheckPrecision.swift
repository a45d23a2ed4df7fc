/// The arithmetic whose backpropagated gradients a gradient check judges.
///
/// Whatever the choice, the reference is the same: central finite
/// differences in double precision of the network's parameters and data
/// converted exactly to `Double`, accurate to about 10⁻⁹. What changes is
/// the side under test and the rounding the tolerance allows it:
///
/// - ``double``: backpropagation in double precision, whose own rounding
///   (unit roundoff u = 2⁻⁵³) is far below the finite differences'. The
///   check of the formulas.
/// - ``float``: backpropagation by the single-precision kernels
///   (u = 2⁻²⁴), on the network and data converted to `Float` (no change for
///   a `Network<Float>`). The check of the float kernels themselves, with a
///   tolerance for their rounding (see
///   ``Network/checkGradients(on:epsilon:relativeTolerance:absoluteTolerance:maxParameters:includeInputs:precision:)``).
public enum GradientCheckPrecision: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Backpropagation in double precision (`Network<Double>`'s kernels).
    case double
    /// Backpropagation in single precision (`Network<Float>`'s kernels).
    case float

    /// "double" or "float", as reports and the command line name it.
    public var description: String { rawValue }
}
