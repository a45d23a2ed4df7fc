/// What one dense layer `l` computed in a forward pass over a batch of `n`
/// rows (one sample per row): its pre-activations and its activations,
///
/// ```
/// Z_l = A_{l−1} · W_l + b_l      (n × n_out; b_l added to every row)
/// A_l = f_l(Z_l)                  (n × n_out; softmax row by row)
/// ```
///
/// with `A_0 = X`, the batch. Part of a ``ForwardTrace``.
public struct LayerTrace<Scalar: NetworkScalar>: Sendable, Equatable {
    /// `Z_l = A_{l−1}·W_l + b_l`, `n × n_out`.
    public let preActivations: Matrix<Scalar>
    /// `A_l = f_l(Z_l)`, `n × n_out`: the layer's outputs, the next
    /// layer's inputs.
    public let activations: Matrix<Scalar>
}
