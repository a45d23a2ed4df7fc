import CKernels

/// Gradients of the loss for one batch: per layer `dL/dW` and `dL/db`, and
/// `dL/dX` for the inputs.
public struct Gradients<Scalar: NetworkScalar>: Sendable, Equatable {
    /// One entry per layer, first to last.
    public var layers: [LayerGradients<Scalar>]
    /// `dL/dX`, `n × inputSize`.
    public var inputs: Matrix<Scalar>
    /// The loss at which the gradients were taken (`nil` when they came from
    /// `backward(outputGradient:)`, whose loss the library does not know).
    public var loss: Double?
}
