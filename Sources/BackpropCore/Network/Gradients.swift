/// Gradients of the loss for one batch of `n` rows: per layer `dL/dW_l`,
/// `dL/db_l` and `dL/dZ_l` (``LayerGradients``), and `dL/dX` for the inputs.
///
/// ``Network/gradients(on:)`` and ``Network/backward(_:outputGradient:)``
/// return them; ``Network/apply(_:learningRate:)`` takes a step with them,
/// `W_l ← W_l − η·dL/dW_l`, `b_l ← b_l − η·dL/db_l`. They can also be built
/// by hand, e.g. to average the gradients of two batches before a step:
///
/// ```swift
/// let a = try net.gradients(inputs: x1, targets: y1)
/// let b = try net.gradients(inputs: x2, targets: y2)
/// let mean = Gradients(layers: try zip(a.layers, b.layers).map { p, q in
///     LayerGradients(weights: try Matrix(rows: p.weights.rows, columns: p.weights.columns,
///                                        elements: zip(p.weights.elements, q.weights.elements).map { ($0 + $1) / 2 }),
///                    bias: zip(p.bias, q.bias).map { ($0 + $1) / 2 })
/// }, inputs: a.inputs)   // apply reads only the layers
/// try net.apply(mean, learningRate: 0.1)
/// ```
public struct Gradients<Scalar: NetworkScalar>: Sendable, Equatable {
    /// One entry per layer, first to last.
    public var layers: [LayerGradients<Scalar>]
    /// `dL/dX = dL/dZ_0 · W_0ᵀ`, `n × inputSize`.
    public var inputs: Matrix<Scalar>
    /// The loss at which the gradients were taken (`nil` when they came from
    /// ``Network/backward(_:outputGradient:)``, whose loss the library does
    /// not know, or were built without it).
    public var loss: Double?

    /// Gradients as ``Network/apply(_:learningRate:)`` takes them. Nothing is
    /// checked here: `apply` checks that there is one entry per layer, that
    /// each has its layer's shapes and that every value is finite; it does
    /// not read `inputs` or `loss`.
    /// - Parameters:
    ///   - layers: one ``LayerGradients`` per layer, first to last.
    ///   - inputs: `dL/dX`, `n × inputSize`.
    ///   - loss: the loss at which they were taken, if known.
    public init(layers: [LayerGradients<Scalar>], inputs: Matrix<Scalar>, loss: Double? = nil) {
        self.layers = layers
        self.inputs = inputs
        self.loss = loss
    }
}
