/// Penalties and noise that keep training from overfitting, as options of
/// `train`: an L2 penalty on the weights, clipping of the gradient's
/// global norm, and inverted dropout on the hidden layers.
///
/// Every step of `train`, on a batch of `r` rows:
///
/// - **L2 penalty** (`l2` = α, scikit-learn's MLP `alpha`): the loss
///   becomes `L + (α/(2r))·Σ_l ‖W_l‖²` over the weights (never the biases),
///   and the gradient of every weight gains `(α/r)·W`. The reported
///   training loss includes the penalty. (For PyTorch's coupled
///   `weight_decay`, which also decays the biases, or AdamW's decoupled
///   decay, see ``Optimizer/weightDecay``.)
/// - **Gradient clipping** (`maximumGradientNorm` = c):
///   `torch.nn.utils.clip_grad_norm_`: with `N = ‖g‖₂` over every
///   parameter, the gradient is scaled by `c/(N + 10⁻⁶)` when that is
///   below 1; then the optimiser's rule.
/// - **Inverted dropout** (`dropout[l]` = p_l for hidden layer `l`): in
///   training steps only, `A_l ← A_l ⊙ M_l/(1 − p_l)` with `M_l` a mask of
///   independent Bernoulli(1 − p_l) draws, and the backward pass multiplies
///   `dL/dA_l` by the same `M_l/(1 − p_l)`; `predict`, `loss` and
///   `gradients` never drop. The masks come from a stream seeded by one
///   draw from the network's generator at the start of each `train` call,
///   so a run is reproducible bit for bit (checkpoints record the stream).
///
/// The order within a step: gradient of the mean loss, plus the L2 term,
/// clipping, then the optimiser. Any of them on makes a step take the
/// engine's general path (the gradient formed, then the update), which
/// still allocates nothing.
public struct Regularization: Sendable, Hashable, Codable {
    /// α ≥ 0, the L2 penalty's strength (0: none).
    public var l2: Double
    /// c > 0, the largest global norm the gradient keeps (`nil`: no clipping).
    public var maximumGradientNorm: Double?
    /// The dropout probability of each hidden layer's outputs, first hidden
    /// layer first (each in [0, 1)); empty, or all zero, for none. When not
    /// empty it has one entry per hidden layer (the output layer never drops).
    public var dropout: [Double]

    /// Regularisation with the given strengths (defaults: none).
    public init(l2: Double = 0, maximumGradientNorm: Double? = nil, dropout: [Double] = []) {
        self.l2 = l2
        self.maximumGradientNorm = maximumGradientNorm
        self.dropout = dropout
    }

    /// No penalty, no clipping, no dropout.
    public static var none: Regularization { Regularization() }

    /// Whether dropout is on for some layer.
    public var hasDropout: Bool { dropout.contains { $0 != 0 } }

    /// Checks the values for a network of `hiddenLayers` hidden layers.
    /// - Throws: ``BackpropError/invalidHyperparameter(name:value:expected:)``.
    public func validate(hiddenLayers: Int) throws {
        guard l2.isFinite && l2 >= 0 else {
            throw BackpropError.invalidHyperparameter(name: "regularization.l2", value: "\(l2)", expected: "finite and ≥ 0")
        }
        if let c = maximumGradientNorm, !(c.isFinite && c > 0) {
            throw BackpropError.invalidHyperparameter(name: "regularization.maximumGradientNorm", value: "\(c)",
                                                      expected: "finite and > 0 (or nil for no clipping)")
        }
        guard dropout.isEmpty || dropout.count == hiddenLayers else {
            throw BackpropError.invalidHyperparameter(
                name: "regularization.dropout", value: "\(dropout.count) rates",
                expected: "one per hidden layer (\(hiddenLayers)), or none")
        }
        if let i = dropout.firstIndex(where: { !($0 >= 0 && $0 < 1) }) {
            throw BackpropError.invalidHyperparameter(name: "regularization.dropout[\(i)]", value: "\(dropout[i])",
                                                      expected: "in [0, 1)")
        }
    }
}
