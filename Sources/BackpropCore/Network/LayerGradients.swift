/// The gradients of the loss with respect to one dense layer's parameters:
/// `dL/dW_l` (`n_in × n_out`) and `dL/db_l` (`n_out`).
public struct LayerGradients<Scalar: NetworkScalar>: Sendable, Equatable {
    /// `dL/dW`, `n_in × n_out`.
    public var weights: Matrix<Scalar>
    /// `dL/db`, `n_out` values.
    public var bias: [Scalar]
}
