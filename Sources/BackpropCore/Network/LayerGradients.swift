/// The gradients of the loss with respect to one dense layer `l`: its
/// parameters, `dL/dW_l` (`n_in × n_out`) and `dL/db_l` (`n_out`), and,
/// when the library computed them, its pre-activations, `dL/dZ_l`
/// (`n × n_out` for a batch of `n` rows).
///
/// `dL/dZ_l` is the delta rule's `δ_l`, from which the others follow:
///
/// ```
/// δ_L = dL/dA_L ⊙ f'_L(Z_L)         (output layer; a fused loss gives it directly)
/// δ_{l−1} = (δ_l · W_lᵀ) ⊙ f'_{l−1}(Z_{l−1})
/// dL/dW_l = A_{l−1}ᵀ · δ_l,   dL/db_l = Σ_rows δ_l
/// ```
///
/// Gradients built by hand (for a rule of your own, or gradients computed
/// elsewhere) need only `weights` and `bias`:
/// ``Network/apply(_:learningRate:)`` reads those two and ignores
/// `preActivations`.
public struct LayerGradients<Scalar: NetworkScalar>: Sendable, Equatable {
    /// `dL/dW_l = A_{l−1}ᵀ · dL/dZ_l`, `n_in × n_out`.
    public var weights: Matrix<Scalar>
    /// `dL/db_l = Σ_rows dL/dZ_l`, `n_out` values.
    public var bias: [Scalar]
    /// `dL/dZ_l`, `n × n_out` (one row per sample of the batch): how the loss
    /// changes with each pre-activation `Z_l = A_{l−1}·W_l + b_l`. Filled by
    /// ``Network/gradients(on:)`` (and its `inputs:` forms) and
    /// ``Network/backward(_:outputGradient:)``; `nil` for gradients built
    /// without it.
    public var preActivations: Matrix<Scalar>?

    /// Gradients of one layer, as ``Network/apply(_:learningRate:)`` takes
    /// them. Nothing is checked here: `apply` checks the shapes
    /// (`weights` `n_in × n_out`, `bias` `n_out` values, against the layer)
    /// and that every value is finite.
    /// - Parameters:
    ///   - weights: `dL/dW_l`, `n_in × n_out`.
    ///   - bias: `dL/db_l`, `n_out` values.
    ///   - preActivations: `dL/dZ_l`, `n × n_out`, if known (not used by `apply`).
    public init(weights: Matrix<Scalar>, bias: [Scalar], preActivations: Matrix<Scalar>? = nil) {
        self.weights = weights
        self.bias = bias
        self.preActivations = preActivations
    }
}
